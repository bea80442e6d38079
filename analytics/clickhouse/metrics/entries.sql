-- Per entry: views, ratings, and what followed each view; by views, then entry.
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
-- Each session's events in order (ts, then id), with qn = how many substantive questions up to
-- and including the event: a substantive question and what follows it until the next share a qn.
seq AS (
    SELECT
        *,
        sum(substantive) OVER (
            PARTITION BY session ORDER BY ts, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS qn
    FROM (
        SELECT
            *,
            CASE WHEN type = 'question' AND path <> 'reply' THEN 1 ELSE 0 END AS substantive,
            CASE WHEN type = 'question' THEN nullIf(entries[1], '') ELSE entry END AS ent
        FROM ev
    )
),
-- Whether a handoff click, or a not-helpful rating of the same entry, follows an event before the
-- session's next substantive question.
marks AS (
    SELECT
        *,
        max(CASE WHEN type = 'handoff_clicked' THEN 1 ELSE 0 END) OVER (
            PARTITION BY session, qn ORDER BY ts, id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS handoff_later,
        max(CASE WHEN type = 'feedback' AND reason IS NULL AND helpful = false THEN 1 ELSE 0 END) OVER (
            PARTITION BY session, qn, ent ORDER BY ts, id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS not_helpful_later
    FROM seq
),
-- Views: an answer's first entry, a suggestion taken.
views AS (
    SELECT session, ts, qn, ent AS viewed, type, kind, top_confidence, handoff_later, not_helpful_later
    FROM marks
    WHERE (type = 'question' AND path = 'answer' AND ent IS NOT NULL) OR type = 'suggestion_taken'
),
next_questions AS (
    SELECT session, qn, ts, path, 1 AS found
    FROM seq
    WHERE substantive = 1
),
-- Each view with what its next substantive question (qn + 1) did.
outcomes AS (
    SELECT
        v.session AS session,
        v.viewed AS viewed,
        v.type AS view_type,
        v.kind AS kind,
        v.top_confidence AS top_confidence,
        v.not_helpful_later AS not_helpful_later,
        CASE WHEN n.found = 1 AND n.path IN ('fallback', 'no_knowledge') THEN 1 ELSE 0 END AS fell_back,
        CASE WHEN (n.found = 1 AND n.path = 'handoff') OR v.handoff_later = 1 THEN 1 ELSE 0 END AS handed_off,
        CASE WHEN n.found = 1 AND n.ts <= v.ts + INTERVAL 60 SECOND THEN 1 ELSE 0 END AS rephrased
    FROM views AS v
    LEFT JOIN next_questions AS n ON n.session = v.session AND n.qn = v.qn + 1
)
SELECT
    entry_id AS entry,
    sum(n_view) AS views,
    sum(n_helpful) AS helpful,
    sum(n_not_helpful) AS not_helpful,
    CASE WHEN (sum(n_helpful) + sum(n_not_helpful)) > 0 THEN sum(n_helpful) / (sum(n_helpful) + sum(n_not_helpful)) END AS helpful_rate,
    sum(n_fell_back) AS followed_by_fallback,
    sum(n_handed_off) AS followed_by_handoff,
    sum(n_rephrased) AS followed_by_rephrase
FROM (
    SELECT
        viewed AS entry_id, 1 AS n_view, 0 AS n_helpful, 0 AS n_not_helpful,
        fell_back AS n_fell_back, handed_off AS n_handed_off, rephrased AS n_rephrased
    FROM outcomes
    UNION ALL
    SELECT
        entry AS entry_id, 0 AS n_view,
        CASE WHEN helpful THEN 1 ELSE 0 END AS n_helpful,
        CASE WHEN helpful THEN 0 ELSE 1 END AS n_not_helpful,
        0 AS n_fell_back, 0 AS n_handed_off, 0 AS n_rephrased
    FROM ev
    WHERE type = 'feedback' AND reason IS NULL
)
GROUP BY entry_id
ORDER BY views DESC, entry
