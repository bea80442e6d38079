//! The composer: the question box, Enter to send (Shift+Enter for a new line, never while an
//! input method is composing), and Send turning into Stop while a reply streams.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use super::icons::{self, Icon};
use crate::chat::Chat;

#[component]
pub fn Composer(chat: Chat, composer: NodeRef<html::Textarea>) -> impl IntoView {
    let send = move || {
        let text = chat.draft.get_untracked();
        if !text.trim().is_empty() {
            chat.draft.set(String::new());
            chat.ask(&text);
        }
    };
    let on_keydown = move |e: ev::KeyboardEvent| {
        if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
            e.prevent_default();
            send();
        }
    };
    let s = move || chat.strings();
    view! {
        <form class="ma-composer" on:submit=move |e: ev::SubmitEvent| { e.prevent_default(); send(); }>
            <textarea
                node_ref=composer
                class="ma-input"
                rows="1"
                aria-label=move || s().placeholder
                placeholder=move || s().placeholder
                prop:value=move || chat.draft.get()
                on:input=move |e| chat.draft.set(event_target_value(&e))
                on:keydown=on_keydown
            ></textarea>
            // Send turns into Stop while a reply streams.
            {move || if chat.streaming.get() {
                view! {
                    <button type="button" class="ma-send ma-stop" aria-label=s().stop on:click=move |_| chat.stop_streaming()>
                        <Icon path=icons::STOP size=20/>
                    </button>
                }
                .into_any()
            } else {
                view! { <button type="submit" class="ma-send" aria-label=s().send><Icon path=icons::SEND size=20/></button> }.into_any()
            }}
        </form>
    }
}
