#!/usr/bin/env bash
# The shell-size ratchet: the widget's first download (embed.js + wasm + JS glue + CSS, each
# gzip -9 alone) may not grow by more than 1 kB over the figure recorded in bench/shell-size.txt.
# After a change that shrinks it, record the new figure there (the ratchet only moves down).
# Usage: scripts/size-gate.sh [DIST]   (default dist/, built by scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
recorded=$(grep -oE '^[0-9]+' bench/shell-size.txt | head -n1)
total=0
[ -f "$dist/assets.json" ] || { echo "size gate: $dist/assets.json is missing (run scripts/build.sh)"; exit 1; }
# The widget's files under their content-hashed names.
for f in embed.js $(node -e 'const a = require(process.argv[1]); console.log([a["market-assist_bg.wasm"], a["market-assist.js"], a["widget.css"]].join(" "))' "$(realpath "$dist/assets.json")"); do
  [ -f "$dist/$f" ] || { echo "size gate: $dist/$f is missing (run scripts/build.sh)"; exit 1; }
  n=$(gzip -9 -c -n "$dist/$f" | wc -c)
  printf '  %-24s %7d bytes gzip\n' "$f" "$n"
  total=$((total + n))
done
allowed=$((recorded + 1000))
echo "size gate: shell $total bytes gzip; recorded $recorded, allowed up to $allowed"
if [ "$total" -gt "$allowed" ]; then
  echo "size gate: FAILED — the shell grew by $((total - recorded)) bytes. Shrink it, or if the growth is worth it, say why in the commit and record the new figure in bench/shell-size.txt."
  exit 1
fi
[ "$total" -lt $((recorded - 1000)) ] && echo "size gate: the shell is $((recorded - total)) bytes under the record: update bench/shell-size.txt to ratchet it down."
exit 0
