-- Per flow: starts, finished and the completion rate; by flow.
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
SELECT flow, n_starts AS starts, n_finished AS finished, CASE WHEN n_starts > 0 THEN n_finished / n_starts END AS completion_rate
FROM (
    SELECT
        flow,
        count(CASE WHEN type = 'flow_started' THEN 1 END) AS n_starts,
        count(CASE WHEN type = 'flow_finished' THEN 1 END) AS n_finished
    FROM ev
    WHERE type IN ('flow_started', 'flow_step', 'flow_finished', 'flow_abandoned')
    GROUP BY flow
)
ORDER BY flow
