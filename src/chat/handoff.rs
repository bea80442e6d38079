//! Handing over to a person: what they should know (the last questions, the entries shown, the
//! flow and step), as the `handoff` event carries it and as `{summary}` in a
//! `data-handoff-url` template puts it into the link.

use kb_core::markdown::is_safe_url;
use leptos::prelude::*;

use super::Chat;
use crate::conversation::Body;

/// How many of the last questions and answers a summary names.
const RECENT: usize = 3;
/// The most characters of a summary put into a handoff URL.
const URL_SUMMARY_CHARS: usize = 1500;

/// What a person taking over should know.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// The user's last questions, oldest first (with the one being handed over).
    pub questions: Vec<String>,
    /// The ids of the last entries shown, oldest first.
    pub entries: Vec<String>,
    /// The flow in progress and its step.
    pub flow: Option<(String, String)>,
}

impl Summary {
    /// One line of text: `Questions: a | b. Shown: x, y. Flow: id at step s.`
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if !self.questions.is_empty() {
            parts.push(format!("Questions: {}.", self.questions.join(" | ")));
        }
        if !self.entries.is_empty() {
            parts.push(format!("Shown: {}.", self.entries.join(", ")));
        }
        if let Some((flow, step)) = &self.flow {
            parts.push(format!("Flow: {flow} at step {step}."));
        }
        parts.join(" ")
    }
}

impl Chat {
    /// The summary of the conversation so far; `question` is the one being handed over when it
    /// is not already the last message.
    pub(super) fn summary(&self, question: Option<&str>) -> Summary {
        let (mut questions, mut entries) = (Vec::new(), Vec::new());
        self.messages.with_untracked(|rows| {
            for row in rows {
                row.body.with_untracked(|body| match body {
                    Body::User(text) => questions.push(text.clone()),
                    Body::Answer { id, .. } => entries.push(id.clone()),
                    _ => {}
                })
            }
        });
        if let Some(q) = question.filter(|q| questions.last().map(String::as_str) != Some(*q)) {
            questions.push(q.to_string());
        }
        let keep_last = |v: &mut Vec<String>| drop(v.drain(..v.len().saturating_sub(RECENT)));
        keep_last(&mut questions);
        keep_last(&mut entries);
        let flow = self.flow.get_untracked().map(|state| (state.flow, state.step));
        Summary { questions, entries, flow }
    }

    /// The page's handoff link for `summary`: `{summary}` in `data-handoff-url` becomes the
    /// summary, percent-encoded. `None` without a safe link.
    pub fn handoff_href(&self, summary: &str) -> Option<String> {
        let template = self.config.with_value(|c| c.handoff_url.clone())?;
        let short: String = summary.chars().take(URL_SUMMARY_CHARS).collect();
        let encoded = String::from(js_sys::encode_uri_component(&short));
        let url = template.replace("{summary}", &encoded).replace("%7Bsummary%7D", &encoded);
        is_safe_url(&url).then_some(url)
    }
}
