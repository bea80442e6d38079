#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (idempotently),
# builds dist/, then runs the gates (formatting, clippy for the host and wasm32, the docs, the
# shell-size ratchet), the Rust tests (host), a fuzzing smoke run, the component tests (wasm in
# headless Chromium), the knowledge checks, the analytics SQL parity (kb report against analytics/*.sql on DuckDB) and
# the browser end-to-end tests (including a real LLM server).
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export TMPDIR=${TMPDIR_TESTS:-$(mktemp -d)}
scripts/tools.sh build browser npm llm analytics fuzz semantic || exit 1
scripts/build.sh || { echo "build failed"; exit 1; }

log=$(mktemp)
status=0
step() { echo; echo "==== $1"; }
# A check that is one test: its output, then a result line the summary counts.
gate() {
  local name=$1
  shift
  if "$@" 2>&1 | tail -n 40; then
    echo "test result: ok. 1 passed; 0 failed ($name)" | tee -a "$log"
  else
    echo "test result: FAILED. 0 passed; 1 failed ($name)" | tee -a "$log"
    status=1
  fi
}

step "Gates: formatting, clippy (host and wasm32), docs, shell size"
gate "cargo fmt --check" cargo fmt --all -- --check
gate "clippy (host)" cargo clippy -q --workspace --exclude market-assist --all-targets --all-features -- -D warnings
gate "clippy (wasm32)" cargo clippy -q -p market-assist --target wasm32-unknown-unknown --all-targets -- -D warnings
gate "docs (host)" env RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --exclude market-assist --no-deps --all-features
gate "docs (widget)" env RUSTDOCFLAGS="-D warnings" cargo doc -q -p market-assist --target wasm32-unknown-unknown --no-deps
gate "shell size" scripts/size-gate.sh dist

step "Rust tests (host)"
cargo test --no-fail-fast --workspace --exclude market-assist --all-features 2>&1 | tee -a "$log" || status=1

step "Fuzzing smoke: every cargo-fuzz target for ${FUZZ_SECONDS:-15} s (scripts/fuzz.sh)"
gate "fuzz smoke" scripts/fuzz.sh "${FUZZ_SECONDS:-15}"

step "Widget component tests (wasm32, headless Chromium)"
cargo test --no-fail-fast -p market-assist --target wasm32-unknown-unknown 2>&1 | tee -a "$log" || status=1

step "Knowledge and analytics: lint, golden-set gates, SQL parity"
gate "kb lint" ./target/release/kb lint --knowledge knowledge
gate "golden sets (all locales together, and th and vi each)" ./target/release/kb eval --knowledge knowledge --min-top1 "${MIN_TOP1:-0.90}" --min-oos-routed 0.80 --gate all,th,vi
gate "SQL parity (DuckDB)" "${ANALYTICS_VENV:-$HOME/.cache/market-assist/analytics-venv}/bin/python" tests/analytics/parity.py

step "Browser end-to-end tests (node --test)"
node --test --test-concurrency=1 tests/support/*.test.mjs tests/e2e/*.test.mjs 2>&1 | tee "$log.node" || status=1

passed=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{p+=$4; f+=$6} END {print p+0}')
failed=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{p+=$4; f+=$6} END {print f+0}')
node_pass=$(grep -E '^# pass ' "$log.node" | awk '{print $3}' | tail -n1)
node_fail=$(grep -E '^# fail ' "$log.node" | awk '{print $3}' | tail -n1)
passed=$((passed + ${node_pass:-0}))
failed=$((failed + ${node_fail:-0}))
[ "$failed" -gt 0 ] && status=1
echo
echo "${passed} passed, ${failed} failed"
exit $status
