//! The conversation log: a row per message, keyed by its id, each rendering from its own
//! signal; and the notes under it (typing, loading, a pack that failed to load).

use leptos::html;
use leptos::prelude::*;
use leptos::reactive::owner::Owner;
use leptos::tachys::reactive_graph::OwnedView;
use leptos::tachys::view::keyed::keyed;

use super::ai_reply::AiReply;
use super::answer::Answer;
use super::clarify::Clarify;
use super::handoff::{Handoff, HandoffLink, Missing};
use super::markdown::markdown;
use super::reply::LocalReply;
use super::resolution::Resolution;
use super::step::Step;
use crate::chat::{Chat, Row};
use crate::conversation::{Body, HandoffReason};
use crate::i18n::strings;

/// How many messages are in the page at first, and how many more each "Show earlier messages"
/// adds.
const RECENT_MESSAGES: usize = 100;

/// The messages, newest last.
#[component]
pub fn MessageList(chat: Chat, list: NodeRef<html::Div>) -> impl IntoView {
    // A new message comes into view: the end of the list, unless the newest message is a reply
    // taller than the list; then its top, so that a long answer is read from its title.
    Effect::new(move |_| {
        chat.messages.track();
        let Some(l) = list.get() else { return };
        request_animation_frame(move || scroll_to_newest(&l));
    });
    let s = move || chat.strings();
    // Only the newest messages are in the page (a long conversation would otherwise slow every
    // reply); "Show earlier messages" adds a page of older ones.
    let shown = RwSignal::new(RECENT_MESSAGES);
    let hidden = move || chat.messages.with(Vec::len).saturating_sub(shown.get());
    view! {
        <div class="ma-messages" node_ref=list tabindex="-1" role="log" aria-label=move || s().messages>
            {move || (hidden() > 0).then(|| view! {
                <button class="ma-chip ma-quiet ma-earlier" on:click=move |_| shown.update(|n| *n += RECENT_MESSAGES)>{s().earlier}</button>
            })}
            {rows(chat, move || { let skip = hidden(); chat.messages.with(|all| all[skip..].to_vec()) })}
            // While a reply streams: dots, then words with Stop and a person.
            {move || chat.streaming.get().then(|| {
                let s = s();
                if chat.slow.get() {
                    view! {
                        <div class="ma-still" role="status">
                            <p>{s.still_looking}</p>
                            <div class="ma-choices">
                                <button class="ma-chip" on:click=move |_| chat.stop_streaming()>{s.stop}</button>
                                <HandoffLink chat s summary=String::new() reason=HandoffReason::Waiting/>
                            </div>
                        </div>
                    }
                    .into_any()
                } else {
                    typing(s.typing).into_any()
                }
            })}
            // While the encoder tier reads a question (and loads, the first time).
            {move || (chat.reading.get() && !chat.streaming.get()).then(|| typing(s().typing))}
            {move || match (chat.index.with(Option::is_some), chat.load_failed.get()) {
                (_, true) => Some(view! { <p class="ma-note ma-error" role="alert">{s().load_failed}</p> }.into_any()),
                (false, false) => Some(view! { <p class="ma-note" role="status">{s().loading}</p> }.into_any()),
                (true, false) => None,
            }}
        </div>
    }
}

/// Three dots while a reply is on its way.
fn typing(label: &'static str) -> impl IntoView {
    view! { <div class="ma-typing" role="status" aria-label=label><span></span><span></span><span></span></div> }
}

/// The rows, keyed by message id: what `<For>` does, but each row's reactive owner is a root
/// of its own rather than a child of the list's.
///
/// Leptos 0.8 registers every child owner in its parent's list of children and never prunes the
/// dead ones (reactive_graph 0.3 does), so under the list, which lives as long as the page, each
/// message ever shown left its owner's allocation behind: about 80 bytes a row, 160 a question,
/// without bound. A row needs no context from above it, and its owner goes with its view.
fn rows(chat: Chat, each: impl Fn() -> Vec<Row> + Send + Sync + 'static) -> impl IntoView {
    move || {
        keyed(
            each(),
            |row| row.id,
            move |_, row| {
                let owner = root_owner();
                let view = owner.with(|| view! { <MessageView chat row/> });
                (drop, OwnedView::new_with_owner(view, owner))
            },
        )
    }
}

/// A new owner with no parent, leaving the current owner as it was.
fn root_owner() -> Owner {
    let current = Owner::current();
    let root = Owner::new_root(None);
    if let Some(current) = current {
        current.set();
    }
    root
}

/// One message, rendered again only when its own body changes, in the language it was
/// written in.
#[component]
fn MessageView(chat: Chat, row: Row) -> impl IntoView {
    let id = row.id;
    let s = strings(row.locale);
    move || match row.body.get() {
        Body::User(text) => view! { <div class="ma-msg ma-user">{text}</div> }.into_any(),
        Body::Note(text) => view! { <div class="ma-msg ma-bot">{markdown(&text)}</div> }.into_any(),
        Body::Answer { id: entry, title, markdown, links, flow, feedback } => {
            view! { <Answer chat s message=id entry title markdown links flow feedback/> }.into_any()
        }
        Body::Clarify { choices, question } => view! { <Clarify chat s choices question/> }.into_any(),
        Body::Reply { entry, text } => view! { <LocalReply chat s entry text/> }.into_any(),
        Body::Missing { entry, related, reason } => {
            view! { <Missing chat s message=id entry related reason/> }.into_any()
        }
        Body::Resolution { answer, .. } => view! { <Resolution chat s message=id answer/> }.into_any(),
        Body::Ai { text, sources, streaming, failed, redacted, question, cited, unsure } => {
            view! { <AiReply chat s text sources streaming failed redacted question cited unsure/> }.into_any()
        }
        Body::Step { text, choices, current } => view! { <Step chat s text choices current/> }.into_any(),
        Body::Handoff { intro, summary, reason } => view! { <Handoff chat s intro summary reason/> }.into_any(),
    }
}

/// The list is the messages' offset parent (`position: relative` in widget.css), so a message's
/// `offsetTop` is where the list must scroll to show its top.
fn scroll_to_newest(list: &web_sys::HtmlDivElement) {
    use wasm_bindgen::JsCast;
    let mut node = list.last_element_child();
    while let Some(el) = node.clone() {
        if el.get_attribute("class").is_some_and(|c| c.split(' ').any(|k| k == "ma-msg")) {
            break;
        }
        node = el.previous_element_sibling();
    }
    let newest = node.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok());
    match newest {
        Some(m) if !m.class_name().contains("ma-user") && m.offset_height() > list.client_height() => {
            list.set_scroll_top(m.offset_top())
        }
        _ => list.set_scroll_top(list.scroll_height()),
    }
}
