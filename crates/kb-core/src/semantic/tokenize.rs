//! Text → vocabulary pieces, as a SentencePiece unigram model splits it: the text is lowercased
//! and its spaces become `▁` (one at the start too), then the split whose pieces' log-probabilities
//! sum highest wins (Viterbi over the piece dictionary). A character no piece covers is skipped.
//!
//! The build-time distillation (`scripts/semantic/distill.py`) splits the same way; its test
//! compares the two on the knowledge's own questions.

use std::ops::Range;
use std::sync::Arc;

use fst::raw::{Fst, Output};

use crate::index::Slice;

/// The SentencePiece word-start mark.
pub const WORD_START: char = '\u{2581}';

/// What the tokeniser reads: the piece dictionary and each piece's log-probability.
pub trait Vocabulary {
    /// The bytes the dictionary lives in.
    type Data: AsRef<[u8]>;
    /// The dictionary from piece bytes to piece number.
    fn fst(&self) -> &Fst<Self::Data>;
    /// The log-probability of piece `n`; `None` for a number the vocabulary has no piece for
    /// (a damaged dictionary), which the tokeniser then never returns. Checking here, where a
    /// piece is used, spares reading every number of the dictionary when a file loads.
    fn score(&self, n: u32) -> Option<f32>;
}

/// A piece dictionary and its scores, read in place from a file's bytes (the semantic and the
/// encoder files store them alike: an `fst::Map` section and an `f32` per piece).
#[derive(Clone)]
pub struct PieceDictionary {
    bytes: Arc<[u8]>,
    fst: Fst<Slice>,
    scores: Range<usize>,
}

impl PieceDictionary {
    /// The dictionary in `pieces` and the scores starting at `scores` of `bytes` (the file's
    /// reader has checked that there are four bytes per piece).
    ///
    /// # Errors
    /// The dictionary is not an FST.
    pub fn new(bytes: Arc<[u8]>, pieces: Range<usize>, scores: Range<usize>) -> Result<PieceDictionary, fst::Error> {
        let fst = Fst::new(Slice::new(bytes.clone(), pieces))?;
        Ok(PieceDictionary { bytes, fst, scores })
    }
}

impl Vocabulary for PieceDictionary {
    type Data = Slice;

    fn fst(&self) -> &Fst<Slice> {
        &self.fst
    }

    fn score(&self, n: u32) -> Option<f32> {
        let at = (n as usize).checked_mul(4)?;
        let table = self.bytes.get(self.scores.clone())?;
        Some(f32::from_le_bytes(table.get(at..at.checked_add(4)?)?.try_into().ok()?))
    }
}

/// The text as the tokeniser sees it: lowercase, runs of spaces as one `▁`, one at the start.
///
/// ```
/// use kb_core::semantic::tokenize::normalize;
/// assert_eq!(normalize("  Where IS\tmy  parcel?"), "▁where▁is▁my▁parcel?");
/// assert_eq!(normalize(" \n"), "");
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for word in text.split_whitespace() {
        out.push(WORD_START);
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// The pieces of `text` (already normalised), by number, in order. A character no piece
/// spells is skipped, or, with `unknown` = (piece, score), stands as that piece at that score
/// (what the encoder's own tokeniser does).
pub fn split(vocabulary: &impl Vocabulary, text: &str, unknown: Option<(u32, f32)>) -> Vec<u32> {
    let (unknown_piece, skip_score) = unknown.map_or((None, SKIP_SCORE), |(p, s)| (Some(p), s));
    let fst = vocabulary.fst();
    let bytes = text.as_bytes();
    let n = bytes.len();
    // best[i]: the highest score of a split of text[..i], and the piece (or None: a skipped
    // character) that ends it, starting at from[i].
    let mut best = vec![f32::NEG_INFINITY; n + 1];
    let mut last: Vec<(usize, Option<u32>)> = vec![(0, None); n + 1];
    best[0] = 0.0;
    for i in 0..n {
        if best[i] == f32::NEG_INFINITY || !text.is_char_boundary(i) {
            continue;
        }
        let mut node = fst.root();
        let mut out = Output::zero();
        for (k, &b) in bytes[i..].iter().enumerate() {
            let Some(t) = node.find_input(b) else { break };
            let t = node.transition(t);
            out = out.cat(t.out);
            node = fst.node(t.addr);
            if node.is_final() {
                let number = out.cat(node.final_output()).value() as u32;
                if Some(number) == unknown_piece {
                    continue;
                }
                let Some(piece_score) = vocabulary.score(number) else { continue };
                let end = i + k + 1;
                let score = best[i] + piece_score;
                if score > best[end] {
                    best[end] = score;
                    last[end] = (i, Some(number));
                }
            }
        }
        let next = i + text[i..].chars().next().map_or(1, char::len_utf8);
        if best[i] + skip_score > best[next] {
            best[next] = best[i] + skip_score;
            last[next] = (i, unknown_piece);
        }
    }
    let mut out = Vec::new();
    let mut at = n;
    while at > 0 {
        let (from, piece) = last[at];
        out.extend(piece);
        at = from;
    }
    out.reverse();
    out
}

/// What skipping a character no piece covers costs: less than any piece could (the distilled
/// tables' log-probabilities stay above -30), so a character is skipped only when nothing spells it.
const SKIP_SCORE: f32 = -50.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pieces: &[(&str, f32)]) -> (Vec<u8>, Vec<f32>, Vec<String>) {
        let mut sorted: Vec<_> = pieces.to_vec();
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let map = fst::Map::from_iter(sorted.iter().enumerate().map(|(i, p)| (p.0, i as u64))).unwrap();
        (
            map.into_fst().into_inner(),
            sorted.iter().map(|p| p.1).collect(),
            sorted.iter().map(|p| p.0.to_string()).collect(),
        )
    }

    struct View<'a>(Fst<&'a [u8]>, &'a [f32]);

    impl<'a> Vocabulary for View<'a> {
        type Data = &'a [u8];
        fn fst(&self) -> &Fst<&'a [u8]> {
            &self.0
        }
        fn score(&self, n: u32) -> Option<f32> {
            self.1.get(n as usize).copied()
        }
    }

    fn split(pieces: &[(&str, f32)], text: &str) -> Vec<String> {
        let (bytes, scores, names) = table(pieces);
        let view = View(Fst::new(bytes.as_slice()).unwrap(), &scores);
        super::split(&view, &normalize(text), None).into_iter().map(|n| names[n as usize].clone()).collect()
    }

    #[test]
    fn the_most_probable_split_wins() {
        let vocab = [("▁par", -6.0), ("cel", -7.0), ("▁parcel", -9.0), ("▁p", -3.0), ("arcel", -11.0), ("s", -2.0)];
        assert_eq!(split(&vocab, "Parcels"), vec!["▁parcel", "s"]);
        // Without the whole word, the best pair of pieces.
        assert_eq!(split(&vocab[..2], "parcel"), vec!["▁par", "cel"]);
    }

    #[test]
    fn uncovered_characters_are_skipped_not_fatal() {
        let vocab = [("▁ส่ง", -5.0), ("▁order", -4.0)];
        assert_eq!(split(&vocab, "ส่ง 🙂 order"), vec!["▁ส่ง", "▁order"]);
        assert!(split(&vocab, "").is_empty());
        assert!(split(&vocab, "zzz").is_empty());
    }

    #[test]
    fn a_piece_without_a_score_is_never_returned() {
        // A damaged dictionary can number a piece past the score table: it is not a piece then.
        let (bytes, scores, _) = table(&[("▁parcel", -9.0), ("▁par", -6.0), ("cel", -7.0)]);
        let view = View(Fst::new(bytes.as_slice()).unwrap(), &scores[..2]);
        let got = super::split(&view, &normalize("parcel"), None);
        assert!(got.iter().all(|&n| n < 2), "{got:?}");
        assert!(!got.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn pieces_spell_the_text_they_cover(text in "[a-c ]{0,30}") {
            let vocab = [("▁a", -2.0), ("▁ab", -3.0), ("b", -2.5), ("c", -4.0), ("▁", -6.0), ("bc", -3.5), ("a", -3.0)];
            let got: String = split(&vocab, &text).concat();
            // Every character is covered by some piece here, so the pieces spell the whole text.
            proptest::prop_assert_eq!(got, normalize(&text));
        }
    }
}
