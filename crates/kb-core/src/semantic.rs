//! The semantic tier: a question's meaning as a vector, from a static token table distilled at
//! build time from a multilingual sentence encoder, and a linear head trained at build time on
//! the entries' own titles and questions that reads the vector as a probability per entry.
//! Search fuses that probability with the lexical score ([`crate::Index::attach_semantic`]), so
//! that "current tune" can find "what song is this" though they share no word.
//!
//! A question's vector is the sum of its pieces' stored vectors (each already carries its
//! smooth-inverse-frequency weight, so "the" counts for little), normalised. The file is read by
//! [`crate::format::semantic::read`]; this is what the engine does with it.
//!
//! ```
//! use kb_core::format::semantic::{write, SemanticMeta, SemanticParts};
//! use kb_core::semantic::SemanticTable;
//! use kb_core::Locale;
//!
//! let parts = SemanticParts {
//!     meta: SemanticMeta::new(Locale::En, 2, vec!["shipping".into(), "refund".into()]),
//!     pieces: vec![
//!         ("▁parcel".into(), -9.0, vec![1.0, 0.1]),
//!         ("▁money".into(), -9.0, vec![0.0, 1.0]),
//!         ("▁back".into(), -8.0, vec![0.2, 0.8]),
//!     ],
//!     entries: vec![vec![1.0, 0.0], vec![0.0, 1.0]],
//!     encoder: None,
//! };
//! let table = SemanticTable::from_bytes(write(&parts).unwrap()).unwrap();
//! let q = table.embed("Money back?").unwrap();
//! let p = table.probabilities(&q);
//! assert!(p[1] > p[0] && (p[0] + p[1] - 1.0).abs() < 1e-5);
//! assert!(table.embed("???").is_none());
//! ```

pub mod tokenize;

use std::sync::Arc;

use crate::format::semantic::{read, row_len, EncoderHead, Sections, SemanticMeta};
use crate::format::FormatError;
use crate::locale::Locale;
use tokenize::PieceDictionary;

/// A loaded semantic file, used in place (a clone shares its bytes).
#[derive(Clone)]
pub struct SemanticTable {
    bytes: Arc<[u8]>,
    sections: Sections,
    dictionary: PieceDictionary,
}

impl std::fmt::Debug for SemanticTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticTable")
            .field("locale", &self.sections.meta.locale)
            .field("pieces", &self.sections.piece_count)
            .field("dims", &self.sections.meta.dims)
            .finish()
    }
}

impl SemanticTable {
    /// Reads a semantic file, checking every section (see [`read()`]). Never panics on damaged
    /// bytes.
    ///
    /// # Errors
    /// What is wrong with the bytes.
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<SemanticTable, FormatError> {
        let bytes: Arc<[u8]> = bytes.into();
        let sections = read(&bytes)?;
        let dictionary = PieceDictionary::new(bytes.clone(), sections.pieces.clone(), sections.scores.clone())
            .map_err(|e| FormatError::Corrupt(format!("semantic table: {e}")))?;
        Ok(SemanticTable { bytes, sections, dictionary })
    }

    /// The metadata: locale, dimensions, fusion weight, calibration, entry ids.
    pub fn meta(&self) -> &SemanticMeta {
        &self.sections.meta
    }

    /// The locale whose questions this table reads.
    pub fn locale(&self) -> Locale {
        self.sections.meta.locale
    }

    /// The table's size in bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// How many pieces the vocabulary has.
    pub fn piece_count(&self) -> usize {
        self.sections.piece_count
    }

    /// The pieces `text` splits into, by number.
    pub fn pieces(&self, text: &str) -> Vec<u32> {
        tokenize::split(&self.dictionary, &tokenize::normalize(text), None)
    }

    /// The unit vector of `text`, or `None` when none of it is in the vocabulary.
    pub fn embed(&self, text: &str) -> Option<Vec<f32>> {
        let dims = self.sections.meta.dims as usize;
        let mut sum = vec![0.0f32; dims];
        for n in self.pieces(text) {
            let at = self.sections.vectors.start + n as usize * row_len(dims as u32);
            add_row(&mut sum, &self.bytes[at..at + row_len(dims as u32)]);
        }
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm <= f32::MIN_POSITIVE {
            return None;
        }
        sum.iter_mut().for_each(|x| *x /= norm);
        Some(sum)
    }

    /// The head's probability of each entry (in the order of [`SemanticMeta::entries`]) for a
    /// question's vector (from [`SemanticTable::embed`]): a softmax of its logits.
    pub fn probabilities(&self, query: &[f32]) -> Vec<f32> {
        head(&self.bytes[self.sections.entries.clone()], &self.sections.meta.bias, query)
    }

    /// The encoder tier's head for this locale, if the file has one.
    pub fn encoder_head(&self) -> Option<&EncoderHead> {
        self.sections.encoder.as_ref().map(|(head, _)| head)
    }

    /// The encoder tier's probability of each entry (in the order of [`SemanticMeta::entries`])
    /// for a sentence vector from `kb-encoder`; `None` if the file has no encoder head or the
    /// vector is not of its dimensions.
    pub fn encoder_probabilities(&self, sentence: &[f32]) -> Option<Vec<f32>> {
        let (encoder, rows) = self.sections.encoder.as_ref()?;
        if sentence.len() != encoder.centre.len() {
            return None;
        }
        let mut centred: Vec<f32> = sentence.iter().zip(&encoder.centre).map(|(v, c)| v - c).collect();
        let norm = centred.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        centred.iter_mut().for_each(|x| *x /= norm);
        Some(head(&self.bytes[rows.clone()], &encoder.bias, &centred))
    }
}

/// A linear head's probabilities: the softmax of each stored row · `query` + its bias.
fn head(rows: &[u8], bias: &[f32], query: &[f32]) -> Vec<f32> {
    let row = row_len(query.len() as u32);
    let mut logits: Vec<f32> = rows
        .chunks_exact(row)
        .zip(bias)
        .map(|(r, bias)| {
            let (scale, values) = r.split_at(4);
            let scale = f32::from_le_bytes(scale.try_into().expect("4 bytes"));
            bias + scale * values.iter().zip(query).map(|(&b, q)| b as i8 as f32 * q).sum::<f32>()
        })
        .collect();
    softmax(&mut logits);
    logits
}

/// Turns logits into probabilities in place (the largest is subtracted first, so none overflows).
pub fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        logits.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let mut sum = 0.0;
    for x in logits.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    logits.iter_mut().for_each(|x| *x /= sum);
}

/// Adds one stored row (scale, then a byte per dimension) to `sum`.
fn add_row(sum: &mut [f32], row: &[u8]) {
    let (scale, values) = row.split_at(4);
    let scale = f32::from_le_bytes(scale.try_into().expect("4 bytes"));
    for (s, &b) in sum.iter_mut().zip(values) {
        *s += scale * b as i8 as f32;
    }
}
