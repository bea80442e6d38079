//! Component tests in headless Chromium (`cargo test --target wasm32-unknown-unknown`).
//!
//! Markdown rendering is checked in a plain `<div>`; the widget is mounted into an open shadow
//! root, the way `embed.js` does it, with an index built here from a tiny corpus by
//! `kb_compiler::builder::build`. Events are dispatched the way a browser would
//! (`bubbles` + `composed`), and `leptos::task::tick()` lets the reactive system catch up before
//! each assertion.

use std::sync::Arc;

use kb_compiler::builder::{build, BuildOptions};
use kb_compiler::knowledge::{Corpus, SourceEntry};
use kb_core::flow::{Action, Choice as FlowChoice, Flow, Step};
use kb_core::market::Variant;
use kb_core::Locale;
use kb_core::{Entry, Index, Link, Market};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, ShadowRoot};

use crate::chat::Chat;
use crate::config::Config;

wasm_bindgen_test_configure!(run_in_browser);

// ---- DOM helpers ---------------------------------------------------------------------------

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// `querySelectorAll` as a `Vec` (web-sys' `NodeList` feature is not enabled in this crate).
fn all(root: &JsValue, selector: &str) -> Vec<Element> {
    let f = js_sys::Function::new_with_args("root, sel", "return Array.from(root.querySelectorAll(sel));");
    let array: js_sys::Array = f.call2(&JsValue::NULL, root, &JsValue::from_str(selector)).unwrap().unchecked_into();
    array.iter().map(|e| e.unchecked_into()).collect()
}

fn one(root: &JsValue, selector: &str) -> Element {
    let found = all(root, selector);
    assert_eq!(found.len(), 1, "expected exactly one `{selector}`, found {}", found.len());
    found.into_iter().next().unwrap()
}

fn count(root: &JsValue, selector: &str) -> usize {
    all(root, selector).len()
}

fn text(el: &Element) -> String {
    el.text_content().unwrap_or_default()
}

fn click(el: &Element) {
    el.unchecked_ref::<HtmlElement>().click();
}

/// Dispatches a `keydown` the way a real key press arrives (bubbles, crosses the shadow root).
/// Returns whether the default action was prevented.
fn key(el: &Element, key: &str) -> bool {
    let f = js_sys::Function::new_with_args(
        "el, key",
        "const e = new KeyboardEvent('keydown', {key, bubbles: true, composed: true, cancelable: true}); \
         el.dispatchEvent(e); return e.defaultPrevented;",
    );
    f.call2(&JsValue::NULL, el, &JsValue::from_str(key)).unwrap().as_bool().unwrap()
}

/// Types `value` into a textarea: sets the value and fires `input`.
fn type_into(el: &Element, value: &str) {
    let f = js_sys::Function::new_with_args(
        "el, value",
        "el.value = value; el.dispatchEvent(new InputEvent('input', {bubbles: true, composed: true, data: value}));",
    );
    f.call2(&JsValue::NULL, el, &JsValue::from_str(value)).unwrap();
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Lets effects, memos and the DOM catch up after an event.
async fn settle() {
    for _ in 0..3 {
        leptos::task::tick().await;
    }
    sleep(0).await;
    leptos::task::tick().await;
}

/// Waits (up to ~3 s) for something asynchronous, such as a fetch.
async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..150 {
        if ready() {
            return;
        }
        sleep(20).await;
    }
    panic!("timed out waiting for {what}");
}

// ---- the knowledge used by the widget tests -----------------------------------------------

fn entry(id: &str, title: &str, answer: &str, questions: &[&str]) -> SourceEntry {
    SourceEntry {
        entry: Entry::new(id, title, Locale::En, answer),
        questions: questions.iter().map(|q| q.to_string()).collect(),
        replaces: Vec::new(),
    }
}

fn corpus() -> Corpus {
    let mut track = entry(
        "track-order",
        "Track my order",
        "Open **Orders** and tap **Track**.\n\n- See the carrier\n- See the delivery date",
        &["where is my parcel", "track my package", "when will my order arrive"],
    );
    track.entry.featured = true;
    track.entry.links = vec![Link { label: "My orders".into(), url: "https://demo-market.example/orders".into() }];
    let mut ret = entry(
        "return-item",
        "Return an item",
        "You can return most items within **30 days** of delivery.",
        &["how do I return something", "send an item back", "return policy"],
    );
    ret.entry.flow = Some("return-flow".into());
    ret.entry.variants = vec![Variant {
        market: Market::Th,
        text: "In Thailand you can return most items within **7 days** of delivery.".into(),
    }];
    let pay = entry(
        "payment-methods",
        "Payment methods",
        "We accept cards and bank transfer.",
        &["which payment methods are accepted", "can I pay by card"],
    );
    let mut fees = entry(
        "seller-fees",
        "Selling fees",
        "Sellers pay a 5% commission per sale.",
        &["how much does it cost to sell", "seller commission"],
    );
    fees.entry.featured = true;
    fees.entry.audience = kb_core::Audience::Seller;
    let step = |id: &str, message: &str| Step { id: id.into(), message: message.into(), ..Step::default() };
    let choice = |label: &str, target: &str| FlowChoice { label: label.into(), target: target.into() };
    let mut reason = step("reason", "Why are you returning it?");
    reason.choices = vec![choice("Damaged", "damaged"), choice("Changed my mind", "mind")];
    let mut damaged = step("damaged", "Sorry about that! Do you have **photos** of the damage?");
    damaged.choices = vec![choice("Yes, I have photos", "done"), choice("No photos", "done")];
    let mut mind = step("mind", "Unused items can be sent back within 30 days.");
    mind.action = Some(Action::End);
    mind.variants =
        vec![Variant { market: Market::Th, text: "In Thailand, unused items go back within 7 days.".into() }];
    let mut done = step("done", "Thanks, a person will look at it.");
    done.action = Some(Action::Handoff);
    let flow = Flow {
        id: "return-flow".into(),
        locale: Locale::En,
        title: "Return an item".into(),
        audience: Default::default(),
        start: "reason".into(),
        steps: vec![reason, damaged, mind, done],
    };
    Corpus { name: "widget-tests".into(), entries: vec![track, ret, pay, fees], flows: vec![flow], ..Corpus::default() }
}

fn pack() -> Vec<u8> {
    build(&corpus(), &BuildOptions::default())
}

fn clear_session() {
    if let Some(s) = web_sys::window().unwrap().session_storage().ok().flatten() {
        let _ = s.clear();
    }
}

/// A fresh host element with an open shadow root, attached to the page.
fn shadow_host() -> (Element, ShadowRoot) {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).unwrap();
    (host, root)
}

/// The widget (`ui::App`) mounted into a shadow root with the test index already loaded.
struct Harness {
    chat: Chat,
    host: Element,
    root: JsValue,
    _handle: Box<dyn std::any::Any>,
}

impl Harness {
    async fn mount() -> Harness {
        Harness::mount_with(Config::default()).await
    }

    /// Mounted with `config` (an English buyer's page unless it says otherwise).
    async fn mount_with(config: Config) -> Harness {
        let _ = any_spawner::Executor::init_wasm_bindgen();
        clear_session();
        let (host, shadow) = shadow_host();
        let container = document().create_element("div").unwrap();
        shadow.append_child(&container).unwrap();
        let config = Config {
            locale: config.locale.or(Some("en".into())),
            audience: config.audience.or(Some("buyer".into())),
            ..config
        };
        let chat = Chat::new(config, recording_emit(), Some(recording_track()));
        chat.index.set(Some(Arc::new(Index::from_bytes(pack()).expect("test pack decodes"))));
        let handle = leptos::mount::mount_to(container.unchecked_into(), move || view! { <crate::ui::App chat/> });
        let w = Harness { chat, host, root: shadow.into(), _handle: Box::new(handle) };
        settle().await;
        w
    }

    fn all(&self, selector: &str) -> Vec<Element> {
        all(&self.root, selector)
    }

    fn one(&self, selector: &str) -> Element {
        one(&self.root, selector)
    }

    fn count(&self, selector: &str) -> usize {
        count(&self.root, selector)
    }

    fn launcher(&self) -> Element {
        self.one("button.ma-launcher")
    }

    fn input(&self) -> Element {
        self.one("textarea.ma-input")
    }

    async fn open(&self) {
        click(&self.launcher());
        settle().await;
        assert_eq!(self.count("section.ma-panel"), 1, "panel did not open");
    }

    /// Types `question` and presses Enter.
    async fn ask(&self, question: &str) {
        let input = self.input();
        type_into(&input, question);
        settle().await;
        assert!(key(&input, "Enter"), "Enter in the composer should prevent the newline");
        settle().await;
    }

    fn live_text(&self) -> String {
        text(&self.one(".ma-sr[aria-live='polite']"))
    }

    async fn unmount(self) {
        drop(self._handle);
        settle().await;
        self.host.remove();
    }
}

// ---- ui::markdown --------------------------------------------------------------------

/// Renders `source` with `ui::markdown::markdown` into a detached-from-nothing `<div>` on the page.
fn render_markdown(source: &'static str) -> (HtmlElement, Box<dyn std::any::Any>) {
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), move || crate::ui::markdown::markdown(source));
    (host, Box::new(handle))
}

#[wasm_bindgen_test]
fn markdown_renders_paragraphs_lists_and_strong() {
    let (host, _h) = render_markdown(
        "Open **Orders** now.\nSecond line\n\n- first\n- second\n\n1. one\n2. two\n3. three\n\n## Heading",
    );
    let root: JsValue = host.clone().into();
    // Top-level blocks, in order.
    let children: Vec<String> = all(&root, ":scope > *").iter().map(|e| e.tag_name().to_lowercase()).collect();
    assert_eq!(children, ["p", "ul", "ol", "p"], "blocks: {}", host.inner_html());
    let p = &all(&root, ":scope > p")[0];
    assert_eq!(text(&one(&p.clone().into(), "strong")), "Orders");
    assert_eq!(count(&p.clone().into(), "br"), 1, "a single newline inside a paragraph is a <br>");
    let ul: Vec<String> = all(&root, "ul > li").iter().map(text).collect();
    assert_eq!(ul, ["first", "second"]);
    let ol: Vec<String> = all(&root, "ol > li").iter().map(text).collect();
    assert_eq!(ol, ["one", "two", "three"]);
    // A heading is rendered as a strong paragraph.
    assert_eq!(text(&one(&root, "p:last-child > strong")), "Heading");
    host.remove();
}

#[wasm_bindgen_test]
fn markdown_links_open_in_a_new_tab_without_opener() {
    let (host, _h) = render_markdown(
        "See [My orders](https://demo-market.example/orders) or [mail us](mailto:help@demo-market.example).",
    );
    let root: JsValue = host.clone().into();
    let links = all(&root, "a");
    assert_eq!(links.len(), 2, "{}", host.inner_html());
    assert_eq!(links[0].get_attribute("href").as_deref(), Some("https://demo-market.example/orders"));
    assert_eq!(text(&links[0]), "My orders");
    assert_eq!(links[1].get_attribute("href").as_deref(), Some("mailto:help@demo-market.example"));
    for a in &links {
        assert_eq!(a.get_attribute("rel").as_deref(), Some("noopener noreferrer"));
        assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
    }
    host.remove();
}

#[wasm_bindgen_test]
fn markdown_unsafe_links_become_text() {
    let (host, _h) = render_markdown(
        "Click [here](javascript:alert(1)) or [there](JavaScript:void) or [data](data:text/html,x) or [v](vbscript:x).",
    );
    let root: JsValue = host.clone().into();
    assert_eq!(count(&root, "a"), 0, "unsafe URLs must not become links: {}", host.inner_html());
    assert!(count(&root, "[href]") == 0, "no element may carry an href: {}", host.inner_html());
    let t = text(&host);
    assert!(t.contains("Click here") && t.contains("there") && t.contains("data"), "labels are kept as text: {t:?}");
    host.remove();
}

#[wasm_bindgen_test]
async fn markdown_raw_html_stays_text() {
    let (host, _h) = render_markdown(
        "<img src=x onerror=\"window.maXssFlag=1\"> and <script>window.maXssFlag=2</script> **<b>bold</b>**\n\n- <a href=\"javascript:alert(1)\">x</a>",
    );
    let root: JsValue = host.clone().into();
    for tag in ["img", "script", "b", "a"] {
        assert_eq!(count(&root, tag), 0, "raw <{tag}> must not become an element: {}", host.inner_html());
    }
    let t = text(&host);
    assert!(t.contains("<img src=x onerror=\"window.maXssFlag=1\">"), "raw HTML is shown as text: {t:?}");
    assert!(t.contains("<script>window.maXssFlag=2</script>"), "{t:?}");
    assert_eq!(text(&one(&root, "strong")), "<b>bold</b>");
    // Give a would-be onerror handler (src=x fails against the test server) time to run.
    sleep(100).await;
    let flag = js_sys::Reflect::get(&web_sys::window().unwrap(), &"maXssFlag".into()).unwrap();
    assert!(flag.is_undefined(), "injected handler ran: {flag:?}");
    host.remove();
}

// ---- the widget in a shadow root ---------------------------------------------------------

#[wasm_bindgen_test]
async fn launcher_opens_the_panel() {
    let w = Harness::mount().await;
    let launcher = w.launcher();
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("false"));
    assert_eq!(launcher.get_attribute("aria-controls").as_deref(), Some("ma-panel"));
    assert_eq!(w.count("section.ma-panel"), 0, "panel is closed at start");
    click(&launcher);
    settle().await;
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("true"));
    assert!(w.chat.open.get_untracked());
    let panel = w.one("section#ma-panel");
    assert_eq!(panel.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(text(&w.one("#ma-title")), "Demo Market help");
    // The greeting is the only message, and the composer has the focus.
    assert_eq!(w.count(".ma-messages .ma-msg"), 1);
    let shadow: ShadowRoot = w.root.clone().unchecked_into();
    assert_eq!(
        shadow.active_element().map(|e| e.class_name()).as_deref(),
        Some("ma-input"),
        "composer should be focused"
    );
    // Clicking again closes; so does the close button.
    click(&launcher);
    settle().await;
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("false"));
    assert_eq!(w.count("section.ma-panel"), 0);
    w.open().await;
    click(&w.one("button.ma-close[aria-label='Close chat']"));
    settle().await;
    assert_eq!(w.count("section.ma-panel"), 0);
    let names: Vec<String> = recorded_events().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["open", "close", "open", "close"], "events told to the host page");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn a_long_message_is_cut_and_said_so_and_a_long_conversation_keeps_the_newest_in_the_page() {
    let w = Harness::mount().await;
    w.open().await;
    let pasted = "where is my parcel ".repeat(5000);
    w.chat.ask(&pasted);
    settle().await;
    let users = w.all(".ma-msg.ma-user");
    let shown = text(users.last().expect("the question"));
    assert_eq!(shown.chars().count(), crate::chat::MAX_QUESTION_CHARS, "cut to the longest question read");
    assert!(pasted.trim().starts_with(&shown));
    let notes: Vec<String> =
        w.all(".ma-msg").iter().map(text).filter(|t| t.contains("only its first 2000 characters")).collect();
    assert_eq!(notes.len(), 1, "the cut is said");

    // 60 more questions: well over 100 messages, of which the page holds the newest 100.
    for _ in 0..60 {
        w.chat.ask("where is my parcel");
    }
    settle().await;
    let total = w.chat.messages.with_untracked(Vec::len);
    assert!(total > 120, "{total} messages");
    assert_eq!(w.count(".ma-messages > .ma-msg"), 100, "the newest 100 are in the page");
    click(&w.one(".ma-earlier"));
    settle().await;
    assert_eq!(w.count(".ma-messages > .ma-msg"), total.min(200), "a page of earlier ones");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn a_conversation_that_never_ends_keeps_a_bounded_number_of_messages() {
    let w = Harness::mount().await;
    w.open().await;
    let asked = crate::chat::MAX_KEPT_MESSAGES / 2 + 10;
    for n in 0..asked {
        w.chat.ask(&format!("where is my parcel {n}"));
    }
    settle().await;
    let total = w.chat.messages.with_untracked(Vec::len);
    assert_eq!(total, crate::chat::MAX_KEPT_MESSAGES, "older messages are let go");
    let users: Vec<String> = w.all(".ma-msg.ma-user").iter().map(text).collect();
    assert_eq!(users.last().map(String::as_str), Some(format!("where is my parcel {}", asked - 1).as_str()));
    assert_eq!(w.count(".ma-messages > .ma-msg"), 100, "the page still shows the newest 100");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn enter_asks_and_shows_the_answer() {
    let w = Harness::mount().await;
    w.open().await;
    w.ask("where is my parcel").await;
    let users: Vec<String> = w.all(".ma-msg.ma-user").iter().map(text).collect();
    assert_eq!(users, ["where is my parcel"]);
    assert_eq!(w.input().unchecked_into::<web_sys::HtmlTextAreaElement>().value(), "", "the composer is cleared");
    let answers = w.all("article.ma-answer");
    assert_eq!(
        answers.len(),
        1,
        "one answer expected; messages: {:?}",
        w.all(".ma-msg").iter().map(text).collect::<Vec<_>>()
    );
    let a = &answers[0];
    assert_eq!(a.get_attribute("data-entry").as_deref(), Some("track-order"));
    let a_root: JsValue = a.clone().into();
    assert_eq!(text(&one(&a_root, "h3")), "Track my order");
    assert_eq!(all(&a_root, "strong").iter().map(text).collect::<Vec<_>>(), ["Orders", "Track"]);
    assert_eq!(count(&a_root, "ul > li"), 2);
    // The entry's link is shown as a source, safely.
    let source = one(&a_root, "a.ma-source");
    assert_eq!(source.get_attribute("href").as_deref(), Some("https://demo-market.example/orders"));
    assert_eq!(source.get_attribute("rel").as_deref(), Some("noopener noreferrer"));
    assert_eq!(source.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(text(&source), "Source: My orders");
    // Screen readers hear the answer.
    let live = w.live_text();
    assert!(live.contains("Track my order") && live.contains("Open Orders and tap Track."), "aria-live: {live:?}");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn shift_enter_does_not_send() {
    let w = Harness::mount().await;
    w.open().await;
    let input = w.input();
    type_into(&input, "where is my parcel");
    settle().await;
    let f = js_sys::Function::new_with_args(
        "el",
        "const e = new KeyboardEvent('keydown', {key: 'Enter', shiftKey: true, bubbles: true, composed: true, cancelable: true}); \
         el.dispatchEvent(e); return e.defaultPrevented;",
    );
    let prevented = f.call1(&JsValue::NULL, &input).unwrap().as_bool().unwrap();
    settle().await;
    assert!(!prevented, "Shift+Enter keeps its newline");
    assert_eq!(w.count(".ma-msg.ma-user"), 0);
    assert_eq!(w.chat.draft.get_untracked(), "where is my parcel");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn starters_show_featured_entries() {
    let w = Harness::mount().await;
    w.open().await;
    let starters = w.all(".ma-starters button.ma-chip");
    let ids: Vec<_> = starters.iter().map(|b| b.get_attribute("data-entry").unwrap_or_default()).collect();
    assert_eq!(ids, ["track-order"], "only featured entries for buyers are starters");
    assert_eq!(text(&starters[0]), "Track my order");
    // Picking it answers, and the starters go away once the conversation has begun.
    click(&starters[0]);
    settle().await;
    assert_eq!(w.all(".ma-msg.ma-user").iter().map(text).collect::<Vec<_>>(), ["Track my order"]);
    assert_eq!(w.one("article.ma-answer").get_attribute("data-entry").as_deref(), Some("track-order"));
    assert_eq!(w.count(".ma-starters"), 0, "starters hide after the first question");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn suggestions_appear_from_three_characters() {
    let w = Harness::mount().await;
    w.open().await;
    let input = w.input();
    type_into(&input, "tr");
    settle().await;
    assert_eq!(w.count(".ma-suggest"), 0, "no suggestions for two characters");
    type_into(&input, "tra");
    settle().await;
    let ids: Vec<_> =
        w.all(".ma-suggest button.ma-chip").iter().map(|b| b.get_attribute("data-entry").unwrap_or_default()).collect();
    assert!(ids.contains(&"track-order".to_string()), "suggestions for `tra`: {ids:?}");
    type_into(&input, "retur");
    settle().await;
    let chips = w.all(".ma-suggest button.ma-chip");
    let ids: Vec<_> = chips.iter().map(|b| b.get_attribute("data-entry").unwrap_or_default()).collect();
    assert_eq!(ids.first().map(String::as_str), Some("return-item"), "suggestions for `retur`: {ids:?}");
    // Choosing a suggestion answers it and clears the draft.
    click(&chips[0]);
    settle().await;
    assert_eq!(w.one("article.ma-answer").get_attribute("data-entry").as_deref(), Some("return-item"));
    assert_eq!(w.chat.draft.get_untracked(), "");
    assert_eq!(w.count(".ma-suggest"), 0);
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn escape_closes_and_focus_returns_to_the_launcher() {
    let w = Harness::mount().await;
    w.open().await;
    key(&w.input(), "Escape");
    settle().await;
    assert_eq!(w.count("section.ma-panel"), 0, "Escape closes the panel");
    assert_eq!(w.launcher().get_attribute("aria-expanded").as_deref(), Some("false"));
    let shadow: ShadowRoot = w.root.clone().unchecked_into();
    assert!(
        shadow.active_element().is_some_and(|e| e.class_name() == "ma-launcher"),
        "focus should return to the launcher, is on {:?}",
        shadow.active_element().map(|e| e.outer_html())
    );
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn new_conversation_clears_the_messages() {
    let w = Harness::mount().await;
    w.open().await;
    w.ask("where is my parcel").await;
    assert_eq!(w.count("article.ma-answer"), 1);
    assert!(w.count(".ma-msg") >= 3);
    click(&w.one("button.ma-icon[aria-label='New conversation']"));
    settle().await;
    assert_eq!(w.count("article.ma-answer"), 0);
    assert_eq!(w.count(".ma-msg.ma-user"), 0);
    let msgs: Vec<String> = w.all(".ma-msg").iter().map(text).collect();
    assert_eq!(msgs.len(), 1, "only the greeting is left: {msgs:?}");
    assert!(msgs[0].starts_with("Hi!"), "{msgs:?}");
    // A fresh conversation offers the starters again.
    assert_eq!(w.count(".ma-starters button"), 1);
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn flow_steps_render_choices_and_advance() {
    let w = Harness::mount().await;
    w.open().await;
    w.ask("how do I return something").await;
    let answer = w.one("article.ma-answer");
    assert_eq!(answer.get_attribute("data-entry").as_deref(), Some("return-item"));
    let guide = one(&answer.into(), "button.ma-chip");
    assert_eq!(text(&guide), "Guide me step by step");
    click(&guide);
    settle().await;

    let steps = w.all(".ma-step");
    assert_eq!(steps.len(), 1);
    assert!(text(&steps[0]).contains("Why are you returning it?"));
    let buttons = all(&steps[0].clone().into(), "button.ma-chip");
    assert_eq!(buttons.iter().map(text).collect::<Vec<_>>(), ["Damaged", "Changed my mind"]);
    assert!(w.live_text().contains("Why are you returning it?"), "aria-live: {:?}", w.live_text());

    click(&buttons[0]);
    settle().await;
    let steps = w.all(".ma-step");
    assert_eq!(steps.len(), 2, "the next step is shown");
    assert_eq!(count(&steps[0].clone().into(), "button"), 0, "the previous step loses its buttons");
    assert_eq!(
        w.all(".ma-msg.ma-user").iter().map(text).next_back().as_deref(),
        Some("Damaged"),
        "the choice is echoed"
    );
    assert_eq!(text(&one(&steps[1].clone().into(), "strong")), "photos");
    let next: Vec<String> = all(&steps[1].clone().into(), "button.ma-chip").iter().map(text).collect();
    assert_eq!(next, ["Yes, I have photos", "No photos"]);
    assert_eq!(w.chat.flow.get_untracked().map(|s| s.step).as_deref(), Some("damaged"));

    // The last step hands off to a person and ends the flow.
    click(&all(&steps[1].clone().into(), "button.ma-chip")[0]);
    settle().await;
    assert!(w.chat.flow.get_untracked().is_none(), "flow ended");
    assert_eq!(w.count(".ma-step button"), 0, "no step has buttons after the end");
    assert_eq!(w.count(".ma-handoff"), 1, "handoff offered");
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn feedback_replaces_the_buttons_and_tells_the_host() {
    let w = Harness::mount().await;
    w.open().await;
    w.ask("where is my parcel").await;
    let article: JsValue = w.one("article.ma-answer").into();
    let buttons = all(&article, "button.ma-fb");
    let labels: Vec<_> = buttons.iter().map(|b| b.get_attribute("aria-label").unwrap_or_default()).collect();
    assert_eq!(labels, ["Helpful", "Not helpful"]);
    click(&buttons[0]);
    settle().await;
    let article: JsValue = w.one("article.ma-answer").into();
    assert_eq!(count(&article, "button.ma-fb"), 0, "feedback is given once");
    assert_eq!(text(&one(&article, ".ma-thanks")), "Thanks for the feedback!");
    let events = recorded_events();
    assert!(
        events.iter().any(|(n, d)| n == "feedback" && d["id"] == "track-order" && d["helpful"] == true),
        "feedback event: {events:?}"
    );
    w.unmount().await;
}

/// The analytics events of a conversation, in order, with their own fields (the common ones
/// are `collect.js`'s, tested in the browser tests).
#[wasm_bindgen_test]
async fn analytics_events_follow_the_conversation() {
    let config = Config { resolution_delay: Some(60), collect_text: true, ..Config::default() };
    let w = Harness::mount_with(config).await;
    w.open().await;
    w.ask("where is my parcel? mail me at ana@example.com").await;
    let events = tracked();
    assert_eq!(events[0]["type"], "conversation_started");
    assert_eq!(events[0]["trigger"], "open");
    let q = &events[1];
    assert_eq!((q["type"].as_str(), q["path"].as_str()), (Some("question"), Some("answer")), "{q}");
    assert_eq!(q["entries"], serde_json::json!(["track-order"]));
    assert_eq!(q["top"]["entry"], "track-order");
    let (top, thresholds) = (q["top"]["confidence"].as_f64().unwrap(), &q["thresholds"]);
    assert!(top >= thresholds["answer"].as_f64().unwrap(), "answered above the threshold: {q}");
    assert!(q["runner_up"].is_null() || q["runner_up"]["confidence"].as_f64().unwrap() < top, "{q}");
    assert_eq!(q["kind"], "answer");
    assert_eq!(q["text"], "where is my parcel? mail me at [email]", "redacted as for the LLM");
    assert_eq!((q["locale"].as_str(), q["audience"].as_str()), (Some("en"), Some("buyer")));
    assert_eq!(q["pack"].as_str().map(str::len), Some(16), "the pack's version: {q}");

    // The answer stays the last message: "did this solve your issue?" — yes.
    wait_for("the resolution prompt", || w.count(".ma-resolution button") == 2).await;
    click(&w.one(".ma-resolution button[data-solved='yes']"));
    settle().await;
    assert_eq!(text(&w.one(".ma-resolution .ma-thanks")), "Great, glad it's sorted!");
    let last = tracked().pop().unwrap();
    assert_eq!((last["type"].as_str(), last["after"].as_str()), (Some("resolution"), Some("answer")));
    assert_eq!((last["entry"].as_str(), last["answer"].as_str()), (Some("track-order"), Some("yes")));

    // A thumbs-down, then what was wrong: two feedback events, the second with its reason.
    w.ask("which payment methods are accepted").await;
    click(
        &w.all("article.ma-answer")[1]
            .clone()
            .unchecked_into::<Element>()
            .query_selector(".ma-fb-down")
            .unwrap()
            .unwrap(),
    );
    settle().await;
    click(&w.one(".ma-missing button[data-reason='unclear']"));
    settle().await;
    assert_eq!(w.count(".ma-missing button[data-reason]"), 0, "a reason is given once");
    let feedback: Vec<_> = tracked().into_iter().filter(|e| e["type"] == "feedback").collect();
    assert_eq!(feedback.len(), 2, "{feedback:?}");
    assert_eq!((feedback[0]["helpful"].as_bool(), feedback[0]["reason"].is_null()), (Some(false), true));
    assert_eq!(
        (feedback[1]["entry"].as_str(), feedback[1]["reason"].as_str()),
        (Some("payment-methods"), Some("unclear"))
    );
    sleep(120).await;
    assert_eq!(w.count(".ma-resolution"), 1, "no prompt after a thumbs-down");

    // A prompt nobody answers: the next question settles it as "none".
    w.ask("send an item back").await;
    wait_for("the second prompt", || w.count(".ma-resolution button") == 2).await;
    w.ask("can I pay by card").await;
    let resolutions: Vec<_> = tracked().into_iter().filter(|e| e["type"] == "resolution").collect();
    assert_eq!(resolutions.len(), 2);
    assert_eq!(resolutions[1]["answer"], "none");
    assert_eq!(w.count(".ma-resolution button"), 0, "the unanswered prompt loses its buttons");

    // A flow walked to its end, and one left for a question.
    w.chat.start_flow("return-flow", drop);
    settle().await;
    click(&w.all(".ma-step button.ma-chip")[1]);
    settle().await;
    w.chat.start_flow("return-flow", drop);
    settle().await;
    w.ask("where is my parcel").await;
    let flows: Vec<String> = tracked()
        .into_iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("flow_")))
        .map(|e| format!("{} {}", e["type"].as_str().unwrap(), e["step"].as_str().unwrap()))
        .collect();
    assert_eq!(
        flows,
        [
            "flow_started reason",
            "flow_step reason",
            "flow_step mind",
            "flow_finished mind",
            "flow_started reason",
            "flow_step reason",
            "flow_abandoned reason"
        ]
    );
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn set_context_switches_the_audience_of_the_starters() {
    let w = Harness::mount().await;
    w.open().await;
    let starters = || {
        w.all(".ma-starters button")
            .iter()
            .map(|b| b.get_attribute("data-entry").unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(starters(), ["track-order"], "a buyer does not see the seller-only starter");
    // The JS API the host page calls (`widget.setContext(object)`, texts as embed.js passes them).
    let api = crate::Widget { chat: w.chat };
    api.set_context(js(r#"{"audience":"seller","orderId":"MP1234567890","order_status":"shipped"}"#))
        .expect("valid context");
    settle().await;
    assert_eq!(starters(), ["seller-fees", "track-order"], "a seller sees both");
    assert_eq!(
        w.chat.context.with_untracked(|c| c.get("order_id").cloned()).as_deref(),
        Some("MP1234567890"),
        "camelCase keys become snake_case"
    );
    // null removes a key; anything but an object is refused.
    api.set_context(js(r#"{"orderStatus":null}"#)).expect("valid context");
    assert_eq!(w.chat.context.with_untracked(|c| c.get("order_status").cloned()), None);
    assert!(api.set_context(JsValue::from_str("audience=buyer")).is_err());
    w.unmount().await;
}

#[wasm_bindgen_test]
async fn the_page_market_picks_the_answer_and_the_flow_step_variant() {
    let context = kb_core::flow::Context::from([("market".to_string(), "th".to_string())]);
    let w = Harness::mount_with(Config { context, ..Config::default() }).await;
    w.open().await;
    let last_answer = || text(w.all("article.ma-answer").last().expect("an answer"));
    w.ask("how do I return something").await;
    assert!(last_answer().contains("within 7 days"), "the Thai market's variant: {}", last_answer());
    w.chat.start_flow("return-flow", drop);
    settle().await;
    click(&w.all(".ma-step button.ma-chip")[1]);
    settle().await;
    let step = text(w.all(".ma-step").last().expect("a step"));
    assert!(step.contains("In Thailand, unused items go back within 7 days."), "{step}");

    // A market without a variant sees the default.
    let api = crate::Widget { chat: w.chat };
    api.set_context(js(r#"{"market":"id"}"#)).expect("valid context");
    w.ask("send an item back").await;
    assert!(last_answer().contains("within 30 days"), "the default: {}", last_answer());
    assert!(!last_answer().contains("Thailand"), "{}", last_answer());
    w.unmount().await;
}

// ---- the exported `mount`, as embed.js calls it ---------------------------------------------

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An `emit` callback that records `[name, detail]` pairs in `window.__maEvents`.
fn recording_emit() -> js_sys::Function {
    js_sys::Reflect::set(&web_sys::window().unwrap(), &"__maEvents".into(), &js_sys::Array::new()).unwrap();
    js_sys::Function::new_with_args("name, detail", "window.__maEvents.push([name, detail]);")
}

/// A `track` callback that records `{type, ...fields}` objects in `window.__maTracked`.
fn recording_track() -> js_sys::Function {
    js_sys::Reflect::set(&web_sys::window().unwrap(), &"__maTracked".into(), &js_sys::Array::new()).unwrap();
    js_sys::Function::new_with_args(
        "type, fields",
        "window.__maTracked.push(JSON.parse(JSON.stringify(Object.assign({type: type}, fields))));",
    )
}

/// The analytics events tracked so far.
fn tracked() -> Vec<serde_json::Value> {
    let events = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__maTracked".into()).unwrap();
    let json: String = js_sys::JSON::stringify(&events).map(String::from).unwrap_or_default();
    serde_json::from_str(&json).unwrap_or_default()
}

/// A JS value from JSON text, as a host page would pass it.
fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test JSON")
}

fn recorded_events() -> Vec<(String, serde_json::Value)> {
    let events: js_sys::Array =
        js_sys::Reflect::get(&web_sys::window().unwrap(), &"__maEvents".into()).unwrap().unchecked_into();
    events
        .iter()
        .map(|e| {
            let pair: js_sys::Array = e.unchecked_into();
            let detail: String = js_sys::JSON::stringify(&pair.get(1)).map(String::from).unwrap_or_default();
            (
                pair.get(0).as_string().unwrap_or_default(),
                serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn widget_mount_loads_the_pack_and_answers() {
    clear_session();
    let (host, shadow) = shadow_host();
    let config = serde_json::json!({
        "pack": format!("data:application/octet-stream;base64,{}", base64(&pack())),
        "locale": "en",
    });
    let widget = crate::mount(shadow.clone(), js(&config.to_string()), recording_emit(), None).expect("mount");
    let root: JsValue = shadow.clone().into();
    wait_for("the pack to load", || {
        widget.chat.index.get_untracked().is_some() || widget.chat.load_failed.get_untracked()
    })
    .await;
    assert!(!widget.chat.load_failed.get_untracked(), "pack failed to load");
    settle().await;
    assert_eq!(count(&root, ".ma-root > button.ma-launcher"), 1, "rendered inside the shadow root");
    assert_eq!(count(&document().into(), ".ma-launcher"), 0, "nothing leaks into the light DOM");

    widget.ask("which payment methods are accepted");
    settle().await;
    assert_eq!(one(&root, "button.ma-launcher").get_attribute("aria-expanded").as_deref(), Some("true"));
    assert_eq!(one(&root, "article.ma-answer").get_attribute("data-entry").as_deref(), Some("payment-methods"));
    let events = recorded_events();
    assert!(events.iter().any(|(n, _)| n == "open"), "events: {events:?}");
    assert!(
        events.iter().any(|(n, d)| n == "answer" && d["id"] == "payment-methods"),
        "an answer event names the entry: {events:?}"
    );
    // The conversation is persisted for the next page.
    let saved = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
        .get_item("market-assist:conversation:v4")
        .unwrap();
    assert!(saved.is_some_and(|s| s.contains("payment-methods")), "conversation saved to sessionStorage");
    widget.close();
    settle().await;
    assert_eq!(count(&root, "section.ma-panel"), 0);
    clear_session();
    host.remove();
}

#[wasm_bindgen_test]
async fn widget_mount_reports_a_pack_that_cannot_load() {
    clear_session();
    let (host, shadow) = shadow_host();
    let widget =
        crate::mount(shadow.clone(), js(r#"{"pack":"/no-such-pack.idx"}"#), recording_emit(), None).expect("mount");
    // Asked before the load fails: the question waits, then is not lost with the pack.
    widget.ask("where is my parcel");
    wait_for("the load to fail", || widget.chat.load_failed.get_untracked()).await;
    settle().await;
    let root: JsValue = shadow.into();
    let alert = one(&root, ".ma-error[role='alert']");
    assert_eq!(text(&alert), "Help articles could not be loaded.");
    assert_eq!(count(&root, ".ma-note[role='status']"), 0, "the loading note is gone");
    // Without knowledge and without an LLM endpoint, a person is the way on.
    let replies: Vec<String> = all(&root, ".ma-msg.ma-bot:not(.ma-handoff)").iter().map(text).collect();
    assert_eq!(
        replies.last().map(String::as_str),
        Some("I'm not sure I have an answer for that."),
        "the reply to the waiting question"
    );
    assert_eq!(count(&root, ".ma-handoff"), 1, "a handoff is offered");
    let events = recorded_events();
    assert!(
        events.iter().any(|(n, d)| n == "handoff" && d["questions"] == serde_json::json!(["where is my parcel"])),
        "events: {events:?}"
    );
    clear_session();
    host.remove();
}

#[wasm_bindgen_test]
fn every_kind_of_message_survives_session_storage() {
    use crate::conversation::{Body, Choice, Message, Saved};
    clear_session();
    let choice = |id: &str| Choice { id: id.into(), title: format!("{id} — ไทย ñ") };
    let bodies = vec![
        Body::User("wher is my parcel?? 📦".into()),
        Body::Note("Hi!".into()),
        Body::Answer {
            id: "track-order".into(),
            title: "Track my order".into(),
            markdown: "Open **Orders**.".into(),
            links: vec![Link { label: "Orders".into(), url: "https://example.com/orders".into() }],
            flow: Some("where-is-my-order".into()),
            feedback: Some(false),
        },
        Body::Clarify { choices: vec![choice("refund-status"), choice("partial-refund")], question: "refund?".into() },
        Body::Reply { entry: "greeting".into(), text: "Hi! How can I help?".into() },
        Body::Missing {
            entry: "refund-status".into(),
            related: vec![choice("refund-time")],
            reason: Some(crate::conversation::FeedbackReason::Unclear),
        },
        Body::Resolution {
            entry: None,
            flow: Some("where-is-my-order".into()),
            answer: crate::conversation::Resolved::NoReply,
        },
        Body::Ai {
            text: "See [track-order].".into(),
            sources: vec![choice("track-order")],
            streaming: false,
            failed: true,
            redacted: true,
            question: "q".into(),
            cited: false,
            unsure: true,
        },
        Body::Step { text: "Pick one".into(), choices: vec!["Yes".into(), "No".into()], current: true },
        Body::Handoff {
            intro: "A person can help.".into(),
            summary: "order MP1".into(),
            reason: crate::conversation::HandoffReason::Unresolved,
        },
    ];
    let flow = kb_core::flow::FlowState {
        flow: "where-is-my-order".into(),
        step: "ask-id".into(),
        slots: [("order_id".to_string(), "MP1234567890".to_string())].into(),
        trail: vec!["Yes".into()],
    };
    let saved = Saved {
        messages: bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| Message { id: i as u64 * 1000, locale: Locale::ALL[i % Locale::ALL.len()], body })
            .collect(),
        flow: Some(flow),
        next_id: 7000,
    };
    saved.store();
    assert_eq!(Saved::load(), saved);
    // Damaged storage is an empty conversation, not an error.
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    let stored = storage.get_item("market-assist:conversation:v4").unwrap().unwrap();
    let half: String = stored.chars().take(stored.chars().count() / 2).collect();
    storage.set_item("market-assist:conversation:v4", &half).unwrap();
    assert_eq!(Saved::load(), Saved::default());
    storage.set_item("market-assist:conversation:v4", "not ours: ✓").unwrap();
    assert_eq!(Saved::load(), Saved::default());
    clear_session();
}

// ---- the gzipped pack ----------------------------------------------------------------------

/// `gzip -9` of "KBIX, but smaller: a pack that travelled gzipped " three times.
const GZIPPED: [u8; 70] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xf3, 0x76, 0xf2, 0x8c, 0xd0, 0x51, 0x48, 0x2a, 0x2d,
    0x51, 0x28, 0xce, 0x4d, 0xcc, 0xc9, 0x49, 0x2d, 0xb2, 0x52, 0x48, 0x54, 0x28, 0x48, 0x4c, 0xce, 0x56, 0x28, 0xc9,
    0x48, 0x2c, 0x51, 0x28, 0x29, 0x4a, 0x2c, 0x4b, 0x05, 0x0a, 0xa7, 0x28, 0xa4, 0x57, 0x65, 0x16, 0x14, 0x00, 0x69,
    0x6f, 0x9a, 0x6b, 0x00, 0x00, 0xe0, 0x2d, 0x41, 0x0b, 0x93, 0x00, 0x00, 0x00,
];

#[wasm_bindgen_test]
async fn gzipped_bytes_inflate_in_the_browser_and_damage_is_an_error() {
    async fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
        crate::pack::gunzip(&js_sys::Uint8Array::from(bytes), crate::pack::MAX_PACK_BYTES, crate::pack::PACK).await
    }
    let inflated = gunzip(&GZIPPED).await.expect("valid gzip inflates");
    assert_eq!(inflated, b"KBIX, but smaller: a pack that travelled gzipped ".repeat(3));
    // A cut-off download must be an error, not a shorter pack.
    assert!(gunzip(&GZIPPED[..40]).await.is_err(), "truncated gzip is refused");
    let mut flipped = GZIPPED;
    flipped[62] ^= 0xff; // inside the CRC-32
    assert!(gunzip(&flipped).await.is_err(), "a bad checksum is refused");
    let cut = gunzip(&GZIPPED[..40]).await.unwrap_err();
    assert!(cut.starts_with("the pack is cut short or damaged"), "{cut}");
}

/// `gzip` of "<html>not a pack</html>": what a misconfigured host sends for a missing file.
const GZIPPED_PAGE: [u8; 40] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xb3, 0xc9, 0x28, 0xc9, 0xcd, 0xb1, 0xcb, 0xcb, 0x2f,
    0x51, 0x48, 0x54, 0x28, 0x48, 0x4c, 0xce, 0xb6, 0xd1, 0x07, 0x0b, 0x00, 0x00, 0xc4, 0x5b, 0xbe, 0x73, 0x17, 0x00,
    0x00, 0x00,
];

#[wasm_bindgen_test]
async fn inflating_stops_at_the_limit_and_at_bytes_that_are_no_pack() {
    let bytes = js_sys::Uint8Array::from(&GZIPPED[..]);
    let bomb = crate::pack::gunzip(&bytes, 100, crate::pack::PACK).await.unwrap_err();
    assert!(bomb.starts_with("the pack inflates to more than"), "{bomb}");
    assert_eq!(
        crate::pack::gunzip(&bytes, 147, crate::pack::PACK).await.map(|b| b.len()),
        Ok(147),
        "exactly the limit is fine"
    );
    let page = crate::pack::gunzip(&js_sys::Uint8Array::from(&GZIPPED_PAGE[..]), 1 << 20, crate::pack::PACK)
        .await
        .unwrap_err();
    assert_eq!(page, "the gzip file is not a knowledge pack");
}

#[wasm_bindgen_test]
fn a_pack_url_template_takes_the_locale_also_once_resolved_by_embed_js() {
    assert_eq!(
        crate::pack::pack_url("https://cdn.example/kb.{locale}.idx.gz", "id"),
        "https://cdn.example/kb.id.idx.gz"
    );
    // new URL("kb.{locale}.idx.gz", base).href percent-encodes the braces.
    assert_eq!(
        crate::pack::pack_url("https://cdn.example/kb.%7Blocale%7D.idx.gz", "th"),
        "https://cdn.example/kb.th.idx.gz"
    );
    assert_eq!(crate::pack::pack_url("https://cdn.example/kb.idx.gz", "es"), "https://cdn.example/kb.idx.gz");
}

#[wasm_bindgen_test]
fn the_semantic_file_sits_beside_the_pack_whichever_pack_it_is() {
    use crate::pack::semantic_url;
    assert_eq!(semantic_url("https://cdn.example/kb.idx.gz", "en"), "https://cdn.example/kb.en.sem.gz");
    assert_eq!(semantic_url("https://cdn.example/kb.th.idx.gz", "th"), "https://cdn.example/kb.th.sem.gz");
    assert_eq!(semantic_url("https://cdn.example/kb.idx", "es"), "https://cdn.example/kb.es.sem.gz");
    assert_eq!(semantic_url("https://cdn.example/kb.idx.gz?v=3", "id"), "https://cdn.example/kb.id.sem.gz?v=3");
}

#[wasm_bindgen_test]
fn one_encoder_file_sits_beside_every_pack() {
    use crate::encoder::encoder_url;
    assert_eq!(encoder_url("https://cdn.example/kb/kb.th.idx.gz"), "https://cdn.example/kb/encoder.kben.gz");
    assert_eq!(encoder_url("https://cdn.example/kb.idx.gz?v=3"), "https://cdn.example/encoder.kben.gz?v=3");
    assert_eq!(encoder_url("kb.idx.gz"), "encoder.kben.gz");
}

#[wasm_bindgen_test]
fn data_semantic_chooses_the_tiers_and_defaults_to_both() {
    use crate::config::Semantic;
    assert_eq!(Semantic::parse(Some("off")), Semantic::Off);
    assert_eq!(Semantic::parse(Some("static")), Semantic::Static);
    assert_eq!(Semantic::parse(Some("encoder")), Semantic::Encoder);
    assert_eq!(Semantic::parse(None), Semantic::Encoder);
    assert_eq!(Semantic::parse(Some("bogus")), Semantic::Encoder);
}

// ---- one locale table ------------------------------------------------------------------------

#[wasm_bindgen_test]
fn every_locale_of_the_core_table_has_ui_strings_here_and_in_embed_js() {
    const EMBED: &str = include_str!("../public/embed.js");
    for row in kb_core::locale::LOCALES {
        let s = crate::i18n::strings(row.locale);
        assert!(std::ptr::eq(s, crate::i18n::strings(row.locale)));
        assert!(
            row.locale == Locale::En || s.title != crate::i18n::strings(Locale::En).title,
            "{}: no UI strings of its own in src/i18n.rs",
            row.code
        );
        // embed.js says "help is unavailable" before the wasm loads, with the same handoff label.
        let entry = format!("    {}: [", row.code);
        let line = EMBED
            .lines()
            .find(|l| l.starts_with(&entry))
            .unwrap_or_else(|| panic!("{}: missing from embed.js", row.code));
        assert!(line.contains(&format!("\"{}\"", s.handoff)), "{}: embed.js's handoff label differs: {line}", row.code);
    }
}

#[wasm_bindgen_test]
fn a_long_conversation_keeps_its_newest_messages_under_the_cap() {
    use crate::conversation::{Body, Message, Saved};
    use kb_core::format::codec::{Decode, Encode};
    let messages: Vec<Message> = (0..500)
        .map(|id| Message {
            id,
            locale: Locale::En,
            body: Body::User(format!("question number {id} {}", "x".repeat(40))),
        })
        .collect();
    let saved = Saved { messages, flow: None, next_id: 500 };
    let whole = saved.to_bytes().len();
    for cap in [whole, whole - 1, 4096, 100, 0] {
        let bytes = saved.capped_bytes(cap);
        let kept = Saved::from_bytes(&bytes).expect("the capped bytes decode");
        assert!(bytes.len() <= cap.max(12), "{} bytes for a cap of {cap}", bytes.len());
        assert_eq!(kept.next_id, 500);
        // The newest messages, in order, and as many as fit: one more would not have.
        let n = kept.messages.len();
        assert_eq!(kept.messages, saved.messages[500 - n..], "cap {cap}");
        if n < 500 {
            let more = Saved { messages: saved.messages[500 - n - 1..].to_vec(), ..kept.clone() };
            assert!(more.to_bytes().len() > cap.saturating_sub(10), "cap {cap}: room for one more message");
        }
    }
    assert_eq!(Saved::from_bytes(&saved.capped_bytes(whole)).unwrap(), saved);
}

// ---- memory ---------------------------------------------------------------------------------

/// The test binary's allocator: the system one, counting the bytes live. The one place `unsafe`
/// is allowed (the workspace denies it): `GlobalAlloc` is an unsafe trait, and a leak that
/// `WebAssembly.Memory` cannot show (it only grows, by 64 KiB pages) needs the allocator's count.
#[allow(unsafe_code)]
mod live_bytes {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering};

    static LIVE: AtomicIsize = AtomicIsize::new(0);

    /// Bytes allocated and not yet freed by the whole test binary.
    pub fn now() -> isize {
        LIVE.load(Ordering::Relaxed)
    }

    struct Counting;

    // SAFETY: every call goes to `System` unchanged; only a counter is updated beside it.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
            System.dealloc(ptr, layout)
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
            System.realloc(ptr, layout, new_size)
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;
}

/// Once the conversation is at its cap, more questions must not cost memory: every row let go
/// takes everything it held with it (Leptos' `<For>` kept ~80 bytes of each, `ui::messages::rows`
/// does not). Asked one at a time with the panel open, as a buyer would.
#[wasm_bindgen_test]
async fn memory_stays_flat_once_the_conversation_is_at_its_cap() {
    let w = Harness::mount_with(Config { resolution_delay: Some(50), ..Config::default() }).await;
    w.open().await;
    /// Asks until `asked` reaches `target`, then the live bytes once the timers have fired.
    async fn live_after(w: &Harness, asked: &mut usize, target: usize) -> isize {
        const QUESTIONS: [&str; 4] =
            ["where is my parcel", "how do I return something", "can I pay by card", "what is the weather on mars"];
        while *asked < target {
            w.chat.ask(QUESTIONS[*asked % QUESTIONS.len()]);
            settle().await;
            *asked += 1;
        }
        // The "did this solve your issue?" timers hold their closures until they fire.
        sleep(500).await;
        settle().await;
        live_bytes::now()
    }
    let mut asked = 0;
    let at_cap = live_after(&w, &mut asked, crate::chat::MAX_KEPT_MESSAGES * 7 / 10).await;
    assert_eq!(w.chat.messages.with_untracked(Vec::len), crate::chat::MAX_KEPT_MESSAGES, "the cap is reached");
    const MORE: usize = 400;
    let target = asked + MORE;
    let later = live_after(&w, &mut asked, target).await;
    let per_question = (later - at_cap) / MORE as isize;
    assert!(per_question < 40, "{per_question} bytes kept per question ({at_cap} -> {later} live)");
    w.unmount().await;
}

// ---- knowledge releases ----------------------------------------------------------------------

#[wasm_bindgen_test]
fn a_release_from_embed_js_gives_each_locale_its_pack_or_the_all_locales_one() {
    let config = js_sys::JSON::parse(
        r#"{"pack": "kb.idx.gz", "release": {"version": "r2", "packs": {
            "all": {"url": "https://cdn.example/r2/kb.a.idx.gz", "sha256": "aa", "inflatedBytes": 1000},
            "en": {"url": "https://cdn.example/r2/kb.en.b.idx.gz", "sha256": "bb", "inflatedBytes": 200},
            "th": {"url": "https://cdn.example/r2/kb.th.c.idx.gz", "sha256": "cc"}}}}"#,
    )
    .unwrap();
    let release = Config::from_js(&config).release.expect("a release");
    assert_eq!(release.version, "r2");
    assert_eq!(release.pack("en").map(|p| (p.sha256.as_str(), p.inflated_bytes)), Some(("bb", 200)));
    // A pack that lacks a member is left out: Thai falls back to the all-locales pack.
    assert_eq!(release.pack("th").map(|p| p.url.as_str()), Some("https://cdn.example/r2/kb.a.idx.gz"));
    let plain = Config::from_js(&js_sys::JSON::parse(r#"{"pack": "kb.idx.gz", "release": {"packs": {}}}"#).unwrap());
    assert_eq!(plain.release, None);
}

#[wasm_bindgen_test]
fn a_release_names_its_semantic_files_and_encoder_or_none() {
    let config = js_sys::JSON::parse(
        r#"{"release": {"version": "r3", "packs": {"all": {"url": "https://cdn.example/r3/kb.a.idx.gz", "sha256": "aa", "inflatedBytes": 9}},
            "semantic": {"en": {"url": "https://cdn.example/r3/kb.en.d.sem.gz", "sha256": "dd", "inflatedBytes": 70},
                         "th": {"url": "https://cdn.example/r3/kb.th.e.sem.gz"}},
            "encoder": {"url": "https://cdn.example/r3/encoder.f.kben.gz", "sha256": "ff", "inflatedBytes": 80}}}"#,
    )
    .unwrap();
    let release = Config::from_js(&config).release.expect("a release");
    assert_eq!(
        release.semantic("en").map(|f| (f.url.as_str(), f.sha256.as_str())),
        Some(("https://cdn.example/r3/kb.en.d.sem.gz", "dd"))
    );
    // A file lacking a member is left out; a locale without one gets none (not another's).
    assert_eq!(release.semantic("th"), None);
    assert_eq!(release.semantic("es"), None);
    assert_eq!(release.encoder.as_ref().map(|f| f.inflated_bytes), Some(80));
    // A lexical release (embed.js passes empty lists and null).
    let lexical = js_sys::JSON::parse(
        r#"{"release": {"version": "r1", "packs": {"all": {"url": "u", "sha256": "aa", "inflatedBytes": 9}}, "semantic": {}, "encoder": null}}"#,
    )
    .unwrap();
    let release = Config::from_js(&lexical).release.expect("a release");
    assert_eq!((release.semantic("en"), release.encoder.as_ref()), (None, None));
}
