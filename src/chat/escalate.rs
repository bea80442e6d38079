//! The encoder tier's turn: a question the pack and the static tier would clarify, hand to the
//! LLM or answer without being sure is read again by the encoder ([`crate::encoder`]: a Web
//! Worker started on the first such question) and decided again with its vector, before either
//! happens. Every question it answers is an LLM call saved.

use std::rc::Rc;
use std::sync::Arc;

use kb_core::decide::{Path, Reply};
use kb_core::Index;
use leptos::prelude::*;

use super::Chat;
use crate::config::Semantic;
use crate::conversation::query;
use crate::encoder::{encoder_url, saves_data, EncoderWorker};
use crate::pack::pack_url;

/// Where the encoder tier is.
pub enum EncoderSlot {
    /// Not asked for yet.
    Idle,
    /// Being fetched: questions meanwhile are decided without it.
    Loading,
    /// Loaded.
    Ready(Rc<EncoderWorker>),
    /// It could not be loaded: not asked for again on this page.
    Failed,
}

impl Chat {
    /// Whether the encoder tier should read this question again: the rest would not answer it,
    /// or not surely, and the locale's semantic file has an encoder head ([`Index::rereads`]),
    /// the page allows it and can start the worker, there is an encoder file (beside a plain
    /// pack, or in the release's manifest), the browser does not ask to save data, and it is not
    /// loading or broken.
    pub(super) fn escalates(&self, index: &Index, reply: &Reply) -> bool {
        let allowed = self.config.with_value(|c| c.semantic == Semantic::Encoder && c.start_encoder.is_some())
            && self.encoder_file().is_some();
        let usable = self.encoder.with_value(|slot| matches!(slot, EncoderSlot::Idle | EncoderSlot::Ready(_)));
        allowed && usable && index.rereads(self.locale_untracked(), reply) && !saves_data()
    }

    /// Decides the question again with the encoder's vector (the first time, once the encoder
    /// has loaded), then shows the reply; without the encoder, the reply the rest decided. An
    /// answer is re-read only by an encoder already loaded: it is not held for the download.
    pub(super) fn escalate(&self, index: Arc<Index>, question: String, text: String, reply: Reply) {
        let chat = *self;
        // An answer the rest would give anyway is not held back for the encoder's download: it
        // is shown now, and the download starts for the questions after it.
        let ready = self.encoder.with_value(|slot| matches!(slot, EncoderSlot::Ready(_)));
        if matches!(reply.path, Path::Answer(_)) && !ready {
            drop(self.start_encoder());
            self.finish(&index, &question, &text, reply, false);
            return;
        }
        chat.reading.set(true);
        leptos::task::spawn_local(async move {
            let read = match chat.encoder().await {
                Some(encoder) => encoder.embed(&text).await.map_err(|e| {
                    web_sys::console::warn_1(
                        &format!("market-assist: encoder tier: {e} (answering without it)").into(),
                    );
                }),
                None => Err(()),
            };
            let (reply, encoder) = match read {
                Ok((meaning, ms)) => {
                    web_sys::console::debug_1(
                        &format!("market-assist: encoder tier read the question in {ms} ms").into(),
                    );
                    let q = query(&text, chat.locale_untracked(), chat.audience()).meaning(&meaning);
                    (index.decide(&q, &chat.overrides()), true)
                }
                Err(()) => (reply, false),
            };
            chat.reading.set(false);
            chat.finish(&index, &question, &text, reply, encoder);
        });
    }

    /// The encoder file of the pack that answers, and the SHA-256 its release manifest gives it:
    /// beside a plain pack; a release's own (none for a lexical release, or when the last good
    /// pack of another release answers).
    fn encoder_file(&self) -> Option<(String, Option<String>)> {
        let in_use = self.release.get_untracked();
        self.config.with_value(|c| match (&in_use, &c.release) {
            (None, _) => Some((encoder_url(&pack_url(&c.pack, self.locale_untracked().code())), None)),
            (Some(version), Some(release)) if release.version == *version => {
                release.encoder.as_ref().map(|f| (f.url.clone(), Some(f.sha256.clone())))
            }
            _ => None,
        })
    }

    /// The encoder's worker: started on the first call, which waits for it at most
    /// [`FIRST_WAIT_MS`] (a phone on a slow line may take far longer to fetch 18.5 MB; the load
    /// goes on, for the next questions). While it loads, questions are decided without it.
    async fn encoder(&self) -> Option<Rc<EncoderWorker>> {
        if let EncoderSlot::Ready(encoder) = &*self.encoder.read_value() {
            return Some(encoder.clone());
        }
        // Loading or failed: decided without it.
        let loaded = self.start_encoder()?;
        futures::future::select(loaded, Box::pin(sleep(FIRST_WAIT_MS))).await;
        match &*self.encoder.read_value() {
            EncoderSlot::Ready(encoder) => Some(encoder.clone()),
            EncoderSlot::Loading => {
                web_sys::console::info_1(&"market-assist: encoder tier still loading (answering without it)".into());
                None
            }
            // A failed load has said why.
            EncoderSlot::Idle | EncoderSlot::Failed => None,
        }
    }

    /// Starts loading the encoder when it is idle; the receiver is told when the load ends
    /// (`None`: it was not idle).
    fn start_encoder(&self) -> Option<futures::channel::oneshot::Receiver<()>> {
        if !self.encoder.with_value(|slot| matches!(slot, EncoderSlot::Idle)) {
            return None;
        }
        self.encoder.set_value(EncoderSlot::Loading);
        let (done, loaded) = futures::channel::oneshot::channel();
        let chat = *self;
        leptos::task::spawn_local(async move {
            chat.load_encoder().await;
            let _ = done.send(());
        });
        Some(loaded)
    }

    /// Starts the worker and leaves the slot `Ready` or `Failed`.
    async fn load_encoder(&self) {
        let start = self.config.with_value(|c| c.start_encoder.clone());
        let (Some(start), Some((url, sha256))) = (start, self.encoder_file()) else {
            self.encoder.set_value(EncoderSlot::Failed);
            return;
        };
        match EncoderWorker::start(&start, &url, sha256.as_deref()).await {
            Ok(encoder) => {
                web_sys::console::info_1(&format!("market-assist: encoder tier loaded ({url})").into());
                self.encoder.set_value(EncoderSlot::Ready(Rc::new(encoder)));
            }
            Err(e) => {
                web_sys::console::warn_1(
                    &format!("market-assist: encoder tier {url}: {e} (answering without it)").into(),
                );
                self.encoder.set_value(EncoderSlot::Failed);
            }
        }
    }
}

/// How long the first question waits for the encoder tier to load.
const FIRST_WAIT_MS: i32 = 5_000;

/// A future that is ready after `ms` milliseconds.
async fn sleep(ms: i32) {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
}
