//! The semantic tier's file (`kb.<locale>.sem`), writer beside reader: a static token table
//! distilled from a multilingual sentence encoder, the entries' vectors in its space, and the
//! fusion weight and confidence model fitted with it. The widget loads it after the pack; the
//! pack alone still answers.
//!
//! It shares the pack's container layout ([`super::Container`]) under its own magic and version:
//!
//! | tag | section | what it holds |
//! |---|---|---|
//! | 1 | meta | [`SemanticMeta`] in the [`super::codec`] encoding |
//! | 2 | pieces | an `fst::Map` from a vocabulary piece (SentencePiece form: `▁` starts a word) to its number |
//! | 3 | scores | per piece, its unigram log-probability (`f32`), which the tokeniser maximises |
//! | 4 | vectors | per piece, a [`Quantized`] row: its vector times its weight |
//! | 5 | entries | per entry of [`SemanticMeta::entries`], a [`Quantized`] row: its weights in the linear head |
//! | 6 | encoder | optional: [`EncoderHead`], how the encoder tier's vectors are read |
//! | 7 | encoder entries | with it: per entry, a [`Quantized`] row of the encoder tier's head |
//!
//! ```
//! use kb_core::format::semantic::{quantize, SemanticMeta, SemanticParts, read, write};
//! use kb_core::Locale;
//!
//! let meta = SemanticMeta::new(Locale::En, 2, vec!["track-order".into()]);
//! let parts = SemanticParts {
//!     meta,
//!     pieces: vec![("▁parcel".into(), -8.0, vec![0.6, 0.8])],
//!     entries: vec![vec![0.6, 0.8]],
//!     encoder: None,
//! };
//! let bytes = write(&parts).unwrap();
//! let sections = read(&bytes).unwrap();
//! assert_eq!(sections.meta.entries, vec!["track-order".to_string()]);
//! assert!(read(&bytes[..bytes.len() - 1]).is_err());
//! # let _ = quantize(&[1.0]);
//! ```

use std::ops::Range;

use crate::confidence::Calibration;
use crate::format::codec::{Decode, Encode};
use crate::format::terms::fst_checksum_holds;
use crate::format::{Container, FormatError};
use crate::locale::Locale;

/// The four bytes a semantic file starts with.
pub const MAGIC: [u8; 4] = *b"KBSE";
/// The semantic file's format version (2: the encoder head says which answers it re-reads).
pub const VERSION: u32 = 2;
/// The most dimensions a table may have (the encoders it is distilled from have 384).
pub const MAX_DIMS: u32 = 1024;

const META: u32 = 1;
const PIECES: u32 = 2;
const SCORES: u32 = 3;
const VECTORS: u32 = 4;
const ENTRIES: u32 = 5;
const ENCODER: u32 = 6;
const ENCODER_ENTRIES: u32 = 7;

/// What a semantic file says about itself and how the engine uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct SemanticMeta {
    /// The locale whose questions it reads.
    pub locale: Locale,
    /// Dimensions of every vector.
    pub dims: u32,
    /// Share of a hit's score from the cosine to the entry's vector; the rest is the lexical
    /// score. Fitted on the development questions.
    pub fusion: f32,
    /// The confidence model fitted with the fused ranking (it replaces the pack's while this
    /// file is attached).
    pub calibration: Calibration,
    /// The entries, by id, in the order of the entries section.
    pub entries: Vec<String>,
    /// Per entry, the linear head's bias (the head's logit for an entry is its row · the
    /// question's vector + this; a softmax over the locale's entries makes it a probability).
    pub bias: Vec<f32>,
    /// Where the table came from (encoder, distillation), for reports.
    pub source: String,
}

impl SemanticMeta {
    /// Metadata with no fusion yet and the prior calibration.
    pub fn new(locale: Locale, dims: u32, entries: Vec<String>) -> SemanticMeta {
        let bias = vec![0.0; entries.len()];
        SemanticMeta {
            locale,
            dims,
            fusion: 0.0,
            calibration: Calibration::default(),
            entries,
            bias,
            source: String::new(),
        }
    }
}

crate::record! {
    SemanticMeta { locale, dims, fusion, calibration, entries, bias, source }
}

/// How the encoder tier's sentence vectors (`kb-encoder`, run in the browser only for questions
/// the rest would not answer) are read for this locale's entries: a linear head like the static
/// tier's, its own fusion weight and its own confidence model.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderHead {
    /// Share of a hit's score from the encoder head's probability; the rest is lexical.
    pub fusion: f32,
    /// The confidence model fitted on the questions the encoder tier decides.
    pub calibration: Calibration,
    /// The static tiers' confidence at or above which their answer stands without the encoder
    /// (below it, and whenever they would not answer, the encoder tier reads the question
    /// again; above 1, it reads only what they would not answer).
    pub sure: f32,
    /// Subtracted from a sentence vector before the head reads it (the mean of the entries'
    /// vectors: e5's vectors share a large common direction).
    pub centre: Vec<f32>,
    /// Per entry, the head's bias.
    pub bias: Vec<f32>,
}

crate::record! {
    EncoderHead { fusion, calibration, sure, centre, bias }
}

/// What [`write()`] writes: the metadata, every piece with its score and (weighted) vector, and
/// each entry's row of the linear head, all of `meta.dims` values; and optionally the encoder
/// tier's head, with one row of `centre.len()` values per entry.
#[derive(Clone, Debug)]
pub struct SemanticParts {
    /// The metadata.
    pub meta: SemanticMeta,
    /// Piece, unigram log-probability, vector.
    pub pieces: Vec<(String, f32, Vec<f32>)>,
    /// One row of head weights per entry of `meta.entries`.
    pub entries: Vec<Vec<f32>>,
    /// The encoder tier's head and its rows, one per entry of `meta.entries`.
    pub encoder: Option<(EncoderHead, Vec<Vec<f32>>)>,
}

/// A vector stored as one `f32` scale and a signed byte per dimension (value = scale × byte).
pub type Quantized = (f32, Vec<i8>);

/// Quantizes `v` to bytes with the scale that maps its largest magnitude to 127.
///
/// ```
/// let (scale, q) = kb_core::format::semantic::quantize(&[0.5, -1.0]);
/// assert_eq!(q, vec![64, -127]);
/// assert!((scale * 127.0 - 1.0).abs() < 1e-6);
/// ```
pub fn quantize(v: &[f32]) -> Quantized {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    (scale, v.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect())
}

/// Bytes of one stored row of `dims` dimensions.
pub fn row_len(dims: u32) -> usize {
    4 + dims as usize
}

/// Why [`write()`] refused its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write the semantic table: {}", self.0)
    }
}

impl std::error::Error for WriteError {}

/// Writes a semantic file. Pieces may come in any order; they are numbered in byte order.
///
/// # Errors
/// A vector of the wrong length, a repeated or empty piece, a dimension count out of range, or
/// entry vectors that do not match the entry ids.
pub fn write(parts: &SemanticParts) -> Result<Vec<u8>, WriteError> {
    let dims = parts.meta.dims;
    if dims == 0 || dims > MAX_DIMS {
        return Err(WriteError(format!("{dims} dimensions (1 to {MAX_DIMS})")));
    }
    if parts.entries.len() != parts.meta.entries.len() || parts.meta.bias.len() != parts.meta.entries.len() {
        return Err(WriteError("entry vectors and entry ids differ in number".into()));
    }
    if parts.pieces.iter().any(|p| p.0.is_empty()) {
        return Err(WriteError("an empty piece".into()));
    }
    let mut order: Vec<usize> = (0..parts.pieces.len()).collect();
    order.sort_by(|&a, &b| parts.pieces[a].0.as_bytes().cmp(parts.pieces[b].0.as_bytes()));
    let mut builder = fst::MapBuilder::memory();
    let (mut scores, mut vectors) = (Vec::new(), Vec::new());
    for (number, &i) in order.iter().enumerate() {
        let (piece, score, vector) = &parts.pieces[i];
        if vector.len() != dims as usize {
            return Err(WriteError(format!("piece {piece:?} has {} dimensions, not {dims}", vector.len())));
        }
        builder.insert(piece, number as u64).map_err(|e| WriteError(format!("piece {piece:?}: {e}")))?;
        scores.extend_from_slice(&score.to_le_bytes());
        push_row(&mut vectors, &quantize(vector));
    }
    let pieces = builder.into_inner().map_err(|e| WriteError(e.to_string()))?;
    let mut entries = Vec::new();
    for (id, vector) in parts.meta.entries.iter().zip(&parts.entries) {
        if vector.len() != dims as usize {
            return Err(WriteError(format!("entry {id:?} has {} dimensions, not {dims}", vector.len())));
        }
        push_row(&mut entries, &quantize(vector));
    }
    let meta = parts.meta.to_bytes();
    let mut sections: Vec<(u32, &[u8])> =
        vec![(META, &meta), (PIECES, &pieces), (SCORES, &scores), (VECTORS, &vectors), (ENTRIES, &entries)];
    let encoder = parts.encoder.as_ref().map(|e| encoder_sections(e, parts.meta.entries.len())).transpose()?;
    if let Some((head, rows)) = &encoder {
        sections.extend([(ENCODER, head.as_slice()), (ENCODER_ENTRIES, rows.as_slice())]);
    }
    Ok(Container::encode_file(MAGIC, VERSION, &sections))
}

/// The encoder head's two sections, checked against the number of entries.
fn encoder_sections(
    (head, vectors): &(EncoderHead, Vec<Vec<f32>>),
    entries: usize,
) -> Result<(Vec<u8>, Vec<u8>), WriteError> {
    let dims = head.centre.len();
    if vectors.len() != entries || head.bias.len() != entries {
        return Err(WriteError("encoder rows and entry ids differ in number".into()));
    }
    if dims == 0 || dims > MAX_DIMS as usize || vectors.iter().any(|v| v.len() != dims) {
        return Err(WriteError(format!("encoder rows are not all of {dims} dimensions")));
    }
    let mut rows = Vec::with_capacity(entries * row_len(dims as u32));
    vectors.iter().for_each(|v| push_row(&mut rows, &quantize(v)));
    Ok((head.to_bytes(), rows))
}

fn push_row(out: &mut Vec<u8>, (scale, q): &Quantized) {
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(q.iter().map(|&b| b as u8));
}

/// A semantic file's sections, checked: where each is in the buffer, and the metadata decoded.
#[derive(Clone, Debug)]
pub struct Sections {
    /// The metadata.
    pub meta: SemanticMeta,
    /// The pieces' `fst::Map` (checksum verified).
    pub pieces: Range<usize>,
    /// The pieces' scores, four bytes each.
    pub scores: Range<usize>,
    /// The pieces' rows.
    pub vectors: Range<usize>,
    /// The entries' rows.
    pub entries: Range<usize>,
    /// How many pieces there are.
    pub piece_count: usize,
    /// The encoder tier's head and where its rows are, if the file has one.
    pub encoder: Option<(EncoderHead, Range<usize>)>,
}

/// Reads and checks a semantic file: container, metadata, that every section has the length
/// its counts give, and the piece dictionary's checksum. Never panics on damaged bytes.
///
/// # Errors
/// A [`FormatError`] saying what is wrong.
pub fn read(bytes: &[u8]) -> Result<Sections, FormatError> {
    let container = Container::decode_file(MAGIC, VERSION, bytes)?;
    let range = |tag| container.tagged(tag).ok_or(FormatError::BadSection("missing"));
    let corrupt = |what: &str| FormatError::Corrupt(format!("semantic table: {what}"));
    let meta = SemanticMeta::from_bytes(&bytes[range(META)?]).map_err(|e| corrupt(&e.to_string()))?;
    if meta.dims == 0 || meta.dims > MAX_DIMS {
        return Err(corrupt("dimension count"));
    }
    if !(0.0..=1.0).contains(&meta.fusion) {
        return Err(corrupt("fusion weight"));
    }
    let pieces = range(PIECES)?;
    if !fst_checksum_holds(&bytes[pieces.clone()]) {
        return Err(corrupt("piece dictionary checksum"));
    }
    let map = fst::Map::new(&bytes[pieces.clone()]).map_err(|e| corrupt(&e.to_string()))?;
    let piece_count = map.len();
    let (scores, vectors, entries) = (range(SCORES)?, range(VECTORS)?, range(ENTRIES)?);
    let row = row_len(meta.dims);
    if scores.len() != piece_count * 4 || vectors.len() != piece_count * row {
        return Err(corrupt("piece table length"));
    }
    if entries.len() != meta.entries.len() * row || meta.bias.len() != meta.entries.len() {
        return Err(corrupt("entry table length"));
    }
    let encoder = match (container.tagged(ENCODER), container.tagged(ENCODER_ENTRIES)) {
        (None, None) => None,
        (Some(head), Some(rows)) => {
            let head = EncoderHead::from_bytes(&bytes[head]).map_err(|e| corrupt(&e.to_string()))?;
            let dims = head.centre.len() as u32;
            if dims == 0 || dims > MAX_DIMS || !(0.0..=1.0).contains(&head.fusion) {
                return Err(corrupt("encoder head"));
            }
            if head.bias.len() != meta.entries.len() || rows.len() != meta.entries.len() * row_len(dims) {
                return Err(corrupt("encoder head length"));
            }
            Some((head, rows))
        }
        _ => return Err(corrupt("encoder head without its rows")),
    };
    Ok(Sections { meta, pieces, scores, vectors, entries, piece_count, encoder })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut meta = SemanticMeta::new(Locale::Th, 3, vec!["a".into(), "b".into()]);
        meta.fusion = 0.4;
        meta.source = "test".into();
        write(&SemanticParts {
            meta,
            pieces: vec![
                ("▁ส่ง".into(), -5.0, vec![1.0, 0.0, -0.5]),
                ("▁order".into(), -7.5, vec![0.0, 2.0, 0.0]),
                ("s".into(), -3.0, vec![0.1, 0.1, 0.1]),
            ],
            entries: vec![vec![1.0, 0.0, 0.0], vec![0.0, 0.6, 0.8]],
            encoder: Some((
                EncoderHead {
                    fusion: 0.7,
                    calibration: Calibration::default(),
                    sure: 0.9,
                    centre: vec![0.1, 0.0],
                    bias: vec![0.5, -0.5],
                },
                vec![vec![1.0, 0.0], vec![0.0, 1.0]],
            )),
        })
        .unwrap()
    }

    #[test]
    fn round_trips_and_numbers_pieces_in_byte_order() {
        let bytes = sample();
        let s = read(&bytes).unwrap();
        assert_eq!((s.meta.locale, s.meta.dims, s.meta.fusion), (Locale::Th, 3, 0.4));
        assert_eq!(s.piece_count, 3);
        let map = fst::Map::new(&bytes[s.pieces.clone()]).unwrap();
        assert_eq!(map.get("s"), Some(0));
        assert_eq!(map.get("▁order"), Some(1));
        assert_eq!(map.get("▁ส่ง"), Some(2));
        let score = |n: usize| f32::from_le_bytes(bytes[s.scores.start + 4 * n..][..4].try_into().unwrap());
        assert_eq!((score(0), score(1), score(2)), (-3.0, -7.5, -5.0));
        let (head, rows) = s.encoder.unwrap();
        assert_eq!((head.fusion, head.bias, rows.len()), (0.7, vec![0.5, -0.5], 2 * row_len(2)));
    }

    #[test]
    fn bad_parts_are_refused() {
        let meta = SemanticMeta::new(Locale::En, 2, vec![]);
        let wrong = SemanticParts {
            meta: meta.clone(),
            pieces: vec![("a".into(), 0.0, vec![1.0])],
            entries: vec![],
            encoder: None,
        };
        assert!(write(&wrong).is_err());
        let twice = SemanticParts {
            meta: meta.clone(),
            pieces: vec![("a".into(), 0.0, vec![1.0, 0.0]), ("a".into(), 0.0, vec![0.0, 1.0])],
            entries: vec![],
            encoder: None,
        };
        assert!(write(&twice).is_err());
        let unmatched =
            SemanticParts { meta: meta.clone(), pieces: vec![], entries: vec![vec![1.0, 0.0]], encoder: None };
        assert!(write(&unmatched).is_err());
        let head = EncoderHead {
            fusion: 0.5,
            calibration: Calibration::default(),
            sure: 0.9,
            centre: vec![0.0; 3],
            bias: vec![],
        };
        let short_rows =
            SemanticParts { meta, pieces: vec![], entries: vec![], encoder: Some((head, vec![vec![1.0]])) };
        assert!(write(&short_rows).is_err());
    }

    #[test]
    fn damage_is_an_error() {
        let bytes = sample();
        assert_eq!(read(b"KBIX").unwrap_err(), FormatError::BadMagic);
        assert!(read(&bytes[..bytes.len() / 2]).is_err());
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        assert_eq!(read(&flipped).unwrap_err(), FormatError::ChecksumMismatch);
    }

    proptest::proptest! {
        #[test]
        fn random_and_damaged_bytes_never_panic(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let _ = read(&noise);
            // The checksum would refuse almost every flip: write it again so that the
            // sections' own checks are what meet the damage.
            let mut bytes = sample();
            let i = 20 + at.index(bytes.len() - 20);
            bytes[i] ^= flip;
            let sum = crate::format::checksum(&bytes[20..]);
            bytes[12..20].copy_from_slice(&sum.to_le_bytes());
            if let Ok(s) = read(&bytes) {
                let table = crate::semantic::SemanticTable::from_bytes(bytes.clone());
                proptest::prop_assert!(table.is_ok(), "read accepted what the table refused: {:?}", s.meta);
                let table = table.unwrap();
                let _ = table.embed("where is my ส่ง order");
            }
        }
    }
}
