//! The LLM fallback in the chat: building the request from the configuration and the
//! conversation, the per-session cap and answer cache, streaming the reply into its message,
//! and ending it (citations, stop, failure). The protocol is `llm_fallback`'s; the transport is
//! [`crate::llm_client`].

use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use llm_fallback::guard::check;
use llm_fallback::policy::Timeouts;
use llm_fallback::{
    drop_citations, split_citations, ChatRequest, Passage, PreparedRequest, Redactor, RequestConfig, Segment, Turn,
};
use web_sys::AbortController;

use super::track::FallbackEnd;
use super::Chat;
use crate::conversation::{Body, Choice, HandoffReason};
use crate::llm_client::{FallbackClient, FallbackError};

/// How long a reply may take before the widget says in words that it is still looking.
const SLOW_AFTER: Duration = Duration::from_secs(4);
/// The most characters of an error an analytics event carries.
const ERROR_CHARS: usize = 120;

/// One question's way to the LLM, for its analytics event: which `question` event it answers,
/// the passages sent, and when the request left and its first text came.
struct Call {
    question: String,
    passages: Vec<String>,
    sent_at: f64,
    first_text_at: Rc<Cell<Option<f64>>>,
}

impl Call {
    fn ttft_ms(&self) -> Option<f64> {
        self.first_text_at.get().map(|t| t - self.sent_at)
    }
}

impl Chat {
    /// Asks the LLM endpoint `question` with `passages`, or offers the handoff when there is no
    /// endpoint, the request cannot be built or the session's cap is reached.
    pub(super) fn fall_back(&self, question_id: &str, question: String, passages: Vec<Passage>) {
        let ids: Vec<String> = passages.iter().map(|p| p.id.clone()).collect();
        let end = |outcome, error: Option<&str>| FallbackEnd {
            outcome,
            passages: &ids,
            cited: &[],
            error: error.map(str::to_string),
            ttft_ms: None,
        };
        let Some(endpoint) = self.config.with_value(|c| c.endpoint.clone().filter(|e| !e.trim().is_empty())) else {
            self.track_fallback(question_id, end("no_endpoint", None));
            self.push(Body::Note(self.text().not_sure.to_string()));
            self.offer_handoff(None, Some(&question), HandoffReason::NoAnswer);
            return;
        };
        let Some(prepared) = self.prepare(&question, &passages) else {
            self.track_fallback(question_id, end("failed", Some("the request could not be built")));
            self.push(Body::Note(self.text().not_sure.to_string()));
            return;
        };
        // The ledger is keyed by the redacted question: it is kept in sessionStorage and must
        // hold no personal data (and the answer cannot depend on what the model never saw).
        let key = prepared.question().to_string();
        if let Some(answer) = self.ledger.with_value(|l| l.cached_answer(&key).map(str::to_string)) {
            self.track_fallback(question_id, end("cached", None));
            self.push_ai(question, answer, passages, false, false);
            return;
        }
        if self.ledger.try_update_value(|l| l.begin_call()).is_some_and(|r| r.is_err()) {
            self.track_fallback(question_id, end("capped", None));
            self.push(Body::Note(self.text().limit_reached.to_string()));
            self.offer_handoff(None, Some(&question), HandoffReason::NoAnswer);
            return;
        }
        let redacted = prepared.redaction.is_redacted();
        self.emit_fallback(prepared.question(), redacted);
        // One reply streams at a time: a new fallback question stops the previous reply (its
        // partial text is kept, marked as stopped), so Stop and the typing indicator always
        // belong to the reply in progress.
        self.stop_streaming();
        let id = self.push_ai(question.clone(), String::new(), passages, true, redacted);
        let call = Call {
            question: question_id.to_string(),
            passages: ids,
            sent_at: js_sys::Date::now(),
            first_text_at: Rc::default(),
        };
        self.stream(id, endpoint, question, key, prepared.body_json(), call);
    }

    /// The redaction of the LLM request, with the page's patterns (also applied to question
    /// text in analytics events: the same code).
    pub(super) fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::new();
        self.config.with_value(|c| {
            for p in &c.redact {
                if let Err(e) = redactor.add_pattern(p) {
                    web_sys::console::warn_1(&format!("market-assist: data-redact pattern ignored: {e}").into());
                }
            }
        });
        redactor
    }

    /// The request for `question`: the page's model, prompt and redaction patterns, the
    /// conversation so far, the locale and the audience. `None` if it cannot be built (an empty
    /// question after trimming).
    fn prepare(&self, question: &str, passages: &[Passage]) -> Option<PreparedRequest> {
        let (model, prompt) = self.config.with_value(|c| (c.model.clone(), c.system_prompt.clone()));
        let redactor = self.redactor();
        let history: Vec<Turn> = self.messages.with_untracked(|rows| {
            rows.iter()
                .filter_map(|row| {
                    row.body.with_untracked(|body| match body {
                        Body::User(t) => Some(Turn::user(t.clone())),
                        Body::Answer { markdown, .. } => Some(Turn::assistant(markdown.clone())),
                        Body::Ai { text, failed: false, streaming: false, .. } => Some(Turn::assistant(text.clone())),
                        _ => None,
                    })
                })
                .collect()
        });
        let locale = self.locale_untracked();
        let mut request = ChatRequest::new(question)
            .config(RequestConfig::default())
            .redactor(redactor)
            .passages(passages.to_vec())
            .history(history)
            .locale(locale.code())
            .language(locale.name())
            .audience(self.audience().name());
        if let Some(m) = model {
            request = request.model(m);
        }
        if let Some(p) = prompt {
            request = request.system_prompt(p);
        }
        request.build().ok()
    }

    /// Streams the reply of `endpoint` to `body` into message `id`.
    fn stream(&self, id: u64, endpoint: String, question: String, key: String, body: String, call: Call) {
        let controller = AbortController::new().ok();
        self.stop.set_value(controller.clone());
        self.streaming.set(true);
        self.slow.set(false);
        let chat = *self;
        let waiting = controller.clone();
        // Only dots for the first seconds; then words, with Stop and a person in reach.
        set_timeout(
            move || {
                let current = chat.stop.with_value(|s| s.is_some() && *s == waiting);
                if current && chat.streaming.get_untracked() {
                    chat.slow.set(true);
                }
            },
            SLOW_AFTER,
        );
        let timeouts = self.config.with_value(|c| Timeouts {
            first_byte_ms: c.first_byte_timeout.unwrap_or(Timeouts::default().first_byte_ms),
            total_ms: c.total_timeout.unwrap_or(Timeouts::default().total_ms),
        });
        let token = self.config.with_value(|c| c.token.clone());
        let client = FallbackClient::new(endpoint, token, timeouts);
        let chat = *self;
        leptos::task::spawn_local(async move {
            let Some(controller) = controller else {
                chat.streaming.set(false);
                chat.finish_ai(id, &question, &key, Err(FallbackError::Stream("no AbortController".into())), call);
                return;
            };
            let on_text = |piece: &str| {
                if call.first_text_at.get().is_none() {
                    call.first_text_at.set(Some(js_sys::Date::now()));
                }
                chat.update_quietly(id, |b| {
                    if let Body::Ai { text, .. } = b {
                        text.push_str(piece)
                    }
                })
            };
            let outcome = client.stream(&body, &controller, &on_text).await;
            // Only the reply in progress owns the Stop button and the typing indicator.
            let current = chat.stop.with_value(|s| s.as_ref().is_some_and(|c| c == &controller));
            if current {
                chat.streaming.set(false);
                chat.slow.set(false);
                chat.stop.set_value(None);
            }
            chat.finish_ai(id, &question, &key, outcome, call);
        });
    }

    fn push_ai(&self, question: String, text: String, sources: Vec<Passage>, streaming: bool, redacted: bool) -> u64 {
        let sources = sources.into_iter().map(|p| Choice { id: p.id, title: p.title }).collect();
        self.push(Body::Ai { text, sources, streaming, failed: false, redacted, question, cited: false, unsure: false })
    }

    /// Ends reply `id`: checks it is grounded (a reply that cites none of its passages, or holds
    /// a placeholder, is shown as "not sure"), drops citation markers, adds the stopped or failed
    /// text, caches a grounded answer under `key` (the redacted question) and tells the host page
    /// about a failure (with the user's `question` in the handoff summary).
    fn finish_ai(&self, id: u64, question: &str, key: &str, outcome: Result<(), FallbackError>, call: Call) {
        let s = self.text();
        let mut final_text = String::new();
        let mut grounded = false;
        let mut empty = true;
        let mut cited_ids = Vec::new();
        self.update(id, |b| {
            if let Body::Ai { text, sources, streaming, failed, cited: was_cited, unsure, .. } = b {
                *streaming = false;
                let ids: Vec<&str> = sources.iter().map(|c| c.id.as_str()).collect();
                grounded = check(text, &ids).is_grounded();
                *unsure = outcome.is_ok() && !text.trim().is_empty() && !grounded;
                let segments = split_citations(text, &ids);
                let cited: Vec<String> = segments
                    .iter()
                    .filter_map(|s| if let Segment::Cite(id) = s { Some(id.clone()) } else { None })
                    .collect();
                *was_cited = !cited.is_empty();
                if !cited.is_empty() {
                    // Keep only the sources the model actually cited, and drop the markers.
                    sources.retain(|c| cited.contains(&c.id));
                    *text = drop_citations(&segments);
                }
                empty = text.trim().is_empty();
                cited_ids = cited;
                match &outcome {
                    Ok(()) if !text.trim().is_empty() => {}
                    Err(FallbackError::Aborted) => {
                        text.push_str(if text.is_empty() { "" } else { "\n\n" });
                        text.push_str(s.stopped);
                    }
                    _ => {
                        *failed = true;
                        text.push_str(if text.is_empty() { "" } else { "\n\n" });
                        text.push_str(s.failed);
                    }
                }
                final_text = text.clone();
            }
        });
        if outcome.is_ok() && grounded {
            self.ledger.update_value(|l| l.remember(key, &final_text));
        }
        let (kind, error) = match &outcome {
            Ok(()) if empty => ("failed", Some("the reply was empty".to_string())),
            Ok(()) if grounded => ("answered", None),
            Ok(()) => ("unsure", None),
            Err(FallbackError::Aborted) => ("stopped", None),
            Err(e) => ("failed", Some(e.to_string().chars().take(ERROR_CHARS).collect())),
        };
        let ttft_ms = call.ttft_ms();
        let end = FallbackEnd { outcome: kind, passages: &call.passages, cited: &cited_ids, error, ttft_ms };
        self.track_fallback(&call.question, end);
        if let Err(e) = &outcome {
            web_sys::console::warn_1(&format!("fallback ended: {e}").into());
            if !matches!(e, FallbackError::Aborted) {
                self.emit_handoff(&self.summary(Some(question)), Some(&e.to_string()));
            }
        }
        self.announce.set(if outcome.is_ok() && !grounded { s.ai_unsure.to_string() } else { final_text });
    }

    /// Asks a failed question again.
    pub fn retry(&self, question: String) {
        self.respond(&question);
    }
}
