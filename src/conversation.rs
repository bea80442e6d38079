//! What the conversation is: its messages, the flow in progress, and how it is kept in
//! `sessionStorage` so that it survives reloads and page navigation.

use kb_core::flow::FlowState;
use kb_core::{Link, Query};
use serde::{Deserialize, Serialize};

/// Storage key; bump the suffix when the shape changes so old data is ignored, not misread.
const STORAGE_KEY: &str = "market-assist:conversation:v1";
/// The most a conversation may take in storage; the oldest messages go first.
const STORAGE_CAP: usize = 64 * 1024;

/// An entry offered as a choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Entry id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// The user's words.
    User(String),
    /// Plain text from the widget (greeting, notices).
    Note(String),
    /// A local answer.
    Answer {
        /// Entry id.
        id: String,
        /// Entry title.
        title: String,
        /// The answer (Markdown).
        markdown: String,
        /// Links under it.
        links: Vec<Link>,
        /// The guided flow it offers.
        flow: Option<String>,
        /// Feedback given (`Some(true)` helpful).
        feedback: Option<bool>,
    },
    /// "Did you mean" choices.
    Clarify(Vec<Choice>),
    /// A streamed LLM reply.
    Ai {
        /// The text so far (Markdown).
        text: String,
        /// Entries the model was given, cited as links.
        sources: Vec<Choice>,
        /// Still streaming.
        streaming: bool,
        /// Ended in failure (the text says why).
        failed: bool,
        /// Something was redacted from the question.
        redacted: bool,
        /// The question, for "try again".
        question: String,
        /// The model cited its sources (else they are shown as related articles).
        #[serde(default)]
        cited: bool,
    },
    /// A step of a guided flow.
    Step {
        /// The step's message (Markdown).
        text: String,
        /// Button labels (active only on the current step).
        choices: Vec<String>,
        /// This is the step in progress.
        current: bool,
    },
    /// An offer to talk to a person.
    Handoff {
        /// A summary to hand over.
        summary: String,
    },
}

/// One message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Unique within the conversation (keys the list).
    pub id: u64,
    /// Content.
    pub body: Body,
}

/// Everything kept across reloads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    /// The messages.
    pub messages: Vec<Message>,
    /// The flow in progress, with its locale.
    pub flow: Option<FlowState>,
    /// Next message id.
    pub next_id: u64,
    /// The LLM session ledger (call cap and cache), as JSON.
    pub ledger: Option<String>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

impl Saved {
    /// The saved conversation, or an empty one when storage is missing, blocked or corrupt.
    pub fn load() -> Saved {
        storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            // from_slice, not from_str: one JSON reader type in the wasm (see llm_fallback::chunk::parse_data).
            .and_then(|json| serde_json::from_slice(json.as_bytes()).ok())
            .unwrap_or_default()
    }

    /// Stores the conversation, dropping the oldest messages to stay under the cap. Storage
    /// errors (quota, privacy mode) are ignored: the chat works without persistence.
    pub fn store(&self) {
        let Some(s) = storage() else { return };
        let mut copy = self.clone();
        loop {
            let Ok(json) = serde_json::to_string(&copy) else { return };
            if json.len() <= STORAGE_CAP || copy.messages.is_empty() {
                let _ = s.set_item(STORAGE_KEY, &json);
                return;
            }
            copy.messages.remove(0);
        }
    }

    /// Forgets the stored conversation.
    pub fn clear() {
        if let Some(s) = storage() {
            let _ = s.remove_item(STORAGE_KEY);
        }
    }
}

/// A query for the widget's settings.
pub fn query<'a>(text: &'a str, locale: kb_core::analysis::Locale, audience: kb_core::Audience) -> Query<'a> {
    Query::new(text, locale).audience(audience).limit(5)
}
