//! The analytics events of `docs/events.md`, for the support team's reports. They exist only
//! when the page set `data-collect`: `embed.js` then hands the widget `track(type, fields)`, and
//! `collect.js` queues each event and sends it with what the page knows (its id, the session,
//! the time, the path). This file adds what the conversation knows (pack, locale, audience) and
//! each event's own fields, one function per event so that each is written in one place.
//! Without `data-collect` nothing here builds anything.

use kb_core::decide::Reply;
use kb_core::Index;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::events::{object, round3, texts};
use super::Chat;
use crate::conversation::{FeedbackReason, HandoffReason, Resolved};

/// The most characters of question text an event carries.
const TEXT_CHARS: usize = 1000;

/// Where a suggested entry was taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A starter of a fresh conversation.
    Starter,
    /// An entry matching what was being typed.
    Suggestion,
    /// A "did you mean" choice.
    DidYouMean,
    /// A related article (after a thumbs-down, under an LLM reply).
    Related,
    /// A starter under a small-talk or off-topic reply.
    Reply,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Starter => "starter",
            Source::Suggestion => "suggestion",
            Source::DidYouMean => "did_you_mean",
            Source::Related => "related",
            Source::Reply => "reply",
        }
    }
}

/// What began a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The panel opened.
    Open,
    /// "New conversation".
    New,
    /// The page asked a question (`MarketAssist.ask`).
    Ask,
    /// The page started a flow (`MarketAssist.startFlow`).
    Flow,
}

impl Trigger {
    fn name(self) -> &'static str {
        match self {
            Trigger::Open => "open",
            Trigger::New => "new",
            Trigger::Ask => "ask",
            Trigger::Flow => "flow",
        }
    }
}

/// How an LLM fallback ended, for its event.
pub struct FallbackEnd<'a> {
    /// `answered`, `unsure`, `failed`, `stopped`, `cached`, `capped` or `no_endpoint`.
    pub outcome: &'static str,
    /// The entries sent as passages.
    pub passages: &'a [String],
    /// The passages the reply cited.
    pub cited: &'a [String],
    /// What went wrong, in words.
    pub error: Option<String>,
    /// Milliseconds to the reply's first text.
    pub ttft_ms: Option<f64>,
}

/// A random id for an event's cross-reference (a question's, which its LLM fallback names).
pub fn random_id() -> String {
    let part = || (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    format!("{:08x}{:08x}", part(), part())
}

impl Chat {
    /// Whether the page collects events (else nothing is built for them).
    pub(super) fn tracking(&self) -> bool {
        self.track.with_value(Option::is_some)
    }

    /// Which knowledge answers: the release's version, or the pack's checksum without one.
    pub fn knowledge_version(&self) -> Option<String> {
        self.release.get_untracked().or_else(|| self.index.with_untracked(|i| i.as_ref().map(|i| i.version())))
    }

    /// Hands an event to `collect.js` with the conversation's pack, locale and audience.
    fn track(&self, kind: &str, fields: &[(&str, JsValue)]) {
        self.track.with_value(|track| {
            let Some(track) = track else { return };
            let pack = self.knowledge_version().unwrap_or_default();
            let mut all = vec![
                ("pack", JsValue::from(pack)),
                ("locale", self.locale_untracked().code().into()),
                ("audience", self.audience().name().into()),
            ];
            all.extend(fields.iter().cloned());
            let _ = track.call2(&JsValue::NULL, &JsValue::from_str(kind), &object(&all));
        });
    }

    /// `conversation_started`.
    pub(super) fn track_started(&self, trigger: Trigger) {
        self.track("conversation_started", &[("trigger", trigger.name().into())]);
    }

    /// `question`: a typed message, its path, and the shadow decision behind it (the two best
    /// entries with their confidence, the thresholds in force), or `no_knowledge` without a pack;
    /// `encoder` when the encoder tier read it and decided it again (what was shown).
    pub(super) fn track_question(&self, question: &str, text: &str, decided: Option<(&Index, &Reply)>, encoder: bool) {
        if !self.tracking() {
            return;
        }
        let null = JsValue::NULL;
        let mut fields = vec![("question", JsValue::from(question)), ("encoder", encoder.into())];
        match decided {
            None => fields.extend([
                ("path", "no_knowledge".into()),
                ("entries", texts(&[])),
                ("top", null.clone()),
                ("runner_up", null.clone()),
                ("kind", null.clone()),
                ("thresholds", null),
            ]),
            Some((index, reply)) => {
                let result = &reply.result;
                let ranked = |rank: usize, confidence: f32| {
                    result.hits.get(rank).and_then(|h| index.entry_id(h.entry).map(|id| (id, h.score))).map_or(
                        JsValue::NULL,
                        |(id, score)| {
                            object(&[
                                ("entry", id.into()),
                                ("score", round3(score).into()),
                                ("confidence", round3(confidence).into()),
                            ])
                            .into()
                        },
                    )
                };
                let entries: Vec<String> =
                    reply.path.entries().iter().take(5).filter_map(|&n| index.entry_id(n)).collect();
                let kind = result.hits.first().map_or(JsValue::NULL, |h| index.kind(h.entry).name().into());
                let thresholds = object(&[
                    ("answer", round3(reply.thresholds.answer).into()),
                    ("clarify", round3(reply.thresholds.clarify).into()),
                ]);
                fields.extend([
                    ("path", reply.path.name().into()),
                    ("entries", texts(&entries)),
                    ("top", ranked(0, result.confidence.value())),
                    ("runner_up", ranked(1, result.runner_up_confidence.value())),
                    ("kind", kind),
                    ("thresholds", thresholds.into()),
                ]);
            }
        }
        if self.config.with_value(|c| c.collect_text) {
            let redacted = self.redactor().redact(text).text;
            fields.push(("text", redacted.chars().take(TEXT_CHARS).collect::<String>().into()));
        }
        self.track("question", &fields);
    }

    /// `suggestion_taken`.
    pub(super) fn track_suggestion(&self, entry: &str, source: Source) {
        self.track("suggestion_taken", &[("entry", entry.into()), ("source", source.name().into())]);
    }

    /// `feedback`: a thumb (no reason), or the reason chosen after a thumbs-down.
    pub(super) fn track_feedback(&self, entry: &str, helpful: bool, reason: Option<FeedbackReason>) {
        let reason = reason.map_or(JsValue::NULL, |r| r.name().into());
        self.track("feedback", &[("entry", entry.into()), ("helpful", helpful.into()), ("reason", reason)]);
    }

    /// `resolution`: "did this solve your issue?" after an answer (`entry`) or a flow, and its
    /// reply.
    pub(super) fn track_resolution(&self, entry: Option<&str>, flow: Option<&str>, answer: Resolved) {
        let text = |t: Option<&str>| t.map_or(JsValue::NULL, JsValue::from);
        self.track(
            "resolution",
            &[
                ("after", if entry.is_some() { "answer" } else { "flow" }.into()),
                ("entry", text(entry)),
                ("flow", text(flow)),
                ("answer", answer.name().into()),
            ],
        );
    }

    /// `flow_started`, `flow_step`, `flow_finished` or `flow_abandoned`.
    pub(super) fn track_flow(&self, kind: &str, flow: &str, step: &str) {
        self.track(kind, &[("flow", flow.into()), ("step", step.into())]);
    }

    /// `llm_fallback`: how the fallback for `question` ended.
    pub(super) fn track_fallback(&self, question: &str, end: FallbackEnd<'_>) {
        let number = |n: Option<f64>| n.map_or(JsValue::NULL, |n| JsValue::from_f64(n.round()));
        self.track(
            "llm_fallback",
            &[
                ("question", question.into()),
                ("outcome", end.outcome.into()),
                ("passages", texts(end.passages)),
                ("cited", texts(end.cited)),
                ("error", end.error.map_or(JsValue::NULL, JsValue::from)),
                ("ttft_ms", number(end.ttft_ms)),
            ],
        );
    }

    /// `handoff_clicked`.
    pub fn track_handoff_click(&self, reason: HandoffReason) {
        self.track("handoff_clicked", &[("reason", reason.name().into())]);
    }
}
