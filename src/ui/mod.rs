//! The chat's components: the launcher and the panel here; the message list, one component per
//! message kind, the suggestion rows and the composer in the files beside it.

mod ai_reply;
mod answer;
mod chips;
mod clarify;
mod composer;
mod handoff;
mod icons;
pub mod markdown;
mod messages;
mod reply;
mod resolution;
mod step;

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use crate::chat::Chat;
use chips::SuggestionRow;
use composer::Composer;
use icons::Icon;
use messages::MessageList;

#[component]
pub fn App(chat: Chat) -> impl IntoView {
    let launcher = NodeRef::<html::Button>::new();
    let dir = chat.config.with_value(|c| c.dir.clone()).filter(|d| d == "rtl").unwrap_or_else(|| "ltr".into());
    // Focus returns to the launcher when the panel closes.
    Effect::new(move |was_open: Option<bool>| {
        let open = chat.open.get();
        if was_open == Some(true) && !open {
            if let Some(b) = launcher.get() {
                let _ = b.focus();
            }
        }
        open
    });
    view! {
        <div class="ma-root" dir=dir lang=move || chat.locale().code()>
            <button
                class="ma-launcher"
                node_ref=launcher
                aria-label=move || chat.strings().open
                aria-expanded=move || chat.open.get().to_string()
                aria-controls="ma-panel"
                on:click=move |_| chat.set_open(!chat.open.get_untracked())
            >
                // A chat bubble when closed, a chevron (collapse) while the panel is open.
                {move || view! { <Icon path=if chat.open.get() { icons::CHEVRON_DOWN } else { icons::BUBBLE } size=28/> }}
                {move || chat.unread.get().then(|| view! { <span class="ma-unread" aria-hidden="true"></span> })}
            </button>
            {move || chat.open.get().then(|| view! { <Panel chat/> })}
        </div>
    }
}

#[component]
fn Panel(chat: Chat) -> impl IntoView {
    let composer = NodeRef::<html::Textarea>::new();
    let list = NodeRef::<html::Div>::new();
    // Focus moves into the panel: to the composer, except on touch screens, where that would
    // throw the on-screen keyboard over the answer; there the message log takes focus.
    Effect::new(move |_| {
        let touch = web_sys::window()
            .and_then(|w| w.match_media("(pointer: coarse)").ok().flatten())
            .is_some_and(|m| m.matches());
        if touch {
            if let Some(l) = list.get() {
                let _ = l.focus();
            }
        } else if let Some(t) = composer.get() {
            let _ = t.focus();
        }
    });
    let on_keydown = move |e: ev::KeyboardEvent| {
        if e.key() == "Escape" {
            chat.set_open(false);
        }
    };
    let s = move || chat.strings();
    view! {
        <section id="ma-panel" class="ma-panel" role="dialog" aria-modal="false" aria-labelledby="ma-title" on:keydown=on_keydown>
            <div class="ma-header">
                <h2 id="ma-title" class="ma-title">{move || s().title}</h2>
                <button class="ma-icon" title=move || s().new_chat aria-label=move || s().new_chat on:click=move |_| chat.new_conversation()>
                    <Icon path=icons::NEW_CHAT size=20/>
                </button>
                <button class="ma-icon ma-close" aria-label=move || s().close on:click=move |_| chat.set_open(false)>
                    <Icon path=icons::CLOSE size=20/>
                </button>
            </div>
            <MessageList chat list/>
            <SuggestionRow chat/>
            <Composer chat composer/>
            <div class="ma-sr" aria-live="polite" aria-atomic="true">{move || chat.announce.get()}</div>
        </section>
    }
}
