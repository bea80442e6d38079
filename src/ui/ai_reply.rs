//! A reply from the LLM: its streamed Markdown, the notes on where it comes from (AI-generated,
//! personal details removed), its cited or related articles, and "try again" after a failure.

use leptos::prelude::*;

use super::handoff::HandoffLink;
use super::markdown::markdown;
use crate::chat::Chat;
use crate::conversation::Choice;

#[component]
pub fn AiReply(
    chat: Chat,
    text: String,
    sources: Vec<Choice>,
    streaming: bool,
    failed: bool,
    redacted: bool,
    /// The question, for "try again".
    question: String,
    /// The model cited its sources (else they are shown as related articles).
    cited: bool,
) -> impl IntoView {
    let s = chat.strings();
    let any_sources = !sources.is_empty();
    view! {
        <div class="ma-msg ma-bot ma-ai" aria-busy=streaming.to_string()>
            {markdown(&text)}
            <Show when=move || redacted><p class="ma-fine">{s.redacted_note}</p></Show>
            <Show when=move || !streaming && !failed><p class="ma-fine">{s.ai_note}</p></Show>
            <Show when=move || any_sources && !streaming>
                <p class="ma-fine">{if cited { s.source } else { s.related }}</p>
            </Show>
            <div class="ma-choices">
                {sources.into_iter().filter(|_| !streaming).map(|c: Choice| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.show_entry_id(&c.id)>"↗ "{title}</button> }
                }).collect_view()}
                <Show when=move || failed>
                    <button class="ma-chip" on:click={let q = question.clone(); move |_| chat.retry(q.clone())}>{s.retry}</button>
                    <HandoffLink chat/>
                </Show>
            </div>
        </div>
    }
}
