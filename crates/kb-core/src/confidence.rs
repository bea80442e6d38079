//! How sure the engine is about its top answer, and what the widget does about it.
//!
//! A small logistic model over ranking features gives a [`Confidence`] in [0, 1]. Its weights and
//! the two thresholds (answer locally / offer "did you mean" choices / fall back to the LLM) are
//! fitted on a development set by `kb` and stored in the index; a deployment may override the
//! thresholds.
//!
//! ```
//! use kb_core::confidence::{Calibration, Decision, Features};
//!
//! let calibration = Calibration::default();
//! let sure = Features::new([0.9, 0.5, 1.0, 0.0, 0.9, 0.0, 0.25, 0.4, 1.0, 1.0, 0.0, 0.0]);
//! let lost = Features::new([0.1, 0.0, 0.2, 0.0, 0.1, 0.8, 0.25, 0.0, 0.0, 0.2, 0.0, 0.0]);
//! assert!(calibration.confidence(&sure).value() > calibration.confidence(&lost).value());
//! assert_eq!(calibration.decide(&lost), Decision::Fallback);
//! ```

/// Number of ranking features the model reads.
pub const FEATURE_COUNT: usize = 12;

/// Names of the features, in order (for `kb search` explanations and reports).
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "top_score",
    "margin",
    "coverage",
    "fuzzy_share",
    "best_question",
    "unknown_share",
    "brevity",
    "question_margin",
    "bm25f_agrees",
    "question_vote",
    "semantic",
    "semantic_margin",
];

/// Ranking features of one query's result list.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Features(pub [f32; FEATURE_COUNT]);

impl Features {
    /// Features from their values, in [`FEATURE_NAMES`] order.
    pub fn new(values: [f32; FEATURE_COUNT]) -> Features {
        Features(values)
    }
}

/// A calibrated probability that the top answer is right.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Confidence(f32);

impl Confidence {
    /// Wraps a probability, clamped into [0, 1] (NaN becomes 0).
    pub fn new(p: f32) -> Confidence {
        Confidence(if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) })
    }

    /// The probability.
    pub fn value(self) -> f32 {
        self.0
    }
}

/// What to do with a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Decision {
    /// Show the top entry.
    Answer,
    /// Offer the closest entries as "did you mean" choices.
    Clarify,
    /// Ask the LLM (or offer handoff when none is configured).
    Fallback,
}

/// The confidence model and its thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// One weight per feature.
    pub weights: [f32; FEATURE_COUNT],
    /// The intercept.
    pub bias: f32,
    /// Confidence at or above which the top entry is answered.
    pub answer_threshold: f32,
    /// Confidence at or above which (and below `answer_threshold`) choices are offered.
    pub clarify_threshold: f32,
    /// Smallest score margin between the first two entries for a local answer; below it the
    /// widget asks "did you mean" instead.
    pub min_margin: f32,
    /// Where the model and thresholds came from (for reports).
    pub source: String,
}

impl Default for Calibration {
    /// A reasonable prior used until `kb` fits one on a development set.
    fn default() -> Calibration {
        Calibration {
            weights: [6.0, 4.0, 3.0, -1.5, 3.0, -3.0, -1.0, 2.0, 0.5, 1.0, 0.0, 0.0],
            bias: -7.0,
            answer_threshold: 0.5,
            clarify_threshold: 0.25,
            min_margin: MIN_MARGIN,
            source: "default prior".to_string(),
        }
    }
}

/// The default [`Calibration::min_margin`]: scores are in [0, 1], so two entries within 0.04
/// of each other are a tie as far as the ranking can tell.
pub const MIN_MARGIN: f32 = 0.04;

/// Score margin under which entries that match every word of the question are tied: their
/// scores then differ only by length normalisation and question-variant similarity, which
/// cannot tell "account" apart as delete, create or locked.
const WORDING_TIE_MARGIN: f32 = 0.1;

/// Coverage at which the top entry counts as matching every word of the question (coverage is a
/// ratio of float sums, so exactly 1.0 is not guaranteed).
const FULL_COVERAGE: f32 = 0.999;

/// The logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Calibration {
    /// The model's raw score for `features` (before the logistic function).
    pub fn logit(&self, features: &Features) -> f32 {
        self.bias + self.weights.iter().zip(features.0.iter()).map(|(w, x)| w * x).sum::<f32>()
    }

    /// The confidence for `features`.
    pub fn confidence(&self, features: &Features) -> Confidence {
        Confidence::new(sigmoid(self.logit(features)))
    }

    /// The decision for a result's features: answer when confident, unless the first two
    /// entries are nearly tied — then offering both beats guessing one.
    ///
    /// A tie between entries that each contain every word of the question, spelt as typed
    /// ("refund" against four refund entries), is a question about the knowledge, just an underspecified one: the model
    /// rightly doubts the top entry, but choosing among the tied ones beats asking the LLM.
    ///
    /// ```
    /// use kb_core::confidence::{Calibration, Decision, Features};
    /// let c = Calibration::default();
    /// // Every word matched, unknown words none, margin 0.05: choices, however low the confidence.
    /// let tie = Features::new([0.3, 0.05, 1.0, 0.0, 0.2, 0.0, 1.0, 0.0, 0.0, 0.2, 0.0, 0.0]);
    /// assert!(c.confidence(&tie).value() < c.clarify_threshold);
    /// assert_eq!(c.decide(&tie), Decision::Clarify);
    /// // The same tie with a word the knowledge does not know is not a question about it,
    /// let unknown = Features::new([0.3, 0.05, 1.0, 0.0, 0.2, 0.5, 0.5, 0.0, 0.0, 0.2, 0.0, 0.0]);
    /// assert_eq!(c.decide(&unknown), Decision::Fallback);
    /// // and neither is one whose words matched only through typo tolerance.
    /// let typos = Features::new([0.3, 0.05, 1.0, 0.5, 0.2, 0.0, 0.5, 0.0, 0.0, 0.2, 0.0, 0.0]);
    /// assert_eq!(c.decide(&typos), Decision::Fallback);
    /// // A clear winner on partly matched words is not a tie.
    /// let partial = Features::new([0.3, 0.05, 0.6, 0.0, 0.2, 0.0, 0.5, 0.0, 0.0, 0.2, 0.0, 0.0]);
    /// assert_eq!(c.decide(&partial), Decision::Fallback);
    /// ```
    pub fn decide(&self, features: &Features) -> Decision {
        let confidence = self.confidence(features);
        let [_, margin, coverage, fuzzy_share, _, unknown_share, ..] = features.0;
        // Typo matches do not count: "wher is my parcel" half-matching seller entries through
        // "where" and "when" is not a question those entries answer.
        let tie_on_every_word =
            margin < WORDING_TIE_MARGIN && coverage >= FULL_COVERAGE && fuzzy_share == 0.0 && unknown_share == 0.0;
        if confidence.value() >= self.answer_threshold && margin >= self.min_margin {
            Decision::Answer
        } else if confidence.value() >= self.clarify_threshold || tie_on_every_word {
            Decision::Clarify
        } else {
            Decision::Fallback
        }
    }

    /// A copy with deployment overrides of the thresholds applied (values outside [0, 1] ignored).
    ///
    /// ```
    /// let c = kb_core::confidence::Calibration::default().with_thresholds(Some(0.8), None);
    /// assert_eq!(c.answer_threshold, 0.8);
    /// ```
    pub fn with_thresholds(&self, answer: Option<f32>, clarify: Option<f32>) -> Calibration {
        let valid = |v: Option<f32>| v.filter(|v| (0.0..=1.0).contains(v));
        let mut c = self.clone();
        if let Some(a) = valid(answer) {
            c.answer_threshold = a;
        }
        if let Some(k) = valid(clarify) {
            c.clarify_threshold = k;
        }
        c.clarify_threshold = c.clarify_threshold.min(c.answer_threshold);
        c
    }
}
