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

/// Matches keys `tag` + a term within `max` byte edits of the query term.
#[derive(Clone, Debug)]
pub struct Levenshtein {
    tag: u8,
    query: Vec<u8>,
    max: u8,
}

impl Levenshtein {
    /// An automaton for `term` in the locale whose tag byte is `tag`; `term` is cut to
    /// [`MAX_FUZZY_LEN`] bytes.
    pub fn new(tag: u8, term: &str, max: u8) -> Levenshtein {
        let bytes = term.as_bytes();
        Levenshtein { tag, query: bytes[..bytes.len().min(MAX_FUZZY_LEN)].to_vec(), max }
    }
}

/// The automaton's state: before the tag byte, a dynamic-programming row, or dead.
#[derive(Clone, Copy, Debug)]
pub enum State {
    /// Waiting for the locale tag.
    Tag,
    /// Edit distances from the query's prefixes to the key read so far (capped at `max + 1`),
    /// and how many key bytes that is.
    Row([u8; MAX_FUZZY_LEN + 1], u8),
    /// The key cannot match any more.
    Dead,
}

impl Automaton for Levenshtein {
    type State = State;

    fn start(&self) -> State {
        State::Tag
    }

    fn is_match(&self, state: &State) -> bool {
        matches!(state, State::Row(row, _) if row[self.query.len()] <= self.max)
    }

    fn can_match(&self, state: &State) -> bool {
        match state {
            State::Tag => true,
            State::Row(row, _) => row[..=self.query.len()].iter().any(|&d| d <= self.max),
            State::Dead => false,
        }
    }

    fn accept(&self, state: &State, byte: u8) -> State {
        match state {
            State::Tag if byte == self.tag => {
                let mut row = [0u8; MAX_FUZZY_LEN + 1];
                for (i, d) in row.iter_mut().enumerate().take(self.query.len() + 1) {
                    *d = (i as u8).min(self.max + 1);
                }
                State::Row(row, 0)
            }
            State::Row(prev, read) => {
                let (n, max) = (self.query.len(), self.max as usize);
                let read = *read as usize + 1;
                // Only cells within `max` of the diagonal can stay within `max`: the others stay
                // at the cap, so this step costs O(max), not O(query length), on every FST edge.
                let mut row = [self.max + 1; MAX_FUZZY_LEN + 1];
                row[0] = read.min(max + 1) as u8;
                let (lo, hi) = (read.saturating_sub(max).max(1), (read + max).min(n));
                let mut best = row[0];
                for j in lo..=hi {
                    let substitution = prev[j - 1] + u8::from(self.query[j - 1] != byte);
                    row[j] = substitution.min(prev[j] + 1).min(row[j - 1] + 1).min(self.max + 1);
                    best = best.min(row[j]);
                }
                if best > self.max {
                    State::Dead
                } else {
                    State::Row(row, read.min(u8::MAX as usize) as u8)
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
