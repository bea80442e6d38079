//! The chat's state and behaviour: signals for what is shown, and the actions a user or the host
//! page can take (ask, choose, follow a flow, fall back to the LLM, hand off).

use std::sync::Arc;

use kb_core::analysis::Locale;
use kb_core::confidence::Decision;
use kb_core::flow::{Action, Context, FlowError, FlowInput, FlowState};
use kb_core::{Audience, Index};
use leptos::prelude::*;
use llm_fallback::policy::{SessionLedger, Timeouts};
use llm_fallback::{split_citations, ChatRequest, Passage, Redactor, RequestConfig, Role, Segment, Turn};
use wasm_bindgen::JsValue;
use web_sys::AbortController;

use crate::config::Config;
use crate::conversation::{query, Body, Choice, Message, Saved};
use crate::fallback::{FallbackClient, FallbackError};
use crate::i18n::{strings, Strings};

/// What the current flow step made of typed text.
enum FlowText {
    /// The step's slot took it; the flow moved on.
    Taken,
    /// No flow asks for text now: it is a question.
    NotForFlow,
    /// It does not fit the slot: the slot's message, unless the text is a question after all.
    Invalid(String),
}

/// Default cap on LLM calls per browser session.
const DEFAULT_MAX_FALLBACKS: u32 = 20;

/// The chat's state. `Copy`: every field is a handle into Leptos' reactive arena.
#[derive(Clone, Copy)]
pub struct Chat {
    pub open: RwSignal<bool>,
    pub unread: RwSignal<bool>,
    pub messages: RwSignal<Vec<Message>>,
    pub flow: RwSignal<Option<FlowState>>,
    pub index: RwSignal<Option<Arc<Index>>>,
    pub load_failed: RwSignal<bool>,
    pub streaming: RwSignal<bool>,
    pub draft: RwSignal<String>,
    /// The latest bot message as plain text, for the `aria-live` region.
    pub announce: RwSignal<String>,
    pub context: RwSignal<Context>,
    pub config: StoredValue<Config>,
    next_id: StoredValue<u64>,
    ledger: StoredValue<SessionLedger>,
    stop: StoredValue<Option<AbortController>, LocalStorage>,
    emit: StoredValue<js_sys::Function, LocalStorage>,
}

impl Chat {
    /// State restored from the session, or a fresh conversation.
    pub fn new(config: Config, emit: js_sys::Function) -> Chat {
        let mut saved = Saved::load();
        // A reply cut off by a reload cannot resume: end it as stopped rather than busy forever.
        for message in &mut saved.messages {
            if let Body::Ai { text, streaming, .. } = &mut message.body {
                if *streaming {
                    *streaming = false;
                    text.push_str(if text.is_empty() { "" } else { "\n\n" });
                    text.push_str(strings(config.locale(&config.context)).stopped);
                }
            }
        }
        let max = config.max_fallbacks.unwrap_or(DEFAULT_MAX_FALLBACKS);
        let ledger = Saved::load_ledger()
            .and_then(|j| SessionLedger::from_json(&j).ok())
            .unwrap_or_else(|| SessionLedger::new(max));
        let context = config.context.clone();
        let chat = Chat {
            open: RwSignal::new(false),
            unread: RwSignal::new(false),
            messages: RwSignal::new(saved.messages),
            flow: RwSignal::new(saved.flow),
            index: RwSignal::new(None),
            load_failed: RwSignal::new(false),
            streaming: RwSignal::new(false),
            draft: RwSignal::new(String::new()),
            announce: RwSignal::new(String::new()),
            context: RwSignal::new(context),
            config: StoredValue::new(config),
            next_id: StoredValue::new(saved.next_id),
            ledger: StoredValue::new(ledger),
            stop: StoredValue::new_local(None),
            emit: StoredValue::new_local(emit),
        };
        if chat.messages.with_untracked(Vec::is_empty) {
            chat.greet();
        }
        chat
    }

    /// Keeps the conversation in session storage whenever it changes.
    /// While a reply streams, every token changes the messages; re-serialising the whole
    /// conversation per token would be the costliest work on that path. So during a stream only
    /// new messages are stored, and the finished reply once it ends (the effect also tracks
    /// `streaming`).
    pub fn persist(self) {
        Effect::new(move |stored_count: Option<usize>| {
            let count = self.messages.with(Vec::len);
            if self.streaming.get() && stored_count == Some(count) {
                return count;
            }
            let saved =
                Saved { messages: self.messages.get(), flow: self.flow.get(), next_id: self.next_id.get_value() };
            saved.store();
            Saved::store_ledger(&self.ledger.with_value(SessionLedger::to_json));
            count
        });
    }

    pub fn locale(&self) -> Locale {
        self.config.with_value(|c| self.context.with(|ctx| c.locale(ctx)))
    }

    pub fn locale_untracked(&self) -> Locale {
        self.config.with_value(|c| self.context.with_untracked(|ctx| c.locale(ctx)))
    }

    pub fn audience(&self) -> Audience {
        self.config.with_value(|c| self.context.with_untracked(|ctx| c.audience(ctx)))
    }

    pub fn strings(&self) -> &'static Strings {
        strings(self.locale())
    }

    fn text(&self) -> &'static Strings {
        strings(self.locale_untracked())
    }

    /// Sends an event to the host page's `on(name, fn)` listeners.
    pub fn emit(&self, name: &str, detail: &[(&str, JsValue)]) {
        let object = js_sys::Object::new();
        for (key, value) in detail {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
        }
        self.emit.with_value(|f| {
            let _ = f.call2(&JsValue::NULL, &JsValue::from_str(name), &object);
        });
    }

    fn push(&self, body: Body) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        if !matches!(body, Body::User(_)) {
            self.announce.set(announcement(&body));
            if !self.open.get_untracked() {
                self.unread.set(true);
            }
        }
        self.messages.update(|m| m.push(Message { id, body }));
        id
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Body)) {
        self.messages.update(|m| {
            if let Some(msg) = m.iter_mut().find(|m| m.id == id) {
                f(&mut msg.body);
            }
        });
    }

    fn greet(&self) {
        let greeting =
            self.config.with_value(|c| c.greeting.clone()).unwrap_or_else(|| self.text().greeting.to_string());
        self.push(Body::Note(greeting));
    }

    pub fn set_open(&self, open: bool) {
        if self.open.get_untracked() != open {
            self.open.set(open);
            if open {
                self.unread.set(false);
            }
            self.emit(if open { "open" } else { "close" }, &[]);
        }
    }

    /// Clears the conversation and any flow in progress.
    pub fn new_conversation(&self) {
        self.stop_streaming();
        Saved::clear();
        self.flow.set(None);
        self.messages.set(Vec::new());
        self.greet();
    }

    pub fn stop_streaming(&self) {
        self.stop.with_value(|s| {
            if let Some(c) = s {
                c.abort();
            }
        });
    }

    /// Handles a typed message.
    pub fn ask(&self, text: &str) {
        let text = text.trim().to_string();
        if text.is_empty() {
            return;
        }
        self.push(Body::User(text.clone()));
        self.when_ready(move |chat| chat.respond(&text));
    }

    /// Runs `action` now if the knowledge pack has loaded (or failed to), else once it has, so
    /// that questions and flows requested while it loads are not lost.
    fn when_ready(&self, action: impl FnOnce(Chat) + 'static) {
        if self.index.get_untracked().is_some() || self.load_failed.get_untracked() {
            action(*self);
            return;
        }
        let chat = *self;
        let mut action = Some(action);
        Effect::new(move |_| {
            if chat.index.get().is_some() || chat.load_failed.get() {
                if let Some(act) = action.take() {
                    act(chat);
                }
            }
        });
    }

    fn respond(&self, text: &str) {
        let Some(index) = self.index.get_untracked() else {
            // The pack could not be loaded: the question still reaches the LLM, or a person.
            self.fall_back(text.to_string(), Vec::new());
            return;
        };
        let slot_error = match self.flow_text(&index, text) {
            FlowText::Taken => return,
            FlowText::NotForFlow => None,
            FlowText::Invalid(message) => Some(message),
        };
        let (locale, audience) = (self.locale_untracked(), self.audience());
        let result = index.search(&query(text, locale, audience));
        let calibration =
            self.config.with_value(|c| index.calibration().with_thresholds(c.answer_threshold, c.clarify_threshold));
        let decision = if result.hits.is_empty() { Decision::Fallback } else { calibration.decide(&result.features) };
        if let Some(message) = slot_error {
            // Text that does not fit the step's slot is a new question only if it is answered
            // with confidence; otherwise it was a mistyped slot value.
            if decision != Decision::Answer {
                self.push(Body::Note(message));
                return;
            }
            self.retire_steps();
            self.flow.set(None);
        }
        match decision {
            Decision::Answer => {
                let n = result.hits[0].entry;
                self.show_entry(&index, n, result.confidence.value());
            }
            Decision::Clarify => {
                let top = result.hits[0].score;
                let choices: Vec<Choice> = result
                    .hits
                    .iter()
                    .filter(|h| h.score >= top * 0.6)
                    .take(3)
                    .filter_map(|h| index.entry(h.entry))
                    .map(|e| Choice { id: e.id, title: e.title })
                    .collect();
                self.push(Body::Clarify(choices));
            }
            Decision::Fallback => {
                let passages: Vec<Passage> = result
                    .hits
                    .iter()
                    .take(3)
                    .filter_map(|h| index.entry(h.entry))
                    .map(|e| Passage::new(e.id, e.title, kb_core::markdown::plain_text(&e.answer)))
                    .collect();
                self.fall_back(text.to_string(), passages);
            }
        }
    }

    /// Shows entry number `n` as an answer.
    fn show_entry(&self, index: &Index, n: u32, confidence: f32) {
        let Some(e) = index.entry(n) else { return };
        self.emit("answer", &[("id", e.id.as_str().into()), ("confidence", JsValue::from_f64(round3(confidence)))]);
        self.push(Body::Answer {
            id: e.id,
            title: e.title,
            markdown: e.answer,
            links: e.links,
            flow: e.flow,
            feedback: None,
        });
    }

    /// Shows the entry with this id (from a choice, a citation or a flow).
    pub fn show_entry_id(&self, id: &str) {
        let Some(index) = self.index.get_untracked() else { return };
        let n = index.find(id, self.locale_untracked()).or_else(|| index.find(id, Locale::En));
        if let Some(n) = n {
            self.show_entry(&index, n, 1.0);
        }
    }

    /// The user picked a "did you mean" choice (or none of them).
    pub fn choose(&self, choice: Option<Choice>) {
        match choice {
            Some(c) => {
                self.push(Body::User(c.title.clone()));
                self.show_entry_id(&c.id);
            }
            None => self.offer_handoff(String::new()),
        }
    }

    pub fn feedback(&self, message: u64, id: &str, helpful: bool) {
        self.update(message, |b| {
            if let Body::Answer { feedback, .. } = b {
                *feedback = Some(helpful);
            }
        });
        self.emit("feedback", &[("id", id.into()), ("helpful", helpful.into())]);
    }

    fn offer_handoff(&self, summary: String) {
        self.emit("handoff", &[("summary", summary.as_str().into())]);
        self.push(Body::Handoff { summary });
    }

    pub fn handoff_url(&self) -> Option<String> {
        self.config.with_value(|c| c.handoff_url.clone())
    }

    // ---- guided flows -------------------------------------------------------------------

    /// Starts the flow with this id (from an answer, a starter or the host page).
    pub fn start_flow(&self, id: &str) {
        let id = id.to_string();
        self.when_ready(move |chat| chat.start_flow_now(&id));
    }

    fn start_flow_now(&self, id: &str) {
        let Some(index) = self.index.get_untracked() else { return };
        let Some(flow) = index.flow(id, self.locale_untracked()) else { return };
        let state = self.context.with_untracked(|ctx| flow.start(ctx));
        self.emit("flow", &[("id", id.into()), ("step", state.step.as_str().into())]);
        self.enter(&index, state);
    }

    /// Shows the current step of `state`, running its terminal action.
    fn enter(&self, index: &Index, state: FlowState) {
        let Some(flow) = index.flow(&state.flow, self.locale_untracked()) else { return };
        self.retire_steps();
        let view = self.context.with_untracked(|ctx| flow.view(&state, ctx));
        let ends = view.action.is_some() && view.choices.is_empty() && !view.asks_text;
        if !view.message.is_empty() || !view.choices.is_empty() {
            self.push(Body::Step { text: view.message.clone(), choices: view.choices.clone(), current: !ends });
        }
        let summary = flow.summary(&state);
        self.flow.set(if ends { None } else { Some(state) });
        match view.action {
            Some(Action::Entry(id)) => self.show_entry_id(&id),
            Some(Action::Url(url)) => {
                self.push(Body::Note(format!("[{url}]({url})")));
            }
            Some(Action::Handoff) => self.offer_handoff(summary),
            Some(Action::Event(name)) => {
                self.emit(&name, &[("flow", flow.id.as_str().into()), ("summary", summary.as_str().into())])
            }
            Some(Action::End) | None => {}
        }
    }

    /// Earlier steps keep their text but lose their buttons.
    fn retire_steps(&self) {
        self.messages.update(|m| {
            for msg in m.iter_mut() {
                if let Body::Step { current, .. } = &mut msg.body {
                    *current = false;
                }
            }
        });
    }

    /// A flow button was pressed.
    pub fn flow_choice(&self, i: usize, label: &str) {
        let (Some(index), Some(state)) = (self.index.get_untracked(), self.flow.get_untracked()) else { return };
        let Some(flow) = index.flow(&state.flow, self.locale_untracked()) else { return };
        let next = self.context.with_untracked(|ctx| flow.advance(&state, FlowInput::Choice(i), ctx));
        if let Ok(next) = next {
            self.push(Body::User(label.to_string()));
            self.enter(&index, next);
        }
    }

    /// Offers typed text to the current flow step: its slot takes the text if it fits; a step
    /// without a slot ends the flow. Whether misfitting text is a new question is for the caller,
    /// which searches it anyway.
    fn flow_text(&self, index: &Index, text: &str) -> FlowText {
        let Some(state) = self.flow.get_untracked() else { return FlowText::NotForFlow };
        let Some(flow) = index.flow(&state.flow, self.locale_untracked()) else { return FlowText::NotForFlow };
        let asks_text = flow.step(&state.step).is_some_and(|s| s.slot.is_some());
        if !asks_text {
            self.retire_steps();
            self.flow.set(None);
            return FlowText::NotForFlow;
        }
        match self.context.with_untracked(|ctx| flow.advance(&state, FlowInput::Text(text), ctx)) {
            Ok(next) => {
                self.enter(index, next);
                FlowText::Taken
            }
            Err(FlowError::Invalid(message)) => FlowText::Invalid(message),
            Err(FlowError::Unexpected) => FlowText::NotForFlow,
        }
    }

    // ---- LLM fallback -------------------------------------------------------------------

    fn fall_back(&self, question: String, passages: Vec<Passage>) {
        let (endpoint, token, model, prompt, patterns, timeouts) = self.config.with_value(|c| {
            (
                c.endpoint.clone().filter(|e| !e.trim().is_empty()),
                c.token.clone(),
                c.model.clone(),
                c.system_prompt.clone(),
                c.redact.clone(),
                Timeouts {
                    first_byte_ms: c.first_byte_timeout.unwrap_or(Timeouts::default().first_byte_ms),
                    total_ms: c.total_timeout.unwrap_or(Timeouts::default().total_ms),
                },
            )
        });
        let Some(endpoint) = endpoint else {
            self.push(Body::Note(self.text().not_sure.to_string()));
            self.offer_handoff(question);
            return;
        };
        let mut redactor = Redactor::new();
        for p in &patterns {
            if let Err(e) = redactor.add_pattern(p) {
                web_sys::console::warn_1(&format!("market-assist: data-redact pattern ignored: {e}").into());
            }
        }
        let mut history: Vec<Turn> = self.messages.with_untracked(|m| {
            m.iter()
                .filter_map(|msg| match &msg.body {
                    Body::User(t) => Some(Turn::user(t.clone())),
                    Body::Answer { markdown, .. } => Some(Turn::assistant(markdown.clone())),
                    Body::Ai { text, failed: false, streaming: false, .. } => Some(Turn::assistant(text.clone())),
                    _ => None,
                })
                .collect()
        });
        // The question itself is normally the last user turn (the request adds it separately);
        // a retry asks again without a new user message, so only drop a turn that is it.
        if history.last().is_some_and(|t| t.role == Role::User && t.content.trim() == question.trim()) {
            history.pop();
        }
        let mut request = ChatRequest::new(question.clone())
            .config(RequestConfig::default())
            .redactor(redactor)
            .passages(passages.clone())
            .history(history)
            .locale(self.locale_untracked().code())
            .audience(self.audience().name());
        if let Some(m) = model {
            request = request.model(m);
        }
        if let Some(p) = prompt {
            request = request.system_prompt(p);
        }
        let prepared = match request.build() {
            Ok(p) => p,
            Err(_) => {
                self.push(Body::Note(self.text().not_sure.to_string()));
                return;
            }
        };
        // The ledger is keyed by the redacted question: it is kept in sessionStorage and must
        // hold no personal data (and the answer cannot depend on what the model never saw).
        let key = prepared.question().to_string();
        if let Some(answer) = self.ledger.with_value(|l| l.cached_answer(&key).map(str::to_string)) {
            self.push_ai(question, answer, passages, false, false);
            return;
        }
        if self.ledger.try_update_value(|l| l.begin_call()).is_some_and(|r| r.is_err()) {
            self.push(Body::Note(self.text().limit_reached.to_string()));
            self.offer_handoff(question);
            return;
        }
        let redacted = prepared.redaction.is_redacted();
        self.emit("fallback", &[("question", prepared.question().into()), ("redacted", redacted.into())]);
        // One reply streams at a time: a new fallback question stops the previous reply (its
        // partial text is kept, marked as stopped), so Stop and the typing indicator always
        // belong to the reply in progress.
        self.stop_streaming();
        let id = self.push_ai(question.clone(), String::new(), passages, true, redacted);
        let controller = AbortController::new().ok();
        self.stop.set_value(controller.clone());
        self.streaming.set(true);
        let client = FallbackClient::new(endpoint, token, timeouts);
        let body = prepared.body_json();
        let chat = *self;
        leptos::task::spawn_local(async move {
            let Some(controller) = controller else {
                chat.streaming.set(false);
                chat.finish_ai(id, &question, &key, Err(FallbackError::Stream("no AbortController".into())));
                return;
            };
            let on_text = |piece: &str| {
                chat.update(id, |b| {
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
                chat.stop.set_value(None);
            }
            chat.finish_ai(id, &question, &key, outcome);
        });
    }

    fn push_ai(&self, question: String, text: String, sources: Vec<Passage>, streaming: bool, redacted: bool) -> u64 {
        let sources = sources.into_iter().map(|p| Choice { id: p.id, title: p.title }).collect();
        self.push(Body::Ai { text, sources, streaming, failed: false, redacted, question, cited: false })
    }

    /// Ends reply `id`: drops citation markers, adds the stopped or failed text, caches a
    /// complete answer under `key` (the redacted question) and tells the host page about a
    /// failure (with the user's `question` as the handoff summary).
    fn finish_ai(&self, id: u64, question: &str, key: &str, outcome: Result<(), FallbackError>) {
        let s = self.text();
        let mut final_text = String::new();
        self.update(id, |b| {
            if let Body::Ai { text, sources, streaming, failed, cited: was_cited, .. } = b {
                *streaming = false;
                let ids: Vec<&str> = sources.iter().map(|c| c.id.as_str()).collect();
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
        if outcome.is_ok() && !final_text.trim().is_empty() {
            self.ledger.update_value(|l| l.remember(key, &final_text));
        }
        if let Err(e) = &outcome {
            web_sys::console::warn_1(&format!("fallback ended: {e}").into());
            if !matches!(e, FallbackError::Aborted) {
                self.emit("handoff", &[("summary", question.into()), ("reason", e.to_string().into())]);
            }
        }
        self.announce.set(final_text);
    }

    /// Asks a failed question again.
    pub fn retry(&self, question: String) {
        self.respond(&question);
    }
}

/// The text segments of a reply without its citation markers. A marker's own spacing goes
/// with it: "Tap **Track** [track-order]." becomes "Tap **Track**.", not "Tap **Track** .".
fn drop_citations(segments: &[Segment]) -> String {
    let mut out = String::new();
    let mut after_cite = false;
    for segment in segments {
        match segment {
            Segment::Cite(_) => {
                if !after_cite {
                    let kept = out.trim_end_matches([' ', '\t']).len();
                    out.truncate(kept);
                }
                after_cite = true;
            }
            Segment::Text(t) => {
                let glued = t.starts_with(['.', ',', ';', ':', '!', '?', ')']);
                if after_cite && !glued && !out.is_empty() && !t.starts_with(char::is_whitespace) {
                    out.push(' ');
                }
                out.push_str(t);
                after_cite = false;
            }
        }
    }
    out
}

/// Plain text of a bot message for screen readers.
fn announcement(body: &Body) -> String {
    match body {
        Body::Note(t) | Body::Step { text: t, .. } => kb_core::markdown::plain_text(t),
        Body::Answer { title, markdown, .. } => format!("{title}. {}", kb_core::markdown::plain_text(markdown)),
        Body::Clarify(choices) => choices.iter().map(|c| c.title.as_str()).collect::<Vec<_>>().join(", "),
        Body::Ai { text, .. } => text.clone(),
        Body::Handoff { .. } | Body::User(_) => String::new(),
    }
}

/// A confidence for the host page: three decimals (an `f32` widened to a JS number would show
/// digits it never had, 0.9612345099449158 for 0.9612345).
fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}
