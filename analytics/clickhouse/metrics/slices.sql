-- Per day (UTC date of ts), locale and audience: sessions (days only), questions, answer rate.
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
SELECT dimension, slice AS key, sessions, questions, CASE WHEN questions > 0 THEN answers / questions END AS answer_rate
FROM (
    SELECT
        'day' AS dimension,
        day AS slice,
        count(DISTINCT session) AS sessions,
        count(CASE WHEN type = 'question' THEN 1 END) AS questions,
        count(CASE WHEN type = 'question' AND path = 'answer' THEN 1 END) AS answers
    FROM (SELECT session, type, path, CAST(CAST(ts AS Date) AS String) AS day FROM ev)
    GROUP BY day
    UNION ALL
    SELECT 'locale' AS dimension, locale AS slice, NULL AS sessions, count(*) AS questions,
        count(CASE WHEN path = 'answer' THEN 1 END) AS answers
    FROM ev
    WHERE type = 'question'
    GROUP BY locale
    UNION ALL
    SELECT 'audience' AS dimension, audience AS slice, NULL AS sessions, count(*) AS questions,
        count(CASE WHEN path = 'answer' THEN 1 END) AS answers
    FROM ev
    WHERE type = 'question'
    GROUP BY audience
)
ORDER BY dimension, key
