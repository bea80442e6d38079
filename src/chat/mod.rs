//! The chat's state and the actions a user or the host page can take. This file owns the state
//! (a signal per piece of what is shown, a signal per message) and the question's way through
//! [`kb_core::Index::decide`]; flows, the LLM fallback, "did this solve your issue?", the host
//! page's events and the analytics events each have their own file beside it.

mod escalate;
mod events;
mod fallback;
mod flows;
mod handoff;
mod resolution;
mod track;

use std::sync::Arc;

use kb_core::decide::{Overrides, Path, Reply};
use kb_core::flow::{Context, FlowState};
use kb_core::{Audience, Index, Locale, Market};
use leptos::prelude::*;
use llm_fallback::policy::SessionLedger;
use web_sys::AbortController;

use crate::config::Config;
use crate::conversation::{query, Body, Choice, FeedbackReason, HandoffReason, Message, Saved};
use crate::i18n::{strings, Strings};
use flows::FlowText;
pub use track::{Source, Trigger};

/// Default cap on LLM calls per browser session.
const DEFAULT_MAX_FALLBACKS: u32 = 20;
/// The longest question read, in characters; the rest of a longer message is dropped, and said so.
pub const MAX_QUESTION_CHARS: usize = 2000;
/// The most messages a conversation keeps in memory; older ones are let go. "Show earlier
/// messages" pages back through these, and the stored conversation keeps far fewer, so a
/// session that never ends (a kiosk, a bot) stays within a bounded heap.
pub const MAX_KEPT_MESSAGES: usize = 1000;

/// One message on screen, with its own signal: a streamed token or a feedback click changes
/// that message only, and only its view renders again. The signal is reference-counted, not
/// owned by whichever effect or handler pushed the message, and goes with its row.
#[derive(Clone)]
pub struct Row {
    /// Unique within the conversation (keys the list).
    pub id: u64,
    /// The language it was written in (its buttons and notes stay in it).
    pub locale: Locale,
    /// What it says.
    pub body: ArcRwSignal<Body>,
}

/// The chat's state. `Copy`: every field is a handle into Leptos' reactive arena.
#[derive(Clone, Copy)]
pub struct Chat {
    pub open: RwSignal<bool>,
    pub unread: RwSignal<bool>,
    pub messages: RwSignal<Vec<Row>>,
    pub flow: RwSignal<Option<FlowState>>,
    pub index: RwSignal<Option<Arc<Index>>>,
    /// The version of the knowledge release `index` is from (none: a plain `data-pack`).
    pub release: RwSignal<Option<String>>,
    pub load_failed: RwSignal<bool>,
    pub streaming: RwSignal<bool>,
    /// The encoder tier is reading a question (loading, the first time): typing dots.
    pub reading: RwSignal<bool>,
    /// The reply in progress has taken a while: say so in words, with Stop and a person.
    pub slow: RwSignal<bool>,
    pub draft: RwSignal<String>,
    /// The latest bot message as plain text, for the `aria-live` region.
    pub announce: RwSignal<String>,
    pub context: RwSignal<Context>,
    pub config: StoredValue<Config>,
    /// Bumped by every change worth storing (a new message, a finished reply, feedback); the
    /// tokens of a reply in progress do not bump it.
    revision: RwSignal<u64>,
    next_id: StoredValue<u64>,
    ledger: StoredValue<SessionLedger>,
    stop: StoredValue<Option<AbortController>, LocalStorage>,
    emit: StoredValue<js_sys::Function, LocalStorage>,
    /// `collect.js`'s `track(type, fields)`, when the page collects analytics events.
    track: StoredValue<Option<js_sys::Function>, LocalStorage>,
    /// The conversation has begun (its `conversation_started` event is out).
    started: StoredValue<bool>,
    /// Bumped by every new message: a "did this solve your issue?" waits for the answer to stay
    /// the last message, and gives up when this moved on.
    generation: StoredValue<u64>,
    /// The encoder tier, once asked for.
    encoder: StoredValue<escalate::EncoderSlot, LocalStorage>,
}

impl Chat {
    /// State restored from the session, or a fresh conversation.
    pub fn new(config: Config, emit: js_sys::Function, track: Option<js_sys::Function>) -> Chat {
        let mut saved = Saved::load();
        let stopped = strings(config.locale(&config.context)).stopped;
        for message in &mut saved.messages {
            message.body.end_interrupted_reply(stopped);
        }
        let max = config.max_fallbacks.unwrap_or(DEFAULT_MAX_FALLBACKS);
        let ledger = Saved::load_ledger()
            .and_then(|j| SessionLedger::from_json(&j).ok())
            .unwrap_or_else(|| SessionLedger::new(max));
        let context = config.context.clone();
        let started = saved.messages.iter().any(|m| matches!(m.body, Body::User(_)));
        let rows = saved
            .messages
            .into_iter()
            .map(|m| Row { id: m.id, locale: m.locale, body: ArcRwSignal::new(m.body) })
            .collect();
        let chat = Chat {
            open: RwSignal::new(false),
            unread: RwSignal::new(false),
            messages: RwSignal::new(rows),
            flow: RwSignal::new(saved.flow),
            index: RwSignal::new(None),
            release: RwSignal::new(None),
            load_failed: RwSignal::new(false),
            streaming: RwSignal::new(false),
            reading: RwSignal::new(false),
            slow: RwSignal::new(false),
            draft: RwSignal::new(String::new()),
            announce: RwSignal::new(String::new()),
            context: RwSignal::new(context),
            config: StoredValue::new(config),
            revision: RwSignal::new(0),
            next_id: StoredValue::new(saved.next_id),
            ledger: StoredValue::new(ledger),
            stop: StoredValue::new_local(None),
            emit: StoredValue::new_local(emit),
            track: StoredValue::new_local(track),
            started: StoredValue::new(started),
            generation: StoredValue::new(0),
            encoder: StoredValue::new_local(escalate::EncoderSlot::Idle),
        };
        if chat.messages.with_untracked(Vec::is_empty) {
            chat.greet();
        }
        chat
    }

    /// Keeps the conversation in session storage whenever a change worth storing happens. The
    /// tokens of a streaming reply are not: re-serialising the whole conversation per token would
    /// be the costliest work on that path; the finished reply is stored once it ends.
    pub fn persist(self) {
        Effect::new(move |_| {
            self.revision.track();
            self.flow.track();
            self.store();
        });
    }

    /// Stores the conversation and the LLM ledger now.
    fn store(&self) {
        let saved =
            Saved { messages: self.snapshot(), flow: self.flow.get_untracked(), next_id: self.next_id.get_value() };
        saved.store();
        Saved::store_ledger(&self.ledger.with_value(SessionLedger::to_json));
    }

    /// The page is going away: a "did this solve your issue?" nobody answered is settled, and the
    /// conversation stored at once (the effect that stores it would run too late).
    pub fn page_hidden(&self) {
        self.settle_resolutions();
        self.store();
    }

    /// The messages as they are now.
    fn snapshot(&self) -> Vec<Message> {
        self.messages.with_untracked(|rows| {
            rows.iter().map(|r| Message { id: r.id, locale: r.locale, body: r.body.get_untracked() }).collect()
        })
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

    /// The market the page context names (`market`), which picks an answer's variant.
    fn market(&self) -> Option<Market> {
        self.context.with_untracked(Market::from_context)
    }

    pub fn strings(&self) -> &'static Strings {
        strings(self.locale())
    }

    fn text(&self) -> &'static Strings {
        strings(self.locale_untracked())
    }

    fn push(&self, body: Body) -> u64 {
        if !matches!(body, Body::User(_)) && !self.open.get_untracked() {
            self.unread.set(true);
        }
        self.add(body)
    }

    /// Adds a message without the unread mark (the greeting: nothing has happened yet).
    fn add(&self, body: Body) -> u64 {
        if matches!(body, Body::User(_)) {
            self.settle_resolutions();
        }
        self.generation.update_value(|g| *g += 1);
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        if !matches!(body, Body::User(_)) {
            self.announce.set(body.announcement());
        }
        let locale = self.locale_untracked();
        self.messages.update(|m| {
            m.push(Row { id, locale, body: ArcRwSignal::new(body) });
            let over = m.len().saturating_sub(MAX_KEPT_MESSAGES);
            m.drain(..over);
        });
        self.revision.update(|r| *r += 1);
        id
    }

    /// Changes message `id` and stores the conversation.
    fn update(&self, id: u64, f: impl FnOnce(&mut Body)) {
        self.update_quietly(id, f);
        self.revision.update(|r| *r += 1);
    }

    /// Changes message `id` without storing (the tokens of a streaming reply).
    fn update_quietly(&self, id: u64, f: impl FnOnce(&mut Body)) {
        if let Some(row) = self.messages.with_untracked(|m| m.iter().find(|r| r.id == id).cloned()) {
            row.body.update(f);
        }
    }

    /// Changes every message `f` changes (it says whether it did): only those render again.
    fn update_all(&self, mut f: impl FnMut(&mut Body) -> bool) {
        self.messages.with_untracked(|rows| {
            for row in rows {
                row.body.maybe_update(&mut f);
            }
        });
        self.revision.update(|r| *r += 1);
    }

    fn greet(&self) {
        let greeting =
            self.config.with_value(|c| c.greeting.clone()).unwrap_or_else(|| self.text().greeting.to_string());
        self.add(Body::Note(greeting));
    }

    /// The conversation begins (once: its event says how).
    pub fn begin(&self, trigger: Trigger) {
        if !self.started.get_value() {
            self.started.set_value(true);
            self.track_started(trigger);
        }
    }

    pub fn set_open(&self, open: bool) {
        if open {
            self.begin(Trigger::Open);
        }
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
        self.settle_resolutions();
        self.leave_flow();
        Saved::clear();
        self.messages.set(Vec::new());
        self.greet();
        self.started.set_value(false);
        self.begin(Trigger::New);
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
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        // A question is a few lines: a pasted page would cost every step after it (search,
        // storage, the LLM request) and fill the screen.
        let cut = text.char_indices().nth(MAX_QUESTION_CHARS).map(|(at, _)| at);
        let text = cut.map_or(text, |at| &text[..at]).to_string();
        self.push(Body::User(text.clone()));
        if cut.is_some() {
            let note = self.text().shortened.replace("{n}", &MAX_QUESTION_CHARS.to_string());
            self.push(Body::Note(note));
        }
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

    /// The page's threshold overrides.
    fn overrides(&self) -> Overrides {
        self.config
            .with_value(|c| Overrides { answer_threshold: c.answer_threshold, clarify_threshold: c.clarify_threshold })
    }

    fn respond(&self, text: &str) {
        let question = track::random_id();
        let Some(index) = self.index.get_untracked() else {
            // The pack could not be loaded: the question still reaches the LLM, or a person.
            self.track_question(&question, text, None, false);
            self.fall_back(&question, text.to_string(), Vec::new());
            return;
        };
        let slot_error = match self.flow_text(&index, text) {
            FlowText::Taken => return,
            FlowText::NotForFlow => None,
            FlowText::Invalid(message) => Some(message),
        };
        let reply = index.decide(&query(text, self.locale_untracked(), self.audience()), &self.overrides());
        if let Some(message) = slot_error {
            // Text that does not fit the step's slot is a new question only if it is answered
            // with confidence; otherwise it was a mistyped slot value.
            if !matches!(reply.path, Path::Answer(_)) {
                self.push(Body::Note(message));
                return;
            }
            self.leave_flow();
        } else if self.escalates(&index, &reply) {
            self.escalate(index, question, text.to_string(), reply);
            return;
        }
        self.finish(&index, &question, text, reply, false);
    }

    /// Records a decided question (`encoder`: decided again with the encoder tier's reading)
    /// and shows what was decided.
    fn finish(&self, index: &Index, question: &str, text: &str, reply: Reply, encoder: bool) {
        self.track_question(question, text, Some((index, &reply)), encoder);
        match reply.path {
            Path::Answer(n) => self.show_entry(index, n, reply.result.confidence.value()),
            Path::Clarify(entries) => {
                self.push(Body::Clarify { choices: choices(index, entries), question: text.to_string() });
            }
            Path::Handoff(n) => {
                let intro = index.entry(n).map(|e| e.answer_for(self.market()).to_string());
                self.offer_handoff(intro, None, HandoffReason::Asked);
            }
            Path::Reply(n) => {
                if let Some(e) = index.entry(n) {
                    let text = e.answer_for(self.market()).to_string();
                    self.push(Body::Reply { entry: e.id, text });
                }
            }
            Path::Fallback(entries) => {
                let passages = entries
                    .into_iter()
                    .filter_map(|n| index.entry(n))
                    .map(|e| {
                        let text = kb_core::markdown::plain_text(e.answer_for(self.market()));
                        llm_fallback::Passage::new(e.id, e.title, text)
                    })
                    .collect();
                self.fall_back(question, text.to_string(), passages);
            }
        }
    }

    /// Shows entry number `n` as an answer.
    fn show_entry(&self, index: &Index, n: u32, confidence: f32) {
        let Some(e) = index.entry(n) else { return };
        self.emit_answer(&e.id, confidence);
        let hands_off = e.handoff;
        let entry = e.id.clone();
        let markdown = e.answer_for(self.market()).to_string();
        self.push(Body::Answer { id: e.id, title: e.title, markdown, links: e.links, flow: e.flow, feedback: None });
        if hands_off {
            self.offer_handoff(None, None, HandoffReason::Entry);
        } else {
            self.ask_resolution_later(Some(entry), None);
        }
    }

    /// Shows the entry with this id (from a choice, a citation or a flow).
    pub fn show_entry_id(&self, id: &str) {
        let Some(index) = self.index.get_untracked() else { return };
        let n = index.find(id, self.locale_untracked()).or_else(|| index.find(id, Locale::En));
        if let Some(n) = n {
            self.show_entry(&index, n, 1.0);
        }
    }

    /// The user picked an entry offered as a choice (a "did you mean", a starter, a related
    /// article): it is said in their words, and answered.
    pub fn choose(&self, choice: Choice, source: Source) {
        self.push(Body::User(choice.title.clone()));
        self.open_entry(&choice.id, source);
    }

    /// Shows an entry the user picked from `source`.
    pub fn open_entry(&self, id: &str, source: Source) {
        self.track_suggestion(id, source);
        self.show_entry_id(id);
    }

    /// "None of these": the question goes to a person.
    pub fn none_of_these(&self, question: &str) {
        self.offer_handoff(None, Some(question), HandoffReason::NoneOfThese);
    }

    /// Up to four featured entries of the page's locale and audience: what the assistant can
    /// help with (tracked: a reactive caller follows the pack and the locale).
    pub fn starters(&self) -> Vec<Choice> {
        let Some(index) = self.index.get() else { return Vec::new() };
        choices(&index, index.featured(self.locale(), self.audience()).into_iter().take(4))
    }

    pub fn feedback(&self, message: u64, id: &str, helpful: bool) {
        self.update(message, |b| {
            if let Body::Answer { feedback, .. } = b {
                *feedback = Some(helpful);
            }
        });
        self.emit_feedback(id, helpful);
        self.track_feedback(id, helpful, None);
        if !helpful {
            // A way forward: ask again, a related article, or a person.
            let related = self.index.get_untracked().and_then(|index| {
                let n = index.find(id, self.locale_untracked())?;
                let entry = index.entry(n)?;
                let locale = self.locale_untracked();
                Some(choices(&index, entry.related.iter().filter_map(|r| index.find(r, locale))))
            });
            self.push(Body::Missing { entry: id.to_string(), related: related.unwrap_or_default(), reason: None });
        }
    }

    /// What was wrong with the answer of a thumbs-down (message `message`).
    pub fn feedback_reason(&self, message: u64, chosen: FeedbackReason) {
        let mut entry = None;
        self.update(message, |b| {
            if let Body::Missing { entry: e, reason, .. } = b {
                if reason.is_none() {
                    *reason = Some(chosen);
                    entry = Some(e.clone());
                }
            }
        });
        if let Some(entry) = entry {
            self.track_feedback(&entry, false, Some(chosen));
        }
    }

    /// Offers a person: `intro` says so (the handoff entry's words, or the default), and the
    /// summary tells the person what happened, with `question` when it is the one to take over.
    fn offer_handoff(&self, intro: Option<String>, question: Option<&str>, reason: HandoffReason) {
        let summary = self.summary(question);
        self.emit_handoff(&summary, None);
        let intro = intro.unwrap_or_else(|| self.text().handoff_offer.to_string());
        self.push(Body::Handoff { intro, summary: summary.text(), reason });
    }
}

/// Entries as choices (for "did you mean", starters, suggestions, related articles), each once.
pub fn choices(index: &Index, entries: impl IntoIterator<Item = u32>) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for e in entries.into_iter().filter_map(|n| index.entry(n)) {
        if !out.iter().any(|c| c.id == e.id) {
            out.push(Choice { id: e.id, title: e.title });
        }
    }
    out
}
