-- The top unanswered questions: the questions whose path is fallback or no_knowledge, grouped by their text, else
-- by the entry ranked first, else as unmatched; the 20 largest groups, most questions first, then most no_answer,
-- then by key (text groups, entry groups, unmatched; each by its key). Every row also has all_questions (every
-- such question: unanswered.questions) and undercount, always 0: the SQL counts exactly, kb report exactly while
-- there are at most 2,000 groups (analytics/README.md).
-- Definitions: docs/metrics.md ("Unanswered questions"). Parameters: {from_day:Date} and {to_day:Date}, the period's
-- first and last UTC day (analytics/README.md). Each event id counts once.
-- [\\x{09}-\\x{0D}\\x{85}\\p{Z}] is Unicode's White_Space (Rust's char::is_whitespace): tab to carriage return, next
-- line and the separators. lowerUTF8 and substringUTF8 work on characters (lower and substring on bytes).
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
-- The questions that fell back; shown: their text without white space at either end, its first 200 characters.
fell_back AS (
    SELECT
        e.ts AS ts,
        e.top_entry AS top_entry,
        substringUTF8(
            REGEXP_REPLACE(e.text, '^[\\x{09}-\\x{0D}\\x{85}\\p{Z}]+|[\\x{09}-\\x{0D}\\x{85}\\p{Z}]+$', ''), 1, 200
        ) AS shown,
        CASE WHEN l.found = 1 THEN 1 ELSE 0 END AS by_llm
    FROM ev AS e
    LEFT JOIN llm_ok AS l ON l.session = e.session AND l.question = e.question
    WHERE e.type = 'question' AND e.path IN ('fallback', 'no_knowledge')
),
-- A text left empty is no text.
with_example AS (
    SELECT ts, top_entry, by_llm, CASE WHEN shown <> '' THEN shown END AS example
    FROM fell_back
),
-- Each question's group: its text in lower case, white space runs as one space, without white space or ? ! . … ？ ！
-- 。 at its end; else its top entry; else unmatched (key NULL).
keyed AS (
    SELECT
        ts, top_entry, by_llm, example,
        CASE WHEN example IS NOT NULL THEN 'text' WHEN top_entry IS NOT NULL THEN 'entry' ELSE 'unmatched' END
            AS grouped_by,
        CASE
            WHEN example IS NOT NULL THEN REGEXP_REPLACE(
                lowerUTF8(REGEXP_REPLACE(example, '[\\x{09}-\\x{0D}\\x{85}\\p{Z}]+', ' ')),
                '[\\x{09}-\\x{0D}\\x{85}\\p{Z}?!.…？！。]+$', ''
            )
            ELSE top_entry
        END AS group_key
    FROM with_example
),
-- A group's example is its earliest question's text (ties: the smallest text), its top entry that of its latest
-- question with one (ties: the largest entry).
ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY grouped_by, group_key ORDER BY ts, example) AS example_rank,
        row_number() OVER (
            PARTITION BY grouped_by, group_key ORDER BY top_entry IS NULL, ts DESC, top_entry DESC
        ) AS top_entry_rank
    FROM keyed
),
grouped AS (
    SELECT
        grouped_by,
        group_key,
        max(CASE WHEN example_rank = 1 THEN example END) AS group_example,
        max(CASE WHEN top_entry_rank = 1 THEN top_entry END) AS group_top_entry,
        count(*) AS n_questions,
        count(CASE WHEN by_llm = 0 THEN 1 END) AS n_no_answer
    FROM ranked
    GROUP BY grouped_by, group_key
)
SELECT
    g.grouped_by AS "by",
    g.group_key AS key,
    g.group_example AS example,
    g.group_top_entry AS top_entry,
    g.n_questions AS questions,
    g.n_no_answer AS no_answer,
    t.n_all AS all_questions,
    0 AS undercount
FROM grouped AS g
CROSS JOIN (SELECT count(*) AS n_all FROM fell_back) AS t
ORDER BY
    g.n_questions DESC,
    g.n_no_answer DESC,
    CASE g.grouped_by WHEN 'text' THEN 0 WHEN 'entry' THEN 1 ELSE 2 END,
    g.group_key
LIMIT 20
