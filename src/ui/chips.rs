//! The rows of entry buttons above the composer: starter suggestions while the conversation is
//! new, and entries matching what is being typed.

use leptos::prelude::*;

use crate::chat::Chat;
use crate::conversation::{Body, Choice};

/// Featured entries, shown while the conversation has only the greeting.
#[component]
pub fn Starters(chat: Chat) -> impl IntoView {
    let starters = Memo::new(move |_| {
        let fresh = chat.messages.with(|rows| rows.iter().all(|r| r.body.with(|b| matches!(b, Body::Note(_)))));
        let Some(index) = chat.index.get() else { return Vec::new() };
        if !fresh {
            return Vec::new();
        }
        entry_choices(&index, index.featured(chat.locale(), chat.audience()).into_iter().take(4))
    });
    view! { <EntryChips chat class="ma-starters" choices=starters/> }
}

/// Entries matching what is being typed.
#[component]
pub fn Suggestions(chat: Chat) -> impl IntoView {
    let suggestions = Memo::new(move |_| {
        let draft = chat.draft.get();
        if draft.trim().chars().count() < 3 {
            return Vec::new();
        }
        let Some(index) = chat.index.get() else { return Vec::new() };
        entry_choices(&index, index.suggest(&draft, chat.locale(), chat.audience(), 3))
    });
    view! { <EntryChips chat class="ma-suggest" choices=suggestions/> }
}

fn entry_choices(index: &kb_core::Index, entries: impl IntoIterator<Item = u32>) -> Vec<Choice> {
    entries.into_iter().filter_map(|n| index.entry(n)).map(|e| Choice { id: e.id, title: e.title }).collect()
}

/// A row of entry buttons; choosing one answers it and clears the draft.
#[component]
fn EntryChips(chat: Chat, class: &'static str, choices: Memo<Vec<Choice>>) -> impl IntoView {
    view! {
        <Show when=move || !choices.get().is_empty()>
            <div class=class role="group" aria-label=move || chat.strings().suggestions>
                {move || choices.get().into_iter().map(|c| {
                    let title = c.title.clone();
                    view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| { chat.draft.set(String::new()); chat.choose(Some(c.clone())) }>{title}</button> }
                }).collect_view()}
            </div>
        </Show>
    }
}
