//! Reading a question as the pack reads it: the [`Point`] that groups it with others, and the
//! entry the pack's decision points at ([`super::route`]).
//!
//! - Its *words*, as the locale's analyzer in the pack reads them (the one its search uses:
//!   folding, stemming, stop words, synonyms), each weighted by
//!   [`kb_core::Index::term_weight`] (BM25's idf: "how" and "my" weigh almost nothing, a word the
//!   knowledge never saw weighs most).
//! - When the pack answers the question or offers choices, the *entries it ranked first*
//!   ([`HITS`] of them), weighted by their scores: two questions that share no word but that the
//!   engine sends to the same entries are about the same thing ("wheres my pkg", "tracking for
//!   my order"). A question the pack falls back on has words only: its ranking is about what the
//!   knowledge has, not about what was asked.

use std::collections::HashMap;

use kb_core::analysis::Analyzer;
use kb_core::decide::{Overrides, Path};
use kb_core::{Audience, Index, Locale, Query};

use super::cluster::{Point, Vector};

/// How many of the engine's best entries a question is sent to.
pub const HITS: usize = 3;

/// The marker of an entry among the terms (entry ids cannot contain it).
const ENTRY_MARK: char = '@';

/// A question as the pack read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Its words and entries.
    pub point: Point,
    /// The entry the pack answers it with, offers first, or replies or hands off with; `None`
    /// when it falls back.
    pub pointed: Option<String>,
}

/// The terms and entries met so far, numbered.
#[derive(Default)]
pub struct Vocabulary {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Vocabulary {
    /// Reads `text`, asked in `locale` by `audience`, as the pack decides it today.
    pub fn read(&mut self, index: &Index, locale: Locale, audience: Audience, text: &str) -> Reading {
        // A locale the pack has no entries in still has its stemmer.
        let plain;
        let analyzer = match index.analyzer(locale) {
            Some(a) => a,
            None => {
                plain = Analyzer::new(locale);
                &plain
            }
        };
        let words: Vec<(u32, f32)> = analyzer
            .terms(text)
            .into_iter()
            .map(|t| {
                let weight = index.term_weight(locale, &t);
                (self.id(t), weight)
            })
            .collect();
        let reply = index.decide(&Query::new(text, locale).audience(audience), &Overrides::default());
        let pointed = match &reply.path {
            Path::Fallback(_) => None,
            path => path.entries().first().and_then(|&n| index.entry_id(n)),
        };
        let mut entries = Vec::new();
        if pointed.is_some() {
            for hit in reply.result.hits.iter().take(HITS) {
                if let Some(entry) = index.entry_id(hit.entry) {
                    entries.push((self.id(format!("{ENTRY_MARK}{entry}")), hit.score));
                }
            }
        }
        Reading { point: Point { words: Vector::new(words), entries: Vector::new(entries) }, pointed }
    }

    fn id(&mut self, term: String) -> u32 {
        if let Some(&id) = self.ids.get(&term) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(term.clone());
        self.ids.insert(term, id);
        id
    }

    /// The word numbered `id`, `None` for an entry or an unknown id.
    pub fn word(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str).filter(|n| !n.starts_with(ENTRY_MARK))
    }
}
