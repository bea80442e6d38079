//! A local reply to small talk or an off-topic question (a system entry's text), with starter
//! suggestions under it: what the assistant can help with.

use leptos::prelude::*;

use super::markdown::markdown;
use crate::chat::{Chat, Source};
use crate::i18n::Strings;

#[component]
pub fn LocalReply(chat: Chat, s: &'static Strings, entry: String, text: String) -> impl IntoView {
    let starters = untrack(|| chat.starters());
    view! {
        <div class="ma-msg ma-bot ma-reply" data-entry=entry>
            {markdown(&text)}
            <div class="ma-choices" role="group" aria-label=s.suggestions>
                {starters.into_iter().map(|c| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.choose(c.clone(), Source::Reply)>{title}</button> }
                }).collect_view()}
            </div>
        </div>
    }
}
