-- Threshold what-if: per answer threshold 0.00, 0.05, ..., 1.00, the answer rate, fallback rate and
-- precision, with the questions counted, the threshold in force and the confidence histogram
-- (bucket_questions: confidences in [threshold, threshold + 0.05), the last bucket closed; NULL at 1.00).
-- Confidences and thresholds are compared in millionths, rounded half up.
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
        CASE WHEN n.found = 1 AND n.ts <= TIMESTAMP_ADD(v.ts, INTERVAL 60 SECOND) THEN 1 ELSE 0 END AS rephrased
    FROM views AS v
    LEFT JOIN next_questions AS n ON n.session = v.session AND n.qn = v.qn + 1
),
-- The questions it is computed over: top entry an answer entry, path answer, clarify or fallback.
candidates AS (
    SELECT
        top_confidence AS confidence,
        floor(top_confidence * 1000000 + 0.5) AS c_micro,
        CASE WHEN threshold_clarify IS NULL THEN 0 ELSE floor(threshold_clarify * 1000000 + 0.5) END AS clarify_micro,
        floor(threshold_answer * 1000000 + 0.5) AS answer_micro
    FROM ev
    WHERE type = 'question' AND kind = 'answer' AND path IN ('answer', 'clarify', 'fallback')
        AND top_confidence IS NOT NULL
),
-- Their answers' views, judged: bad when rated not helpful before the next question, or followed
-- by a rephrase, a fallback or a handoff.
judged AS (
    SELECT
        floor(top_confidence * 1000000 + 0.5) AS c_micro,
        CASE WHEN not_helpful_later = 1 OR rephrased = 1 OR fell_back = 1 OR handed_off = 1 THEN 0 ELSE 1 END AS good
    FROM outcomes
    WHERE view_type = 'question' AND kind = 'answer' AND top_confidence IS NOT NULL
),
steps AS (
    SELECT i FROM UNNEST(GENERATE_ARRAY(0, 20)) AS i
),
curve AS (
    SELECT
        s.i AS i,
        count(CASE WHEN q.c_micro >= s.i * 50000 THEN 1 END) AS n_answered,
        count(CASE WHEN q.c_micro < least(s.i * 50000, q.clarify_micro) THEN 1 END) AS n_fallback
    FROM steps AS s
    CROSS JOIN candidates AS q
    GROUP BY s.i
),
judged_curve AS (
    SELECT
        s.i AS i,
        count(CASE WHEN j.c_micro >= s.i * 50000 THEN 1 END) AS n_judged,
        count(CASE WHEN j.c_micro >= s.i * 50000 AND j.good = 1 THEN 1 END) AS n_good
    FROM steps AS s
    CROSS JOIN judged AS j
    GROUP BY s.i
),
histogram AS (
    SELECT bucket, count(*) AS n_bucket
    FROM (SELECT least(CAST(floor(confidence * 20) AS INT64), 19) AS bucket FROM candidates)
    GROUP BY bucket
),
-- The answer threshold in force: the most frequent one logged by those questions (ties: the lower).
in_force AS (
    SELECT max(CASE WHEN k = 1 THEN answer_micro / 1000000 END) AS answer_threshold
    FROM (
        SELECT answer_micro, row_number() OVER (ORDER BY n DESC, answer_micro) AS k
        FROM (
            SELECT answer_micro, count(*) AS n
            FROM candidates
            WHERE answer_micro IS NOT NULL
            GROUP BY answer_micro
        )
    )
),
total AS (
    SELECT count(*) AS n_questions FROM candidates
)
SELECT
    s.i / 20 AS threshold,
    t.n_questions AS questions,
    f.answer_threshold AS threshold_in_force,
    CASE WHEN t.n_questions > 0 THEN coalesce(c.n_answered, 0) / t.n_questions END AS answer_rate,
    CASE WHEN t.n_questions > 0 THEN coalesce(c.n_fallback, 0) / t.n_questions END AS fallback_rate,
    CASE WHEN coalesce(j.n_judged, 0) > 0 THEN j.n_good / j.n_judged END AS precision,
    CASE WHEN s.i < 20 THEN coalesce(h.n_bucket, 0) END AS bucket_questions
FROM steps AS s
CROSS JOIN total AS t
CROSS JOIN in_force AS f
LEFT JOIN curve AS c ON c.i = s.i
LEFT JOIN judged_curve AS j ON j.i = s.i
LEFT JOIN histogram AS h ON h.bucket = s.i
ORDER BY threshold
