#!/usr/bin/env python3
"""The parity test's events, written as `kb collect` writes them: one JSON-lines file per UTC
date of the events (events-YYYY-MM-DD.jsonl), lines in the order they arrived.

Deterministic (a fixed seed, no clock): the same bytes every run. Hand-written sessions cover every
edge case that docs/metrics.md names (each says which); seeded random sessions add volume (more
than kb report's 4,096-event sweep, so sessions are closed while reading, as on real files) and
mixtures; more seeded sessions ask the questions that fell back with texts (the unanswered
questions' groups). parity.py writes them to a temporary folder; to look at them:

Usage: python3 tests/analytics/make_fixture.py OUT_DIR
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

PACK = "2026.12.0"
THRESHOLDS = {"answer": 0.67, "clarify": 0.3}
OLD_THRESHOLDS = {"answer": 0.6, "clarify": 0.25}

ANSWER_ENTRIES = [
    "track-order", "parcel-late", "refund-status", "return-policy", "change-address",
    "seller-payouts", "listing-rejected", "shipping-fees", "cancel-order", "phishing-scam",
]
FLOWS = {
    "where-is-my-order": ["order-number", "status", "carrier", "done"],
    "refund-request": ["reason", "photos", "confirm", "submitted"],
}
LOCALES = ["en", "id", "es", "th", "vi"]
AUDIENCES = ["buyer", "seller", "all"]
# The widget's `error` texts of a failed call (crates/llm-fallback/src/policy.rs, src/chat/fallback.rs).
ERRORS = [
    "no response in time", "the reply took too long", "the connection broke during the reply",
    "the network request failed", "rate limited", "rate limited; the server asked to wait 2000 ms",
    "server error (HTTP 503)", "request rejected (HTTP 400)", "the request could not be built",
]
RANDOM_SESSIONS = 1500
SEED = 20261204


def long_texts(sentence: str, tails: list[str]) -> list[str]:
    """Texts over 200 characters equal in their first 200, the 199th and 200th "?" and a space (so
    the group's key drops both): one per tail, and the first again after white space (trimmed
    before it is cut) and in upper case."""
    head = (sentence * 10)[:198]
    texts = [head + "? " + tail for tail in tails]
    return texts + [" \t\u3000" + texts[0], texts[0].upper()]


# The unanswered questions' texts (docs/metrics.md, "Unanswered questions"): per topic its locale, the
# texts that are one group (case, Unicode white space, end punctuation; the long ones differ only
# after their 200th character) and how many questions ask it. Their counts put every topic among
# the 20 groups listed in both runs. No text has a letter whose lower case DuckDB (the test's
# engine) and Rust disagree on: İ, a word-final Σ, letters new in Unicode 16 (analytics/README.md).
TEXT_TOPICS = [
    ("en", ["Where is my  parcel?", "where is my parcel", "WHERE IS MY PARCEL?!", "  where is my parcel ?  ",
            "Where\tis my\u00a0parcel…", "where is my parcel\n", "Where\u000bis my\u2028parcel\u0085",
            "where is my parcel?？", "Where is my parcel。"], 300),
    ("vi", ["Đơn hàng của tôi ở đâu?", "đơn hàng của tôi ở đâu", "ĐƠN HÀNG CỦA TÔI Ở ĐÂU??",
            "Đơn  hàng\u3000của tôi ở đâu …"], 240),
    ("th", ["พัสดุของฉันอยู่ที่ไหน", "พัสดุของฉันอยู่ที่ไหน?", "\u3000พัสดุของฉันอยู่ที่ไหน !"], 220),
    ("en", ["?", "?!", "…", "？", " . "], 200),  # nothing but end punctuation: the key ""
    ("vi", long_texts("Tôi đặt hàng từ tuần trước mà vẫn chưa nhận được, người bán không trả lời. ",
                      ["Xin cảm ơn.", "Mã đơn hàng là 12345!"]), 200),
    # Thai's combining marks: 200 characters are fewer graphemes (and 600 bytes).
    ("th", long_texts("ที่อยู่จัดส่งของฉันผิด กรุณาช่วยเปลี่ยนให้ด้วย ", ["ขอบคุณค่ะ", "เลขคำสั่งซื้อ 12345"]), 180),
    ("en", ["我的包裹在哪里？", "我的包裹在哪里。", "我的包裹在哪里！！"], 170),
    ("es", ["¿DÓNDE ESTÁ MI PEDIDO?", "¿Dónde está mi pedido?", "¿dónde   está mi pedido"], 165),
    ("en", ["Refund? For order #12 ($5.00)...", "refund? for order #12 ($5.00)"], 160),
    ("id", ["Kapan dana saya dikembalikan?", "kapan dana saya dikembalikan…", "KAPAN DANA SAYA DIKEMBALIKAN!"], 155),
]
# Texts that are no text once trimmed: grouped by the entry ranked first.
BLANK_TEXTS = ["", "   ", "\t\n", "\u3000", "\u00a0\u2028"]
BLANK_QUESTIONS = 100
# Groups of equal size, in the period only so that both runs see the same counts: (texts, or None
# for none; the entry ranked first, or None for nothing ranked; questions; those not answered by
# the LLM). Most questions first, then most not answered, then text groups (by key: bytes, so
# "đổi…" after "wrong…"), the entry group, unmatched (with s-no-knowledge's two, one answered).
TIED_GROUPS = [
    (["Seller account locked?", "seller account locked"], "listing-rejected", 150, 80),
    (["Wrong item delivered!", "wrong item delivered"], "return-policy", 150, 75),
    (["Đổi địa chỉ giao hàng?", "đổi địa chỉ giao hàng"], "change-address", 150, 75),
    (["Gift card balance?", "GIFT CARD BALANCE"], "gift-cards", 150, 75),
    (None, "gift-cards", 150, 75),
    (None, None, 148, 74),
    (["Promo code not working", "promo code not working..."], "shipping-fees", 150, 70),
]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def at(day: int, hh: int, mm: int, ss: float = 0.0) -> datetime:
    """A time on 2026-12-DAY (UTC), seconds with milliseconds."""
    return datetime(2026, 12, day, hh, mm, tzinfo=timezone.utc) + timedelta(milliseconds=round(ss * 1000))


class Fixture:
    def __init__(self) -> None:
        self.events: list[dict] = []
        # Copies a collector received twice, with when the copy arrived.
        self.copies: list[tuple[dict, datetime]] = []
        # Event ids are random, as the widget's are: events of a session in one millisecond are
        # not in id order (the SQL orders such ties by id, kb report by arrival).
        self.ids = random.Random(SEED + 1)
        self.next_question = 0

    def session(self, name: str, start: datetime, locale: str = "en", audience: str = "buyer",
                page: str = "/help") -> "Session":
        return Session(self, name, start, locale, audience, page)

    def new_id(self) -> str:
        return f"{self.ids.getrandbits(64):016x}"

    def duplicate(self, event: dict, after_seconds: float) -> None:
        """The same event received again after_seconds later (a beacon whose answer the page never
        saw, sent again with the next batch: the widget's backoff is at most 5 minutes)."""
        self.copies.append((event, parse(event["ts"]) + timedelta(seconds=after_seconds)))

    def write(self, out: Path) -> int:
        """Writes the files as the collector would: each event in the file of its own date, each
        file in arrival order (an event arrives when it happens, a copy when it was sent again)."""
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("events-*.jsonl"):
            old.unlink()
        arrivals = [(parse(e["ts"]), n, e) for n, e in enumerate(self.events)]
        arrivals += [(t, len(arrivals) + n, e) for n, (e, t) in enumerate(self.copies)]
        files: dict[str, list[str]] = {}
        for _, _, e in sorted(arrivals, key=lambda a: a[:2]):
            files.setdefault(e["ts"][:10], []).append(json.dumps(e, separators=(",", ":")))
        for day, lines in sorted(files.items()):
            (out / f"events-{day}.jsonl").write_text("".join(line + "\n" for line in lines))
        return len(arrivals)


class Session:
    def __init__(self, fx: Fixture, name: str, start: datetime, locale: str, audience: str, page: str):
        self.fx, self.name, self.t = fx, name, start
        self.locale, self.audience, self.page = locale, audience, page

    def wait(self, seconds: float) -> "Session":
        self.t += timedelta(milliseconds=round(seconds * 1000))
        return self

    def emit(self, type_: str, **fields) -> dict:
        event = {
            "v": 1, "id": self.fx.new_id(), "session": self.name, "ts": iso(self.t), "pack": PACK,
            "locale": self.locale, "audience": self.audience, "page": self.page, "type": type_,
        }
        event.update(fields)
        self.fx.events.append(event)
        return event

    def started(self, trigger: str = "open") -> dict:
        return self.emit("conversation_started", trigger=trigger)

    def ask(self, path: str, entries: list[str] | None = None, confidence: float | None = 0.8,
            kind: str | None = "answer", thresholds: dict | None = THRESHOLDS, text: str | None = None,
            runner_up: str | None = None, encoder: bool | None = None) -> dict:
        self.fx.next_question += 1
        entries = list(entries or [])
        top = None
        if entries or confidence is not None:
            top = {"entry": entries[0] if entries else None, "score": round(2.0 + 6.0 * (confidence or 0.1), 3)}
            if confidence is not None:
                top["confidence"] = confidence
        ru = {"entry": runner_up, "score": 1.25} if runner_up else None
        fields = {
            "question": f"q-{self.fx.next_question:05d}", "path": path, "entries": entries, "top": top,
            "runner_up": ru, "kind": kind, "thresholds": thresholds,
        }
        if text is not None:
            fields["text"] = text
        # None: an event from before the field.
        if encoder is not None:
            fields["encoder"] = encoder
        return self.emit("question", **fields)

    def answer(self, entry: str, confidence: float = 0.85, **kw) -> dict:
        return self.ask("answer", [entry], confidence, **kw)

    def suggestion(self, entry: str, source: str = "starter") -> dict:
        return self.emit("suggestion_taken", entry=entry, source=source)

    def feedback(self, entry: str, helpful: bool, reason: str | None = None) -> dict:
        return self.emit("feedback", entry=entry, helpful=helpful, reason=reason)

    def resolution(self, answer: str, entry: str | None = None, flow: str | None = None) -> dict:
        fields = {"after": "flow" if flow else "answer", "answer": answer}
        if flow:
            fields["flow"] = flow
        else:
            fields["entry"] = entry
        return self.emit("resolution", **fields)

    def llm(self, question: dict, outcome: str, ttft: float | None = None, error: str | None = None,
            passages: list[str] | None = None) -> dict:
        passages = passages if passages is not None else question["entries"][:3]
        cited = passages[:1] if outcome in ("answered", "cached") else []
        return self.emit("llm_fallback", question=question["question"], outcome=outcome, passages=passages,
                         cited=cited, error=error, ttft_ms=ttft)

    def handoff(self, reason: str) -> dict:
        return self.emit("handoff_clicked", reason=reason)

    def flow(self, type_: str, flow: str, step: str) -> dict:
        return self.emit(type_, flow=flow, step=step)


def edge_cases(fx: Fixture) -> None:
    """One session per edge case docs/metrics.md names; comments say which."""
    # Duplicated ids: a question, its feedback and the resolution received twice, the copies
    # seconds to minutes later.
    s = fx.session("s-dup", at(2, 9, 0), "en", "buyer", "/orders")
    s.started()
    q = s.wait(1).answer("track-order", 0.91, text="where is my parcel [phone]")
    fb = s.wait(20).feedback("track-order", True)
    fx.duplicate(q, 5)
    fx.duplicate(fb, 290)
    fx.duplicate(s.wait(100).resolution("yes", entry="track-order"), 0)

    # A session across midnight inside the period: counted on both days; its answer before
    # midnight is rated after it, and the copy of its last event arrives the next day (into the
    # file of the event's own date, as kb collect writes it).
    s = fx.session("s-midnight", at(5, 23, 58, 20), "id", "seller", "/seller/orders")
    s.started("open")
    s.wait(3).answer("seller-payouts", 0.83)
    s.wait(50).ask("clarify", ["listing-rejected", "seller-payouts"], 0.5, runner_up="seller-payouts")
    s.wait(4).suggestion("listing-rejected", "did_you_mean")
    s.wait(120).feedback("listing-rejected", False)          # 2026-12-06
    s.wait(30).answer("shipping-fees", 0.79)
    fx.duplicate(s.wait(20).resolution("yes", entry="shipping-fees"), 150)

    # A yes and a later no: unresolved (the last yes/no says no).
    s = fx.session("s-yes-then-no", at(2, 10, 0), "id", "buyer")
    s.answer("refund-status", 0.8)
    s.wait(30).resolution("yes", entry="refund-status")
    s.wait(60).answer("return-policy", 0.75)
    s.wait(90).resolution("no", entry="return-policy")
    s.wait(5).resolution("none", entry="return-policy")

    # A no and a later yes, then "none": confirmed (the last yes/no says yes).
    s = fx.session("s-no-then-yes", at(5, 11, 0), "es", "seller")
    s.answer("seller-payouts", 0.88)
    s.wait(40).resolution("no", entry="seller-payouts")
    s.wait(100).answer("listing-rejected", 0.7)
    s.wait(40).resolution("yes", entry="listing-rejected")
    s.wait(300).ask("reply", [], 0.9, kind="smalltalk")
    s.wait(1).resolution("none", entry="listing-rejected")

    # A handoff after an answer: unresolved; the entry is followed by a handoff.
    s = fx.session("s-handoff-after-answer", at(5, 12, 0), "th", "buyer")
    s.started("ask")
    s.answer("phishing-scam", 0.95)
    s.wait(15).handoff("entry")

    # A handoff before a later view in the same gap: only the earlier view is followed by it.
    s = fx.session("s-handoff-between", at(6, 9, 30), "en", "buyer")
    s.answer("cancel-order", 0.82)
    s.wait(5).handoff("waiting")
    s.wait(5).suggestion("refund-status", "related")
    s.wait(200).answer("refund-status", 0.9)

    # Rephrase within 60 s (59 s, exactly 60.000 s) against after 60 s (60.001 s, 61 s, 95 s).
    s = fx.session("s-rephrase", at(6, 14, 0), "vi", "all")
    s.answer("shipping-fees", 0.7)
    s.wait(25).ask("fallback", ["shipping-fees", "parcel-late"], 0.4, runner_up="parcel-late")
    s.wait(200).answer("parcel-late", 0.72)
    s.wait(60).answer("parcel-late", 0.74)           # exactly 60.000 s: a rephrase
    s.wait(60.001).answer("track-order", 0.9)        # 60.001 s: not one
    s.wait(59).answer("track-order", 0.88)           # 59 s: a rephrase
    s.wait(61).answer("cancel-order", 0.8)           # 61 s: not one
    s.wait(95).ask("clarify", ["change-address", "track-order"], 0.5, runner_up="track-order")

    # A suggestion view followed within a minute by a question, and one followed by nothing.
    s = fx.session("s-suggestion", at(7, 8, 0), "en", "seller", "/seller/payouts")
    s.started()
    s.wait(2).suggestion("seller-payouts", "starter")
    s.wait(30).answer("seller-payouts", 0.93)
    s.wait(10).suggestion("listing-rejected", "suggestion")

    # Feedback with reasons: a thumbs-down then its reason (a second event); a thumbs-down on
    # the entry after the next question does not make the view bad; ratings of other entries.
    s = fx.session("s-feedback", at(6, 16, 0), "es", "buyer")
    s.answer("return-policy", 0.78)
    s.wait(12).feedback("return-policy", False)
    s.wait(4).feedback("return-policy", False, "unclear")
    s.wait(80).answer("refund-status", 0.8)
    s.wait(70).feedback("return-policy", False, "wrong")
    s.wait(3).feedback("refund-status", True)
    s.wait(90).answer("track-order", 0.85)
    s.wait(9).feedback("parcel-late", False)          # another entry than the one viewed
    s.wait(2).feedback("parcel-late", False, "not_my_question")

    # The LLM: answered (resolved), cached (resolved, no request), unsure, failed with errors,
    # stopped, capped, no endpoint; first-token times on calls only.
    s = fx.session("s-llm", at(5, 15, 0), "en", "all")
    q = s.ask("fallback", ["track-order", "parcel-late"], 0.45)
    s.wait(2).llm(q, "answered", ttft=820.5)
    q = s.wait(60).ask("fallback", ["track-order"], 0.44)
    s.wait(0.1).llm(q, "cached", ttft=3.0)           # not a call: its ttft does not count
    q = s.wait(60).ask("fallback", ["cancel-order"], 0.35)
    s.wait(2).llm(q, "unsure", ttft=1210.0)
    q = s.wait(60).ask("fallback", ["refund-status"], 0.31)
    s.wait(8).llm(q, "failed", ttft=None, error="no response in time")
    s.wait(1).handoff("ai_failed")
    # Every error text the widget writes, once each at least.
    for error in ERRORS:
        q = s.wait(45).ask("fallback", ["parcel-late"], 0.33)
        s.wait(3).llm(q, "failed", ttft=None if "time" in error or "built" in error else 210.0, error=error)

    s = fx.session("s-llm-2", at(6, 17, 0), "id", "seller")
    q = s.ask("fallback", ["seller-payouts"], 0.5)
    s.wait(1).llm(q, "failed", ttft=300.0, error="server error (HTTP 500)")
    q = s.wait(30).ask("fallback", ["seller-payouts"], 0.5)
    s.wait(1).llm(q, "failed", ttft=None, error=None)  # a failure without words
    q = s.wait(30).ask("fallback", ["shipping-fees"], 0.42)
    s.wait(1).llm(q, "stopped", ttft=450.0)
    q = s.wait(30).ask("fallback", ["shipping-fees"], 0.42)
    s.wait(1).llm(q, "capped")
    s.wait(2).handoff("no_answer")

    # The last question answered by the LLM, nothing after: assumed.
    s = fx.session("s-llm-assumed", at(7, 10, 0), "th", "all")
    q = s.ask("fallback", ["parcel-late"], 0.4)
    s.wait(3).llm(q, "answered", ttft=640.0)

    # No endpoint; and a pack that could not load (no_knowledge) whose question still went to the
    # LLM and came back answered: it is "answered by the LLM" like a fallback.
    s = fx.session("s-no-knowledge", at(7, 11, 0), "vi", "buyer")
    q = s.ask("fallback", [], None, kind=None, thresholds=None)
    s.wait(1).llm(q, "no_endpoint", passages=[])
    q = s.wait(40).ask("no_knowledge", [], None, kind=None, thresholds=None)
    s.wait(2).llm(q, "answered", ttft=700.0, passages=[])

    # Flows: finished (and confirmed after the flow), abandoned at a step, abandoned at once.
    s = fx.session("s-flow-finished", at(5, 9, 0), "en", "buyer", "/orders/123")
    s.started("flow")
    s.flow("flow_started", "where-is-my-order", "order-number")
    for step in ("status", "carrier"):
        s.wait(8).flow("flow_step", "where-is-my-order", step)
    s.wait(8).flow("flow_finished", "where-is-my-order", "done")
    s.wait(5).resolution("yes", flow="where-is-my-order")

    s = fx.session("s-flow-abandoned", at(6, 9, 0), "id", "buyer")
    s.flow("flow_started", "refund-request", "reason")
    s.wait(10).flow("flow_step", "refund-request", "photos")
    s.wait(20).flow("flow_abandoned", "refund-request", "photos")
    s.ask("answer", ["refund-status"], 0.81)             # the question typed, same millisecond
    s.wait(30).feedback("refund-status", True)

    # Questions whose top entry is not an answer entry: small talk, a handoff intent, off-topic,
    # and a knowledge answer whose ranked-first entry was a (losing) system entry.
    s = fx.session("s-kinds", at(5, 13, 0), "en", "all")
    s.ask("reply", [], 0.92, kind="smalltalk")
    s.wait(10).ask("handoff", [], 0.88, kind="handoff")
    s.wait(2).handoff("asked")
    s.wait(60).ask("reply", [], 0.7, kind="out-of-domain")
    s.wait(30).ask("answer", ["change-address"], 0.9, kind="smalltalk")
    s.wait(100).ask("clarify", ["cancel-order", "refund-status"], 0.55, kind="handoff")

    # Only small talk: not asked (resolution none).
    s = fx.session("s-only-smalltalk", at(6, 20, 0), "th", "seller")
    s.started()
    s.ask("reply", [], 0.95, kind="smalltalk")
    s.wait(5).ask("reply", [], 0.93, kind="smalltalk")

    # The last substantive question was a clarification: unresolved; an answer then small talk:
    # assumed (the small talk is not substantive).
    s = fx.session("s-clarify-last", at(7, 13, 0), "es", "all")
    s.answer("cancel-order", 0.86)
    s.wait(50).ask("clarify", ["change-address", "cancel-order"], 0.45)
    s = fx.session("s-answer-then-thanks", at(7, 14, 0), "vi", "seller")
    s.answer("listing-rejected", 0.76)
    s.wait(20).ask("reply", [], 0.96, kind="smalltalk")

    # An answer path without entries (no view), thresholds missing on an answer-kind fallback
    # (clarify 0 in the what-if), confidences on the what-if's steps and at the clarify threshold.
    s = fx.session("s-what-if", at(7, 16, 0), "en", "buyer")
    s.ask("answer", [], 0.9)
    s.wait(30).ask("fallback", ["parcel-late"], 0.2, thresholds=None)
    s.wait(30).ask("clarify", ["parcel-late", "track-order"], 0.3)
    s.wait(30).ask("answer", ["parcel-late"], 0.7)
    s.wait(100).ask("answer", ["track-order"], 0.65)
    s.wait(100).ask("fallback", ["refund-status"], 0.05)
    s.wait(100).ask("answer", ["shipping-fees"], 1.0)

    # An older threshold still in force for a few questions (the report names the most frequent).
    s = fx.session("s-old-thresholds", at(3, 10, 0), "en", "buyer")
    s.answer("track-order", 0.62, thresholds=OLD_THRESHOLDS)
    s.wait(100).ask("clarify", ["track-order", "parcel-late"], 0.4, thresholds=OLD_THRESHOLDS)

    # Period boundaries (period 2026-12-05 .. 2026-12-07): a session across the start, whose
    # answer is in the previous period and whose resolution is in this one; a question at the
    # period's end whose LLM reply arrives after it; a day (2026-12-09) with events but no questions.
    s = fx.session("s-across-start", at(4, 23, 59, 40), "en", "buyer")
    s.answer("cancel-order", 0.84)
    s.wait(30).resolution("no", entry="cancel-order")    # 2026-12-05T00:00:10Z
    s.wait(10).answer("refund-status", 0.9)
    s = fx.session("s-across-end", at(7, 23, 59, 50), "es", "buyer")
    q = s.ask("fallback", ["parcel-late"], 0.41)
    s.wait(13).llm(q, "answered", ttft=980.0)            # 2026-12-08T00:00:03Z
    s = fx.session("s-flow-only-day", at(9, 7, 0), "vi", "all")
    s.started("flow")
    s.flow("flow_started", "where-is-my-order", "order-number")
    s.wait(40).flow("flow_abandoned", "where-is-my-order", "order-number")

    # Equal timestamps: a "none" resolution and the question that caused it in one millisecond.
    s = fx.session("s-same-ms", at(6, 11, 0), "en", "seller")
    s.started("ask")
    s.ask("answer", ["seller-payouts"], 0.9)
    s.wait(40).resolution("none", entry="seller-payouts")
    s.answer("shipping-fees", 0.8)
    s.wait(5).handoff("missing")


def random_sessions(fx: Fixture, rng: random.Random, count: int) -> None:
    """Plausible conversations, seeded: answers, clarifications, fallbacks with the LLM, flows."""
    for n in range(count):
        day = rng.randint(1, 8)
        s = fx.session(f"s-r{n:04d}", at(day, rng.randint(0, 23), rng.randint(0, 59), rng.uniform(0, 59)),
                       rng.choice(LOCALES), rng.choice(AUDIENCES), rng.choice(["/help", "/orders", "/seller"]))
        s.started(rng.choice(["open", "new", "ask"]))
        # Whether the encoder tier read this session's questions: no field (older widgets), no,
        # or yes (answered, clarified or still sent to the LLM).
        encoder = [None, False, True][n % 3]
        if rng.random() < 0.4:
            s.wait(rng.uniform(1, 5)).suggestion(rng.choice(ANSWER_ENTRIES), rng.choice(["starter", "suggestion"]))
        for _ in range(rng.randint(1, 5)):
            s.wait(rng.choice([rng.uniform(3, 59), rng.uniform(61, 400)]))
            roll = rng.random()
            entry = rng.choice(ANSWER_ENTRIES)
            if roll < 0.45:
                q = s.answer(entry, round(rng.uniform(0.67, 1.0), 3), encoder=encoder)
                after = rng.random()
                if after < 0.3:
                    s.wait(rng.uniform(5, 30)).feedback(entry, rng.random() < 0.65)
                elif after < 0.45:
                    s.wait(rng.uniform(5, 60)).resolution(rng.choice(["yes", "no", "none"]), entry=entry)
                elif after < 0.5:
                    s.wait(rng.uniform(5, 30)).handoff("entry")
            elif roll < 0.6:
                other = rng.choice(ANSWER_ENTRIES)
                s.ask("clarify", [entry, other], round(rng.uniform(0.3, 0.669), 3), runner_up=other, encoder=encoder)
                if rng.random() < 0.5:
                    s.wait(rng.uniform(2, 10)).suggestion(entry, "did_you_mean")
            elif roll < 0.85:
                q = s.ask("fallback", [entry], round(rng.uniform(0.0, 0.299), 3), encoder=encoder)
                outcome = rng.choice(["answered", "answered", "unsure", "failed", "cached", "capped"])
                err = rng.choice(ERRORS) if outcome == "failed" else None
                ttft = round(rng.uniform(200, 2500), 1) if outcome in ("answered", "unsure", "failed") else None
                if outcome == "failed" and rng.random() < 0.5:
                    ttft = None
                s.wait(rng.uniform(1, 6)).llm(q, outcome, ttft=ttft, error=err)
                if outcome in ("unsure", "failed") and rng.random() < 0.5:
                    s.wait(rng.uniform(2, 20)).handoff("ai_unsure" if outcome == "unsure" else "ai_failed")
            elif roll < 0.93:
                s.ask("reply", [], round(rng.uniform(0.7, 1.0), 3), kind=rng.choice(["smalltalk", "out-of-domain"]))
            else:
                flow = rng.choice(list(FLOWS))
                steps = FLOWS[flow]
                s.flow("flow_started", flow, steps[0])
                reached = rng.randint(1, len(steps) - 1)
                for step in steps[1:reached]:
                    s.wait(rng.uniform(3, 20)).flow("flow_step", flow, step)
                if reached == len(steps) - 1 and rng.random() < 0.7:
                    s.wait(rng.uniform(3, 20)).flow("flow_finished", flow, steps[-1])
                else:
                    s.wait(rng.uniform(3, 20)).flow("flow_abandoned", flow, steps[reached - 1])
        # Now and then the last batch arrives twice, the copy up to the widget's 5-minute backoff later.
        if rng.random() < 0.1:
            fx.duplicate(fx.events[-1], rng.uniform(0, 300))


def unanswered_sessions(fx: Fixture, rng: random.Random) -> None:
    """Questions that fell back with the texts above, in seeded sessions, and the ties of a group's
    example (the earliest text; ties: the smallest) and top entry (the latest; ties: the largest)."""
    # Each question: its texts (one is asked), locale, the entry ranked first (None: nothing ranked),
    # whether the LLM answers it (None: as it comes), and whether it is in the period only.
    plan = [(texts, locale, rng.choice(ANSWER_ENTRIES) if rng.random() > 0.08 else None, None, False)
            for locale, texts, count in TEXT_TOPICS for _ in range(count)]
    plan += [(BLANK_TEXTS, rng.choice(LOCALES), rng.choice(ANSWER_ENTRIES), None, False)
             for _ in range(BLANK_QUESTIONS)]
    for texts, entry, count, no_answer in TIED_GROUPS:
        plan += [(texts or BLANK_TEXTS + [None], "en", entry, n >= no_answer, True) for n in range(count)]
    rng.shuffle(plan)
    for period_only in (False, True):
        todo = [q for q in plan if q[4] == period_only]
        n = 0
        while todo:
            size = rng.randint(1, 4)
            batch, todo = todo[:size], todo[size:]
            day = rng.randint(5, 7) if period_only else rng.randint(1, 8)
            start = at(day, rng.randint(0, 21), rng.randint(5, 59), rng.uniform(0, 59))
            s = fx.session(f"s-u{int(period_only)}{n:04d}", start, batch[0][1], rng.choice(AUDIENCES))
            n += 1
            for texts, _, entry, answered, _ in batch:
                s.wait(rng.uniform(5, 120))
                ask_unanswered(s, rng, rng.choice(texts), entry, answered)

    # Two questions of a group in one millisecond, its earliest: the smaller text is the example,
    # though it arrives second; in every event and in the period.
    for day in (1, 5):
        for name, text in (("a", "where is my parcel"), ("b", "Where is my  parcel?")):
            s = fx.session(f"s-unanswered-first-{day}{name}", at(day, 0, 0))
            s.ask("fallback", ["parcel-late"], 0.2, text=text)
    # Its latest two in one millisecond rank different entries first: the larger is the top entry,
    # though it arrives first; a later question that ranked no entry changes nothing.
    for day in (7, 8):
        last = fx.session(f"s-unanswered-last-{day}a", at(day, 23, 0))
        last.ask("fallback", ["track-order"], 0.2, text="WHERE IS MY PARCEL?!")
        s = fx.session(f"s-unanswered-last-{day}b", at(day, 23, 0))
        s.ask("fallback", ["parcel-late"], 0.2, text="where is my parcel")
        last.wait(5).ask("no_knowledge", [], None, kind=None, thresholds=None, text="where is my parcel?")


def ask_unanswered(s: Session, rng: random.Random, text: str | None, entry: str | None,
                   answered: bool | None) -> None:
    """A question that fell back (no entry ranked: no pack, or one that ranked nothing), then the
    LLM's outcome if it was called; now and then received twice."""
    if entry is None:
        q = s.ask(rng.choice(["no_knowledge", "fallback"]), [], None, kind=None, thresholds=None, text=text)
    else:
        q = s.ask("fallback", [entry], round(rng.uniform(0.0, 0.299), 3), text=text)
    if answered is None:
        outcome = rng.choice(["answered", "cached", "unsure", "failed", "capped", None])
    else:
        outcome = rng.choice(["answered", "cached"] if answered else ["unsure", "failed", "no_endpoint", None])
    if outcome:
        ttft = round(rng.uniform(200, 2500), 1) if outcome in ("answered", "unsure", "failed") else None
        s.wait(rng.uniform(1, 6)).llm(q, outcome, ttft=ttft, error=rng.choice(ERRORS) if outcome == "failed" else None)
    if rng.random() < 0.03:
        s.fx.duplicate(s.fx.events[-1], rng.uniform(0, 300))


def write(out: Path) -> int:
    """Writes the fixture's files into out; returns how many lines."""
    fx = Fixture()
    edge_cases(fx)
    random_sessions(fx, random.Random(SEED), RANDOM_SESSIONS)
    unanswered_sessions(fx, random.Random(SEED + 2))
    return fx.write(out)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    print(f"wrote {write(out)} lines to {out}")


if __name__ == "__main__":
    main()
