-- Types one day of events_raw into events (schema.sql); run after the day's bq load:
--   bq query --use_legacy_sql=false --parameter=day:DATE:2026-12-04 "$(cat analytics/bigquery/load.sql)"
-- Running it twice for a day inserts the day twice: delete the day from events first to redo it.
INSERT INTO events
SELECT
    v, id, session, ts, pack, locale, audience, page, type,
    trigger,
    question, path, entries,
    top.entry AS top_entry, top.score AS top_score, top.confidence AS top_confidence,
    runner_up.entry AS runner_up_entry, runner_up.score AS runner_up_score,
    runner_up.confidence AS runner_up_confidence,
    kind,
    thresholds.answer AS threshold_answer, thresholds.clarify AS threshold_clarify,
    text, encoder,
    entry, source, helpful, reason, after, answer,
    flow, step,
    outcome, passages, cited, error, ttft_ms
FROM events_raw
WHERE DATE(ts) = @day;
