//! The encoder tier in the browser: `encoder.kben.gz` beside the pack, read by multilingual-e5-small
//! in a Web Worker (`public/encoder-worker.js` running the `encoder-worker` wasm module). The
//! widget's own wasm holds none of it: the worker, its module and the file are fetched on the
//! first question the pack and the static tier would clarify or hand to the LLM, and the worker
//! keeps the file in Cache Storage. It is skipped when the page says `data-semantic="static"` or
//! `"off"` and when the browser asks to save data (`navigator.connection.saveData`).
//!
//! Each request goes with a `MessagePort` of its own, and its reply comes back on it: no table of
//! pending requests to keep.

use js_sys::{Array, Float32Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageChannel, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::pack::describe;

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
    let connection = Reflect::get(&window.navigator(), &JsValue::from_str("connection")).unwrap_or_default();
    let flag = Reflect::get(&connection, &JsValue::from_str("saveData")).unwrap_or_default();
    flag.as_bool().unwrap_or(false)
}

/// How long the first question waits for the worker, its module and the 18.5 MB file.
const LOAD_WITHIN_MS: i32 = 120_000;
/// How long a question may take to be read (about 50 ms is usual).
const EMBED_WITHIN_MS: i32 = 10_000;

/// The encoder tier's worker, with the encoder loaded.
pub struct EncoderWorker {
    worker: Worker,
}

impl EncoderWorker {
    /// Starts the worker script at `script` and has it load the encoder file at `file` (both
    /// resolved against the page), whose bytes as served must have the SHA-256 `sha256` when
    /// it is given (a release's file).
    ///
    /// # Errors
    /// Why the worker could not start or load the file.
    pub async fn start(script: &str, file: &str, sha256: Option<&str>) -> Result<EncoderWorker, String> {
        let file = absolute(file)?;
        let worker = spawn(&absolute(script)?)?;
        let message = request("load", &file);
        if let Some(sha256) = sha256 {
            let _ = Reflect::set(&message, &"sha256".into(), &sha256.into());
        }
        let loaded = ask(&worker, &message, LOAD_WITHIN_MS, true).await;
        worker.set_onerror(None);
        match loaded {
            Ok(_) => Ok(EncoderWorker { worker }),
            Err(e) => {
                worker.terminate();
                Err(e)
            }
        }
    }

    /// The question's meaning, and how many milliseconds the worker took to read it.
    ///
    /// # Errors
    /// What went wrong in the worker.
    pub async fn embed(&self, question: &str) -> Result<(Vec<f32>, u32), String> {
        let reply = ask(&self.worker, &request("embed", question), EMBED_WITHIN_MS, false).await?;
        let vector = Reflect::get(&reply, &"vector".into()).map_err(|e| describe(&e))?;
        let ms = Reflect::get(&reply, &"ms".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        Ok((vector.unchecked_into::<Float32Array>().to_vec(), ms as u32))
    }
}

impl Drop for EncoderWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// `url` resolved against the page, as the worker has a base of its own.
fn absolute(url: &str) -> Result<String, String> {
    let base = web_sys::window().and_then(|w| w.document()).and_then(|d| d.base_uri().ok().flatten());
    let resolved = match base {
        Some(base) => web_sys::Url::new_with_base(url, &base),
        None => web_sys::Url::new(url),
    };
    resolved.map(|u| u.href()).map_err(|e| describe(&e))
}

/// A module worker running `script`. A script on another origin (the widget served from a CDN)
/// cannot be a worker itself: a same-origin `blob:` module that imports it can.
fn spawn(script: &str) -> Result<Worker, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let page = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let same_origin = web_sys::Url::new(script).map(|u| u.origin() == page).unwrap_or(false);
    let url = if same_origin {
        script.to_owned()
    } else {
        let source =
            format!("import {};", js_sys::JSON::stringify(&script.into()).map(String::from).unwrap_or_default());
        let bag = web_sys::BlobPropertyBag::new();
        bag.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&Array::of1(&source.into()), &bag)
            .map_err(|e| describe(&e))?;
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| describe(&e))?
    };
    Worker::new_with_options(&url, &options).map_err(|e| describe(&e))
}

/// `{ [kind]: value }`.
fn request(kind: &str, value: &str) -> Object {
    let message = Object::new();
    let _ = Reflect::set(&message, &kind.into(), &value.into());
    message
}

/// Sends `message` with a port for the reply and waits for the reply, at most `within_ms`. With
/// `watch_errors`, an error event on the worker fails it at once: a worker whose script or module
/// did not load says so only on itself (that listener lives as long as the page, once).
async fn ask(worker: &Worker, message: &Object, within_ms: i32, watch_errors: bool) -> Result<JsValue, String> {
    let channel = MessageChannel::new().map_err(|e| describe(&e))?;
    let reply = Promise::new(&mut |resolve, reject| {
        let answered = Closure::once_into_js(move |event: MessageEvent| {
            let _ = resolve.call1(&JsValue::NULL, &event.data());
        });
        channel.port1().set_onmessage(Some(answered.unchecked_ref()));
        // A timer always fires, so its closure is always freed.
        let late = reject.clone();
        let timeout = Closure::once_into_js(move || {
            let _ = late.call1(&JsValue::NULL, &JsValue::from_str("the encoder worker did not answer in time"));
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(timeout.unchecked_ref(), within_ms);
        }
        if watch_errors {
            let failed = Closure::once_into_js(move |event: web_sys::Event| {
                let why = Reflect::get(&event, &"message".into()).ok().and_then(|m| m.as_string());
                let why = why.unwrap_or_else(|| "the encoder worker's script did not load".to_owned());
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&why));
            });
            worker.set_onerror(Some(failed.unchecked_ref()));
        }
    });
    worker.post_message_with_transfer(message, &Array::of1(&channel.port2())).map_err(|e| describe(&e))?;
    let reply = JsFuture::from(reply).await.map_err(|e| e.as_string().unwrap_or_else(|| describe(&e)))?;
    match Reflect::get(&reply, &"error".into()).ok().and_then(|e| e.as_string()) {
        Some(error) => Err(error),
        None => Ok(reply),
    }
}
