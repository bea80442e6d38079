#!/usr/bin/env bash
# The demo: builds the widget and the knowledge pack, starts the local LLM server (SmolLM2 via
# llama.cpp, OpenAI-compatible) and serves a sample seller-center page with the widget on
# 127.0.0.1, sending its analytics events to `kb collect` (files in target/events/; read them with
# `target/release/kb report target/events`). Ctrl-C stops everything. PORT (default 8080),
# LLM_PORT (default 8765) and COLLECT_PORT (default 8790) override.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
LLM_PORT=${LLM_PORT:-8765}
COLLECT_PORT=${COLLECT_PORT:-8790}
scripts/tools.sh build llm
scripts/build.sh
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
if ! curl -fs "http://127.0.0.1:$LLM_PORT/v1/models" >/dev/null 2>&1; then
  echo "[demo] starting the local LLM server on 127.0.0.1:$LLM_PORT" >&2
  scripts/llm-server.sh "$LLM_PORT" > target/llm-server.log 2>&1 &
  pids+=($!)
fi
./target/release/kb collect --listen "127.0.0.1:$COLLECT_PORT" --out target/events > target/collector.log 2>&1 &
pids+=($!)
node tests/support/static-server.mjs dist --port "$PORT" > target/demo-server.log 2>&1 &
pids+=($!)
endpoint="http://127.0.0.1:$LLM_PORT/v1/chat/completions"
# Wait for the model, then warm it up: the first prompt a fresh server reads is the slowest.
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$LLM_PORT/v1/models" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$endpoint" -H 'content-type: application/json' -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}' >/dev/null 2>&1 || true
url="http://127.0.0.1:$PORT/"
query=()
[ "$LLM_PORT" = 8765 ] || query+=("endpoint=$endpoint")
[ "$COLLECT_PORT" = 8790 ] || query+=("collect=http://127.0.0.1:$COLLECT_PORT/events")
[ ${#query[@]} -eq 0 ] || url="$url?$(IFS='&'; echo "${query[*]}")"
echo
echo "  Demo Market seller center with the assistant:  $url"
echo "  (LLM fallback: $endpoint — log in target/llm-server.log)"
echo "  (analytics: kb collect on 127.0.0.1:$COLLECT_PORT, events in target/events/; then: target/release/kb report target/events --html target/report.html)"
echo
wait
