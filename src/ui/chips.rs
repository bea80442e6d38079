//! The row of entry buttons above the composer: entries matching what is being typed, or,
//! while the conversation is new and nothing is typed, the starter suggestions. One row at a
//! time, so the two never stack.

use leptos::prelude::*;

use crate::chat::{choices, Chat, Source};
use crate::conversation::Body;

/// How many characters of a draft make it worth suggesting entries.
const SUGGEST_FROM_CHARS: usize = 3;

#[component]
pub fn SuggestionRow(chat: Chat) -> impl IntoView {
    let row = Memo::new(move |_| {
        let draft = chat.draft.get();
        chat.index.track();
        if draft.trim().chars().count() >= SUGGEST_FROM_CHARS {
            let Some(index) = chat.index.get() else { return (Source::Suggestion, Vec::new()) };
            let entries = index.suggest(&draft, chat.locale(), chat.audience(), 3);
            return (Source::Suggestion, choices(&index, entries));
        }
        let fresh = chat.messages.with(|rows| rows.iter().all(|r| r.body.with(|b| matches!(b, Body::Note(_)))));
        (Source::Starter, if fresh { chat.starters() } else { Vec::new() })
    });
    view! {
        {move || {
            let (source, entries) = row.get();
            let class = if source == Source::Starter { "ma-starters" } else { "ma-suggest" };
            (!entries.is_empty()).then(|| view! {
                <div class=class role="group" aria-label=chat.strings().suggestions>
                    {entries.into_iter().map(|c| {
                        let title = c.title.clone();
                        view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| { chat.draft.set(String::new()); chat.choose(c.clone(), source) }>{title}</button> }
                    }).collect_view()}
                </div>
            })
        }}
    }
}
