//! "Did you mean": the closest entries as buttons, and "None of these".

use leptos::prelude::*;

use crate::chat::Chat;
use crate::conversation::Choice;

#[component]
pub fn Clarify(chat: Chat, choices: Vec<Choice>) -> impl IntoView {
    let s = chat.strings();
    view! {
        <div class="ma-msg ma-bot ma-clarify">
            <p>{s.did_you_mean}</p>
            <div class="ma-choices">
                {choices.into_iter().map(|c| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.choose(Some(c.clone()))>{title}</button> }
                }).collect_view()}
                <button class="ma-chip ma-quiet" on:click=move |_| chat.choose(None)>{s.none_of_these}</button>
            </div>
        </div>
    }
}
