-- LLM errors: per error text (empty when none was given), the failed calls.
-- Definitions: docs/metrics.md. Parameters: @from_day and @to_day (DATE), the period's first and last UTC
-- day (analytics/README.md). Each event id counts once.
WITH
-- The period's events, each id once (copies of an id are the same event).
ev AS (
    SELECT *
    FROM (
        SELECT *, row_number() OVER (PARTITION BY id ORDER BY ts) AS copy
        FROM events
        WHERE ts >= TIMESTAMP(@from_day) AND ts < TIMESTAMP(DATE_ADD(@to_day, INTERVAL 1 DAY))
    )
    WHERE copy = 1
)
SELECT error_text, count(*) AS failures
FROM (
    SELECT coalesce(error, '') AS error_text
    FROM ev
    WHERE type = 'llm_fallback' AND outcome = 'failed'
)
GROUP BY error_text
ORDER BY error_text
