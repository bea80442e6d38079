#!/usr/bin/env bash
# Builds everything a deployment needs into dist/: the wasm widget (Trunk, release), embed.js,
# widget.css, the demo page and the knowledge packs compiled from knowledge/: kb.idx with every
# locale, kb.<locale>.idx with one, and a .gz of each (what the widget loads).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh build
echo "[build] kb (knowledge compiler)" >&2
cargo build --release -q -p kb-cli
echo "[build] widget (trunk build --release)" >&2
trunk build --release
echo "[build] knowledge pack" >&2
./target/release/kb build --knowledge knowledge --out dist/kb.idx --per-locale
# Gzipped packs are what the widget loads: hosts that do not compress unknown file types still
# send a third (-n: no name or time stamp, so the same knowledge gives the same bytes).
gzip -9 -n -k -f dist/kb*.idx
