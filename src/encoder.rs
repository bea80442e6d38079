//! The encoder tier in the browser: `encoder.kben.gz` beside the pack, read by multilingual-e5-small
//! in a Web Worker (`public/encoder-worker.js` running the `encoder-worker` wasm module). The
//! widget's own wasm holds none of it, not even the worker's plumbing: `embed.js` hands the widget
//! `config.startEncoder`, which imports `public/encoder-client.js` (the worker, its requests and
//! their time limits) on the first question the pack and the static tier would clarify or hand to
//! the LLM; the worker keeps the file in Cache Storage. It is skipped when the page says
//! `data-semantic="static"` or `"off"` and when the browser asks to save data
//! (`navigator.connection.saveData`).

use js_sys::{Float32Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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

/// The encoder tier's worker, with the encoder loaded.
pub struct EncoderWorker {
    session: EncoderSession,
}

#[wasm_bindgen]
extern "C" {
    /// What `encoder-client.js`'s `start` resolves to.
    type EncoderSession;

    /// `{ vector: Float32Array, ms }` for a question, or why not.
    #[wasm_bindgen(method, catch)]
    async fn embed(this: &EncoderSession, question: &str) -> Result<JsValue, JsValue>;

    /// Ends the worker.
    #[wasm_bindgen(method)]
    fn close(this: &EncoderSession);
}

impl EncoderWorker {
    /// Has `start` (`config.startEncoder`) start the worker and load the encoder file at `file`
    /// (resolved against the page), whose bytes as served must have the SHA-256 `sha256` when it
    /// is given (a release's file).
    ///
    /// # Errors
    /// Why the worker could not start or load the file.
    pub async fn start(start: &Function, file: &str, sha256: Option<&str>) -> Result<EncoderWorker, String> {
        let sha256 = sha256.map_or(JsValue::UNDEFINED, JsValue::from);
        let loading = start.call2(&JsValue::NULL, &file.into(), &sha256).map_err(|e| describe(&e))?;
        let session = JsFuture::from(Promise::resolve(&loading)).await.map_err(|e| describe(&e))?;
        Ok(EncoderWorker { session: session.unchecked_into() })
    }

    /// The question's meaning, and how many milliseconds the worker took to read it.
    ///
    /// # Errors
    /// What went wrong in the worker.
    pub async fn embed(&self, question: &str) -> Result<(Vec<f32>, u32), String> {
        let reply = self.session.embed(question).await.map_err(|e| describe(&e))?;
        let vector = Reflect::get(&reply, &"vector".into()).map_err(|e| describe(&e))?;
        let vector = vector.dyn_into::<Float32Array>().map_err(|_| "the encoder worker sent no vector".to_owned())?;
        let ms = Reflect::get(&reply, &"ms".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        Ok((vector.to_vec(), ms as u32))
    }
}

impl Drop for EncoderWorker {
    fn drop(&mut self) {
        self.session.close();
    }
}
