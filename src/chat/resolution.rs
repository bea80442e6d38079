//! "Did this solve your issue?": asked once an answer has stayed the last message for a while
//! (`data-resolution-delay`, 15 s by default: time to read it and try) or once a flow has
//! finished; its reply ("no" offers a person); and the prompts nobody answered, settled as "no
//! reply" when another question comes first or the page goes away. Each prompt gives one
//! `resolution` event, with its reply.

use std::time::Duration;

use leptos::prelude::*;

use super::Chat;
use crate::conversation::{Body, HandoffReason, Resolved};

/// How long an answer stays the last message before the question is asked.
const DEFAULT_DELAY: Duration = Duration::from_secs(15);

impl Chat {
    /// Asks "did this solve your issue?" about `entry` (an answer) or `flow` (a finished flow)
    /// after the delay, unless a message or another request comes meanwhile, or a reply is
    /// streaming then.
    pub(super) fn ask_resolution_later(&self, entry: Option<String>, flow: Option<String>) {
        // A later request replaces an earlier one (a flow that ends on an answer asks about the
        // flow).
        self.generation.update_value(|g| *g += 1);
        let due = self.generation.get_value();
        let delay = self.config.with_value(|c| c.resolution_delay).map_or(DEFAULT_DELAY, Duration::from_millis);
        let chat = *self;
        set_timeout(
            move || {
                let unchanged = chat.generation.try_get_value() == Some(due);
                if unchanged && !chat.streaming.get_untracked() && chat.flow.with_untracked(Option::is_none) {
                    chat.push(Body::Resolution { entry, flow, answer: Resolved::Pending });
                }
            },
            delay,
        );
    }

    /// The reply to the prompt in message `message`.
    pub fn resolve(&self, message: u64, solved: bool) {
        let answer = if solved { Resolved::Yes } else { Resolved::No };
        let mut asked = None;
        self.update(message, |b| {
            if let Body::Resolution { entry, flow, answer: pending @ Resolved::Pending } = b {
                *pending = answer;
                asked = Some((entry.clone(), flow.clone()));
            }
        });
        let Some((entry, flow)) = asked else { return };
        self.track_resolution(entry.as_deref(), flow.as_deref(), answer);
        if !solved {
            self.offer_handoff(Some(self.text().unsolved_offer.to_string()), None, HandoffReason::Unresolved);
        }
    }

    /// Prompts still waiting for a reply get none: another question came first, or the page is
    /// going away.
    pub(super) fn settle_resolutions(&self) {
        let mut settled = Vec::new();
        self.update_all(|b| match b {
            Body::Resolution { entry, flow, answer: pending @ Resolved::Pending } => {
                *pending = Resolved::NoReply;
                settled.push((entry.clone(), flow.clone()));
                true
            }
            _ => false,
        });
        for (entry, flow) in &settled {
            self.track_resolution(entry.as_deref(), flow.as_deref(), Resolved::NoReply);
        }
    }
}
