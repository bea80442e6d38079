//! The events the host page receives through `MarketAssist.on(name, fn)` and as
//! `market-assist:<name>` on `window`: one function per event, so that each event's fields are
//! written in one place (and documented in the README's embedding section).

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::handoff::Summary;
use super::Chat;

impl Chat {
    /// Sends an event to the host page's listeners.
    pub fn emit(&self, name: &str, detail: &[(&str, JsValue)]) {
        let detail = object(detail);
        self.emit.with_value(|f| {
            let _ = f.call2(&JsValue::NULL, &JsValue::from_str(name), &detail);
        });
    }

    /// `answer`: an entry was shown.
    pub(super) fn emit_answer(&self, id: &str, confidence: f32) {
        self.emit("answer", &[("id", id.into()), ("confidence", JsValue::from_f64(round3(confidence)))]);
    }

    /// `feedback`: thumbs up or down on an answer.
    pub(super) fn emit_feedback(&self, id: &str, helpful: bool) {
        self.emit("feedback", &[("id", id.into()), ("helpful", helpful.into())]);
    }

    /// `handoff`: the user is offered a person, with what they should know (`summary` as one
    /// line, and its parts); `reason` says why an AI reply failed.
    pub(super) fn emit_handoff(&self, summary: &Summary, reason: Option<&str>) {
        let (flow, step) = summary.flow.clone().unzip();
        let mut detail = vec![
            ("summary", JsValue::from(summary.text())),
            ("questions", texts(&summary.questions)),
            ("entries", texts(&summary.entries)),
            ("flow", flow.map_or(JsValue::NULL, JsValue::from)),
            ("step", step.map_or(JsValue::NULL, JsValue::from)),
        ];
        if let Some(reason) = reason {
            detail.push(("reason", reason.into()));
        }
        self.emit("handoff", &detail);
    }

    /// `fallback`: a question went to the LLM (`question` as sent, redacted).
    pub(super) fn emit_fallback(&self, question: &str, redacted: bool) {
        self.emit("fallback", &[("question", question.into()), ("redacted", redacted.into())]);
    }

    /// `flow`: a guided flow started.
    pub(super) fn emit_flow(&self, id: &str, step: &str) {
        self.emit("flow", &[("id", id.into()), ("step", step.into())]);
    }

    /// A flow step's own `=> event <name>`.
    pub(super) fn emit_flow_event(&self, name: &str, flow: &str, summary: &str) {
        self.emit(name, &[("flow", flow.into()), ("summary", summary.into())]);
    }
}

/// An object of these members.
pub(super) fn object(members: &[(&str, JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (key, value) in members {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}

/// A list of texts as a JS array.
pub(super) fn texts(items: &[String]) -> JsValue {
    items.iter().map(|t| JsValue::from(t.as_str())).collect::<js_sys::Array>().into()
}

/// A confidence for the host page: three decimals (an `f32` widened to a JS number would show
/// digits it never had, 0.9612345099449158 for 0.9612345).
pub(super) fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}
