//! Which questions of a session are gaps, and why (the definitions are `docs/metrics.md`'s):
//!
//! - *fell back*: its path is `fallback` and the LLM answered it (`answered` or `cached`): the
//!   knowledge had nothing good enough;
//! - *no answer*: its path is `fallback` without an LLM answer (`unsure`, `failed`, `stopped`,
//!   `capped`, `no_endpoint`, or no `llm_fallback` event), `no_knowledge` or `handoff`;
//! - *rephrased*: it was answered (path `answer`) and the session's next substantive question
//!   came within [`REPHRASE_MS`] of it (`followed_by_rephrase`);
//! - *unhelpful*: it was answered and its entry got a thumbs-down (`feedback` with `helpful`
//!   false and no reason) before the next question.
//!
//! A question can be a gap for several reasons. Only questions with text can be grouped (the
//! widget sends text only with `data-collect-text="redacted"`); the others are counted.

use std::collections::HashMap;

use serde::Serialize;

use crate::event::{Event, Kind, Path};
use crate::report::REPHRASE_MS;

/// Why a question is a gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// It fell back and the LLM answered it.
    FellBack,
    /// Nobody answered it: the LLM could not, the pack did not load, or a person was asked for.
    NoAnswer,
    /// Answered, and asked again within a minute.
    Rephrased,
    /// Answered, and the answer got a thumbs-down.
    Unhelpful,
}

impl Reason {
    /// Every reason, in report order.
    pub const ALL: [Reason; 4] = [Reason::FellBack, Reason::NoAnswer, Reason::Rephrased, Reason::Unhelpful];

    /// Its name in output.
    pub fn name(self) -> &'static str {
        match self {
            Reason::FellBack => "fell back",
            Reason::NoAnswer => "no answer",
            Reason::Rephrased => "rephrased",
            Reason::Unhelpful => "unhelpful",
        }
    }
}

/// One gap question of a session.
#[derive(Debug, PartialEq)]
pub struct Gap<'a> {
    /// Its `question` event.
    pub event: &'a Event,
    /// When it was asked (milliseconds since the epoch).
    pub at: i64,
    /// Its text (not empty).
    pub text: &'a str,
    /// Why it is a gap (at least one reason, in [`Reason::ALL`] order).
    pub reasons: Vec<Reason>,
    /// The entry it was answered with, for the rephrased and unhelpful ones.
    pub shown: Option<&'a str>,
}

/// What one session holds: its gap questions with text, and how many gaps had no text.
pub fn gaps(events: &[(i64, Event)]) -> (Vec<Gap<'_>>, u64) {
    let answered_by_llm: HashMap<&str, bool> = events
        .iter()
        .filter_map(|(_, e)| match &e.kind {
            Kind::LlmFallback { question, outcome, .. } => {
                Some((question.as_str(), outcome == "answered" || outcome == "cached"))
            }
            _ => None,
        })
        .collect();
    let substantive = |e: &Event| matches!(&e.kind, Kind::Question { path, .. } if *path != Path::Reply);
    let mut out = Vec::new();
    let mut without_text = 0;
    for (position, (ms, event)) in events.iter().enumerate() {
        let Kind::Question { question, path, entries, text, .. } = &event.kind else { continue };
        let mut reasons = Vec::new();
        let mut shown = None;
        match path {
            Path::Fallback if answered_by_llm.get(question.as_str()).copied().unwrap_or(false) => {
                reasons.push(Reason::FellBack)
            }
            Path::Fallback | Path::NoKnowledge | Path::Handoff => reasons.push(Reason::NoAnswer),
            Path::Answer => {
                let Some(entry) = entries.first() else { continue };
                let later = &events[position + 1..];
                let next = later.iter().position(|(_, e)| substantive(e));
                if next.is_some_and(|n| later[n].0 - ms <= REPHRASE_MS) {
                    reasons.push(Reason::Rephrased);
                }
                let thumbs_down = later[..next.unwrap_or(later.len())].iter().any(|(_, e)| {
                    matches!(&e.kind, Kind::Feedback { entry: rated, helpful: false, reason: None } if rated == entry)
                });
                if thumbs_down {
                    reasons.push(Reason::Unhelpful);
                }
                shown = Some(entry.as_str());
            }
            Path::Clarify | Path::Reply => {}
        }
        if reasons.is_empty() {
            continue;
        }
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => out.push(Gap { event, at: *ms, text, reasons, shown }),
            None => without_text += 1,
        }
    }
    (out, without_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64, kind: Kind) -> (i64, Event) {
        let ms = 1_800_000_000_000 + seconds * 1000;
        let event = Event {
            v: 1,
            id: format!("e{seconds}"),
            session: "s".into(),
            ts: String::new(),
            pack: "p".into(),
            locale: "en".into(),
            audience: "buyer".into(),
            page: "/".into(),
            kind,
        };
        (ms, event)
    }

    fn question(id: &str, path: Path, entry: Option<&str>, text: Option<&str>) -> Kind {
        Kind::Question {
            question: id.into(),
            path,
            entries: entry.map(|e| vec![e.to_string()]).unwrap_or_default(),
            top: None,
            runner_up: None,
            kind: None,
            thresholds: None,
            text: text.map(str::to_string),
            encoder: false,
        }
    }

    fn llm(id: &str, outcome: &str) -> Kind {
        Kind::LlmFallback {
            question: id.into(),
            outcome: outcome.into(),
            passages: vec![],
            cited: vec![],
            error: None,
            ttft_ms: None,
        }
    }

    fn thumbs(entry: &str, helpful: bool, reason: Option<&str>) -> Kind {
        Kind::Feedback { entry: entry.into(), helpful, reason: reason.map(str::to_string) }
    }

    #[test]
    fn each_reason_as_the_metrics_define_it() {
        let events = vec![
            at(0, question("q1", Path::Fallback, None, Some("gift wrap?"))),
            at(5, llm("q1", "answered")),
            at(100, question("q2", Path::Fallback, None, Some("warranty"))),
            at(105, llm("q2", "unsure")),
            at(200, question("q3", Path::Answer, Some("track-order"), Some("where is it"))),
            // Small talk is not the next question; the fallback 50 s after the answer is.
            at(210, question("q4", Path::Reply, None, Some("hmm"))),
            at(250, question("q5", Path::Fallback, None, Some("where is my parcel really"))),
            at(400, question("q6", Path::Answer, Some("refund-time"), Some("refund when"))),
            at(420, thumbs("refund-time", false, None)),
            at(425, thumbs("refund-time", false, Some("unclear"))),
            at(500, question("q7", Path::Answer, Some("return-policy"), Some("can i return it"))),
            at(510, thumbs("return-policy", true, None)),
            at(600, question("q8", Path::Handoff, None, None)),
            at(700, question("q9", Path::Clarify, Some("a"), Some("voucher"))),
            at(710, question("q10", Path::NoKnowledge, None, Some("  "))),
        ];
        let (gaps, without_text) = gaps(&events);
        let got: Vec<(&str, Vec<Reason>, Option<&str>)> =
            gaps.iter().map(|g| (g.text, g.reasons.clone(), g.shown)).collect();
        assert_eq!(
            got,
            vec![
                ("gift wrap?", vec![Reason::FellBack], None),
                ("warranty", vec![Reason::NoAnswer], None),
                ("where is it", vec![Reason::Rephrased], Some("track-order")),
                ("where is my parcel really", vec![Reason::NoAnswer], None),
                ("refund when", vec![Reason::Unhelpful], Some("refund-time")),
            ]
        );
        assert_eq!(without_text, 2, "the handoff and the no-knowledge question had no text");
    }

    #[test]
    fn a_thumbs_down_after_the_next_question_is_not_the_answers() {
        let events = vec![
            at(0, question("q1", Path::Answer, Some("a"), Some("first"))),
            at(120, question("q2", Path::Answer, Some("a"), Some("second"))),
            at(130, thumbs("a", false, None)),
        ];
        let (gaps, _) = gaps(&events);
        assert_eq!(gaps.iter().map(|g| g.text).collect::<Vec<_>>(), ["second"]);
    }
}
