//! The `Flows` section: the guided flows, as one [`super::codec`]-encoded list. The widget's
//! saved [`FlowState`] uses the same encoding, so a flow in progress survives a reload.
//!
//! ```
//! use kb_core::format::codec::{Decode, Encode};
//! use kb_core::flow::FlowState;
//!
//! let state = FlowState { flow: "where-is-my-order".into(), step: "status".into(), slots: Default::default(), trail: vec![] };
//! assert_eq!(FlowState::from_bytes(&state.to_bytes()), Ok(state));
//! ```

use super::codec::{Decode, DecodeError, Encode, Reader};
use crate::flow::{Action, Choice, Condition, Flow, FlowState, Slot, Step};

crate::record! {
    Choice { label, target }
    Condition { key, value, target }
    Slot { name, pattern, target, error }
    Step { id, message, conditions, choices, slot, action, variants }
    Flow { id, locale, title, audience, start, steps }
    FlowState { flow, step, slots, trail }
}

impl Encode for Action {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Action::Entry(id) => (0u32, id).encode(out),
            Action::Url(url) => (1u32, url).encode(out),
            Action::Handoff => 2u32.encode(out),
            Action::Event(name) => (3u32, name).encode(out),
            Action::End => 4u32.encode(out),
        }
    }
}

impl Decode for Action {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u32::decode(r)? {
            0 => Action::Entry(String::decode(r)?),
            1 => Action::Url(String::decode(r)?),
            2 => Action::Handoff,
            3 => Action::Event(String::decode(r)?),
            4 => Action::End,
            _ => return Err(DecodeError("flow action")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Audience;
    use crate::locale::Locale;
    use crate::market::{Market, Variant};

    fn flow() -> Flow {
        let step = |id: &str, action: Option<Action>| Step {
            id: id.into(),
            message: format!("at {id} — ขั้นตอน"),
            conditions: vec![Condition { key: "order_status".into(), value: "shipped".into(), target: "b".into() }],
            choices: vec![Choice { label: "Yes".into(), target: "b".into() }],
            slot: Some(Slot { name: "order_id".into(), pattern: "MP#".into(), target: "b".into(), error: "?".into() }),
            action,
            variants: vec![Variant { market: Market::Th, text: format!("at {id} in Thailand") }],
        };
        Flow {
            id: "where-is-my-order".into(),
            locale: Locale::Th,
            title: "Where is my order".into(),
            audience: Audience::Buyer,
            start: "a".into(),
            steps: vec![
                step("a", None),
                step("b", Some(Action::Entry("track-order".into()))),
                step("c", Some(Action::Url("https://example.com".into()))),
                step("d", Some(Action::Handoff)),
                step("e", Some(Action::Event("done".into()))),
                step("f", Some(Action::End)),
            ],
        }
    }

    #[test]
    fn flows_round_trip() {
        let flows = vec![flow(), Flow { steps: Vec::new(), ..flow() }];
        assert_eq!(Vec::<Flow>::from_bytes(&flows.to_bytes()), Ok(flows));
    }

    #[test]
    fn every_truncation_of_a_flow_is_an_error() {
        let bytes = flow().to_bytes();
        for n in 0..bytes.len() {
            assert!(Flow::from_bytes(&bytes[..n]).is_err(), "{n} of {} bytes decoded", bytes.len());
        }
    }

    #[test]
    fn out_of_range_actions_are_errors() {
        assert_eq!(Action::from_bytes(&[5]), Err(DecodeError("flow action")));
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_are_an_error_or_flows_that_round_trip(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(flows) = Vec::<Flow>::from_bytes(&bytes) {
                proptest::prop_assert_eq!(Vec::<Flow>::from_bytes(&flows.to_bytes()), Ok(flows));
            }
        }
    }
}
