//! The retrieval core of the marketplace assistant: it owns text analysis, the compiled index
//! format (reading it), ranked search with typo tolerance and prefix completion, the calibrated
//! confidence that decides between answering, clarifying and falling back to an LLM, and the
//! guided-flow runtime. It is pure Rust with no web dependencies, so the same code runs natively
//! (the `kb` CLI, tests, benchmarks) and in WebAssembly (the widget). Writing an index is the
//! knowledge compiler's job (`kb-compiler`); this crate only reads one.
//!
//! ```no_run
//! use kb_core::{decide::Overrides, Index, Locale, Query};
//!
//! let index = Index::from_bytes(std::fs::read("kb.idx").unwrap()).unwrap();
//! let reply = index.decide(&Query::new("wher is my parcel??", Locale::En), &Overrides::default());
//! println!("{:?} at confidence {:?}", reply.path, reply.result.confidence);
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod confidence;
pub mod decide;
pub mod entry;
pub mod flow;
pub mod format;
pub mod fuzzy;
pub mod index;
pub mod locale;
pub mod markdown;
pub mod market;
pub mod pattern;
pub mod ranking;
pub mod search;
pub mod semantic;

pub use confidence::{Calibration, Confidence, Decision};
pub use entry::{Audience, Entry, EntryKind, Link};
pub use format::FormatError;
pub use index::Index;
pub use locale::Locale;
pub use market::Market;
pub use search::{Hit, Query, SearchResult};
