#!/usr/bin/env bash
# Builds everything a deployment needs into dist/: the wasm widget (Trunk, release), embed.js,
# widget.css, the demo page and the knowledge pack compiled from knowledge/ (kb.idx, and
# kb.idx.gz, which the widget loads by default).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh build
echo "[build] kb (knowledge compiler)" >&2
cargo build --release -q -p kb-cli
echo "[build] widget (trunk build --release)" >&2
trunk build --release
echo "[build] knowledge pack" >&2
./target/release/kb build --knowledge knowledge --out dist/kb.idx
# What the widget loads by default: hosts that do not compress unknown file types still send a
# third of the pack (-n: no name or time stamp, so the same knowledge gives the same bytes).
gzip -9 -n -k -f dist/kb.idx
