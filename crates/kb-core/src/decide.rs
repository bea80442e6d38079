//! The one decision about a message: answer it with an entry, offer "did you mean" choices, fall
//! back (to the LLM with passages, or to a person), hand off because a person was asked for, or
//! reply locally to small talk and off-topic questions. The widget, `kb search` and `kb eval` all
//! take this path, so what the tools report is what buyers get.
//!
//! The built-in system entries (`kind: handoff`, `smalltalk`, `out-of-domain`) compete in the
//! same ranking as the knowledge. One wins only when the engine is sure enough to answer or
//! clarify with it, and small talk only when it covers nearly the whole message: "hi, where is
//! my parcel" is a question about a parcel. Otherwise the message is ranked again among the
//! knowledge entries alone and decided as a question.
//!
//! ```
//! # fn demo(index: &kb_core::Index) {
//! use kb_core::decide::{Overrides, Path};
//! use kb_core::{Locale, Query};
//!
//! let reply = index.decide(&Query::new("wher is my parcel??", Locale::En), &Overrides::default());
//! match reply.path {
//!     Path::Answer(entry) => println!("answer {:?}", index.entry_id(entry)),
//!     Path::Clarify(choices) => println!("{} choices", choices.len()),
//!     Path::Fallback(passages) => println!("ask the LLM with {} passages", passages.len()),
//!     Path::Handoff(_) => println!("connect to a person"),
//!     Path::Reply(entry) => println!("reply locally with {:?}", index.entry_id(entry)),
//! }
//! # }
//! ```

use crate::confidence::{Calibration, Decision, Features};
use crate::entry::EntryKind;
use crate::index::Index;
use crate::locale::Locale;
use crate::search::{Query, SearchResult};

/// How many "did you mean" choices are offered at most.
pub const MAX_CHOICES: usize = 3;
/// A hit is a choice only if it scores at least this share of the top hit.
pub const CHOICE_SHARE: f32 = 0.6;
/// How many passages go to the LLM at most.
pub const MAX_PASSAGES: usize = 3;
/// A hit goes to the LLM as a passage (and shows as a related article) only with at least this
/// score and this share of the top hit's. Chosen on the development golden sets: every entry
/// that answers a question that fell back stays, a third of the others go (the widget showed
/// "Payment methods, Return policy, International shipping" under a question about a store in
/// Jakarta; none is better than unrelated ones).
pub const PASSAGE_FLOOR: f32 = 0.15;
/// See [`PASSAGE_FLOOR`].
pub const PASSAGE_SHARE: f32 = 0.75;
/// A passage must also have matched a query word rarer than this idf weight (one found in no
/// more than about a third of the entries): an entry that matched only "how do I … my" is not
/// about the question. Chosen on the development sets with the two above (it keeps 64 of the 65
/// answering entries).
pub const PASSAGE_TERM_IDF: f32 = 1.0;
/// Small talk wins only when its entry matches at least this share of the message's weight: a
/// greeting in front of a question leaves most of the message unmatched.
pub const SMALL_TALK_COVERAGE: f32 = 0.7;

/// A deployment's overrides of the thresholds stored in the pack (`data-answer-threshold`,
/// `data-clarify-threshold`); values outside [0, 1] are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Confidence at or above which the top entry is answered.
    pub answer_threshold: Option<f32>,
    /// Confidence at or above which choices are offered.
    pub clarify_threshold: Option<f32>,
}

/// What to do, with the entries it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Path {
    /// Show this entry.
    Answer(u32),
    /// Offer these entries as "did you mean" choices, best first.
    Clarify(Vec<u32>),
    /// Nothing local is good enough: these entries are the passages to ground an LLM reply on
    /// (possibly none).
    Fallback(Vec<u32>),
    /// The user asks for a person (this `kind: handoff` system entry matched).
    Handoff(u32),
    /// Small talk or an off-topic question: reply locally with this system entry.
    Reply(u32),
}

impl Path {
    /// The path's name in events and reports: `answer`, `clarify`, `fallback`, `handoff` or
    /// `reply`.
    pub fn name(&self) -> &'static str {
        match self {
            Path::Answer(_) => "answer",
            Path::Clarify(_) => "clarify",
            Path::Fallback(_) => "fallback",
            Path::Handoff(_) => "handoff",
            Path::Reply(_) => "reply",
        }
    }

    /// The entries the path shows or sends, best first.
    pub fn entries(&self) -> &[u32] {
        match self {
            Path::Answer(n) | Path::Handoff(n) | Path::Reply(n) => std::slice::from_ref(n),
            Path::Clarify(v) | Path::Fallback(v) => v,
        }
    }
}

/// A decided message: the path, and everything that led to it (for the host page's events and
/// the analytics of what a threshold change would do).
#[derive(Clone, Debug)]
pub struct Reply {
    /// What to do.
    pub path: Path,
    /// The ranking the path was chosen from (among the knowledge alone when a system entry
    /// ranked first but did not win), and the confidence that its top hit is right.
    pub result: SearchResult,
    /// The thresholds in force: the pack's, or the deployment's overrides.
    pub thresholds: Thresholds,
}

/// The confidence thresholds a decision was taken under.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// At or above it (with a clear margin), the top entry is answered.
    pub answer: f32,
    /// At or above it, "did you mean" choices are offered.
    pub clarify: f32,
}

impl Reply {
    /// The confidence decision behind the path (a handoff or local reply was decided with the
    /// confidence of an answer or a clarification).
    pub fn decision(&self) -> Decision {
        match self.path {
            Path::Answer(_) | Path::Handoff(_) | Path::Reply(_) => Decision::Answer,
            Path::Clarify(_) => Decision::Clarify,
            Path::Fallback(_) => Decision::Fallback,
        }
    }
}

/// Whether a system entry of `kind` that ranked first wins the message, given the confidence
/// decision and the features of that ranking.
///
/// ```
/// use kb_core::confidence::{Decision, Features};
/// use kb_core::decide::system_wins;
/// use kb_core::EntryKind;
///
/// let covered = Features::new([0.9, 0.5, 1.0, 0.0, 0.9, 0.0, 1.0, 0.4, 1.0, 1.0, 0.0, 0.0]);
/// assert!(system_wins(EntryKind::SmallTalk, Decision::Answer, &covered));
/// assert!(!system_wins(EntryKind::SmallTalk, Decision::Fallback, &covered));
/// let partly = Features::new([0.9, 0.5, 0.4, 0.0, 0.9, 0.0, 0.2, 0.4, 1.0, 1.0, 0.0, 0.0]);
/// assert!(!system_wins(EntryKind::SmallTalk, Decision::Answer, &partly));
/// assert!(system_wins(EntryKind::Handoff, Decision::Clarify, &partly));
/// assert!(!system_wins(EntryKind::Answer, Decision::Answer, &covered));
/// ```
pub fn system_wins(kind: EntryKind, decision: Decision, features: &Features) -> bool {
    let coverage = features.0[2];
    let sure = decision != Decision::Fallback;
    match kind {
        EntryKind::Answer => false,
        EntryKind::SmallTalk => sure && coverage >= SMALL_TALK_COVERAGE,
        EntryKind::Handoff | EntryKind::OutOfDomain => sure,
    }
}

impl Index {
    /// Searches `query` and decides what to do with it, under the pack's calibration with the
    /// deployment's `overrides`.
    pub fn decide(&self, query: &Query<'_>, overrides: &Overrides) -> Reply {
        let calibration =
            self.calibration_of(query).with_thresholds(overrides.answer_threshold, overrides.clarify_threshold);
        let thresholds = Thresholds { answer: calibration.answer_threshold, clarify: calibration.clarify_threshold };
        let result = self.search(query);
        if let Some(top) = result.hits.first() {
            let kind = self.kind(top.entry);
            if system_wins(kind, decision(&calibration, &result), &result.features) {
                let path = if kind == EntryKind::Handoff { Path::Handoff(top.entry) } else { Path::Reply(top.entry) };
                return Reply { path, result, thresholds };
            }
            if kind.is_system() {
                let knowledge = self.search(&Query { knowledge_only: true, ..query.clone() });
                return Reply { path: self.question_path(&calibration, &knowledge), result: knowledge, thresholds };
            }
        }
        Reply { path: self.question_path(&calibration, &result), result, thresholds }
    }

    /// Whether the encoder tier should read a question of `locale` again, given the reply
    /// decided without it: when the locale's semantic file has an encoder head, and the reply
    /// is not an answer, or is an answer less sure than the head's [`sure`] (a handoff or local
    /// reply was asked for in so many words: it stands).
    ///
    /// [`sure`]: crate::format::semantic::EncoderHead::sure
    pub fn rereads(&self, locale: Locale, reply: &Reply) -> bool {
        let Some(head) = self.semantic(locale).and_then(|t| t.encoder_head()) else { return false };
        match reply.path {
            Path::Answer(_) => reply.result.confidence.value() < head.sure,
            Path::Handoff(_) | Path::Reply(_) => false,
            Path::Clarify(_) | Path::Fallback(_) => true,
        }
    }

    /// The path of a question for the knowledge, from a ranking whose top hit is an answer
    /// entry (choices and passages are answer entries too).
    fn question_path(&self, calibration: &Calibration, result: &SearchResult) -> Path {
        let answers = || result.hits.iter().filter(|h| !self.kind(h.entry).is_system());
        match decision(calibration, result) {
            Decision::Answer => Path::Answer(result.hits[0].entry),
            Decision::Clarify => {
                let top = result.hits[0].score;
                Path::Clarify(
                    answers().filter(|h| h.score >= top * CHOICE_SHARE).take(MAX_CHOICES).map(|h| h.entry).collect(),
                )
            }
            Decision::Fallback => {
                // On the lexical score, which the floor and share were chosen on: the semantic
                // tier's fusion scales every score down by its weight.
                let top = result.hits.iter().map(|h| h.lexical).fold(0.0, f32::max);
                let relevant = |h: &&crate::search::Hit| {
                    h.lexical >= PASSAGE_FLOOR && h.lexical >= top * PASSAGE_SHARE && h.strongest >= PASSAGE_TERM_IDF
                };
                Path::Fallback(answers().filter(relevant).take(MAX_PASSAGES).map(|h| h.entry).collect())
            }
        }
    }
}

/// The confidence decision for a ranking (no hit at all: fall back).
fn decision(calibration: &Calibration, result: &SearchResult) -> Decision {
    if result.hits.is_empty() {
        Decision::Fallback
    } else {
        calibration.decide(&result.features)
    }
}
