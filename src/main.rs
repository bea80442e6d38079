//! The chat widget: a Leptos (client-side rendered) UI that `embed.js` mounts into a Shadow DOM
//! root on the host page. It owns what buyers and sellers see and do — the launcher, the chat
//! panel, answers from the bundled index, "did you mean" choices, guided flows and the streamed
//! LLM fallback — and reads, never writes, the compiled knowledge pack.

mod chat;
mod config;
mod conversation;
mod fallback;
mod i18n;
mod render;
mod ui;

use std::sync::Arc;

use kb_core::Index;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::chat::Chat;
use crate::config::Config;

/// The handle `embed.js` drives the widget through (its public JS API calls land here).
#[wasm_bindgen]
pub struct Widget {
    chat: Chat,
}

#[wasm_bindgen]
impl Widget {
    pub fn open(&self) {
        self.chat.set_open(true);
    }

    pub fn close(&self) {
        self.chat.set_open(false);
    }

    pub fn toggle(&self) {
        self.chat.set_open(!self.chat.open.get_untracked());
    }

    /// Opens the panel and asks `text` as if typed.
    pub fn ask(&self, text: &str) {
        self.chat.set_open(true);
        self.chat.ask(text);
    }

    /// Starts a guided flow by id.
    #[wasm_bindgen(js_name = startFlow)]
    pub fn start_flow(&self, id: &str) {
        self.chat.set_open(true);
        self.chat.start_flow(id);
    }

    /// Merges page context (an object of texts: audience, locale, orderId, order_status, …; a
    /// `null` removes a key).
    #[wasm_bindgen(js_name = setContext)]
    pub fn set_context(&self, context: JsValue) -> Result<(), JsValue> {
        if !context.is_object() {
            return Err(JsValue::from_str("market-assist: setContext takes an object"));
        }
        self.chat.context.update(|ctx| config::merge_context(ctx, config::context_pairs(&context)));
        Ok(())
    }
}

/// Mounts the widget into `root` (a shadow root made by `embed.js`). `config` is the object
/// `embed.js` makes of the script tag's data attributes; `emit(name, detail)` delivers events to
/// the host page.
#[wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, config: JsValue, emit: js_sys::Function) -> Result<Widget, JsValue> {
    // A bug should say what it is in the console, not just "unreachable". Once: setting the
    // hook again after a panic would itself panic.
    static PANIC_HOOK: std::sync::Once = std::sync::Once::new();
    PANIC_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&format!("market-assist: {info}").into())))
    });
    // Effects created below (persistence, deferred answers) need the executor before mount_to.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let config = Config::from_js(&config);
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container = document.create_element("div")?;
    root.append_child(&container)?;
    let chat = Chat::new(config, emit);
    chat.persist();
    load_pack(chat);
    leptos::mount::mount_to(container.unchecked_into(), move || view! { <ui::App chat/> }).forget();
    Ok(Widget { chat })
}

/// Loads the knowledge pack, and loads it again when the page switches to a language with a
/// pack of its own (`data-pack="kb.{locale}.idx.gz"`). Answers wait while a pack loads.
fn load_pack(chat: Chat) {
    let template = chat.config.with_value(|c| c.pack.clone());
    // The URL wanted now: a reply for an older one (a quick switch back and forth) is dropped.
    let wanted = StoredValue::new(String::new());
    Effect::new(move |loaded: Option<String>| {
        let url = pack_url(&template, chat.locale().code());
        if loaded.as_deref() == Some(url.as_str()) {
            return url;
        }
        wanted.set_value(url.clone());
        if loaded.is_some() {
            chat.index.set(None);
        }
        chat.load_failed.set(false);
        let requested = url.clone();
        leptos::task::spawn_local(async move {
            let loaded = fetch_pack(&requested).await;
            if wanted.with_value(|w| *w != requested) {
                return;
            }
            match loaded {
                Ok(index) => chat.index.set(Some(Arc::new(index))),
                Err(e) => {
                    web_sys::console::error_1(&format!("market-assist: knowledge pack {requested}: {e}").into());
                    chat.load_failed.set(true);
                }
            }
        });
        url
    });
}

/// The pack URL for `locale`: `{locale}` in the configured URL (also as `embed.js` leaves it
/// after resolving it against the script's URL, percent-encoded) becomes the locale code.
fn pack_url(template: &str, locale: &str) -> String {
    template.replace("{locale}", locale).replace("%7Blocale%7D", locale)
}

async fn fetch_pack(url: &str) -> Result<Index, String> {
    let response = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    // The bytes stay on the JS side until they are the pack itself: one copy into the wasm.
    let raw = web_sys::Response::from(response);
    let buffer = raw.array_buffer().map_err(|e| describe(&e))?;
    let mut bytes =
        js_sys::Uint8Array::new(&wasm_bindgen_futures::JsFuture::from(buffer).await.map_err(|e| describe(&e))?);
    if bytes.length() >= 2 && [bytes.get_index(0), bytes.get_index(1)] == GZIP_MAGIC {
        bytes = gunzip(&bytes).await.map_err(|e| format!("gzip: {}", describe(&e)))?;
    }
    Index::from_bytes(bytes.to_vec()).map_err(|e| e.to_string())
}

/// The first bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Inflates a gzip file with the browser's own `DecompressionStream`. The pack ships gzipped
/// (`kb.idx.gz`) so that hosts which do not compress unknown file types still send a third of
/// it; a host that does add `Content-Encoding: gzip` has the browser undo that layer first, and
/// the bytes then no longer start with the gzip magic.
async fn gunzip(bytes: &js_sys::Uint8Array) -> Result<js_sys::Uint8Array, JsValue> {
    let parts = js_sys::Array::of1(bytes);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)?;
    let inflate = DecompressionStream::new("gzip")?;
    let pair = web_sys::ReadableWritablePair::new(&inflate.readable(), &inflate.writable());
    let stream = blob.stream().pipe_through(&pair);
    let response = web_sys::Response::new_with_opt_readable_stream(Some(&stream))?;
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer))
}

// web-sys has `DecompressionStream` only behind `web_sys_unstable_apis`, which would switch on
// every unstable binding for the whole crate; this is the small part the widget needs.
#[wasm_bindgen]
extern "C" {
    type DecompressionStream;

    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> web_sys::ReadableStream;

    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> web_sys::WritableStream;
}

/// A JS error as text for the console.
fn describe(e: &JsValue) -> String {
    e.as_string().or_else(|| js_sys::Error::from(e.clone()).message().as_string()).unwrap_or_else(|| format!("{e:?}"))
}

fn main() {}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
