#!/usr/bin/env bash
# Runs every cargo-fuzz target for a set time and writes the figures to bench/out/fuzz.md.
# Usage: scripts/fuzz.sh [SECONDS per target, default 60] [TARGET...]
#
# Each target keeps its corpus in fuzz/corpus/<target>/ (not in git) between runs; every run
# first seeds it from real inputs: the knowledge files, golden questions, a small pack built from
# a two-entry knowledge folder, and recorded LLM streams. A crash leaves its input in
# fuzz/artifacts/<target>/ and makes the script exit 1: turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(entry_parser flow_parser pack_decoder query_analyzer sse_stream json markdown redaction)

say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*" >&2; }
scripts/tools.sh fuzz

# Copies a file into a corpus under its content hash, so reseeding never duplicates.
seed_file() {
  local dir=$1 file=$2
  cp "$file" "$dir/seed-$(sha1sum "$file" | cut -c1-16)"
}
# Writes one seed per line of standard input.
seed_lines() {
  local dir=$1 line tmp
  tmp=$(mktemp)
  while IFS= read -r line; do
    printf '%s' "$line" >"$tmp"
    seed_file "$dir" "$tmp"
  done
  rm -f "$tmp"
}
golden_questions() { cat knowledge/golden/*/*.jsonl | sed -n 's/^{"text": "\([^"]*\)".*/\1/p' | awk 'NR % 7 == 0'; }

seed() {
  local target=$1 dir=fuzz/corpus/$1 f
  mkdir -p "$dir"
  case "$target" in
    entry_parser|markdown)
      for f in knowledge/entries/*/*.md; do seed_file "$dir" "$f"; done ;;
    flow_parser)
      for f in knowledge/flows/*/*.md; do seed_file "$dir" "$f"; done ;;
    query_analyzer|redaction)
      golden_questions | seed_lines "$dir"
      printf '%s\n' 'my card 4111 1111 1111 1111 was charged twice' 'call me on +62 812-3456-7890' \
        'email jane.doe@example.com about order MP4829301756' 'คืนเงินยังไม่ได้รับ' 'Đơn hàng của tôi ở đâu' \
        | seed_lines "$dir" ;;
    pack_decoder)
      local work
      work=$(mktemp -d)
      mkdir -p "$work/k/entries/en" "$work/k/flows/en"
      printf -- '---\nid: track-order\ntitle: Track an order\nlocale: en\naudience: buyer\nquestions:\n  - where is my order\n  - track my parcel\nrelated: [refund]\nflow: refund\n---\nOpen **My orders** and tap the order.\n' >"$work/k/entries/en/track-order.md"
      printf -- '---\nid: refund\ntitle: Refunds\nlocale: en\naudience: buyer\nquestions:\n  - i want a refund\n---\nRefunds take 3 to 5 days.\n' >"$work/k/entries/en/refund.md"
      printf -- '---\nid: refund\nlocale: en\ntitle: Get a refund\naudience: all\nstart: ask\n---\n\n## ask\nWhat is your order number?\n- Late -> show\n- Other -> agent\n\n## show\n=> entry refund\n\n## agent\n=> handoff\n' >"$work/k/flows/en/refund.md"
      ./target/release/kb build --knowledge "$work/k" --out "$dir/seed-small.idx" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
      rm -rf "$work" ;;
    sse_stream)
      printf '\001data: {"choices":[{"delta":{"content":"Hel"}}]}\n\ndata: {"choices":[{"delta":{"content":"lo"}}]}\r\n\r\ndata: [DONE]\n\n' >"$dir/seed-chat"
      printf '\004: keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: one\ndata: two\n\n' >"$dir/seed-fields" ;;
    json)
      printf '{"choices":[{"delta":{"content":"caf\\u00e9 \\"ok\\""},"finish_reason":null}],"n":-1.5e3}' >"$dir/seed-delta"
      printf '[true,false,null,{"a":[1,2,{"b":"\\ud83d\\ude00"}]}]' >"$dir/seed-nested" ;;
  esac
}

# Builds the kb binary the pack seed needs.
cargo build -q --release -p kb-cli

mkdir -p bench/out
report=bench/out/fuzz.md
{
  echo "| target | seconds | executions | executions/s | corpus | crashes |"
  echo "|---|---:|---:|---:|---:|---:|"
} >"$report.tmp"
failed=0
for target in "${TARGETS[@]}"; do
  seed "$target"
  log=$(mktemp)
  say "$target for ${SECONDS_PER_TARGET}s"
  status=ok
  (cd fuzz && cargo +nightly fuzz run --release "$target" "corpus/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -print_final_stats=1) >"$log" 2>&1 || status=crash
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  crashes=0
  if [ "$status" = crash ]; then
    crashes=1
    failed=1
    tail -n 40 "$log" >&2
    say "$target crashed: see fuzz/artifacts/$target/"
  fi
  echo "| \`$target\` | $SECONDS_PER_TARGET | ${execs:-0} | ${rate:-0} | $corpus | $crashes |" >>"$report.tmp"
  rm -f "$log"
done
mv "$report.tmp" "$report"
cat "$report"
exit $failed
