//! The offer to talk to a person, and the link that leads there (`data-handoff-url`, or the
//! page's `data-contact` when it has no link).

use leptos::prelude::*;

use crate::chat::Chat;

#[component]
pub fn Handoff(chat: Chat) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-handoff">
            <p>{chat.strings().handoff_offer}</p>
            <HandoffLink chat/>
        </div>
    }
}

#[component]
pub fn HandoffLink(chat: Chat) -> impl IntoView {
    let label = move || chat.strings().handoff;
    let (url, contact) = chat.config.with_value(|c| (c.handoff_url.clone(), c.contact.clone()));
    match (url, contact) {
        (Some(url), _) if kb_core::markdown::is_safe_url(&url) => {
            view! { <a class="ma-chip ma-primary" href=url target="_blank" rel="noopener noreferrer">{label}</a> }
                .into_any()
        }
        (_, Some(contact)) => view! { <span class="ma-fine">{label}": "{contact}</span> }.into_any(),
        _ => ().into_any(),
    }
}
