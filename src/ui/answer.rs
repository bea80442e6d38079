//! A local answer: the entry's title, its Markdown, the guided flow it offers, its source links
//! and the helpful / not helpful buttons.

use leptos::ev;
use leptos::prelude::*;

use super::icons::{self, Icon};

use crate::chat::Chat;
use crate::i18n::Strings;
use kb_core::Link;

#[component]
pub fn Answer(
    chat: Chat,
    /// The strings of the message's language.
    s: &'static Strings,
    /// The message's id in the conversation.
    message: u64,
    /// The entry's id.
    entry: String,
    title: String,
    markdown: String,
    links: Vec<Link>,
    flow: Option<String>,
    feedback: Option<bool>,
) -> impl IntoView {
    let for_feedback = entry.clone();
    view! {
        <article class="ma-msg ma-bot ma-answer" data-entry=entry data-msg=message.to_string()>
            <h3 class="ma-answer-title">{title}</h3>
            {super::markdown::markdown(&markdown)}
            {flow.map(|f| view! {
                <button class="ma-chip" on:click=move |_| chat.start_flow(&f, drop)>{s.guide_me}</button>
            })}
            <footer class="ma-sources">
                {links.into_iter().map(|l| view! {
                    <a class="ma-source" href=l.url target="_blank" rel="noopener noreferrer">{s.source}": "{l.label}</a>
                }).collect_view()}
            </footer>
            <Feedback chat s message entry=for_feedback given=feedback/>
        </article>
    }
}

/// The feedback buttons, or the thank-you note that replaces them.
#[component]
fn Feedback(chat: Chat, s: &'static Strings, message: u64, entry: String, given: Option<bool>) -> impl IntoView {
    let button = move |helpful: bool| {
        let entry = entry.clone();
        let (class, label) = if helpful { ("ma-fb", s.helpful) } else { ("ma-fb ma-fb-down", s.not_helpful) };
        view! {
            <button class=class aria-label=label title=label on:click=move |e: ev::MouseEvent| {
                chat.feedback(message, &entry, helpful);
                refocus_thanks(&e, message)
            }>
                <Icon path=icons::THUMB_UP size=18/>
            </button>
        }
    };
    view! {
        <div class="ma-feedback">
            {match given {
                Some(_) => view! { <span class="ma-thanks" role="status" tabindex="-1">{s.thanks}</span> }.into_any(),
                None => view! { {button(true)} {button(false)} }.into_any(),
            }}
        </div>
    }
}

/// The feedback buttons are replaced by a thank-you note; move focus there so keyboard and
/// screen-reader users are not dropped at the top of the host page.
fn refocus_thanks(e: &ev::MouseEvent, id: u64) {
    use wasm_bindgen::JsCast;
    let Some(root) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
        .and_then(|n| n.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok())
    else {
        return;
    };
    request_animation_frame(move || {
        if let Ok(Some(el)) = root.query_selector(&format!("[data-msg=\"{id}\"] .ma-thanks")) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
}
