//! The knowledge pack format: the only thing the build-time room (`kb-compiler`) and the
//! run-time room (the widget, through [`crate::Index`]) share. Each section's writer and reader
//! live side by side in one file here, so that they cannot drift apart; the compiler only calls
//! writers, [`crate::Index::from_bytes`] only readers.
//!
//! A pack is one buffer, all integers little-endian:
//!
//! ```text
//! magic "KBIX" | version u32 | section count u32 | checksum u64 (FNV-1a of all bytes after it)
//! section directory: count × (kind u32, offset u32, length u32)
//! section bytes …
//! ```
//!
//! | section | file | what it holds |
//! |---|---|---|
//! | header, directory | [`container`] | magic, version, checksum, where each section is |
//! | `Meta` | [`meta`] | analysis settings, ranking parameters, calibration, statistics |
//! | `Terms` | [`terms`] | an `fst::Map` from locale tag + term to its postings offset |
//! | `Postings` | [`postings`] | per term, the units that hold it and how often |
//! | `Units`, `Entries` | [`records`] | fixed-size records per indexed text and per entry |
//! | `Stored` | [`stored`] | the entries as shown (title, answer, links, …, the answer per market) |
//! | `Flows` | [`flows`] | the guided flows (a step's message per market too) |
//!
//! The semantic tier's file (`kb.<locale>.sem`, [`semantic`]) shares the container layout under
//! its own magic: a static token table, the entries' vectors, the fusion weight.
//!
//! [`schema`] holds the version, the section tags and the bytes that stand for locales,
//! audiences and fields, with assertions that pin them; [`codec`] is the small binary encoding
//! the structured sections use. Sections are byte ranges of one buffer, so reading needs no
//! copy of the large parts: the term dictionary, postings and record tables are used in place.
//!
//! ```
//! use kb_core::format::{Container, SectionKind};
//!
//! let bytes = Container::encode(&[(SectionKind::Meta, vec![1, 2, 3])]);
//! let container = Container::decode(&bytes).unwrap();
//! assert_eq!(&bytes[container.section(SectionKind::Meta).unwrap()], &[1, 2, 3]);
//! ```

pub mod codec;
pub mod container;
pub mod encoder;
pub mod flows;
pub mod meta;
pub mod postings;
pub mod records;
pub mod schema;
pub mod semantic;
pub mod stored;
pub mod terms;

pub use container::{checksum, Container, FormatError};
pub use schema::{SectionKind, MAGIC, VERSION};
