//! What the conversation is: its messages, the flow in progress, and how it is kept in
//! `sessionStorage` so that it survives reloads and page navigation.

use kb_core::flow::FlowState;
use kb_core::format::codec::{Decode, DecodeError, Encode, Reader};
use kb_core::{Link, Locale, Query};

/// Storage key; bump the suffix when the shape changes so old data is ignored, not misread.
const STORAGE_KEY: &str = "market-assist:conversation:v4";
/// Storage key of the LLM session ledger (call count and answer cache), kept as its own JSON.
const LEDGER_KEY: &str = "market-assist:ledger:v1";
/// The most a conversation may take in storage, in bytes; the oldest messages go first.
const STORAGE_CAP: usize = 64 * 1024;

/// A fieldless enum kept in the conversation, with the name events give it (`docs/events.md`),
/// stored as its position in the list.
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vdoc])* $variant,)+ }

        impl $name {
            const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Its name in events.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }
        }

        impl Encode for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                (*self as u32).encode(out)
            }
        }

        impl Decode for $name {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                let n = u32::decode(r)?;
                $name::ALL.get(n as usize).copied().ok_or(DecodeError(stringify!($name)))
            }
        }
    };
}

named! {
    /// Why a person is offered (the `handoff_clicked` event's `reason`).
    HandoffReason {
        /// The user asked for a person.
        Asked = "asked",
        /// "None of these" under the "did you mean" choices.
        NoneOfThese = "none_of_these",
        /// The answer's entry ends in `=> handoff`.
        Entry = "entry",
        /// A flow step's `=> handoff`.
        Flow = "flow",
        /// The LLM reply failed.
        AiFailed = "ai_failed",
        /// The LLM reply was not grounded.
        AiUnsure = "ai_unsure",
        /// Nothing could answer: no LLM endpoint, or the session's cap reached.
        NoAnswer = "no_answer",
        /// After a thumbs-down.
        Missing = "missing",
        /// While a reply was slow to come.
        Waiting = "waiting",
        /// "No" to "did this solve your issue?".
        Unresolved = "unresolved",
    }
}

named! {
    /// What was wrong with an answer, chosen after a thumbs-down.
    FeedbackReason {
        /// It answers another question.
        NotMyQuestion = "not_my_question",
        /// Hard to follow.
        Unclear = "unclear",
        /// Wrong or out of date.
        Wrong = "wrong",
    }
}

named! {
    /// The reply to "did this solve your issue?".
    Resolved {
        /// Not replied yet: the buttons are shown.
        Pending = "pending",
        /// Solved.
        Yes = "yes",
        /// Not solved.
        No = "no",
        /// Another question came first, or the page went away.
        NoReply = "none",
    }
}

/// An entry offered as a choice.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// Entry id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// What a message says.
#[derive(Clone, Debug, PartialEq)]
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
    Clarify {
        /// The entries offered.
        choices: Vec<Choice>,
        /// The question they answer (handed over when none of them fits).
        question: String,
    },
    /// A local reply to small talk or an off-topic question (a system entry's text), followed
    /// by starter suggestions.
    Reply {
        /// The system entry's id.
        entry: String,
        /// Its reply (Markdown).
        text: String,
    },
    /// After a "not helpful": what was wrong, and what else might help.
    Missing {
        /// The unhelpful entry.
        entry: String,
        /// Its related entries.
        related: Vec<Choice>,
        /// What the user said was wrong (none yet: the reasons are offered).
        reason: Option<FeedbackReason>,
    },
    /// "Did this solve your issue?", after an answer (`entry`) or a finished flow (`flow`).
    Resolution {
        /// The entry answered.
        entry: Option<String>,
        /// The flow finished.
        flow: Option<String>,
        /// The reply.
        answer: Resolved,
    },
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
        cited: bool,
        /// The reply cited no passage or held a placeholder: it is not shown as an answer.
        unsure: bool,
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
        /// What the offer says.
        intro: String,
        /// A summary to hand over.
        summary: String,
        /// Why it is offered.
        reason: HandoffReason,
    },
}

impl Body {
    /// Plain text of a bot message for screen readers (the `aria-live` region).
    pub fn announcement(&self) -> String {
        match self {
            Body::Note(t) | Body::Step { text: t, .. } | Body::Reply { text: t, .. } => {
                kb_core::markdown::plain_text(t)
            }
            Body::Answer { title, markdown, .. } => format!("{title}. {}", kb_core::markdown::plain_text(markdown)),
            Body::Clarify { choices, .. } | Body::Missing { related: choices, .. } => {
                choices.iter().map(|c| c.title.as_str()).collect::<Vec<_>>().join(", ")
            }
            Body::Ai { text, .. } => text.clone(),
            Body::Handoff { intro, .. } => intro.clone(),
            Body::User(_) | Body::Resolution { .. } => String::new(),
        }
    }

    /// A reply cut off by a reload cannot resume: it ends as `stopped` rather than busy forever.
    pub fn end_interrupted_reply(&mut self, stopped: &str) {
        if let Body::Ai { text, streaming, .. } = self {
            if *streaming {
                *streaming = false;
                text.push_str(if text.is_empty() { "" } else { "\n\n" });
                text.push_str(stopped);
            }
        }
    }
}

/// One message.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Unique within the conversation (keys the list).
    pub id: u64,
    /// The language it was written in: its buttons and notes stay in it when the page switches.
    pub locale: Locale,
    /// Content.
    pub body: Body,
}

/// Everything kept across reloads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saved {
    /// The messages.
    pub messages: Vec<Message>,
    /// The flow in progress, with its locale.
    pub flow: Option<FlowState>,
    /// Next message id.
    pub next_id: u64,
}

// Stored in the knowledge pack's binary encoding: the widget's wasm then needs no JSON code for
// the conversation's types (about 9 kB of the gzipped shell).
kb_core::record! {
    Choice { id, title }
    Message { id, locale, body }
    Saved { messages, flow, next_id }
}

/// Writes a variant tag and its fields, in the order [`Body::decode`] reads them.
macro_rules! put {
    ($out:ident; $($value:expr),+) => {{ $($value.encode($out);)+ }};
}

impl Encode for Body {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Body::User(text) => put!(out; 0u32, text),
            Body::Note(text) => put!(out; 1u32, text),
            Body::Answer { id, title, markdown, links, flow, feedback } => {
                put!(out; 2u32, id, title, markdown, links, flow, feedback)
            }
            Body::Clarify { choices, question } => put!(out; 3u32, choices, question),
            Body::Ai { text, sources, streaming, failed, redacted, question, cited, unsure } => {
                put!(out; 4u32, text, sources, question, streaming, failed, redacted, cited, unsure)
            }
            Body::Step { text, choices, current } => put!(out; 5u32, text, choices, current),
            Body::Handoff { intro, summary, reason } => put!(out; 6u32, intro, summary, reason),
            Body::Reply { entry, text } => put!(out; 7u32, entry, text),
            Body::Missing { entry, related, reason } => put!(out; 8u32, entry, related, reason),
            Body::Resolution { entry, flow, answer } => put!(out; 9u32, entry, flow, answer),
        }
    }
}

impl Decode for Body {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u32::decode(r)? {
            0 => Body::User(Decode::decode(r)?),
            1 => Body::Note(Decode::decode(r)?),
            2 => Body::Answer {
                id: Decode::decode(r)?,
                title: Decode::decode(r)?,
                markdown: Decode::decode(r)?,
                links: Decode::decode(r)?,
                flow: Decode::decode(r)?,
                feedback: Decode::decode(r)?,
            },
            3 => Body::Clarify { choices: Decode::decode(r)?, question: Decode::decode(r)? },
            4 => Body::Ai {
                text: Decode::decode(r)?,
                sources: Decode::decode(r)?,
                question: Decode::decode(r)?,
                streaming: Decode::decode(r)?,
                failed: Decode::decode(r)?,
                redacted: Decode::decode(r)?,
                cited: Decode::decode(r)?,
                unsure: Decode::decode(r)?,
            },
            5 => Body::Step { text: Decode::decode(r)?, choices: Decode::decode(r)?, current: Decode::decode(r)? },
            6 => Body::Handoff { intro: Decode::decode(r)?, summary: Decode::decode(r)?, reason: Decode::decode(r)? },
            7 => Body::Reply { entry: Decode::decode(r)?, text: Decode::decode(r)? },
            8 => Body::Missing { entry: Decode::decode(r)?, related: Decode::decode(r)?, reason: Decode::decode(r)? },
            9 => Body::Resolution { entry: Decode::decode(r)?, flow: Decode::decode(r)?, answer: Decode::decode(r)? },
            _ => return Err(DecodeError("message")),
        })
    }
}

/// sessionStorage holds strings: each byte is kept as the character with that code
/// (U+0000–U+00FF), one UTF-16 unit each.
fn bytes_as_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn text_as_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(c).ok()).collect()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

impl Saved {
    /// The saved conversation, or an empty one when storage is missing, blocked or corrupt.
    pub fn load() -> Saved {
        storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|text| text_as_bytes(&text))
            .and_then(|bytes| Saved::from_bytes(&bytes).ok())
            .unwrap_or_default()
    }

    /// Stores the conversation, dropping the oldest messages to stay under the cap. Storage
    /// errors (quota, privacy mode) are ignored: the chat works without persistence.
    pub fn store(&self) {
        if let Some(s) = storage() {
            let _ = s.set_item(STORAGE_KEY, &bytes_as_text(&self.capped_bytes(STORAGE_CAP)));
        }
    }

    /// The encoding of the conversation with only the newest messages that fit in `cap` bytes
    /// (each message encoded once: trimming a long conversation one message at a time and
    /// re-encoding the rest would be quadratic). Decodes as a [`Saved`].
    pub fn capped_bytes(&self, cap: usize) -> Vec<u8> {
        let encoded: Vec<Vec<u8>> = self.messages.iter().map(Encode::to_bytes).collect();
        // `record!` writes the fields in order: the message list, then the flow and the next id.
        let rest = (&self.flow, self.next_id).to_bytes();
        let count_len = |n: usize| (n as u64).to_bytes().len();
        let mut size = rest.len();
        let mut first = encoded.len();
        while first > 0 && size + encoded[first - 1].len() + count_len(encoded.len() - first + 1) <= cap {
            first -= 1;
            size += encoded[first].len();
        }
        let kept = &encoded[first..];
        let mut out = Vec::with_capacity(size);
        (kept.len() as u64).encode(&mut out);
        for message in kept {
            out.extend_from_slice(message);
        }
        out.extend_from_slice(&rest);
        out
    }

    /// The LLM session ledger saved by [`Saved::store_ledger`], as JSON.
    pub fn load_ledger() -> Option<String> {
        storage()?.get_item(LEDGER_KEY).ok().flatten()
    }

    /// Keeps the LLM session ledger (its JSON) for the rest of the session; "new conversation"
    /// does not reset it, so the per-session call cap holds.
    pub fn store_ledger(json: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(LEDGER_KEY, json);
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
pub fn query(text: &str, locale: kb_core::Locale, audience: kb_core::Audience) -> Query<'_> {
    Query::new(text, locale).audience(audience).limit(5)
}
