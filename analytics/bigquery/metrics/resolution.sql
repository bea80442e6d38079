-- Resolution: sessions that asked something, confirmed, assumed or unresolved.
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
),
-- Questions answered by the LLM: an llm_fallback answered or cached for them.
llm_ok AS (
    SELECT session, question, 1 AS found
    FROM ev
    WHERE type = 'llm_fallback' AND outcome IN ('answered', 'cached')
    GROUP BY session, question
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
            CASE WHEN type = 'question' THEN entries[SAFE_OFFSET(0)] ELSE entry END AS ent
        FROM ev
    )
),
-- Sessions that asked something, and their last substantive question's qn.
asked AS (
    SELECT session, max(qn) AS last_qn
    FROM seq
    GROUP BY session
    HAVING max(qn) > 0
),
last_question AS (
    SELECT q.session AS session, q.path AS last_path, q.question AS last_question
    FROM seq AS q
    INNER JOIN asked AS a ON a.session = q.session AND a.last_qn = q.qn
    WHERE q.substantive = 1
),
-- A handoff click after the last substantive question.
handoff_after AS (
    SELECT h.session AS session, 1 AS found
    FROM seq AS h
    INNER JOIN asked AS a ON a.session = h.session AND a.last_qn = h.qn
    WHERE h.type = 'handoff_clicked'
    GROUP BY h.session
),
-- The last yes/no resolution (by ts, then id).
last_said AS (
    SELECT session, answer AS said, 1 AS found
    FROM (
        SELECT session, answer, row_number() OVER (PARTITION BY session ORDER BY ts DESC, id DESC) AS k
        FROM ev
        WHERE type = 'resolution' AND answer IN ('yes', 'no')
    )
    WHERE k = 1
),
verdicts AS (
    SELECT
        q.session AS session,
        CASE
            WHEN r.found = 1 AND r.said = 'yes' THEN 'confirmed'
            WHEN r.found = 1 THEN 'unresolved'
            WHEN h.found = 1 THEN 'unresolved'
            WHEN q.last_path = 'answer' OR (q.last_path IN ('fallback', 'no_knowledge') AND l.found = 1) THEN 'assumed'
            ELSE 'unresolved'
        END AS verdict
    FROM last_question AS q
    LEFT JOIN last_said AS r ON r.session = q.session
    LEFT JOIN handoff_after AS h ON h.session = q.session
    LEFT JOIN llm_ok AS l ON l.session = q.session AND l.question = q.last_question
)
SELECT
    n_asked AS asked,
    n_confirmed AS confirmed,
    n_assumed AS assumed,
    n_unresolved AS unresolved,
    CASE WHEN n_asked > 0 THEN (n_confirmed + n_assumed) / n_asked END AS resolution_rate,
    CASE WHEN n_asked > 0 THEN n_confirmed / n_asked END AS confirmed_rate,
    CASE WHEN n_asked > 0 THEN n_assumed / n_asked END AS assumed_rate,
    CASE WHEN n_asked > 0 THEN n_unresolved / n_asked END AS unresolved_rate
FROM (
    SELECT
        count(*) AS n_asked,
        count(CASE WHEN verdict = 'confirmed' THEN 1 END) AS n_confirmed,
        count(CASE WHEN verdict = 'assumed' THEN 1 END) AS n_assumed,
        count(CASE WHEN verdict = 'unresolved' THEN 1 END) AS n_unresolved
    FROM verdicts
)
