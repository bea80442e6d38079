//! "Did you mean": the closest entries as buttons, and "None of these", which hands the
//! question to a person.

use leptos::prelude::*;

use crate::chat::{Chat, Source};
use crate::conversation::Choice;
use crate::i18n::Strings;

#[component]
pub fn Clarify(chat: Chat, s: &'static Strings, choices: Vec<Choice>, question: String) -> impl IntoView {
    view! {
        <div class="ma-msg ma-bot ma-clarify">
            <p>{s.did_you_mean}</p>
            <div class="ma-choices">
                {choices.into_iter().map(|c| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.choose(c.clone(), Source::DidYouMean)>{title}</button> }
                }).collect_view()}
                <button class="ma-chip ma-quiet" on:click=move |_| chat.none_of_these(&question)>{s.none_of_these}</button>
            </div>
        </div>
    }
}
