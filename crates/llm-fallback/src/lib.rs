//! `llm-fallback` owns the protocol and privacy logic of the widget's LLM fallback — everything
//! between "local retrieval is not confident enough" and "text appears in the chat bubble",
//! except the transport: it builds the Chat Completions request body from the top passages and
//! a bounded conversation window ([`request`]), strips e-mail addresses, phone and card numbers
//! and configured patterns from what leaves the device ([`redact`]), decodes the streamed
//! Server-Sent-Events reply incrementally and within size caps ([`sse`], [`chunk`]), turns
//! `[entry-id]` markers into citations of known passages ([`citations`]), and decides on
//! retries, timeouts, per-session call caps and repeated-question caching ([`policy`]). The
//! JSON of the wire format is its own small [`json`] module, so the widget links no JSON library.
//! It has no I/O, no clock and no web dependencies, so the same code runs in `cargo test` and in
//! the wasm32 widget, which only has to `fetch` with the body and feed the response bytes back in.
//!
//! ```
//! use llm_fallback::{ChatRequest, Passage, StreamDecoder, StreamEvent, split_citations, Segment};
//!
//! let passages = vec![Passage::new("track-order", "Track my order", "Open Orders and tap Track.")];
//! let prepared = ChatRequest::new("where is my parcel? mail me at jo@example.com")
//!     .passages(passages.clone())
//!     .locale("en")
//!     .build()
//!     .unwrap();
//! assert!(prepared.body_json().contains("\"stream\":true"));
//! assert!(!prepared.body_json().contains("jo@example.com"));
//!
//! let mut decoder = StreamDecoder::new();
//! let mut reply = String::new();
//! for ev in decoder.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"Tap Track [track-order]\"}}]}\n\ndata: [DONE]\n\n") {
//!     if let Ok(StreamEvent::Delta(t)) = ev { reply.push_str(&t) }
//! }
//! let ids: Vec<&str> = passages.iter().map(|p| p.id.as_str()).collect();
//! assert_eq!(
//!     split_citations(&reply, &ids),
//!     vec![Segment::Text("Tap Track ".into()), Segment::Cite("track-order".into())]
//! );
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod chunk;
pub mod citations;
pub mod guard;
pub mod json;
pub mod policy;
pub mod redact;
pub mod request;
pub mod sse;

// The glob language of flow slots, shared verbatim with kb-core (which owns the file) so that
// redaction patterns and slot patterns behave identically, without a dependency on kb-core.
// Its doc examples name `kb_core`, so it is left out when rustdoc collects doctests; they run
// as part of kb-core's tests.
#[cfg(not(doctest))]
#[allow(dead_code, missing_docs, unreachable_pub)]
#[path = "../../kb-core/src/pattern.rs"]
mod glob;
// While rustdoc collects doctests it only needs the names to resolve.
#[cfg(doctest)]
mod glob {
    pub(crate) struct Pattern;
}

pub use chunk::{parse_data, ChunkError, DecodeError, FinishReason, StreamDecoder, StreamEvent};
pub use citations::{cited_ids, drop_citations, split_citations, Segment};
pub use policy::{
    Failure, GiveUpReason, LedgerError, RetryDecision, RetryPolicy, RetryState, SessionLedger, TimeoutKind, Timeouts,
};
pub use redact::{RedactError, Redacted, RedactionKind, Redactor};
pub use request::{ChatRequest, Passage, PreparedRequest, RequestConfig, RequestError, Role, Turn};
pub use sse::{SseError, SseEvent, SseParser};
