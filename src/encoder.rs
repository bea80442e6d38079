//! The encoder tier in the browser: `encoder.kben.gz` beside the pack, fetched on the first
//! question the pack and the static tier would clarify or hand to the LLM, kept in Cache Storage
//! so that a page load after the first reads it from disk, and run by [`kb_encoder::Encoder`].
//! It is skipped when the page says `data-semantic="static"` or `"off"` and when the browser
//! asks to save data (`navigator.connection.saveData`).

use kb_encoder::Encoder;
use wasm_bindgen::prelude::*;

use crate::pack::{describe, gunzip, FileKind};

/// The encoder file beside a pack: `…/kb.idx.gz` and `…/kb.th.idx.gz` both go with
/// `…/encoder.kben.gz` (one encoder serves every locale).
pub fn encoder_url(pack_url: &str) -> String {
    let (path, query) = pack_url.split_once('?').map_or((pack_url, None), |(p, q)| (p, Some(q)));
    let folder = path.rfind('/').map_or("", |i| &path[..=i]);
    match query {
        Some(q) => format!("{folder}encoder.kben.gz?{q}"),
        None => format!("{folder}encoder.kben.gz"),
    }
}

/// Whether the browser asks pages to save data (Chromium's Data Saver, a metered connection).
pub fn saves_data() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let connection = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("connection")).unwrap_or_default();
    let flag = js_sys::Reflect::get(&connection, &JsValue::from_str("saveData")).unwrap_or_default();
    flag.as_bool().unwrap_or(false)
}

/// The encoder file.
const ENCODER: FileKind = (kb_core::format::encoder::MAGIC, "encoder", "encoder file");
/// The most it may inflate to (multilingual-e5-small pruned to the knowledge's languages is 20 MB).
const MAX_ENCODER_BYTES: usize = 48 << 20;
/// The Cache Storage cache the encoder file is kept in, by its URL.
const ENCODER_CACHE: &str = "market-assist-encoder";

/// Loads the encoder from Cache Storage, else from `url` (and keeps it there).
pub async fn load(url: &str) -> Result<Encoder, String> {
    let cache = encoder_cache().await;
    let kept = match &cache {
        Some(cache) => cached(cache, url).await,
        None => None,
    };
    let bytes = match kept {
        Some(bytes) => bytes,
        None => {
            let response = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let raw = web_sys::Response::from(response);
            if let Some(cache) = &cache {
                if let Ok(copy) = raw.clone() {
                    // Storage that is blocked or full only costs the next page load a download.
                    let _ = wasm_bindgen_futures::JsFuture::from(cache.put_with_str(url, &copy)).await;
                }
            }
            body(&raw).await?
        }
    };
    let inflated = if bytes.length() >= 2 && bytes.get_index(0) == 0x1f && bytes.get_index(1) == 0x8b {
        gunzip(&bytes, MAX_ENCODER_BYTES, ENCODER).await?
    } else {
        bytes.to_vec()
    };
    Encoder::from_bytes(inflated).map_err(|e| e.to_string())
}

async fn encoder_cache() -> Option<web_sys::Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    let cache = wasm_bindgen_futures::JsFuture::from(caches.open(ENCODER_CACHE)).await.ok()?;
    Some(cache.unchecked_into())
}

async fn cached(cache: &web_sys::Cache, url: &str) -> Option<js_sys::Uint8Array> {
    let found = wasm_bindgen_futures::JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response: web_sys::Response = found.dyn_into().ok()?;
    body(&response).await.ok()
}

async fn body(response: &web_sys::Response) -> Result<js_sys::Uint8Array, String> {
    let buffer = response.array_buffer().map_err(|e| describe(&e))?;
    Ok(js_sys::Uint8Array::new(&wasm_bindgen_futures::JsFuture::from(buffer).await.map_err(|e| describe(&e))?))
}
