//! Typo tolerance: a Levenshtein automaton that walks the term dictionary (an `fst::Map`) and
//! visits only the terms within the allowed edit distance, so a lookup costs a few hundred
//! state transitions rather than a scan of every term.
//!
//! ```
//! use fst::{IntoStreamer, Map, Streamer};
//! use kb_core::fuzzy::Levenshtein;
//!
//! let map = Map::from_iter([("\x61parcel", 1u64), ("\x61parse", 2), ("\x61pencil", 3)]).unwrap();
//! let mut stream = map.search(Levenshtein::new(b'a', "parcle", 2)).into_stream();
//! let mut found = Vec::new();
//! while let Some((key, _)) = stream.next() {
//!     found.push(String::from_utf8(key[1..].to_vec()).unwrap());
//! }
//! assert_eq!(found, vec!["parcel", "parse"]);
//! ```

use fst::Automaton;

/// Longest query term (in bytes) that gets typo tolerance; longer ones must match exactly.
pub const MAX_FUZZY_LEN: usize = 31;

/// The allowed edit distance for a term of `chars` characters: none below 4, one up to 7, then two.
///
/// ```
/// assert_eq!(kb_core::fuzzy::allowed_distance(3), 0);
/// assert_eq!(kb_core::fuzzy::allowed_distance(5), 1);
/// assert_eq!(kb_core::fuzzy::allowed_distance(9), 2);
/// ```
pub fn allowed_distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The largest edit distance the automaton supports (what [`allowed_distance`] hands out).
pub const MAX_DISTANCE: u8 = 2;

/// Cells of a state: the diagonal band of the dynamic-programming row.
const BAND: usize = 2 * MAX_DISTANCE as usize + 1;

/// Matches keys `tag` + a term within `max` byte edits of the query term.
#[derive(Clone, Debug)]
pub struct Levenshtein {
    tag: u8,
    query: Vec<u8>,
    max: u8,
}

impl Levenshtein {
    /// An automaton for `term` in the locale whose tag byte is `tag`; `term` is cut to
    /// [`MAX_FUZZY_LEN`] bytes and `max` to [`MAX_DISTANCE`].
    pub fn new(tag: u8, term: &str, max: u8) -> Levenshtein {
        let bytes = term.as_bytes();
        Levenshtein { tag, query: bytes[..bytes.len().min(MAX_FUZZY_LEN)].to_vec(), max: max.min(MAX_DISTANCE) }
    }

    /// Row cell `j` (a query prefix length) as seen from a band around diagonal `read`: the cap
    /// outside the band or the query, where the distance is above `max` anyway.
    fn cell(&self, band: &[u8; BAND], read: usize, j: isize) -> u8 {
        let k = j - read as isize + self.max as isize;
        if j < 0 || j as usize > self.query.len() || k < 0 || k > 2 * self.max as isize {
            self.max + 1
        } else {
            band[k as usize]
        }
    }
}

/// The automaton's state: before the tag byte, a dynamic-programming row, or dead.
///
/// Only row cells within `max` of the diagonal can be within `max`, so a state keeps just that
/// band (cell `k` is query prefix `read - max + k`): a few bytes the FST stream copies on every
/// edge, and O(max) work per transition instead of O(query length).
#[derive(Clone, Copy, Debug)]
pub enum State {
    /// Waiting for the locale tag.
    Tag,
    /// The band of edit distances after `read` key bytes.
    Band {
        /// Distances from query prefixes `read - max ..= read + max`, capped at `max + 1`.
        band: [u8; BAND],
        /// Key bytes read after the tag.
        read: u8,
    },
    /// The key cannot match any more.
    Dead,
}

impl Automaton for Levenshtein {
    type State = State;

    fn start(&self) -> State {
        State::Tag
    }

    fn is_match(&self, state: &State) -> bool {
        match state {
            State::Band { band, read } => self.cell(band, *read as usize, self.query.len() as isize) <= self.max,
            _ => false,
        }
    }

    fn can_match(&self, state: &State) -> bool {
        !matches!(state, State::Dead)
    }

    fn accept(&self, state: &State, byte: u8) -> State {
        let m = self.max as isize;
        match state {
            State::Tag if byte == self.tag => {
                // Before any key byte, cell j is j (j insertions).
                let band = std::array::from_fn(|k| {
                    let j = k as isize - m;
                    if j < 0 || j > m || j as usize > self.query.len() {
                        self.max + 1
                    } else {
                        j as u8
                    }
                });
                State::Band { band, read: 0 }
            }
            State::Band { band: prev, read } => {
                let r = *read as usize;
                let mut band = [self.max + 1; BAND];
                let mut alive = false;
                for k in 0..=(2 * m) as usize {
                    let j = (r + 1) as isize - m + k as isize;
                    let value = if j < 0 || j as usize > self.query.len() {
                        self.max + 1
                    } else if j == 0 {
                        (r + 1).min(self.max as usize + 1) as u8
                    } else {
                        // The previous band sits one cell to the left: prefix j - 1 is its
                        // cell k, prefix j its cell k + 1 (the cap past its end).
                        let substitution = prev[k] + u8::from(self.query[j as usize - 1] != byte);
                        let deletion = if k < 2 * m as usize { prev[k + 1] } else { self.max + 1 } + 1;
                        let insertion = if k == 0 { self.max + 1 } else { band[k - 1] + 1 };
                        substitution.min(deletion).min(insertion).min(self.max + 1)
                    };
                    band[k] = value;
                    alive |= value <= self.max;
                }
                if alive && r < u8::MAX as usize {
                    State::Band { band, read: (r + 1) as u8 }
                } else {
                    State::Dead
                }
            }
            _ => State::Dead,
        }
    }
}

/// Byte-level Levenshtein distance (for ranking the terms the automaton found).
///
/// ```
/// assert_eq!(kb_core::fuzzy::distance("parcel", "parcle"), 2);
/// ```
pub fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            row[j + 1] = (prev[j] + usize::from(x != y)).min(prev[j + 1] + 1).min(row[j] + 1);
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use fst::{IntoStreamer, Map, Streamer};
    use proptest::prelude::*;

    fn found(terms: &[&str], query: &str, max: u8) -> Vec<String> {
        let mut keys: Vec<String> = terms.iter().map(|t| format!("a{t}")).collect();
        keys.sort();
        keys.dedup();
        let map = Map::from_iter(keys.iter().map(|k| (k.as_str(), 0u64))).unwrap();
        let mut stream = map.search(Levenshtein::new(b'a', query, max)).into_stream();
        let mut out = Vec::new();
        while let Some((k, _)) = stream.next() {
            out.push(String::from_utf8(k[1..].to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn other_locales_never_match() {
        let map = Map::from_iter([("brefund", 0u64)]).unwrap();
        assert_eq!(map.search(Levenshtein::new(b'a', "refund", 1)).into_stream().into_str_keys().unwrap().len(), 0);
    }

    proptest! {
        // The automaton finds exactly the terms a plain distance computation accepts, also for
        // words longer than the band of cells it updates (2 × max + 1).
        #[test]
        fn agrees_with_distance(terms in proptest::collection::vec("[a-e]{1,12}", 1..30), query in "[a-e]{1,12}", max in 0u8..3) {
            let expected: Vec<String> = {
                let mut v: Vec<String> = terms.iter().filter(|t| distance(t, &query) <= max as usize).cloned().collect();
                v.sort(); v.dedup(); v
            };
            prop_assert_eq!(found(&terms.iter().map(String::as_str).collect::<Vec<_>>(), &query, max), expected);
        }

        // Near misses made from the query by a few edits (random terms are rarely close).
        #[test]
        fn finds_near_misses(query in "[a-e]{4,14}", edits in proptest::collection::vec((0usize..16, 0u8..3, "[a-e]"), 0..4), max in 1u8..3) {
            let mut term: Vec<char> = query.chars().collect();
            for (at, kind, c) in &edits {
                let at = at % (term.len() + 1);
                let c = c.chars().next().unwrap();
                match kind {
                    0 => term.insert(at, c),
                    1 if at < term.len() && term.len() > 1 => { term.remove(at); }
                    _ if at < term.len() => term[at] = c,
                    _ => term.push(c),
                }
            }
            let term: String = term.into_iter().collect();
            let hit = !found(&[term.as_str()], &query, max).is_empty();
            prop_assert_eq!(hit, distance(&term, &query) <= max as usize, "{} vs {}", term, query);
        }
    }
}
