//! The encoder tier's turn: a question the pack and the static tier would clarify or hand to
//! the LLM is read again by the encoder ([`crate::encoder`]: a Web Worker started on the first
//! such question) and decided again with its vector, before either happens. Every question it
//! answers is an LLM call saved.

use std::rc::Rc;
use std::sync::Arc;

use kb_core::decide::Reply;
use kb_core::{Decision, Index};
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
    /// the page allows it (a plain `data-pack`: release manifests do not list it yet) and says
    /// where the worker is, the locale's semantic file has an encoder head, the browser does not
    /// ask to save data, and it is not loading or broken.
    pub(super) fn escalates(&self, index: &Index, reply: &Reply) -> bool {
        let allowed = self.config.with_value(|c| c.semantic == Semantic::Encoder && c.encoder_worker.is_some())
            && self.release.get_untracked().is_none();
        let head = index.semantic(self.locale_untracked()).and_then(|t| t.encoder_head()).is_some();
        let usable = self.encoder.with_value(|slot| matches!(slot, EncoderSlot::Idle | EncoderSlot::Ready(_)));
        reply.decision() != Decision::Answer && allowed && head && usable && !saves_data()
    }

    /// Decides the question again with the encoder's vector (the first time, once the encoder
    /// has loaded), then shows the reply; without the encoder, the reply the rest decided.
    pub(super) fn escalate(&self, index: Arc<Index>, question: String, text: String, reply: Reply) {
        let chat = *self;
        leptos::task::spawn_local(async move {
            let read = match chat.encoder().await {
                Some(encoder) => encoder.embed(&text).await.map_err(|e| {
                    web_sys::console::warn_1(
                        &format!("market-assist: encoder tier: {e} (answering without it)").into(),
                    );
                }),
                None => Err(()),
            };
            let reply = match read {
                Ok((meaning, ms)) => {
                    web_sys::console::debug_1(
                        &format!("market-assist: encoder tier read the question in {ms} ms").into(),
                    );
                    let q = query(&text, chat.locale_untracked(), chat.audience()).meaning(&meaning);
                    index.decide(&q, &chat.overrides())
                }
                Err(()) => reply,
            };
            chat.finish(&index, &question, &text, reply);
        });
    }

    /// The encoder's worker, started and loaded on the first call.
    async fn encoder(&self) -> Option<Rc<EncoderWorker>> {
        if let EncoderSlot::Ready(encoder) = &*self.encoder.read_value() {
            return Some(encoder.clone());
        }
        self.encoder.set_value(EncoderSlot::Loading);
        let (template, script) = self.config.with_value(|c| (c.pack.clone(), c.encoder_worker.clone()));
        let url = encoder_url(&pack_url(&template, self.locale_untracked().code()));
        match EncoderWorker::start(&script.unwrap_or_default(), &url).await {
            Ok(encoder) => {
                web_sys::console::info_1(&format!("market-assist: encoder tier loaded ({url})").into());
                let encoder = Rc::new(encoder);
                self.encoder.set_value(EncoderSlot::Ready(encoder.clone()));
                Some(encoder)
            }
            Err(e) => {
                web_sys::console::warn_1(
                    &format!("market-assist: encoder tier {url}: {e} (answering without it)").into(),
                );
                self.encoder.set_value(EncoderSlot::Failed);
                None
            }
        }
    }
}
