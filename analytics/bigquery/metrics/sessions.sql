-- One row per session (kb report --sessions): counts, resolution, entries viewed and flows started
-- in order; by first_ts, then session. Times in ISO 8601 with milliseconds, as the widget writes them.
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
            CASE WHEN type = 'question' THEN entries[SAFE_OFFSET(0)] WHEN type = 'flow_started' THEN flow ELSE entry END AS ent
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
),
per_session AS (
    SELECT
        session,
        min(ts) AS first_at,
        max(ts) AS last_at,
        count(CASE WHEN type = 'question' THEN 1 END) AS n_questions,
        count(CASE WHEN type = 'question' AND path = 'answer' THEN 1 END) AS n_answers,
        count(CASE WHEN type = 'question' AND path = 'clarify' THEN 1 END) AS n_clarifies,
        count(CASE WHEN type = 'question' AND path IN ('fallback', 'no_knowledge') THEN 1 END) AS n_fallbacks,
        count(CASE WHEN type = 'question' AND path = 'handoff' THEN 1 END) AS n_handoffs,
        count(CASE WHEN type = 'question' AND path = 'reply' THEN 1 END) AS n_replies
    FROM ev
    GROUP BY session
),
first_question AS (
    SELECT session, locale AS first_locale, audience AS first_audience, 1 AS found
    FROM (
        SELECT session, locale, audience, row_number() OVER (PARTITION BY session ORDER BY ts, id) AS k
        FROM ev
        WHERE type = 'question'
    )
    WHERE k = 1
),
viewed AS (
    SELECT session, STRING_AGG(ent, ' ' ORDER BY ts, id) AS joined, 1 AS found
    FROM seq
    WHERE (type = 'question' AND path = 'answer' AND ent IS NOT NULL) OR type = 'suggestion_taken'
    GROUP BY session
),
started AS (
    SELECT session, STRING_AGG(ent, ' ' ORDER BY ts, id) AS joined, 1 AS found
    FROM seq
    WHERE type = 'flow_started'
    GROUP BY session
)
SELECT
    p.session AS session,
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S', p.first_at) || '.' || LPAD(CAST(MOD(UNIX_MILLIS(p.first_at), 1000) AS STRING), 3, '0') || 'Z' AS first_ts,
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S', p.last_at) || '.' || LPAD(CAST(MOD(UNIX_MILLIS(p.last_at), 1000) AS STRING), 3, '0') || 'Z' AS last_ts,
    CASE WHEN f.found = 1 THEN f.first_locale ELSE '' END AS locale,
    CASE WHEN f.found = 1 THEN f.first_audience ELSE '' END AS audience,
    p.n_questions AS questions,
    p.n_answers AS answers,
    p.n_clarifies AS clarifies,
    p.n_fallbacks AS fallbacks,
    p.n_handoffs AS handoffs,
    p.n_replies AS replies,
    CASE WHEN v.verdict IN ('confirmed', 'assumed', 'unresolved') THEN v.verdict ELSE 'none' END AS resolution,
    CASE WHEN w.found = 1 THEN w.joined ELSE '' END AS entries,
    CASE WHEN s.found = 1 THEN s.joined ELSE '' END AS flows
FROM per_session AS p
LEFT JOIN first_question AS f ON f.session = p.session
LEFT JOIN verdicts AS v ON v.session = p.session
LEFT JOIN viewed AS w ON w.session = p.session
LEFT JOIN started AS s ON s.session = p.session
ORDER BY first_ts, session
