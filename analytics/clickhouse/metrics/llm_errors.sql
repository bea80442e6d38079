-- LLM errors: per error text (empty when none was given), the failed calls.
-- Definitions: docs/metrics.md. Parameters: {from_day:Date} and {to_day:Date}, the period's first and last UTC
-- day (analytics/README.md). Each event id counts once.
WITH
-- The period's events, each id once (copies of an id are the same event).
ev AS (
    SELECT *
    FROM (
        SELECT *, row_number() OVER (PARTITION BY id ORDER BY ts) AS copy
        FROM events
        WHERE CAST(ts AS Date) BETWEEN {from_day:Date} AND {to_day:Date}
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
