//! A step of a guided flow: its message, and while it is the current step, its buttons and the
//! hint that typing a question leaves the flow.

use leptos::prelude::*;

use super::markdown::markdown;
use crate::chat::Chat;
use crate::i18n::Strings;

#[component]
pub fn Step(chat: Chat, s: &'static Strings, text: String, choices: Vec<String>, current: bool) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-step">
            {markdown(&text)}
            {current.then(|| view! {
                <div class="ma-choices">
                    {choices.into_iter().enumerate().map(|(i, label)| {
                        let l = label.clone();
                        view! { <button class="ma-chip" on:click=move |_| chat.flow_choice(i, &l)>{label}</button> }
                    }).collect_view()}
                </div>
                <p class="ma-fine">{s.leave_flow}</p>
            })}
        </div>
    }
}
