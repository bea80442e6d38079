-- Loads one collector file (JSON lines on standard input) into events (schema.sql):
--   clickhouse-client --query "$(cat analytics/clickhouse/load.sql)" < events-2026-12-04.jsonl
-- JSONEachRow reads the nested objects as strings (input_format_json_read_objects_as_strings)
-- and leaves absent fields NULL or empty; the SELECT types ts and flattens them.
INSERT INTO events
SELECT
    v, id, session, parseDateTime64BestEffort(ts, 3, 'UTC') AS ts, pack, locale, audience, page, type,
    trigger,
    question, path, entries,
    JSONExtract(top, 'entry', 'Nullable(String)') AS top_entry,
    JSONExtract(top, 'score', 'Nullable(Float64)') AS top_score,
    JSONExtract(top, 'confidence', 'Nullable(Float64)') AS top_confidence,
    JSONExtract(runner_up, 'entry', 'Nullable(String)') AS runner_up_entry,
    JSONExtract(runner_up, 'score', 'Nullable(Float64)') AS runner_up_score,
    JSONExtract(runner_up, 'confidence', 'Nullable(Float64)') AS runner_up_confidence,
    kind,
    JSONExtract(thresholds, 'answer', 'Nullable(Float64)') AS threshold_answer,
    JSONExtract(thresholds, 'clarify', 'Nullable(Float64)') AS threshold_clarify,
    text, encoder,
    entry, source, helpful, reason, after, answer,
    flow, step,
    outcome, passages, cited, error, ttft_ms
FROM input('
    v UInt8, id String, session String, ts String, pack String, locale String, audience String,
    page String, type String, trigger Nullable(String),
    question Nullable(String), path Nullable(String), entries Array(String),
    top Nullable(String), runner_up Nullable(String), kind Nullable(String),
    thresholds Nullable(String), text Nullable(String), encoder Nullable(Bool),
    entry Nullable(String), source Nullable(String), helpful Nullable(Bool), reason Nullable(String),
    after Nullable(String), answer Nullable(String), flow Nullable(String), step Nullable(String),
    outcome Nullable(String), passages Array(String), cited Array(String), error Nullable(String),
    ttft_ms Nullable(Float64)
')
SETTINGS input_format_json_read_objects_as_strings = 1
FORMAT JSONEachRow
