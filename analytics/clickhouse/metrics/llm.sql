-- The LLM: calls (a request was sent), unsure rate, lower median time to first byte; and the
-- questions the encoder tier read and decided again, and those of them it answered in the browser.
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
),
requests AS (
    SELECT outcome, ttft_ms
    FROM ev
    WHERE type = 'llm_fallback' AND outcome IN ('answered', 'unsure', 'failed', 'stopped')
),
-- The lower median: the value at 0-based index floor((n - 1) / 2), i.e. k = n / 2 or (n + 1) / 2.
ranked AS (
    SELECT ttft_ms, row_number() OVER (ORDER BY ttft_ms) AS k, count(*) OVER () AS n
    FROM requests
    WHERE ttft_ms IS NOT NULL
)
SELECT c.n_calls AS calls, CASE WHEN c.n_calls > 0 THEN c.n_unsure / c.n_calls END AS unsure_rate, m.median_ttft_ms AS median_ttft_ms,
    x.encoder_read AS encoder_read, x.encoder_answered AS encoder_answered
FROM (
    SELECT count(*) AS n_calls, count(CASE WHEN outcome = 'unsure' THEN 1 END) AS n_unsure
    FROM requests
) AS c
CROSS JOIN (
    SELECT max(CASE WHEN 2 * k = n OR 2 * k = n + 1 THEN ttft_ms END) AS median_ttft_ms
    FROM ranked
) AS m
CROSS JOIN (
    SELECT count(CASE WHEN encoder = true THEN 1 END) AS encoder_read,
        count(CASE WHEN encoder = true AND path = 'answer' THEN 1 END) AS encoder_answered
    FROM ev
    WHERE type = 'question'
) AS x
