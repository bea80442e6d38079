-- Per flow step: reached (flow_step events) and abandoned (flow_abandoned events).
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
SELECT
    flow,
    step,
    count(CASE WHEN type = 'flow_step' THEN 1 END) AS reached,
    count(CASE WHEN type = 'flow_abandoned' THEN 1 END) AS abandoned
FROM ev
WHERE type IN ('flow_step', 'flow_abandoned')
GROUP BY flow, step
ORDER BY flow, step
