#!/usr/bin/env bash
# Builds everything a deployment needs into dist/: the wasm widget (Trunk, release), embed.js,
# widget.css, the demo page and the knowledge packs compiled from knowledge/: kb.idx with every
# locale, kb.<locale>.idx with one, each locale's semantic tier kb.<locale>.sem, the encoder tier
# encoder.kben (multilingual-e5-small pruned to the knowledge's languages) with its Web Worker
# (encoder-worker.js and the encoder_worker wasm module), and a .gz of each
# (what the widget loads). Then the widget's
# files get content-hashed names, text and wasm files .gz and .br siblings, and the embed
# snippet with its Subresource Integrity hash is printed (CDN_URL=https://… sets its URL).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh build semantic
echo "[build] kb (knowledge compiler)" >&2
cargo build --release -q -p kb-cli
echo "[build] widget (trunk build --release)" >&2
trunk build --release
# The encoder tier's own wasm module (its Web Worker runs it): built for speed and with wasm
# SIMD, in a target directory of its own so that the widget's build keeps its cache.
echo "[build] encoder worker (wasm SIMD)" >&2
RUSTFLAGS="-C target-feature=+simd128" cargo build --release -q -p encoder-worker \
  --target wasm32-unknown-unknown --target-dir target/encoder-worker
wasm-bindgen --target web --no-typescript --out-dir dist \
  target/encoder-worker/wasm32-unknown-unknown/release/encoder_worker.wasm
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals dist/encoder_worker_bg.wasm -o dist/encoder_worker_bg.wasm
echo "[build] knowledge pack" >&2
./target/release/kb build --knowledge knowledge --out dist/kb.idx --per-locale --semantic encoder
# Gzipped packs are what the widget loads: hosts that do not compress unknown file types still
# send a third (-n: no name or time stamp, so the same knowledge gives the same bytes).
gzip -9 -n -k -f dist/kb*.idx dist/kb*.sem dist/encoder.kben
echo "[build] hashed names, .gz and .br siblings, the SRI snippet" >&2
node scripts/finish-dist.mjs dist ${CDN_URL:+--cdn "$CDN_URL"}
