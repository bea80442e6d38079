//! Talking to a person: the offer with its link (`data-handoff-url`, where `{summary}` takes the
//! conversation's summary, or the page's `data-contact` when it has no link), and after a "not
//! helpful", what else might help.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::conversation::Choice;
use crate::i18n::Strings;

#[component]
pub fn Handoff(chat: Chat, s: &'static Strings, intro: String, summary: String) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-handoff">
            {super::markdown::markdown(&intro)}
            <HandoffLink chat s summary/>
        </div>
    }
}

/// The way to a person: a link, the page's contact, or nothing when the page gave neither.
#[component]
pub fn HandoffLink(chat: Chat, s: &'static Strings, summary: String) -> impl IntoView {
    let contact = chat.config.with_value(|c| c.contact.clone());
    match (chat.handoff_href(&summary), contact) {
        (Some(url), _) => view! {
            <a class="ma-chip ma-primary" href=url target="_blank" rel="noopener noreferrer">{s.handoff}</a>
        }
        .into_any(),
        (None, Some(contact)) => view! { <span class="ma-fine">{s.handoff}": "{contact}</span> }.into_any(),
        (None, None) => ().into_any(),
    }
}

/// After "not helpful": ask again in other words, a related article, or a person.
#[component]
pub fn Missing(chat: Chat, s: &'static Strings, related: Vec<Choice>) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-missing">
            <p><strong>{s.missing}</strong></p>
            <p>{s.rephrase_hint}</p>
            <div class="ma-choices">
                {related.into_iter().map(|c| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.choose(c.clone())>{title}</button> }
                }).collect_view()}
                <HandoffLink chat s summary=String::new()/>
            </div>
        </div>
    }
}
