//! The chat's components: launcher, panel, messages, suggestions and composer.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use crate::chat::Chat;
use crate::conversation::{Body, Choice};
use crate::render::markdown;

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
                <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
                    <path fill="currentColor" d=move || if chat.open.get() { "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z" } else { "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" }/>
                </svg>
                <Show when=move || chat.unread.get()>
                    <span class="ma-unread" aria-hidden="true"></span>
                </Show>
            </button>
            <Show when=move || chat.open.get()>
                <Panel chat/>
            </Show>
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
    // Keep the newest message in view.
    Effect::new(move |_| {
        chat.messages.track();
        if let Some(l) = list.get() {
            l.set_scroll_top(l.scroll_height());
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
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M12 5V2L8 6l4 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z"/></svg>
                </button>
                <button class="ma-icon ma-close" aria-label=move || s().close on:click=move |_| chat.set_open(false)>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"/></svg>
                </button>
            </div>
            <div class="ma-messages" node_ref=list tabindex="-1" role="log" aria-label=move || s().messages>
                <For each=move || chat.messages.get() key=|m| m.id let:m>
                    <MessageView chat id=m.id/>
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
            <Starters chat/>
            <Suggestions chat/>
            <Composer chat composer/>
            <div class="ma-sr" aria-live="polite" aria-atomic="true">{move || chat.announce.get()}</div>
        </section>
    }
}

#[component]
fn MessageView(chat: Chat, id: u64) -> impl IntoView {
    let body = Memo::new(move |_| chat.messages.with(|m| m.iter().find(|m| m.id == id).map(|m| m.body.clone())));
    move || body.get().map(|b| render_body(chat, id, b))
}

fn render_body(chat: Chat, id: u64, body: Body) -> AnyView {
    let s = chat.strings();
    match body {
        Body::User(text) => view! { <div class="ma-msg ma-user">{text}</div> }.into_any(),
        Body::Note(text) => view! { <div class="ma-msg ma-bot">{markdown(&text)}</div> }.into_any(),
        Body::Answer { id: entry, title, markdown: md, links, flow, feedback } => {
            let entry_for_yes = entry.clone();
            let entry_for_no = entry.clone();
            view! {
                <article class="ma-msg ma-bot ma-answer" data-entry=entry.clone() data-msg=id.to_string()>
                    <h3 class="ma-answer-title">{title}</h3>
                    {markdown(&md)}
                    <Show when={let f = flow.clone(); move || f.is_some()}>
                        <button class="ma-chip" on:click={let f = flow.clone(); move |_| if let Some(f) = &f { chat.start_flow(f) }}>
                            {move || chat.strings().guide_me}
                        </button>
                    </Show>
                    <footer class="ma-sources">
                        {links.into_iter().map(|l| view! {
                            <a class="ma-source" href=l.url target="_blank" rel="noopener noreferrer">{s.source}": "{l.label}</a>
                        }).collect_view()}
                    </footer>
                    <div class="ma-feedback">
                        {match feedback {
                            Some(_) => view! { <span class="ma-thanks" role="status" tabindex="-1">{s.thanks}</span> }.into_any(),
                            // Icons, not emoji: emoji fonts are missing on many desktops.
                            None => view! {
                                <button class="ma-fb" aria-label=s.helpful title=s.helpful on:click=move |e: ev::MouseEvent| { chat.feedback(id, &entry_for_yes, true); refocus_thanks(&e, id) }>
                                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d={THUMB_UP}/></svg>
                                </button>
                                <button class="ma-fb ma-fb-down" aria-label=s.not_helpful title=s.not_helpful on:click=move |e: ev::MouseEvent| { chat.feedback(id, &entry_for_no, false); refocus_thanks(&e, id) }>
                                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d={THUMB_UP}/></svg>
                                </button>
                            }.into_any(),
                        }}
                    </div>
                </article>
            }
            .into_any()
        }
        Body::Clarify(choices) => view! {
            <div class="ma-msg ma-bot ma-clarify">
                <p>{s.did_you_mean}</p>
                <div class="ma-choices">
                    {choices.into_iter().map(|c| {
                        let title = c.title.clone();
                        view! { <button class="ma-chip" data-entry=c.id.clone() on:click=move |_| chat.choose(Some(c.clone()))>{title}</button> }
                    }).collect_view()}
                    <button class="ma-chip ma-quiet" on:click=move |_| chat.choose(None)>{s.none_of_these}</button>
                </div>
            </div>
        }
        .into_any(),
        Body::Ai { text, sources, streaming, failed, redacted, question, cited } => view! {
            <div class="ma-msg ma-bot ma-ai" aria-busy=streaming.to_string()>
                {markdown(&text)}
                <Show when=move || redacted><p class="ma-fine">{s.redacted_note}</p></Show>
                <Show when=move || !streaming && !failed><p class="ma-fine">{s.ai_note}</p></Show>
                <Show when={let any = !sources.is_empty(); move || any && !streaming}>
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
        .into_any(),
        Body::Step { text, choices, current } => view! {
            <div class="ma-msg ma-bot ma-step">
                {markdown(&text)}
                <Show when=move || current>
                    <div class="ma-choices">
                        {choices.iter().cloned().enumerate().map(|(i, label)| {
                            let l = label.clone();
                            view! { <button class="ma-chip" on:click=move |_| chat.flow_choice(i, &l)>{label}</button> }
                        }).collect_view()}
                    </div>
                    <p class="ma-fine">{s.leave_flow}</p>
                </Show>
            </div>
        }
        .into_any(),
        Body::Handoff { .. } => view! {
            <div class="ma-msg ma-bot ma-handoff">
                <p>{s.handoff_offer}</p>
                <HandoffLink chat/>
            </div>
        }
        .into_any(),
    }
}

/// A thumbs-up outline (Material "thumb_up", Apache-2.0); rotated 180° for thumbs-down.
const THUMB_UP: &str = "M9 21h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.58 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2zm0-12 4.34-4.34L12 10h9v2l-3 7H9V9zM1 9h4v12H1z";

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

#[component]
fn HandoffLink(chat: Chat) -> impl IntoView {
    let label = move || chat.strings().handoff;
    match chat.handoff_url() {
        Some(url) if kb_core::markdown::is_safe_url(&url) => {
            view! { <a class="ma-chip ma-primary" href=url target="_blank" rel="noopener noreferrer">{label}</a> }
                .into_any()
        }
        _ => view! { <span class="ma-fine">{label}": help@demo-market.example"</span> }.into_any(),
    }
}

/// Featured entries, shown while the conversation has only the greeting.
#[component]
fn Starters(chat: Chat) -> impl IntoView {
    let starters = Memo::new(move |_| {
        let fresh = chat.messages.with(|m| m.iter().all(|m| matches!(m.body, Body::Note(_))));
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
fn Suggestions(chat: Chat) -> impl IntoView {
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

/// A row of entry buttons above the composer; choosing one answers it and clears the draft.
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

#[component]
fn Composer(chat: Chat, composer: NodeRef<html::Textarea>) -> impl IntoView {
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
            <Show
                when=move || chat.streaming.get()
                fallback=move || view! { <button type="submit" class="ma-send" aria-label=move || s().send>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 20V4l19 8z"/></svg>
                </button> }
            >
                <button type="button" class="ma-send ma-stop" aria-label=move || s().stop on:click=move |_| chat.stop_streaming()>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M6 6h12v12H6z"/></svg>
                </button>
            </Show>
        </form>
    }
}
