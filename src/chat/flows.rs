//! Guided flows in the chat: starting one, showing its steps, taking button presses and typed
//! slot values, and running a step's terminal action. The flow logic itself is
//! `kb_core::flow`'s; this file puts it on screen.

use kb_core::flow::{Action, FlowError, FlowInput, FlowState};
use kb_core::Index;
use leptos::prelude::*;

use super::Chat;
use crate::conversation::{Body, HandoffReason};

/// What the current flow step made of typed text.
pub(super) enum FlowText {
    /// The step's slot took it; the flow moved on.
    Taken,
    /// No flow asks for text now: it is a question.
    NotForFlow,
    /// It does not fit the slot: the slot's message, unless the text is a question after all.
    Invalid(String),
}

impl Chat {
    /// Starts the flow with this id (from an answer, a starter or the host page) once the pack
    /// is there; `done` learns whether it started, and why not (also said in the console).
    pub fn start_flow(&self, id: &str, done: impl FnOnce(Result<(), String>) + 'static) {
        let id = id.to_string();
        self.when_ready(move |chat| {
            let started = chat.start_flow_now(&id);
            if let Err(why) = &started {
                web_sys::console::warn_1(&why.into());
            }
            done(started)
        });
    }

    fn start_flow_now(&self, id: &str) -> Result<(), String> {
        let Some(index) = self.index.get_untracked() else {
            return Err(format!("market-assist: flow `{id}` cannot start: the knowledge pack did not load"));
        };
        let Some(flow) = index.flow(id, self.locale_untracked()) else {
            return Err(format!("market-assist: there is no flow `{id}` in this knowledge pack"));
        };
        // Another flow in progress is left.
        self.leave_flow();
        let state = self.context.with_untracked(|ctx| flow.start(ctx));
        self.emit_flow(id, &state.step);
        self.track_flow("flow_started", id, &state.step);
        self.enter(&index, state);
        Ok(())
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
        self.track_flow("flow_step", &state.flow, &state.step);
        if ends {
            self.track_flow("flow_finished", &state.flow, &state.step);
        }
        let at_handoff = Some((state.flow.clone(), state.step.clone()));
        self.flow.set(if ends { None } else { Some(state) });
        let hands_off = matches!(view.action, Some(Action::Handoff));
        match view.action {
            Some(Action::Entry(id)) => self.show_entry_id(&id),
            Some(Action::Url(url)) => {
                self.push(Body::Note(format!("[{url}]({url})")));
            }
            Some(Action::Handoff) => self.hand_off_flow(summary, at_handoff),
            Some(Action::Event(name)) => self.emit_flow_event(&name, &flow.id, &summary),
            Some(Action::End) | None => {}
        }
        // A finished flow asks whether it solved the issue (instead of the answer it ended on);
        // one that ended with a person does not.
        if ends && !hands_off {
            self.ask_resolution_later(None, Some(flow.id.clone()));
        }
    }

    /// A flow step's `=> handoff`: the person learns the flow's answers and where it ended.
    fn hand_off_flow(&self, answers: String, at: Option<(String, String)>) {
        let mut summary = self.summary(None);
        summary.flow = at;
        if !answers.is_empty() {
            summary.questions.push(answers);
        }
        self.emit_handoff(&summary, None);
        let intro = self.text().handoff_offer.to_string();
        self.push(Body::Handoff { intro, summary: summary.text(), reason: HandoffReason::Flow });
    }

    /// Earlier steps keep their text but lose their buttons.
    fn retire_steps(&self) {
        self.update_all(|b| match b {
            Body::Step { current, .. } if *current => {
                *current = false;
                true
            }
            _ => false,
        });
    }

    /// Ends the flow in progress: its last step loses its buttons.
    pub(super) fn leave_flow(&self) {
        let Some(state) = self.flow.get_untracked() else { return };
        self.track_flow("flow_abandoned", &state.flow, &state.step);
        self.retire_steps();
        self.flow.set(None);
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
    pub(super) fn flow_text(&self, index: &Index, text: &str) -> FlowText {
        let Some(state) = self.flow.get_untracked() else { return FlowText::NotForFlow };
        let Some(flow) = index.flow(&state.flow, self.locale_untracked()) else { return FlowText::NotForFlow };
        let asks_text = flow.step(&state.step).is_some_and(|s| s.slot.is_some());
        if !asks_text {
            self.leave_flow();
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
}
