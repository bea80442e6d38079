-- Market Assist widget events (schema version 1, docs/events.md) in ClickHouse: one table, one
-- row per event as the collector wrote it (a copy received twice is a second row; the metrics in
-- metrics/*.sql count each id once, and the ReplacingMergeTree folds identical copies, which share
-- the sorting key, whenever parts merge).
--
-- Loading: the collector's daily files are JSON lines (events-YYYY-MM-DD.jsonl). Each file goes
-- in with JSONEachRow through the input() function and the small transform of load.sql, which
-- parses ts and flattens the nested objects (top, runner_up, thresholds) into columns:
--
--   clickhouse-client --query "$(cat analytics/clickhouse/load.sql)" < events-2026-12-04.jsonl
--
-- Fields an event type does not have are NULL (arrays: empty).

CREATE TABLE IF NOT EXISTS events
(
    -- Every event.
    v UInt8,
    id String,
    session String,
    ts DateTime64(3, 'UTC'),
    pack LowCardinality(String),
    locale LowCardinality(String),
    audience LowCardinality(String),
    page String,
    type LowCardinality(String),

    -- conversation_started
    trigger LowCardinality(Nullable(String)),

    -- question (question is also the llm_fallback's question id)
    question Nullable(String),
    path LowCardinality(Nullable(String)),
    entries Array(String),
    top_entry Nullable(String),
    top_score Nullable(Float64),
    top_confidence Nullable(Float64),
    runner_up_entry Nullable(String),
    runner_up_score Nullable(Float64),
    runner_up_confidence Nullable(Float64),
    kind LowCardinality(Nullable(String)),
    threshold_answer Nullable(Float64),
    threshold_clarify Nullable(Float64),
    text Nullable(String),
    -- read and decided again by the encoder tier (null in events from before the field)
    encoder Nullable(Bool),

    -- suggestion_taken, feedback, resolution (entry is also feedback's and resolution's)
    entry Nullable(String),
    source LowCardinality(Nullable(String)),
    helpful Nullable(Bool),
    -- feedback's reason (null for the thumbs themselves) and handoff_clicked's reason
    reason LowCardinality(Nullable(String)),
    after LowCardinality(Nullable(String)),
    answer LowCardinality(Nullable(String)),

    -- flow_* (flow is also resolution's)
    flow Nullable(String),
    step Nullable(String),

    -- llm_fallback
    outcome LowCardinality(Nullable(String)),
    passages Array(String),
    cited Array(String),
    error Nullable(String),
    ttft_ms Nullable(Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), session, ts, id);
