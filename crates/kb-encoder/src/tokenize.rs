//! The encoder's text normalisation, as its SentencePiece model does it: each character through
//! the model's replacement map (NFKC-like: full-width letters to ASCII, ligatures apart), runs of
//! spaces as one, a `▁` before the text unless it starts with a space, and every space as `▁`.
//! The text is lowercased too, like the static tier's: the pruned vocabulary keeps the pieces of
//! each language's frequent words, which word lists give in lowercase. The split itself
//! is the static tier's unigram Viterbi ([`kb_core::semantic::tokenize`]), with the unknown piece
//! standing for what no piece spells.

use kb_core::semantic::tokenize::WORD_START;

/// `text` as the encoder's tokeniser splits it; `map` is sorted by character.
///
/// ```
/// use kb_encoder::tokenize::normalize;
/// let map = vec![(0xFF21, vec![0x41])]; // full-width 'Ａ' → 'A'
/// assert_eq!(normalize(&map, "Ａ  Parcel"), "▁a▁parcel");
/// assert_eq!(normalize(&map, " x"), "▁x");
/// ```
pub fn normalize(map: &[(u32, Vec<u32>)], text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous_space = false;
    // Each character as itself or its replacement, without a buffer per character.
    let mapped = text.chars().flat_map(|c| {
        let (replaced, kept) = match map.binary_search_by_key(&(c as u32), |(from, _)| *from) {
            Ok(i) => (map[i].1.as_slice(), None),
            Err(_) => (&[][..], Some(c)),
        };
        replaced.iter().filter_map(|&cp| char::from_u32(cp)).chain(kept)
    });
    for (i, c) in mapped.enumerate() {
        let space = c == ' ';
        if space && previous_space {
            continue;
        }
        if i == 0 && !space {
            out.push(WORD_START);
        }
        if space {
            out.push(WORD_START);
        } else {
            out.extend(c.to_lowercase());
        }
        previous_space = space;
    }
    out
}
