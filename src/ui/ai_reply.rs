//! A reply from the LLM: its streamed Markdown, the notes on where it comes from (AI-generated,
//! personal details removed), its cited or related articles, "try again" after a failure, and
//! "not sure" (with the related articles and a person) when it cited nothing it was given.

use leptos::prelude::*;

use super::handoff::HandoffLink;
use super::markdown::markdown;
use crate::chat::{Chat, Source};
use crate::conversation::{Choice, HandoffReason};
use crate::i18n::Strings;

#[component]
pub fn AiReply(
    chat: Chat,
    s: &'static Strings,
    text: String,
    sources: Vec<Choice>,
    streaming: bool,
    failed: bool,
    redacted: bool,
    /// The question, for "try again".
    question: String,
    /// The model cited its sources (else they are shown as related articles).
    cited: bool,
    /// The reply was not grounded: it is replaced by "not sure".
    unsure: bool,
) -> impl IntoView {
    let any_sources = !sources.is_empty();
    let shown = if unsure { s.ai_unsure.to_string() } else { text };
    let summary_question = question.clone();
    let reason = if failed { HandoffReason::AiFailed } else { HandoffReason::AiUnsure };
    // The message renders again when its body changes, so these are plain conditions, not
    // reactive ones.
    view! {
        <div class="ma-msg ma-bot ma-ai" class:ma-unsure=unsure aria-busy=streaming.to_string()>
            {markdown(&shown)}
            {redacted.then(|| view! { <p class="ma-fine">{s.redacted_note}</p> })}
            {(!streaming && !failed && !unsure).then(|| view! { <p class="ma-fine">{s.ai_note}</p> })}
            {(any_sources && !streaming).then(|| view! { <p class="ma-fine">{if cited { s.source } else { s.related }}</p> })}
            <div class="ma-choices">
                {sources.into_iter().filter(|_| !streaming).map(|c: Choice| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.open_entry(&c.id, Source::Related)>"↗ "{title}</button> }
                }).collect_view()}
                {failed.then(|| view! {
                    <button class="ma-chip" on:click=move |_| chat.retry(question.clone())>{s.retry}</button>
                })}
                {(failed || unsure).then(|| view! { <HandoffLink chat s summary=summary_question reason/> })}
            </div>
        </div>
    }
}
