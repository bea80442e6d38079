//! The conversation log: a row per message, keyed by its id, each rendering from its own
//! signal; and the notes under it (typing, loading, a pack that failed to load).

use leptos::html;
use leptos::prelude::*;

use super::ai_reply::AiReply;
use super::answer::Answer;
use super::clarify::Clarify;
use super::handoff::Handoff;
use super::markdown::markdown;
use super::step::Step;
use crate::chat::{Chat, Row};
use crate::conversation::Body;

#[component]
pub fn MessageList(chat: Chat, list: NodeRef<html::Div>) -> impl IntoView {
    // Keep the newest message in view.
    Effect::new(move |_| {
        chat.messages.track();
        if let Some(l) = list.get() {
            l.set_scroll_top(l.scroll_height());
        }
    });
    let s = move || chat.strings();
    view! {
        <div class="ma-messages" node_ref=list tabindex="-1" role="log" aria-label=move || s().messages>
            <For each=move || chat.messages.get() key=|row| row.id let:row>
                <MessageView chat row/>
            </For>
            <Show when=move || chat.streaming.get()>
                <div class="ma-typing" role="status" aria-label=move || s().typing><span></span><span></span><span></span></div>
            </Show>
            <Show when=move || chat.index.get().is_none() && !chat.load_failed.get()>
                <p class="ma-note" role="status">{move || s().loading}</p>
            </Show>
            <Show when=move || chat.load_failed.get()>
                <p class="ma-note ma-error" role="alert">{move || s().load_failed}</p>
            </Show>
        </div>
    }
}

/// One message, rendered again only when its own body changes.
#[component]
fn MessageView(chat: Chat, row: Row) -> impl IntoView {
    let id = row.id;
    move || match row.body.get() {
        Body::User(text) => view! { <div class="ma-msg ma-user">{text}</div> }.into_any(),
        Body::Note(text) => view! { <div class="ma-msg ma-bot">{markdown(&text)}</div> }.into_any(),
        Body::Answer { id: entry, title, markdown, links, flow, feedback } => {
            view! { <Answer chat message=id entry title markdown links flow feedback/> }.into_any()
        }
        Body::Clarify(choices) => view! { <Clarify chat choices/> }.into_any(),
        Body::Ai { text, sources, streaming, failed, redacted, question, cited } => {
            view! { <AiReply chat text sources streaming failed redacted question cited/> }.into_any()
        }
        Body::Step { text, choices, current } => view! { <Step chat text choices current/> }.into_any(),
        Body::Handoff { .. } => view! { <Handoff chat/> }.into_any(),
    }
}
