//! Guided flows (step-by-step procedures written by support operators): the compiled model and
//! the client-side runtime that walks it.
//!
//! The runtime is a pure function of (flow, state, input, page context), and [`FlowState`] is
//! serialisable, so the widget can keep a flow's progress across page reloads.
//!
//! ```
//! use kb_core::flow::{Action, Context, Flow, FlowInput, Step};
//! use kb_core::Locale;
//!
//! let flow = Flow {
//!     id: "demo".into(), locale: Locale::En, title: "Demo".into(),
//!     audience: Default::default(), start: "ask".into(),
//!     steps: vec![
//!         Step { id: "ask".into(), message: "Order number?".into(),
//!                slot: Some(kb_core::flow::Slot { name: "order_id".into(), pattern: "MP##########".into(),
//!                       target: "done".into(), error: "Try MP1234567890".into() }),
//!                ..Step::default() },
//!         Step { id: "done".into(), message: "Thanks, {order_id}!".into(), action: Some(Action::End), ..Step::default() },
//!     ],
//! };
//! let context = Context::new();
//! let state = flow.start(&context);
//! assert!(flow.advance(&state, FlowInput::Text("MP12"), &context).is_err());
//! let state = flow.advance(&state, FlowInput::Text("MP1234567890"), &context).unwrap();
//! assert_eq!(flow.view(&state, &context).message, "Thanks, MP1234567890!");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::entry::Audience;
use crate::locale::Locale;
use crate::market::{self, Market, Variant};
use crate::pattern::Pattern;

/// Page context passed by the host (`audience`, `locale`, `order_status`, `order_id`, …).
pub type Context = BTreeMap<String, String>;

/// A terminal action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show the entry with this id.
    Entry(String),
    /// Offer this http(s) link.
    Url(String),
    /// Hand off to a human with a summary of the flow.
    Handoff,
    /// Emit this event to the host page.
    Event(String),
    /// The flow is over.
    End,
}

/// A button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// What the button says.
    pub label: String,
    /// The step it leads to.
    pub target: String,
}

/// A jump taken on entering a step when the page context has `key` = `value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Context key.
    pub key: String,
    /// Expected value (case-insensitive).
    pub value: String,
    /// Where to go.
    pub target: String,
}

/// A free-text answer the step asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Name under which the value is kept (and may come pre-filled from the context).
    pub name: String,
    /// A [`Pattern`] the value must match.
    pub pattern: String,
    /// Where to go once it is valid.
    pub target: String,
    /// What to say when it is not.
    pub error: String,
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Step {
    /// Step id, unique in its flow.
    pub id: String,
    /// Markdown message; `{name}` inserts a slot or context value. The default text, where no
    /// variant is for the page's market.
    pub message: String,
    /// Context conditions, checked in order on entering.
    pub conditions: Vec<Condition>,
    /// Buttons.
    pub choices: Vec<Choice>,
    /// A free-text slot.
    pub slot: Option<Slot>,
    /// A terminal action.
    pub action: Option<Action>,
    /// The whole message for each market whose policy differs from the default.
    pub variants: Vec<Variant>,
}

/// A compiled flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Flow id, shared by its translations.
    pub id: String,
    /// Its locale.
    pub locale: Locale,
    /// Title shown when it starts.
    pub title: String,
    /// Who it is for.
    pub audience: Audience,
    /// The first step.
    pub start: String,
    /// The steps.
    pub steps: Vec<Step>,
}

/// Where a user is in a flow; encodable ([`crate::format::flows`]) so progress survives a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowState {
    /// The flow id.
    pub flow: String,
    /// The current step id.
    pub step: String,
    /// Collected slot values.
    pub slots: BTreeMap<String, String>,
    /// What the user chose or entered so far, for the handoff summary.
    pub trail: Vec<String>,
}

/// What the user did.
#[derive(Clone, Copy, Debug)]
pub enum FlowInput<'a> {
    /// Pressed the choice with this index.
    Choice(usize),
    /// Typed this into the slot.
    Text(&'a str),
}

/// Why an input was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowError {
    /// The slot value did not match; carries the step's error message.
    Invalid(String),
    /// The input does not fit the step (no such choice, or no slot here).
    Unexpected,
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::Invalid(message) => f.write_str(message),
            FlowError::Unexpected => f.write_str("that input does not fit this step"),
        }
    }
}

impl std::error::Error for FlowError {}

/// What the widget shows for the current step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepView {
    /// The message with `{name}` placeholders filled in.
    pub message: String,
    /// Button labels.
    pub choices: Vec<String>,
    /// Whether the step waits for typed text.
    pub asks_text: bool,
    /// The terminal action, if this step ends the flow.
    pub action: Option<Action>,
}

/// Enough hops to follow any sane chain of conditions; a guard against cycles in context jumps.
const MAX_HOPS: usize = 64;

impl Flow {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The state at the start, after context conditions and pre-filled slots are applied.
    pub fn start(&self, context: &Context) -> FlowState {
        let state =
            FlowState { flow: self.id.clone(), step: self.start.clone(), slots: BTreeMap::new(), trail: Vec::new() };
        self.settle(state, context)
    }

    /// Follows `@if` jumps and skips slots the context already fills.
    fn settle(&self, mut state: FlowState, context: &Context) -> FlowState {
        for _ in 0..MAX_HOPS {
            let Some(step) = self.step(&state.step) else { break };
            let jump = step
                .conditions
                .iter()
                .find(|c| context.get(&c.key).is_some_and(|v| v.trim().eq_ignore_ascii_case(c.value.trim())));
            if let Some(c) = jump {
                state.step = c.target.clone();
                continue;
            }
            if let Some(slot) = &step.slot {
                let known = state.slots.get(&slot.name).or_else(|| context.get(&slot.name)).cloned();
                if let Some(value) = known.filter(|v| slot_accepts(slot, v)) {
                    state.slots.insert(slot.name.clone(), value.trim().to_string());
                    state.step = slot.target.clone();
                    continue;
                }
            }
            break;
        }
        state
    }

    /// Applies the user's input to `state`.
    pub fn advance(&self, state: &FlowState, input: FlowInput<'_>, context: &Context) -> Result<FlowState, FlowError> {
        let step = self.step(&state.step).ok_or(FlowError::Unexpected)?;
        let mut next = state.clone();
        match input {
            FlowInput::Choice(i) => {
                let choice = step.choices.get(i).ok_or(FlowError::Unexpected)?;
                next.trail.push(choice.label.clone());
                next.step = choice.target.clone();
            }
            FlowInput::Text(text) => {
                let slot = step.slot.as_ref().ok_or(FlowError::Unexpected)?;
                if !slot_accepts(slot, text) {
                    return Err(FlowError::Invalid(slot.error.clone()));
                }
                next.slots.insert(slot.name.clone(), text.trim().to_string());
                next.trail.push(format!("{}: {}", slot.name, text.trim()));
                next.step = slot.target.clone();
            }
        }
        Ok(self.settle(next, context))
    }

    /// What to show for `state`; the message is the variant for the context's `market`, if the
    /// step has one.
    pub fn view(&self, state: &FlowState, context: &Context) -> StepView {
        let Some(step) = self.step(&state.step) else {
            return StepView {
                message: String::new(),
                choices: Vec::new(),
                asks_text: false,
                action: Some(Action::End),
            };
        };
        StepView {
            message: fill(
                market::select(&step.message, &step.variants, Market::from_context(context)),
                &state.slots,
                context,
            ),
            choices: step.choices.iter().map(|c| c.label.clone()).collect(),
            asks_text: step.slot.is_some(),
            action: step.action.clone(),
        }
    }

    /// A plain-text summary for a human agent taking over.
    pub fn summary(&self, state: &FlowState) -> String {
        let mut out = format!("{} ({})", self.title, self.id);
        for item in &state.trail {
            out.push_str("\n- ");
            out.push_str(item);
        }
        out
    }
}

fn slot_accepts(slot: &Slot, value: &str) -> bool {
    !value.trim().is_empty() && Pattern::parse(&slot.pattern).is_ok_and(|p| p.is_match(value))
}

/// Replaces `{name}` with a slot or context value; unknown names stay as written. The message is
/// Markdown but the values are what someone typed or the page set: escaped, they stay text.
fn fill(message: &str, slots: &BTreeMap<String, String>, context: &Context) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match slots.get(name).or_else(|| context.get(name)) {
                    Some(v) => out.push_str(&crate::markdown::escape(v)),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        let step = |id: &str| Step { id: id.into(), message: format!("at {id}"), ..Step::default() };
        let mut status = step("status");
        status.conditions.push(Condition {
            key: "order_status".into(),
            value: "delivered".into(),
            target: "missing".into(),
        });
        status.choices.push(Choice { label: "Not shipped".into(), target: "ask".into() });
        let mut ask = step("ask");
        ask.slot = Some(Slot {
            name: "order_id".into(),
            pattern: "MP##########".into(),
            target: "end".into(),
            error: "bad".into(),
        });
        let mut missing = step("missing");
        missing.action = Some(Action::Handoff);
        let mut end = step("end");
        end.message = "Order {order_id} noted".into();
        end.action = Some(Action::End);
        Flow {
            id: "f".into(),
            locale: Locale::En,
            title: "F".into(),
            audience: Audience::Buyer,
            start: "status".into(),
            steps: vec![status, ask, missing, end],
        }
    }

    #[test]
    fn context_conditions_jump() {
        let mut ctx = Context::new();
        ctx.insert("order_status".into(), "Delivered".into());
        assert_eq!(flow().start(&ctx).step, "missing");
    }

    #[test]
    fn prefilled_slot_is_skipped() {
        let mut ctx = Context::new();
        ctx.insert("order_id".into(), "MP0000000001".into());
        let f = flow();
        let s = f.advance(&f.start(&ctx), FlowInput::Choice(0), &ctx).unwrap();
        assert_eq!(s.step, "end");
        assert_eq!(f.view(&s, &ctx).message, "Order MP0000000001 noted");
    }

    #[test]
    fn bad_input_keeps_the_state() {
        let f = flow();
        let ctx = Context::new();
        let s = f.advance(&f.start(&ctx), FlowInput::Choice(0), &ctx).unwrap();
        assert_eq!(f.advance(&s, FlowInput::Text("nope"), &ctx), Err(FlowError::Invalid("bad".into())));
        assert_eq!(f.advance(&s, FlowInput::Choice(3), &ctx), Err(FlowError::Unexpected));
        let done = f.advance(&s, FlowInput::Text("mp1234567890"), &ctx).unwrap();
        assert!(f.summary(&done).contains("order_id: mp1234567890"));
    }

    #[test]
    fn the_message_follows_the_context_market() {
        let mut f = flow();
        f.steps[3].variants.push(Variant { market: Market::Th, text: "Thai order {order_id}".into() });
        let state = FlowState { flow: "f".into(), step: "end".into(), slots: BTreeMap::new(), trail: Vec::new() };
        let mut ctx = Context::from([("order_id".to_string(), "MP1".to_string())]);
        assert_eq!(f.view(&state, &ctx).message, "Order MP1 noted");
        ctx.insert(market::CONTEXT_KEY.into(), "th".into());
        assert_eq!(f.view(&state, &ctx).message, "Thai order MP1", "the variant is filled in like the default");
        ctx.insert(market::CONTEXT_KEY.into(), "id".into());
        assert_eq!(f.view(&state, &ctx).message, "Order MP1 noted", "a market without a variant gets the default");
    }

    #[test]
    fn state_round_trips_through_the_codec() {
        use crate::format::codec::{Decode, Encode};
        let f = flow();
        let ctx = Context::from([("order_status".to_string(), "shipped".to_string())]);
        let s = f.advance(&f.start(&ctx), FlowInput::Choice(0), &ctx).unwrap();
        let s = f.advance(&s, FlowInput::Text("MP1234567890"), &ctx).unwrap();
        assert!(!s.slots.is_empty() && !s.trail.is_empty(), "{s:?}");
        assert_eq!(FlowState::from_bytes(&s.to_bytes()), Ok(s));
    }
}
