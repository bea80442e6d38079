//! The one decision about a question: answer it with an entry, offer "did you mean" choices, or
//! fall back (to the LLM with passages, or to a person). The widget, `kb search` and `kb eval`
//! all take this path, so what the tools report is what buyers get.
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
//! }
//! # }
//! ```

use crate::confidence::Decision;
use crate::index::Index;
use crate::search::{Query, SearchResult};

/// How many "did you mean" choices are offered at most.
pub const MAX_CHOICES: usize = 3;
/// A hit is a choice only if it scores at least this share of the top hit.
pub const CHOICE_SHARE: f32 = 0.6;
/// How many passages go to the LLM at most.
pub const MAX_PASSAGES: usize = 3;

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
}

/// A decided question: the path, and everything that led to it (for the host page's events
/// and the analytics of what a threshold change would do).
#[derive(Clone, Debug)]
pub struct Reply {
    /// What to do.
    pub path: Path,
    /// The ranking and the confidence that the top hit is right.
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
    /// The decision without its entries.
    pub fn decision(&self) -> Decision {
        match self.path {
            Path::Answer(_) => Decision::Answer,
            Path::Clarify(_) => Decision::Clarify,
            Path::Fallback(_) => Decision::Fallback,
        }
    }
}

impl Index {
    /// Searches `query` and decides what to do with it, under the pack's calibration with the
    /// deployment's `overrides`.
    pub fn decide(&self, query: &Query<'_>, overrides: &Overrides) -> Reply {
        let result = self.search(query);
        let calibration = self.calibration().with_thresholds(overrides.answer_threshold, overrides.clarify_threshold);
        let decision = if result.hits.is_empty() { Decision::Fallback } else { calibration.decide(&result.features) };
        let path = match decision {
            Decision::Answer => Path::Answer(result.hits[0].entry),
            Decision::Clarify => {
                let top = result.hits[0].score;
                Path::Clarify(
                    result
                        .hits
                        .iter()
                        .filter(|h| h.score >= top * CHOICE_SHARE)
                        .take(MAX_CHOICES)
                        .map(|h| h.entry)
                        .collect(),
                )
            }
            Decision::Fallback => Path::Fallback(result.hits.iter().take(MAX_PASSAGES).map(|h| h.entry).collect()),
        };
        let thresholds = Thresholds { answer: calibration.answer_threshold, clarify: calibration.clarify_threshold };
        Reply { path, result, thresholds }
    }
}
