#!/usr/bin/env python3
"""The analytics SQL parity test: kb report and analytics/<dialect>/metrics/*.sql must give the
same figures on the same events (docs/metrics.md is the contract between them).

1. Writes the events of make_fixture.py into a temporary folder, as `kb collect` writes them, and
   checks that they hold every event type and the edge cases the definitions name.
2. Runs `kb report FOLDER --json --sessions CSV`, without a period and with one (--from/--to),
   and checks that its unanswered groups show the ties and texts the definitions order and group.
3. Loads the same event lines into DuckDB (the `events` table of analytics/*/schema.sql, whose
   columns it checks), translates each dialect's metrics with sqlglot
   (read="clickhouse" | "bigquery", write="duckdb": the only translation, told only what the
   ClickHouse functions of CLICKHOUSE_FUNCTIONS are), runs them with the period's parameters,
   and requires the same figures: counts exactly, rates, medians and thresholds as the same
   decimals after rounding to DECIMALS places; the same per-entry, per-flow, per-day, per-locale
   and per-audience rows in the same order, the same what-if curve and histogram, the same top
   unanswered questions, the previous period's figures, and the same sessions CSV.

Each difference is printed with the figure, the query file and both values.

Usage: parity.py [--kb PATH] [--dialect clickhouse|bigquery] [--show-sql] [--keep DIR]
Needs duckdb and sqlglot (scripts/tools.sh analytics installs them into a venv).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

import make_fixture

ROOT = Path(__file__).resolve().parents[2]
DIALECTS = ("clickhouse", "bigquery")
# The bounded run: the period and, from it, the previous period of the same length.
PERIOD = (date(2026, 12, 5), date(2026, 12, 7))
# The convention for "every event" (analytics/README.md).
EVERYTHING = (date(1970, 1, 1), date(2099, 12, 31))
# Every fractional figure (rates, medians, thresholds) is compared as a decimal rounded half to
# even to this many places: both sides divide the same integers in binary floating point, so
# they agree to the last bit, and the rounding only hides how each prints its digits.
DECIMALS = 9
# kb report closes idle sessions every 4,096 events read; the fixture must be longer than that.
SWEEP_EVERY = 4096

COLUMNS = [
    ("v", "INTEGER"), ("id", "VARCHAR"), ("session", "VARCHAR"), ("ts", "TIMESTAMP"),
    ("pack", "VARCHAR"), ("locale", "VARCHAR"), ("audience", "VARCHAR"), ("page", "VARCHAR"),
    ("type", "VARCHAR"), ("trigger", "VARCHAR"), ("question", "VARCHAR"), ("path", "VARCHAR"),
    ("entries", "VARCHAR[]"), ("top_entry", "VARCHAR"), ("top_score", "DOUBLE"),
    ("top_confidence", "DOUBLE"), ("runner_up_entry", "VARCHAR"), ("runner_up_score", "DOUBLE"),
    ("runner_up_confidence", "DOUBLE"), ("kind", "VARCHAR"), ("threshold_answer", "DOUBLE"),
    ("threshold_clarify", "DOUBLE"), ("text", "VARCHAR"), ("encoder", "BOOLEAN"), ("entry", "VARCHAR"), ("source", "VARCHAR"),
    ("helpful", "BOOLEAN"), ("reason", "VARCHAR"), ("after", "VARCHAR"), ("answer", "VARCHAR"),
    ("flow", "VARCHAR"), ("step", "VARCHAR"), ("outcome", "VARCHAR"), ("passages", "VARCHAR[]"),
    ("cited", "VARCHAR[]"), ("error", "VARCHAR"), ("ttft_ms", "DOUBLE"),
]

EVENT_TYPES = {
    "conversation_started", "question", "suggestion_taken", "feedback", "resolution", "flow_started",
    "flow_step", "flow_finished", "flow_abandoned", "llm_fallback", "handoff_clicked",
}
# Sessions make_fixture.py writes for the edge cases of docs/metrics.md.
EDGE_SESSIONS = {
    "s-dup", "s-yes-then-no", "s-no-then-yes", "s-handoff-after-answer", "s-handoff-between",
    "s-rephrase", "s-suggestion", "s-feedback", "s-llm", "s-llm-2", "s-llm-assumed", "s-no-knowledge",
    "s-flow-finished", "s-flow-abandoned", "s-kinds", "s-only-smalltalk", "s-clarify-last",
    "s-answer-then-thanks", "s-what-if", "s-old-thresholds", "s-across-start", "s-across-end",
    "s-flow-only-day", "s-same-ms", "s-midnight", "s-unanswered-first-1a", "s-unanswered-first-5a",
    "s-unanswered-last-7a", "s-unanswered-last-8a",
}
# Which query gives each figure of kb report's JSON (the longest matching prefix wins).
SOURCES = {
    "totals": "totals", "previous": "totals",
    "totals.resolution": "resolution", "previous.resolution": "resolution",
    "totals.feedback_reasons": "feedback_reasons", "previous.feedback_reasons": "feedback_reasons",
    "totals.llm": "llm", "previous.llm": "llm",
    "totals.llm.errors": "llm_errors", "previous.llm.errors": "llm_errors",
    "entries": "entries", "flows": "flows", "days": "slices", "locales": "slices", "audiences": "slices",
    "what_if": "what_if", "unanswered": "unanswered", "period": "(the period)", "sessions.csv": "sessions",
}
# ClickHouse functions sqlglot does not know (it leaves them as they are, which DuckDB does not have),
# by what they do: lower and substring on characters, as DuckDB's lower and substring are (ClickHouse's
# own lower and substring work on bytes).
CLICKHOUSE_FUNCTIONS = {"LOWERUTF8": exp.Lower, "SUBSTRINGUTF8": exp.Substring}


class Mismatch(Exception):
    """A query that cannot run, or whose rows are not of the expected shape."""


def previous(period: tuple[date, date]) -> tuple[date, date]:
    """kb report's previous period: the same number of days just before."""
    length = period[1] - period[0] + timedelta(days=1)
    return period[0] - length, period[0] - timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# The fixture


def fixture_lines(folder: Path) -> list[dict]:
    files = sorted(folder.glob("events-*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]


def check_fixture(lines: list[dict]) -> list[str]:
    """The fixture covers what the definitions name."""
    problems = []
    types = {e["type"] for e in lines}
    if types != EVENT_TYPES:
        problems.append(f"event types: missing {sorted(EVENT_TYPES - types)}, unknown {sorted(types - EVENT_TYPES)}")
    sessions = {e["session"] for e in lines}
    if EDGE_SESSIONS - sessions:
        problems.append(f"edge-case sessions missing: {sorted(EDGE_SESSIONS - sessions)}")
    ids = [e["id"] for e in lines]
    if len(ids) == len(set(ids)):
        problems.append("no duplicated ids")
    read = {(e.get("encoder"), e["path"] == "answer") for e in lines if e["type"] == "question"}
    if {(None, True), (False, True), (True, True), (True, False)} - read:
        problems.append(f"questions by encoder flag and answered: only {sorted(map(str, read))}")
    outcomes = {e["outcome"] for e in lines if e["type"] == "llm_fallback"}
    if {"answered", "cached", "unsure", "failed", "stopped", "capped", "no_endpoint"} - outcomes:
        problems.append(f"llm outcomes: {sorted(outcomes)}")
    errors = {e["error"] for e in lines if e["type"] == "llm_fallback" and e["outcome"] == "failed"}
    missing = (set(make_fixture.ERRORS) | {None}) - errors
    if missing:
        problems.append(f"llm errors missing: {sorted(map(str, missing))}")
    days_of = {}
    for e in lines:
        days_of.setdefault(e["session"], set()).add(e["ts"][:10])
    if not any(len(d) > 1 for d in days_of.values()):
        problems.append("no session across midnight")
    inside = previous(PERIOD)[0].isoformat(), PERIOD[1].isoformat()
    if not any(not inside[0] <= e["ts"][:10] <= inside[1] for e in lines):
        problems.append("no event outside the period and the previous one")
    if len(lines) <= SWEEP_EVERY:
        problems.append(f"{len(lines)} lines: kb report closes no session while reading fewer than {SWEEP_EVERY}")
    if len({e["ts"][:10] for e in lines}) < 5 or len({e["locale"] for e in lines}) < 5 \
            or len({e["audience"] for e in lines}) < 3:
        problems.append("too few days, locales or audiences")
    if not {e["reason"] for e in lines if e["type"] == "feedback"} >= {"unclear", "wrong", "not_my_question", None}:
        problems.append("feedback reasons")
    if not {e["kind"] for e in lines if e["type"] == "question"} >= {"answer", "smalltalk", "handoff", "out-of-domain", None}:
        problems.append("question kinds")
    return problems


def check_unanswered(u: dict) -> list[str]:
    """kb report's unanswered groups (of one run) show what the definitions order and group by."""
    groups, problems = u["groups"], []
    pairs = list(zip(groups, groups[1:]))
    size = lambda g: (g["questions"], g["no_answer"])
    tied = {(a["by"], b["by"]) for a, b in pairs if size(a) == size(b)}
    if not {("text", "text"), ("text", "entry"), ("entry", "unmatched")} <= tied:
        problems.append(f"unanswered: no ties of text, text, entry and unmatched groups ({sorted(tied)})")
    if not any(a["questions"] == b["questions"] and a["no_answer"] > b["no_answer"] for a, b in pairs):
        problems.append("unanswered: no tie in questions broken by no_answer")
    if len(groups) != 20 or sum(g["questions"] for g in groups) >= u["questions"]:
        problems.append("unanswered: no group beyond the 20 listed")
    texts = [g for g in groups if g["by"] == "text"]
    if not any(g["key"] == "" for g in texts) or not any(len(g["example"]) == 200 for g in texts) \
            or not any(not g["key"].isascii() for g in texts):
        problems.append("unanswered: no text group keyed \"\", with an example cut at 200 characters, or not ASCII")
    if not any(0 < g["no_answer"] < g["questions"] for g in groups):
        problems.append("unanswered: no group partly answered by the LLM")
    return problems


# The collector's lines as DuckDB reads them: the nested objects as structs, absent fields NULL.
RAW = {
    "v": "INTEGER", "id": "VARCHAR", "session": "VARCHAR", "ts": "VARCHAR", "pack": "VARCHAR",
    "locale": "VARCHAR", "audience": "VARCHAR", "page": "VARCHAR", "type": "VARCHAR", "trigger": "VARCHAR",
    "question": "VARCHAR", "path": "VARCHAR", "entries": "VARCHAR[]",
    "top": "STRUCT(entry VARCHAR, score DOUBLE, confidence DOUBLE)",
    "runner_up": "STRUCT(entry VARCHAR, score DOUBLE, confidence DOUBLE)", "kind": "VARCHAR",
    "thresholds": "STRUCT(answer DOUBLE, clarify DOUBLE)", "text": "VARCHAR", "encoder": "BOOLEAN", "entry": "VARCHAR",
    "source": "VARCHAR", "helpful": "BOOLEAN", "reason": "VARCHAR", "after": "VARCHAR", "answer": "VARCHAR",
    "flow": "VARCHAR", "step": "VARCHAR", "outcome": "VARCHAR", "passages": "VARCHAR[]", "cited": "VARCHAR[]",
    "error": "VARCHAR", "ttft_ms": "DOUBLE",
}
# The flattening of analytics/*/load.sql, for DuckDB: ts typed, nested objects as columns, absent
# arrays empty (as ClickHouse and BigQuery store them).
FLATTEN = {
    "ts": "CAST(rtrim(ts, 'Z') AS TIMESTAMP)",
    "entries": "coalesce(entries, [])", "passages": "coalesce(passages, [])", "cited": "coalesce(cited, [])",
    "top_entry": "top.entry", "top_score": "top.score", "top_confidence": "top.confidence",
    "runner_up_entry": "runner_up.entry", "runner_up_score": "runner_up.score",
    "runner_up_confidence": "runner_up.confidence",
    "threshold_answer": "thresholds.answer", "threshold_clarify": "thresholds.clarify",
}


def load_duckdb(folder: Path) -> duckdb.DuckDBPyConnection:
    """The events table (analytics/*/schema.sql's columns) with every line of folder's files."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE events ({', '.join(f'{n} {t}' for n, t in COLUMNS)})")
    files = [str(f) for f in sorted(folder.glob("events-*.jsonl"))]
    raw = ", ".join(f"'{k}': '{t}'" for k, t in RAW.items())
    select = ", ".join(f"{FLATTEN.get(n, n)} AS {n}" for n, _ in COLUMNS)
    con.execute(f"INSERT INTO events SELECT {select} FROM read_json(?, format = 'newline_delimited', "
                f"columns = {{{raw}}})", [files])
    return con


def check_ddl() -> list[str]:
    """Both dialects' events table has exactly the columns the test loads."""
    problems = []
    want = [n for n, _ in COLUMNS]
    for dialect in DIALECTS:
        for statement in sqlglot.parse((ROOT / "analytics" / dialect / "schema.sql").read_text(), read=dialect):
            if isinstance(statement, exp.Create) and statement.this.this.name == "events":
                got = [c.name for c in statement.this.expressions if isinstance(c, exp.ColumnDef)]
                if got != want:
                    problems.append(f"{dialect}/schema.sql: events columns {got} != {want}")
    return problems


# ---------------------------------------------------------------------------------------------
# kb report


def kb_report(kb: Path, events: Path, period: tuple[date, date] | None, tmp: Path) -> tuple[dict, list[dict]]:
    sessions = tmp / f"sessions-{'all' if period is None else 'period'}.csv"
    args = [str(kb), "report", str(events), "--json", "--sessions", str(sessions)]
    if period:
        args += ["--from", period[0].isoformat(), "--to", period[1].isoformat()]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    if "skipped" in done.stderr:
        raise SystemExit(f"kb report skipped fixture lines:\n{done.stderr}")
    rows = list(csv.DictReader(io.StringIO(sessions.read_text())))
    return json.loads(done.stdout), rows


# ---------------------------------------------------------------------------------------------
# The SQL


def known_functions(node: exp.Expression) -> exp.Expression:
    """node, or the function of CLICKHOUSE_FUNCTIONS it calls, as sqlglot's own expression."""
    if isinstance(node, exp.Anonymous) and node.name.upper() in CLICKHOUSE_FUNCTIONS:
        return CLICKHOUSE_FUNCTIONS[node.name.upper()].from_arg_list(node.expressions)
    return node


def transpile(dialect: str, name: str) -> str:
    sql = (ROOT / "analytics" / dialect / "metrics" / f"{name}.sql").read_text()
    statements = sqlglot.parse(sql, read=dialect)
    if len(statements) != 1:
        raise SystemExit(f"{dialect}/{name}.sql: {len(statements)} statements, expected one")
    return statements[0].transform(known_functions).sql(dialect="duckdb")


def run(con, dialect: str, name: str, period: tuple[date, date], show: bool) -> list[dict]:
    sql = transpile(dialect, name)
    if show:
        print(f"---- {dialect}/{name}.sql as DuckDB\n{sql}\n")
    values = {"from_day": period[0], "to_day": period[1]}
    params = {k: v for k, v in values.items() if f"${k}" in sql}
    try:
        cursor = con.execute(sql, params)
    except duckdb.Error as e:
        raise Mismatch(f"{dialect}/{name}.sql does not run on DuckDB: {e}\n{sql}") from e
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def figures(con, dialect: str, period: tuple[date, date], show: bool) -> dict:
    """The `totals` object of kb report's JSON, from the SQL."""
    t = one(run(con, dialect, "totals", period, show))
    r = one(run(con, dialect, "resolution", period, show))
    llm = one(run(con, dialect, "llm", period, show))
    paths = ["answer", "clarify", "fallback", "handoff", "no_knowledge", "reply"]
    return {
        "events": t["events"], "sessions": t["sessions"], "questions": t["questions"],
        "paths": {p: t[p] for p in paths},
        "rates": {f"{p}_rate": t[f"{p}_rate"] for p in paths},
        "no_answer_rate": t["no_answer_rate"], "helpful_rate": t["helpful_rate"], "feedback": t["feedback"],
        "feedback_reasons": {x["reason"]: x["events"] for x in run(con, dialect, "feedback_reasons", period, show)},
        "resolution": r,
        "llm": {
            "calls": llm["calls"],
            "errors": {x["error_text"]: x["failures"] for x in run(con, dialect, "llm_errors", period, show)},
            "unsure_rate": llm["unsure_rate"], "median_ttft_ms": llm["median_ttft_ms"],
            "encoder_read": llm["encoder_read"], "encoder_answered": llm["encoder_answered"],
        },
    }


def report(con, dialect: str, period: tuple[date, date] | None, show: bool) -> tuple[dict, list[dict]]:
    """kb report's JSON and sessions rows, from the SQL."""
    p = period or EVERYTHING
    steps = run(con, dialect, "flow_steps", p, show)
    flows = [
        {**f, "steps": [{k: s[k] for k in ("step", "reached", "abandoned")} for s in steps if s["flow"] == f["flow"]]}
        for f in run(con, dialect, "flows", p, show)
    ]
    slices = run(con, dialect, "slices", p, show)
    cut = lambda dim: [{k: s[k] for k in ("key", "sessions", "questions", "answer_rate")} for s in slices
                       if s["dimension"] == dim]
    curve = run(con, dialect, "what_if", p, show)
    out = {
        "period": [period[0].isoformat(), period[1].isoformat()] if period else None,
        "totals": figures(con, dialect, p, show),
        "previous": figures(con, dialect, previous(period), show) if period else None,
        "entries": run(con, dialect, "entries", p, show),
        "flows": flows,
        "days": cut("day"),
        "locales": cut("locale"),
        "audiences": cut("audience"),
        "what_if": {
            "threshold_in_force": curve[0]["threshold_in_force"] if curve else None,
            "questions": curve[0]["questions"] if curve else 0,
            "points": [{k: c[k] for k in ("threshold", "answer_rate", "fallback_rate", "precision")} for c in curve],
            "histogram": [c["bucket_questions"] for c in curve[:20]],
        },
        "unanswered": unanswered(run(con, dialect, "unanswered", p, show)),
    }
    rows = [{k: "" if v is None else str(v) for k, v in row.items()} for row in run(con, dialect, "sessions", p, show)]
    return out, rows


def unanswered(groups: list[dict]) -> dict:
    """kb report's `unanswered` object from unanswered.sql's rows: a group's key as kb report
    writes it ({"by": "unmatched"} has none), the totals from any row (no row: no question)."""
    return {
        "questions": groups[0]["all_questions"] if groups else 0,
        "groups": [
            {**({"by": g["by"]} if g["by"] == "unmatched" else {"by": g["by"], "key": g["key"]}),
             **{k: g[k] for k in ("example", "top_entry", "questions", "no_answer")}}
            for g in groups
        ],
        "undercount": groups[0]["undercount"] if groups else 0,
    }


def one(rows: list[dict]) -> dict:
    if len(rows) != 1:
        raise Mismatch(f"expected one row, got {len(rows)}")
    return rows[0]


# ---------------------------------------------------------------------------------------------
# Comparing


def rounded(x: float) -> Decimal:
    """A fractional figure as it is compared: DECIMALS places, half to even."""
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-DECIMALS), rounding=ROUND_HALF_EVEN)


def source(where: str, dialect: str) -> str:
    """The query file that gives the figure at where (e.g. report.totals.llm.errors.x)."""
    path = where.removeprefix("report.")
    keys = [k for k in SOURCES if path == k or path.startswith((k + ".", k + "["))]
    name = SOURCES[max(keys, key=len)] if keys else "?"
    return f"analytics/{dialect}/metrics/{name}.sql" if not name.startswith("(") else name


# The field that names a row of a list (an entry, a flow, a step, a day, a session), if any.
ROW_NAMES = ("entry", "flow", "step", "key", "threshold", "session")


def label(row, index: int) -> str:
    """How a list item is named in a difference: by its name field (kb report's), else its index."""
    if isinstance(row, dict):
        for name in ROW_NAMES:
            if name in row:
                value = str(row[name])
                return f"{name}={value if len(value) <= 40 else value[:40] + '…'}"
    return str(index)


def compare(want, got, where: str, out: list[str]) -> int:
    """Appends each difference to out as (figure, kb's value, the SQL's); returns how many values
    were compared. Counts must be equal integers, fractions equal after rounded()."""
    if isinstance(want, dict) and isinstance(got, dict):
        if set(want) != set(got):
            out.append((where, sorted(map(str, want)), sorted(map(str, got))))
            return 0
        return sum(compare(want[k], got[k], f"{where}.{k}", out) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            only_kb = [w for w in want if w not in got][:3]
            only_sql = [g for g in got if g not in want][:3]
            out.append((where, f"{len(want)} items, these not in the SQL's: {only_kb}",
                        f"{len(got)} items, these not in kb report's: {only_sql}"))
            return 0
        return sum(compare(w, g, f"{where}[{label(w, i)}]", out) for i, (w, g) in enumerate(zip(want, got)))
    number = (int, float)
    if isinstance(want, float) and isinstance(got, number) and not isinstance(got, bool):
        same = rounded(want) == rounded(float(got))
    elif isinstance(want, int) and not isinstance(want, bool):
        same = type(got) is int and want == got
    else:
        same = type(want) is type(got) and want == got
    if not same:
        out.append((where, want, got))
    return 1


def described(period: tuple[date, date] | None) -> str:
    return "every event" if period is None else f"{period[0]} to {period[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=Path(os.environ.get("KB", ROOT / "target" / "release" / "kb")))
    parser.add_argument("--dialect", choices=DIALECTS, action="append")
    parser.add_argument("--show-sql", action="store_true", help="print each query as translated to DuckDB")
    parser.add_argument("--keep", type=Path, help="write the fixture here (and keep it) instead of a temporary folder")
    args = parser.parse_args()
    if not args.kb.exists():
        raise SystemExit(f"{args.kb}: no kb binary (cargo build --release -p kb-cli)")
    dialects = args.dialect or list(DIALECTS)

    with tempfile.TemporaryDirectory() as tmp:
        events = args.keep or Path(tmp) / "events"
        make_fixture.write(events)
        lines = fixture_lines(events)
        problems = check_fixture(lines) + check_ddl()
        if problems:
            print("fixture or schema:\n  " + "\n  ".join(problems))
            return 1
        print(f"fixture: {len(lines)} lines, {len({e['id'] for e in lines})} distinct events, "
              f"{len({e['session'] for e in lines})} sessions, {len({e['ts'][:10] for e in lines})} days")
        con = load_duckdb(events)
        loaded = con.execute("SELECT count(*) FROM events").fetchone()[0]
        if loaded != len(lines):
            print(f"DuckDB loaded {loaded} rows of {len(lines)} lines")
            return 1
        runs = {period: kb_report(args.kb, events, period, Path(tmp)) for period in (None, PERIOD)}
    problems = [f"{described(period)}: {p}" for period, (want, _) in runs.items()
                for p in check_unanswered(want["unanswered"])]
    if problems:
        print("fixture (kb report's figures on it):\n  " + "\n  ".join(problems))
        return 1

    failed = 0
    for dialect in dialects:
        for period, (want, want_rows) in runs.items():
            label = f"{dialect}, {described(period)}"
            diffs: list[tuple] = []
            try:
                got, got_rows = report(con, dialect, period, args.show_sql)
                n = compare(want, got, "report", diffs)
                n += compare(want_rows, got_rows, "sessions.csv", diffs)
            except Mismatch as e:
                print(f"FAIL {label}: {e}")
                failed += 1
                continue
            if diffs:
                failed += 1
                print(f"FAIL {label}: {len(diffs)} figure(s) differ")
                for where, kb, sql in diffs[:40]:
                    print(f"  {where} ({source(where, dialect)}):\n    kb report: {kb!r}\n    SQL:       {sql!r}")
                if len(diffs) > 40:
                    print(f"  … and {len(diffs) - 40} more")
            else:
                print(f"ok   {label}: {n} figures and {len(want_rows)} session rows equal")
    total = len(dialects) * len(runs)
    print(f"analytics SQL parity: {total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
