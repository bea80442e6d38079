//! The widget's events as `kb report` and `kb gaps` read them (schema version 1,
//! `docs/events.md`; the JSON Schema the collector validates against is
//! `analytics/events.schema.json`).

use serde::{Deserialize, Serialize};

/// The schema version this build reads and the widget writes.
pub const SCHEMA_VERSION: u32 = 1;

/// One event, with the fields every event has and those of its type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Schema version.
    pub v: u32,
    /// The event's unique id.
    pub id: String,
    /// The browser session's random id.
    pub session: String,
    /// When it happened (UTC, ISO 8601).
    pub ts: String,
    /// The knowledge pack's version.
    pub pack: String,
    /// The conversation's language.
    pub locale: String,
    /// `buyer`, `seller` or `all`.
    pub audience: String,
    /// The page path.
    pub page: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: Kind,
}

/// What a question led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// A local answer.
    Answer,
    /// "Did you mean" choices.
    Clarify,
    /// The LLM (or a person without one).
    Fallback,
    /// A person was asked for.
    Handoff,
    /// Small talk or an off-topic decline, answered locally.
    Reply,
    /// The pack could not load.
    NoKnowledge,
}

impl Path {
    /// Every path, in report order.
    pub const ALL: [Path; 6] =
        [Path::Answer, Path::Clarify, Path::Fallback, Path::Handoff, Path::Reply, Path::NoKnowledge];

    /// Its name in events and reports.
    pub fn name(self) -> &'static str {
        match self {
            Path::Answer => "answer",
            Path::Clarify => "clarify",
            Path::Fallback => "fallback",
            Path::Handoff => "handoff",
            Path::Reply => "reply",
            Path::NoKnowledge => "no_knowledge",
        }
    }
}

/// An entry as the index ranked it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// The entry's id.
    pub entry: Option<String>,
    /// Its blended score.
    pub score: f64,
    /// The calibrated confidence (the top entry's).
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// The thresholds a question was decided under.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Answer threshold.
    pub answer: f64,
    /// Clarify threshold.
    pub clarify: f64,
}

/// The event types and their fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// A conversation began.
    ConversationStarted {
        /// `open`, `new`, `ask` or `flow`.
        trigger: String,
    },
    /// A typed message and what the widget did with it.
    Question {
        /// Its id (an `llm_fallback` event names it).
        question: String,
        /// What it led to.
        path: Path,
        /// The entries shown, offered or sent as passages.
        entries: Vec<String>,
        /// The entry ranked first.
        top: Option<Ranked>,
        /// The entry ranked second.
        runner_up: Option<Ranked>,
        /// The kind of the top entry (`answer`, `handoff`, `smalltalk`, `out-of-domain`).
        kind: Option<String>,
        /// The thresholds in force.
        thresholds: Option<Thresholds>,
        /// The question's text, redacted (only when the page sends it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        /// Read and decided again by the encoder tier (false in events from before the field).
        #[serde(default)]
        encoder: bool,
    },
    /// An entry offered as a button was taken.
    SuggestionTaken {
        /// The entry.
        entry: String,
        /// `starter`, `suggestion`, `did_you_mean`, `related` or `reply`.
        source: String,
    },
    /// Thumbs up or down, or the reason after a thumbs-down.
    Feedback {
        /// The entry.
        entry: String,
        /// Helpful or not.
        helpful: bool,
        /// The reason chosen after a thumbs-down (a second event).
        #[serde(default)]
        reason: Option<String>,
    },
    /// "Did this solve your issue?"
    Resolution {
        /// `answer` or `flow`.
        after: String,
        /// The entry it was asked about.
        #[serde(default)]
        entry: Option<String>,
        /// The flow it was asked about.
        #[serde(default)]
        flow: Option<String>,
        /// `yes`, `no` or `none`.
        answer: String,
    },
    /// A flow started.
    FlowStarted {
        /// The flow.
        flow: String,
        /// Its first step.
        step: String,
    },
    /// A flow reached a step.
    FlowStep {
        /// The flow.
        flow: String,
        /// The step.
        step: String,
    },
    /// A flow ended at a terminal step.
    FlowFinished {
        /// The flow.
        flow: String,
        /// The terminal step.
        step: String,
    },
    /// A flow was left before its end.
    FlowAbandoned {
        /// The flow.
        flow: String,
        /// The step it was left at.
        step: String,
    },
    /// The end of an LLM fallback.
    LlmFallback {
        /// The question it answers.
        question: String,
        /// `answered`, `unsure`, `failed`, `stopped`, `cached`, `capped`, `no_endpoint`.
        outcome: String,
        /// The passages sent.
        passages: Vec<String>,
        /// Those the reply cited.
        cited: Vec<String>,
        /// Why it failed, in words.
        #[serde(default)]
        error: Option<String>,
        /// Time to the reply's first byte.
        #[serde(default)]
        ttft_ms: Option<f64>,
    },
    /// "Talk to a person" was clicked.
    HandoffClicked {
        /// Why the link was there.
        reason: String,
    },
}

/// What the widget sends: a batch of events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Schema version of the batch.
    pub schema: u32,
    /// When it was sent.
    pub sent_at: String,
    /// Events the widget dropped since its last batch (its queue is bounded).
    pub dropped: u64,
    /// The events.
    pub events: Vec<Event>,
}

/// Milliseconds since the Unix epoch of an event timestamp, `None` if it is not RFC 3339.
pub fn millis(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts).ok().map(|t| t.timestamp_millis())
}

/// The UTC date (`YYYY-MM-DD`) of a timestamp in milliseconds.
pub fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_every_type_read_and_write_as_documented() {
        let common = r#""v":1,"id":"e1","session":"s1","ts":"2026-12-04T10:15:03.120Z","pack":"p","locale":"en","audience":"buyer","page":"/shop""#;
        let lines = [
            r#""type":"conversation_started","trigger":"open""#,
            r#""type":"question","question":"q1","path":"fallback","entries":["track-order"],"top":{"entry":"track-order","score":0.4,"confidence":0.3},"runner_up":{"entry":"parcel-late","score":0.3},"kind":"answer","thresholds":{"answer":0.67,"clarify":0.3},"text":"where is [email]""#,
            r#""type":"suggestion_taken","entry":"track-order","source":"starter""#,
            r#""type":"feedback","entry":"track-order","helpful":false,"reason":"unclear""#,
            r#""type":"resolution","after":"answer","entry":"track-order","answer":"yes""#,
            r#""type":"flow_abandoned","flow":"where-is-my-order","step":"status""#,
            r#""type":"llm_fallback","question":"q1","outcome":"failed","passages":["track-order"],"cited":[],"error":"no response in time","ttft_ms":null"#,
            r#""type":"handoff_clicked","reason":"asked""#,
        ];
        for fields in lines {
            let json = format!("{{{common},{fields}}}");
            let event: Event = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
            let back: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
            assert_eq!(back, event);
        }
        assert!(serde_json::from_str::<Event>(&format!("{{{common},\"type\":\"teleported\"}}")).is_err());
    }

    #[test]
    fn timestamps_are_milliseconds_and_dates_are_utc() {
        let ms = millis("2026-12-04T23:59:59.999Z").unwrap();
        assert_eq!(date(ms), "2026-12-04");
        assert_eq!(date(ms + 1), "2026-12-05");
        assert_eq!(millis("yesterday"), None);
    }
}
