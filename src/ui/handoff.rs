//! Talking to a person: the offer with its link (`data-handoff-url`, where `{summary}` takes the
//! conversation's summary, or the page's `data-contact` when it has no link), and after a "not
//! helpful", what was wrong and what else might help.

use leptos::prelude::*;

use crate::chat::{Chat, Source};
use crate::conversation::{Choice, FeedbackReason, HandoffReason};
use crate::i18n::Strings;

#[component]
pub fn Handoff(
    chat: Chat,
    s: &'static Strings,
    intro: String,
    summary: String,
    reason: HandoffReason,
) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-handoff">
            {super::markdown::markdown(&intro)}
            <HandoffLink chat s summary reason/>
        </div>
    }
}

/// The way to a person: a link, the page's contact, or nothing when the page gave neither. A
/// click on the link is an analytics event, with why it was offered.
#[component]
pub fn HandoffLink(chat: Chat, s: &'static Strings, summary: String, reason: HandoffReason) -> impl IntoView {
    let contact = chat.config.with_value(|c| c.contact.clone());
    match (chat.handoff_href(&summary), contact) {
        (Some(url), _) => view! {
            <a class="ma-chip ma-primary" href=url target="_blank" rel="noopener noreferrer"
                on:click=move |_| chat.track_handoff_click(reason)>{s.handoff}</a>
        }
        .into_any(),
        (None, Some(contact)) => view! { <span class="ma-fine">{s.handoff}": "{contact}</span> }.into_any(),
        (None, None) => ().into_any(),
    }
}

/// After "not helpful": what was wrong (once), then ask again in other words, a related
/// article, or a person.
#[component]
pub fn Missing(
    chat: Chat,
    s: &'static Strings,
    /// The message's id in the conversation.
    message: u64,
    /// The unhelpful entry.
    entry: String,
    related: Vec<Choice>,
    reason: Option<FeedbackReason>,
) -> impl IntoView {
    let reasons = [
        (FeedbackReason::NotMyQuestion, s.reason_not_my_question),
        (FeedbackReason::Unclear, s.reason_unclear),
        (FeedbackReason::Wrong, s.reason_wrong),
    ];
    view! {
        <div class="ma-msg ma-bot ma-missing" data-entry=entry>
            <p><strong>{s.what_wrong}</strong></p>
            {match reason {
                Some(_) => view! { <p class="ma-thanks" role="status">{s.thanks}</p> }.into_any(),
                None => view! {
                    <div class="ma-choices ma-reasons">
                        {reasons.into_iter().map(|(r, label)| view! {
                            <button class="ma-chip ma-quiet" data-reason=r.name() on:click=move |_| chat.feedback_reason(message, r)>{label}</button>
                        }).collect_view()}
                    </div>
                }.into_any(),
            }}
            <p>{s.rephrase_hint}</p>
            <div class="ma-choices">
                {related.into_iter().map(|c| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.choose(c.clone(), Source::Related)>{title}</button> }
                }).collect_view()}
                <HandoffLink chat s summary=String::new() reason=HandoffReason::Missing/>
            </div>
        </div>
    }
}
