#!/usr/bin/env bash
# Benchmark entry point: our engine (native `kb eval`, and kb-core compiled to wasm in Node)
# against MiniSearch, Lunr, Orama and FlexSearch, on one dataset in the neutral format
# (docs/datasets.md). Prints one Markdown table to stdout and writes it to
# bench/out/results.md; progress goes to stderr. See bench/README.md.
#
#   bench/run.sh [DATASET_DIR]        default: ../shared/datasets/clinc150 (from the repository root)
#
# Honours CARGO_TARGET_DIR (default: <repo>/target). Needs cargo with the wasm32-unknown-unknown
# target, wasm-bindgen CLI 0.2.130, Node ≥ 20 and npm; the network only for npm/crates.io.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
OUT="$BENCH/out"
export PATH="$PATH:$HOME/.cargo/bin"

step() { printf '\n== bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

DATASET="${1:-$ROOT/../shared/datasets/clinc150}"
[ -d "$DATASET" ] || die "no dataset directory $DATASET"
DATASET="$(cd "$DATASET" && pwd)"
for f in kb.jsonl dev.jsonl test.jsonl; do
  [ -f "$DATASET/$f" ] || die "$DATASET has no $f (see docs/datasets.md)"
done

for tool in cargo node npm wasm-bindgen; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
WANT_BINDGEN=0.2.130   # must equal the wasm-bindgen crate pinned in kb-wasm/Cargo.toml
HAVE_BINDGEN="$(wasm-bindgen --version | awk '{print $2}')"
[ "$HAVE_BINDGEN" = "$WANT_BINDGEN" ] || die "wasm-bindgen CLI is $HAVE_BINDGEN, need $WANT_BINDGEN (cargo install wasm-bindgen-cli --version $WANT_BINDGEN)"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$OUT"

if [ ! -f "$BENCH/node_modules/.package-lock.json" ] || [ "$BENCH/package-lock.json" -nt "$BENCH/node_modules/.package-lock.json" ]; then
  step "installing npm packages (npm ci)"
  (cd "$BENCH" && npm ci --no-audit --no-fund 1>&2)
fi

step "building the kb CLI (cargo build --release -p kb-cli)"
(cd "$ROOT" && cargo build --release -p kb-cli --target-dir "$TARGET")

step "building kb-core for wasm (bench/kb-wasm) and its bindings"
cargo build --release --target wasm32-unknown-unknown \
  --manifest-path "$BENCH/kb-wasm/Cargo.toml" --target-dir "$TARGET"
rm -rf "$OUT/kb-wasm"
wasm-bindgen --target nodejs --out-dir "$OUT/kb-wasm" "$TARGET/wasm32-unknown-unknown/release/kb_wasm.wasm"

step "native: kb eval on $(basename "$DATASET") (writes the calibrated index to out/kb.idx)"
"$TARGET/release/kb" eval --kb "$DATASET/kb.jsonl" --queries "$DATASET/test.jsonl" \
  --calibrate "$DATASET/dev.jsonl" --semantic off --out "$OUT/kb.idx" --json > "$OUT/native.json"

# The static semantic tier (kb-static.idx and kb-static.en.sem beside it), when its distilled table
# is there (scripts/tools.sh semantic): one more wasm row, the fused engine as the widget runs it.
STATIC=()
if "$TARGET/release/kb" eval --kb "$DATASET/kb.jsonl" --queries "$DATASET/test.jsonl" \
  --calibrate "$DATASET/dev.jsonl" --semantic static --out "$OUT/kb-static.idx" --json > "$OUT/native-static.json"; then
  STATIC=(--static "$OUT/kb-static.idx")
else
  step "no static tier row (kb eval --semantic static failed: is the distilled table built?)"
fi

step "Node: kb (wasm), MiniSearch, Lunr, Orama, FlexSearch"
node --expose-gc "$BENCH/peers.mjs" --dataset "$DATASET" --index "$OUT/kb.idx" \
  --wasm "$OUT/kb-wasm/kb_wasm.js" --native "$OUT/native.json" "${STATIC[@]}" --json "$OUT/peers.json" > "$OUT/results.md"

step "done: $OUT/results.md"
cat "$OUT/results.md"
