//! The knowledge pack in the browser: fetching it (again when the page switches to a language
//! with a pack of its own), inflating it with the browser's `DecompressionStream`, and handing
//! it to [`kb_core::Index::from_bytes`].

use std::sync::Arc;

use kb_core::format::MAGIC;
use kb_core::Index;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::chat::Chat;

/// Loads the knowledge pack, and loads it again when the page switches to a language with a
/// pack of its own (`data-pack="kb.{locale}.idx.gz"`). Answers wait while a pack loads.
pub fn load_pack(chat: Chat) {
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
pub fn pack_url(template: &str, locale: &str) -> String {
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
    let bytes = js_sys::Uint8Array::new(&wasm_bindgen_futures::JsFuture::from(buffer).await.map_err(|e| describe(&e))?);
    if bytes.length() >= 2 && [bytes.get_index(0), bytes.get_index(1)] == GZIP_MAGIC {
        return Index::from_bytes(gunzip(&bytes, MAX_PACK_BYTES).await?).map_err(|e| e.to_string());
    }
    Index::from_bytes(bytes.to_vec()).map_err(|e| e.to_string())
}

/// The first bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most a pack may inflate to. The shipped knowledge (five locales) is 1.1 MB and 100,000
/// entries 54 MB; a small file that inflates past this is a gzip bomb, stopped before it fills
/// the phone's memory.
pub const MAX_PACK_BYTES: usize = 64 << 20;

/// Inflates a gzip file with the browser's own `DecompressionStream`, chunk by chunk: the first
/// chunk must start like a pack, and inflating stops at `limit` bytes. The pack ships gzipped
/// (`kb.idx.gz`) so that hosts which do not compress unknown file types still send a third of
/// it; a host that does add `Content-Encoding: gzip` has the browser undo that layer first, and
/// the bytes then no longer start with the gzip magic.
pub async fn gunzip(bytes: &js_sys::Uint8Array, limit: usize) -> Result<Vec<u8>, String> {
    let js = |e: JsValue| describe(&e);
    let parts = js_sys::Array::of1(bytes);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(js)?;
    let inflate = DecompressionStream::new("gzip").map_err(js)?;
    let pair = web_sys::ReadableWritablePair::new(&inflate.readable(), &inflate.writable());
    let reader: web_sys::ReadableStreamDefaultReader = blob.stream().pipe_through(&pair).get_reader().unchecked_into();
    let mut out = Vec::new();
    let refuse = |why: String| {
        let _ = reader.cancel();
        Err(why)
    };
    loop {
        let chunk = match wasm_bindgen_futures::JsFuture::from(reader.read()).await {
            Ok(chunk) => chunk,
            // The browser's words ("Failed to fetch") would blame the network.
            Err(e) => return Err(format!("the pack is cut short or damaged (gzip: {})", describe(&e))),
        };
        if js_sys::Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            return Ok(out);
        }
        let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) else { return Ok(out) };
        let value = js_sys::Uint8Array::new(&value);
        let (start, len) = (out.len(), value.length() as usize);
        if start + len > limit {
            return refuse(format!("the pack inflates to more than {} MB", limit >> 20));
        }
        out.resize(start + len, 0);
        value.copy_to(&mut out[start..]);
        if start < MAGIC.len() && out.len() >= MAGIC.len() && out[..MAGIC.len()] != MAGIC {
            return refuse("the gzip file is not a knowledge pack".to_string());
        }
    }
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
