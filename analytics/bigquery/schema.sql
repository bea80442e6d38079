-- Market Assist widget events (schema version 1, docs/events.md) in BigQuery: the collector's
-- JSON lines load as they are into events_raw, and events holds them typed and flat, one row per
-- event as received (a copy received twice is a second row; metrics/*.sql count each id once).
--
-- Loading, with the dataset as the default (bq --dataset_id=PROJECT:DATASET):
--
--   bq load --source_format=NEWLINE_DELIMITED_JSON events_raw events-2026-12-04.jsonl
--   bq query --use_legacy_sql=false --parameter=day:DATE:2026-12-04 "$(cat analytics/bigquery/load.sql)"
--
-- events_raw mirrors the JSON (nested objects as STRUCTs, fields a type does not have NULL);
-- load.sql is the INSERT ... SELECT that flattens one day of it into events. Tables are
-- partitioned by the UTC day of ts and clustered by session, which is how every metric reads.

CREATE TABLE IF NOT EXISTS events_raw
(
    v INT64,
    id STRING,
    session STRING,
    ts TIMESTAMP,
    pack STRING,
    locale STRING,
    audience STRING,
    page STRING,
    type STRING,
    trigger STRING,
    question STRING,
    path STRING,
    entries ARRAY<STRING>,
    top STRUCT<entry STRING, score FLOAT64, confidence FLOAT64>,
    runner_up STRUCT<entry STRING, score FLOAT64, confidence FLOAT64>,
    kind STRING,
    thresholds STRUCT<answer FLOAT64, clarify FLOAT64>,
    text STRING,
    encoder BOOL,
    entry STRING,
    source STRING,
    helpful BOOL,
    reason STRING,
    after STRING,
    answer STRING,
    flow STRING,
    step STRING,
    outcome STRING,
    passages ARRAY<STRING>,
    cited ARRAY<STRING>,
    error STRING,
    ttft_ms FLOAT64
)
PARTITION BY DATE(ts)
CLUSTER BY session;

CREATE TABLE IF NOT EXISTS events
(
    -- Every event.
    v INT64 NOT NULL,
    id STRING NOT NULL,
    session STRING NOT NULL,
    ts TIMESTAMP NOT NULL,
    pack STRING,
    locale STRING,
    audience STRING,
    page STRING,
    type STRING NOT NULL,

    -- conversation_started
    trigger STRING,

    -- question (question is also the llm_fallback's question id)
    question STRING,
    path STRING,
    entries ARRAY<STRING>,
    top_entry STRING,
    top_score FLOAT64,
    top_confidence FLOAT64,
    runner_up_entry STRING,
    runner_up_score FLOAT64,
    runner_up_confidence FLOAT64,
    kind STRING,
    threshold_answer FLOAT64,
    threshold_clarify FLOAT64,
    text STRING,
    -- read and decided again by the encoder tier (null in events from before the field)
    encoder BOOL,

    -- suggestion_taken, feedback, resolution (entry is also feedback's and resolution's)
    entry STRING,
    source STRING,
    helpful BOOL,
    -- feedback's reason (null for the thumbs themselves) and handoff_clicked's reason
    reason STRING,
    after STRING,
    answer STRING,

    -- flow_* (flow is also resolution's)
    flow STRING,
    step STRING,

    -- llm_fallback
    outcome STRING,
    passages ARRAY<STRING>,
    cited ARRAY<STRING>,
    error STRING,
    ttft_ms FLOAT64
)
PARTITION BY DATE(ts)
CLUSTER BY session;
