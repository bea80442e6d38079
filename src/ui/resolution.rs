//! "Did this solve your issue?": Yes and No while it waits for a reply, then what was said.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::conversation::Resolved;
use crate::i18n::Strings;

#[component]
pub fn Resolution(
    chat: Chat,
    s: &'static Strings,
    /// The message's id in the conversation.
    message: u64,
    answer: Resolved,
) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-resolution" data-answer=answer.name()>
            <p>{s.solved_question}</p>
            {match answer {
                Resolved::Pending => view! {
                    <div class="ma-choices">
                        <button class="ma-chip" data-solved="yes" on:click=move |_| chat.resolve(message, true)>{s.yes}</button>
                        <button class="ma-chip" data-solved="no" on:click=move |_| chat.resolve(message, false)>{s.no}</button>
                    </div>
                }.into_any(),
                Resolved::Yes => view! { <p class="ma-thanks" role="status">{s.solved_thanks}</p> }.into_any(),
                Resolved::No | Resolved::NoReply => ().into_any(),
            }}
        </div>
    }
}
