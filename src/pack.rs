//! The knowledge pack in the browser: fetching it (again when the page switches to a language
//! with a pack of its own), inflating it with the browser's `DecompressionStream`, and handing
//! it to [`kb_core::Index::from_bytes`].

use std::sync::Arc;

use kb_core::format::MAGIC;
use kb_core::semantic::SemanticTable;
use kb_core::Index;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::chat::Chat;
use crate::config::Semantic;

/// Loads the knowledge pack, and loads it again when the page switches to a language with a
/// pack of its own (`data-pack="kb.{locale}.idx.gz"`, or a release's packs). Answers wait while
/// a pack loads. A pack that cannot be fetched, fails its checksum or does not parse leaves the
/// chat answering from the last good pack of its locale, kept in Cache Storage.
pub fn load_pack(chat: Chat) {
    let (template, release, semantic) = chat.config.with_value(|c| (c.pack.clone(), c.release.clone(), c.semantic));
    // The URL wanted now: a reply for an older one (a quick switch back and forth) is dropped.
    let wanted = StoredValue::new(String::new());
    Effect::new(move |loaded: Option<String>| {
        let locale = chat.locale().code();
        let source = release
            .as_ref()
            .and_then(|r| {
                r.pack(locale).map(|p| Source {
                    url: p.url.clone(),
                    expected: Some((p.sha256.clone(), p.inflated_bytes)),
                    release: Some(r.version.clone()),
                })
            })
            .unwrap_or_else(|| Source { url: pack_url(&template, locale), expected: None, release: None });
        if loaded.as_deref() == Some(source.url.as_str()) {
            return source.url;
        }
        wanted.set_value(source.url.clone());
        if loaded.is_some() {
            chat.index.set(None);
        }
        chat.load_failed.set(false);
        let url = source.url.clone();
        let release = release.clone();
        leptos::task::spawn_local(async move {
            let fetched = fetch_pack(&source).await;
            if wanted.with_value(|w| *w != source.url) {
                return;
            }
            let used = match fetched {
                Ok((index, bytes)) => {
                    leptos::task::spawn_local(keep_last_good(locale, bytes, index.version(), source.release.clone()));
                    Some((index, source.release))
                }
                Err(e) => {
                    web_sys::console::error_1(&format!("market-assist: knowledge pack {}: {e}", source.url).into());
                    let last = last_good(locale).await;
                    if let Some((index, version)) = &last {
                        let which = version.clone().unwrap_or_else(|| index.version());
                        web_sys::console::warn_1(
                            &format!("market-assist: answering from the last good pack ({which})").into(),
                        );
                    }
                    last
                }
            };
            if wanted.with_value(|w| *w != source.url) {
                return;
            }
            match used {
                Some((index, version)) => {
                    // A plain pack's semantic file sits beside it; a release's is in its manifest
                    // (none when the release is lexical, or when the last good pack of another
                    // release answers).
                    let later = match &version {
                        _ if semantic == Semantic::Off => None,
                        None => Some(Source { url: semantic_url(&source.url, locale), expected: None, release: None }),
                        Some(v) => {
                            release.as_ref().filter(|r| r.version == *v).and_then(|r| r.semantic(locale)).map(|f| {
                                Source {
                                    url: f.url.clone(),
                                    expected: Some((f.sha256.clone(), f.inflated_bytes)),
                                    release: Some(v.clone()),
                                }
                            })
                        }
                    };
                    chat.release.set(version);
                    chat.index.set(Some(Arc::new(index)));
                    if let Some(file) = later {
                        leptos::task::spawn_local(attach_semantic(chat, file, wanted, source.url));
                    }
                }
                None => chat.load_failed.set(true),
            }
        });
        url
    });
}

/// The semantic tier's file for a pack: `kb.idx.gz` and `kb.en.idx.gz` both go with
/// `kb.en.sem.gz`.
pub fn semantic_url(pack_url: &str, locale: &str) -> String {
    let (path, query) = pack_url.split_once('?').map_or((pack_url, ""), |(p, q)| (p, q));
    let stem = path.strip_suffix(".gz").unwrap_or(path);
    let stem = stem.strip_suffix(".idx").unwrap_or(stem);
    let stem = stem.strip_suffix(&format!(".{locale}")).unwrap_or(stem);
    let url = format!("{stem}.{locale}.sem.gz");
    if query.is_empty() {
        url
    } else {
        format!("{url}?{query}")
    }
}

/// Fetches the semantic tier after the pack and, if the pack is still the one wanted, swaps in
/// a copy of the index with it attached. Without it (missing, damaged, built for other
/// knowledge) the pack answers on its own, and the console says why.
async fn attach_semantic(chat: Chat, file: Source, wanted: StoredValue<String>, pack: String) {
    let url = &file.url;
    let table = match fetch_semantic(&file).await {
        Ok(table) => table,
        Err(e) => {
            web_sys::console::warn_1(&format!("market-assist: semantic tier {url}: {e} (answering without it)").into());
            return;
        }
    };
    if wanted.with_value(|w| *w != pack) {
        return;
    }
    let Some(index) = chat.index.get_untracked() else { return };
    let mut with = (*index).clone();
    match with.attach_semantic(table) {
        Ok(()) => {
            chat.index.set(Some(Arc::new(with)));
            web_sys::console::info_1(&format!("market-assist: semantic tier attached ({url})").into());
        }
        Err(e) => web_sys::console::warn_1(&format!("market-assist: semantic tier {url}: {e}").into()),
    }
}

/// The largest semantic file inflated (the budget is 2 MB gzip per locale).
const MAX_SEMANTIC_BYTES: usize = 16 << 20;

async fn fetch_semantic(file: &Source) -> Result<SemanticTable, String> {
    let (bytes, limit) = fetch_checked(file, MAX_SEMANTIC_BYTES).await?;
    SemanticTable::from_bytes(inflate(&bytes, limit, SEMANTIC).await?).map_err(|e| e.to_string())
}

/// The body of a successful GET. The bytes stay on the JS side until they are inflated: one
/// copy into the wasm.
async fn fetch_bytes(url: &str) -> Result<js_sys::Uint8Array, String> {
    let response = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let raw = web_sys::Response::from(response);
    let buffer = raw.array_buffer().map_err(|e| describe(&e))?;
    Ok(js_sys::Uint8Array::new(&wasm_bindgen_futures::JsFuture::from(buffer).await.map_err(|e| describe(&e))?))
}

/// A file's bytes as served: gunzipped (up to `limit`, and it must be of `kind`) when they are
/// gzip, else as they are (a host that sends `Content-Encoding: gzip` has the browser inflate).
async fn inflate(bytes: &js_sys::Uint8Array, limit: usize, kind: FileKind) -> Result<Vec<u8>, String> {
    if bytes.length() >= 2 && [bytes.get_index(0), bytes.get_index(1)] == GZIP_MAGIC {
        gunzip(bytes, limit, kind).await
    } else {
        Ok(bytes.to_vec())
    }
}

/// Where one locale's pack (or its semantic file) comes from.
struct Source {
    url: String,
    /// The release manifest's SHA-256 (hex) and inflated size.
    expected: Option<(String, usize)>,
    /// The release's version.
    release: Option<String>,
}

/// The pack URL for `locale`: `{locale}` in the configured URL (also as `embed.js` leaves it
/// after resolving it against the script's URL, percent-encoded) becomes the locale code.
pub fn pack_url(template: &str, locale: &str) -> String {
    template.replace("{locale}", locale).replace("%7Blocale%7D", locale)
}

/// Fetches, checks and parses a pack; returns it with the bytes as served (to keep).
async fn fetch_pack(source: &Source) -> Result<(Index, js_sys::Uint8Array), String> {
    let (bytes, limit) = fetch_checked(source, MAX_PACK_BYTES).await?;
    Ok((decode(&bytes, limit).await?, bytes))
}

/// A file's bytes as served, checked against its release manifest's checksum when it has one,
/// and the most they may inflate to: the manifest's size, else `limit`.
async fn fetch_checked(source: &Source, limit: usize) -> Result<(js_sys::Uint8Array, usize), String> {
    let bytes = fetch_bytes(&source.url).await?;
    match &source.expected {
        Some((sha256, inflated)) => {
            check_sha256(&bytes, sha256).await?;
            Ok((bytes, *inflated))
        }
        None => Ok((bytes, limit)),
    }
}

/// A pack from its bytes as served: gzip (inflated up to `limit`) or not.
async fn decode(bytes: &js_sys::Uint8Array, limit: usize) -> Result<Index, String> {
    Index::from_bytes(inflate(bytes, limit, PACK).await?).map_err(|e| e.to_string())
}

/// Refuses bytes whose SHA-256 (Web Crypto) is not `expected`. Web Crypto exists only on
/// secure pages (https, localhost): elsewhere the check is skipped with a warning, as nothing
/// there can be trusted anyway.
async fn check_sha256(bytes: &js_sys::Uint8Array, expected: &str) -> Result<(), String> {
    let Some(subtle) =
        web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.subtle()).filter(|s| !s.is_undefined())
    else {
        web_sys::console::warn_1(
            &"market-assist: no Web Crypto on this page (not https): pack checksums are not checked".into(),
        );
        return Ok(());
    };
    let digest = subtle.digest_with_str_and_js_u8_array("SHA-256", bytes).map_err(|e| describe(&e))?;
    let digest = wasm_bindgen_futures::JsFuture::from(digest).await.map_err(|e| describe(&e))?;
    let found: String = js_sys::Uint8Array::new(&digest).to_vec().iter().map(|b| format!("{b:02x}")).collect();
    if found == expected {
        Ok(())
    } else {
        Err(format!("checksum mismatch: the manifest says {expected}, the file is {found}"))
    }
}

/// The Cache Storage cache of last good packs, and the key of a locale's (a URL that is never
/// fetched: the cache only needs one).
const LAST_GOOD_CACHE: &str = "market-assist-packs";
fn last_good_key(locale: &str) -> String {
    format!("https://market-assist.invalid/last-good/{locale}")
}
/// The headers a kept pack's release version and checksum travel in.
const RELEASE_HEADER: &str = "x-market-assist-release";
const PACK_HEADER: &str = "x-market-assist-pack";

async fn last_good_cache() -> Option<web_sys::Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    let cache = wasm_bindgen_futures::JsFuture::from(caches.open(LAST_GOOD_CACHE)).await.ok()?;
    Some(cache.unchecked_into())
}

/// Keeps `bytes`, a pack that loaded (`checksum`: its [`Index::version`]), as the last good one
/// of `locale`, unless that one (and release) is kept already: most page loads get the same pack, and
/// need not write it to disk again. Storage that is blocked or full only costs the offline copy.
async fn keep_last_good(locale: &'static str, bytes: js_sys::Uint8Array, checksum: String, release: Option<String>) {
    let Some(cache) = last_good_cache().await else { return };
    let key = last_good_key(locale);
    if let Ok(found) = wasm_bindgen_futures::JsFuture::from(cache.match_with_str(&key)).await {
        if let Ok(kept) = found.dyn_into::<web_sys::Response>() {
            let header = |name| kept.headers().get(name).ok().flatten();
            if header(PACK_HEADER).as_ref() == Some(&checksum) && header(RELEASE_HEADER) == release {
                return;
            }
        }
    }
    let Ok(headers) = web_sys::Headers::new() else { return };
    let _ = headers.set(PACK_HEADER, &checksum);
    if let Some(version) = &release {
        let _ = headers.set(RELEASE_HEADER, version);
    }
    let init = web_sys::ResponseInit::new();
    init.set_headers(&headers);
    let Ok(response) = web_sys::Response::new_with_opt_js_u8_array_and_init(Some(&bytes), &init) else { return };
    let _ = wasm_bindgen_futures::JsFuture::from(cache.put_with_str(&key, &response)).await;
}

/// The last good pack of `locale`, with its release version, if one was kept and still parses.
async fn last_good(locale: &str) -> Option<(Index, Option<String>)> {
    let cache = last_good_cache().await?;
    let found = wasm_bindgen_futures::JsFuture::from(cache.match_with_str(&last_good_key(locale))).await.ok()?;
    let response: web_sys::Response = found.dyn_into().ok()?;
    let release = response.headers().get(RELEASE_HEADER).ok().flatten();
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    let index = decode(&js_sys::Uint8Array::new(&buffer), MAX_PACK_BYTES).await.ok()?;
    Some((index, release))
}

/// The first bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most a pack may inflate to. The shipped knowledge (five locales) is 1.1 MB and 100,000
/// entries 54 MB; a small file that inflates past this is a gzip bomb, stopped before it fills
/// the phone's memory.
pub const MAX_PACK_BYTES: usize = 64 << 20;

/// What a gzip file must inflate to: its magic bytes, its short name and its full name (for
/// messages).
pub type FileKind = ([u8; 4], &'static str, &'static str);

/// A knowledge pack.
pub const PACK: FileKind = (MAGIC, "pack", "knowledge pack");

/// The semantic tier's file.
const SEMANTIC: FileKind = (kb_core::format::semantic::MAGIC, "semantic table", "semantic table");

/// Inflates a gzip file with the browser's own `DecompressionStream`, chunk by chunk: the first
/// chunk must start with `kind`'s magic bytes (a pack's, [`PACK`], or a semantic table's), and
/// inflating stops at `limit` bytes. The pack ships gzipped
/// (`kb.idx.gz`) so that hosts which do not compress unknown file types still send a third of
/// it; a host that does add `Content-Encoding: gzip` has the browser undo that layer first, and
/// the bytes then no longer start with the gzip magic.
pub async fn gunzip(bytes: &js_sys::Uint8Array, limit: usize, kind: FileKind) -> Result<Vec<u8>, String> {
    let (magic, what, full_name) = kind;
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
            Err(e) => return Err(format!("the {what} is cut short or damaged (gzip: {})", describe(&e))),
        };
        if js_sys::Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            return Ok(out);
        }
        let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) else { return Ok(out) };
        let value = js_sys::Uint8Array::new(&value);
        let (start, len) = (out.len(), value.length() as usize);
        if start + len > limit {
            return refuse(format!("the {what} inflates to more than {} MB", limit >> 20));
        }
        out.resize(start + len, 0);
        value.copy_to(&mut out[start..]);
        if start < magic.len() && out.len() >= magic.len() && out[..magic.len()] != magic {
            return refuse(format!("the gzip file is not a {full_name}"));
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
pub fn describe(e: &JsValue) -> String {
    e.as_string().or_else(|| js_sys::Error::from(e.clone()).message().as_string()).unwrap_or_else(|| format!("{e:?}"))
}
