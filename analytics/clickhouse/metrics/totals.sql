-- Totals and rates: events, sessions, questions per path and their rates, no answer, helpful.
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
-- Questions answered by the LLM: an llm_fallback answered or cached for them.
llm_ok AS (
    SELECT session, question, 1 AS found
    FROM ev
    WHERE type = 'llm_fallback' AND outcome IN ('answered', 'cached')
    GROUP BY session, question
),
questions AS (
    SELECT
        e.path AS question_path,
        CASE WHEN e.path IN ('fallback', 'no_knowledge') AND l.found = 1 THEN 1 ELSE 0 END AS by_llm
    FROM ev AS e
    LEFT JOIN llm_ok AS l ON l.session = e.session AND l.question = e.question
    WHERE e.type = 'question'
)
SELECT
    t.n_events AS events,
    t.n_sessions AS sessions,
    q.n_questions AS questions,
    q.n_answer AS answer,
    q.n_clarify AS clarify,
    q.n_fallback AS fallback,
    q.n_handoff AS handoff,
    q.n_reply AS reply,
    q.n_no_knowledge AS no_knowledge,
    CASE WHEN q.n_questions > 0 THEN q.n_answer / q.n_questions END AS answer_rate,
    CASE WHEN q.n_questions > 0 THEN q.n_clarify / q.n_questions END AS clarify_rate,
    CASE WHEN q.n_questions > 0 THEN q.n_fallback / q.n_questions END AS fallback_rate,
    CASE WHEN q.n_questions > 0 THEN q.n_handoff / q.n_questions END AS handoff_rate,
    CASE WHEN q.n_questions > 0 THEN q.n_reply / q.n_questions END AS reply_rate,
    CASE WHEN q.n_questions > 0 THEN q.n_no_knowledge / q.n_questions END AS no_knowledge_rate,
    CASE WHEN q.n_questions > 0 THEN q.n_no_answer / q.n_questions END AS no_answer_rate,
    t.n_feedback AS feedback,
    CASE WHEN t.n_feedback > 0 THEN t.n_helpful / t.n_feedback END AS helpful_rate
FROM (
    SELECT
        count(*) AS n_events,
        count(DISTINCT session) AS n_sessions,
        count(CASE WHEN type = 'feedback' AND reason IS NULL THEN 1 END) AS n_feedback,
        count(CASE WHEN type = 'feedback' AND reason IS NULL AND helpful THEN 1 END) AS n_helpful
    FROM ev
) AS t
CROSS JOIN (
    SELECT
        count(*) AS n_questions,
        count(CASE WHEN question_path = 'answer' THEN 1 END) AS n_answer,
        count(CASE WHEN question_path = 'clarify' THEN 1 END) AS n_clarify,
        count(CASE WHEN question_path = 'fallback' THEN 1 END) AS n_fallback,
        count(CASE WHEN question_path = 'handoff' THEN 1 END) AS n_handoff,
        count(CASE WHEN question_path = 'reply' THEN 1 END) AS n_reply,
        count(CASE WHEN question_path = 'no_knowledge' THEN 1 END) AS n_no_knowledge,
        count(CASE WHEN question_path IN ('fallback', 'no_knowledge') AND by_llm = 0 THEN 1 END) AS n_no_answer
    FROM questions
) AS q
