//! Text analysis: the one pipeline that turns text into index terms, used identically when the
//! knowledge compiler writes the index and when a query is read.
//!
//! Steps: lowercase and fold Latin diacritics (`Dóndé` → `donde`), split into words, emit
//! character bigrams for scripts written without spaces (Thai, Lao, Khmer, Myanmar, Chinese,
//! Japanese), drop stop words, stem (Snowball English and Spanish, an Indonesian stemmer after
//! Tala/Snowball), then replace synonyms by the first member of their group.
//!
//! ```
//! use kb_core::{analysis::Analyzer, Locale};
//!
//! let mut analyzer = Analyzer::new(Locale::En);
//! analyzer.add_synonym_group(&["parcel", "package", "pkg"]);
//! assert_eq!(analyzer.terms("Where is my PACKAGE?"), vec!["where", "is", "my", "parcel"]);
//! ```

use std::collections::{HashMap, HashSet};

use crate::locale::{Locale, Script, Stemmer};

mod indonesian;

/// Lowercases and folds diacritics on Latin letters; other scripts keep their marks because in
/// Thai, for example, vowel and tone marks are part of the spelling.
///
/// ```
/// assert_eq!(kb_core::analysis::fold("Devolución ÁÑO Tiếng"), "devolucion ano tieng");
/// ```
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        // Combining accents typed after a Latin letter (decomposed input) are dropped too.
        if is_combining_accent(c) && out.chars().last().is_some_and(|p| p.is_ascii_alphabetic()) {
            continue;
        }
        for lower in c.to_lowercase() {
            // 'İ' lowercases to 'i' and a combining dot: dropped as above, so that folding twice
            // gives what folding once did (found by the query_analyzer fuzz target).
            if is_combining_accent(lower) && out.chars().last().is_some_and(|p| p.is_ascii_alphabetic()) {
                continue;
            }
            match lower {
                'đ' => out.push('d'),
                'ß' => out.push_str("ss"),
                _ => match LATIN_FOLD.binary_search_by_key(&lower, |&(c, _)| c) {
                    Ok(i) => out.push(LATIN_FOLD[i].1 as char),
                    Err(_) => out.push(lower),
                },
            }
        }
    }
    out
}

/// Lowercase Latin letters with diacritics and their base letter, sorted (generated from the
/// Unicode canonical decompositions of U+00C0–U+024F and U+1E00–U+1EFF). A table this size
/// replaces the full normalisation tables, which would triple the widget's download.
const LATIN_FOLD: [(char, u8); 246] = [
    ('\u{00e0}', b'a'),
    ('\u{00e1}', b'a'),
    ('\u{00e2}', b'a'),
    ('\u{00e3}', b'a'),
    ('\u{00e4}', b'a'),
    ('\u{00e5}', b'a'),
    ('\u{00e7}', b'c'),
    ('\u{00e8}', b'e'),
    ('\u{00e9}', b'e'),
    ('\u{00ea}', b'e'),
    ('\u{00eb}', b'e'),
    ('\u{00ec}', b'i'),
    ('\u{00ed}', b'i'),
    ('\u{00ee}', b'i'),
    ('\u{00ef}', b'i'),
    ('\u{00f1}', b'n'),
    ('\u{00f2}', b'o'),
    ('\u{00f3}', b'o'),
    ('\u{00f4}', b'o'),
    ('\u{00f5}', b'o'),
    ('\u{00f6}', b'o'),
    ('\u{00f9}', b'u'),
    ('\u{00fa}', b'u'),
    ('\u{00fb}', b'u'),
    ('\u{00fc}', b'u'),
    ('\u{00fd}', b'y'),
    ('\u{00ff}', b'y'),
    ('\u{0101}', b'a'),
    ('\u{0103}', b'a'),
    ('\u{0105}', b'a'),
    ('\u{0107}', b'c'),
    ('\u{0109}', b'c'),
    ('\u{010b}', b'c'),
    ('\u{010d}', b'c'),
    ('\u{010f}', b'd'),
    ('\u{0113}', b'e'),
    ('\u{0115}', b'e'),
    ('\u{0117}', b'e'),
    ('\u{0119}', b'e'),
    ('\u{011b}', b'e'),
    ('\u{011d}', b'g'),
    ('\u{011f}', b'g'),
    ('\u{0121}', b'g'),
    ('\u{0123}', b'g'),
    ('\u{0125}', b'h'),
    ('\u{0129}', b'i'),
    ('\u{012b}', b'i'),
    ('\u{012d}', b'i'),
    ('\u{012f}', b'i'),
    ('\u{0135}', b'j'),
    ('\u{0137}', b'k'),
    ('\u{013a}', b'l'),
    ('\u{013c}', b'l'),
    ('\u{013e}', b'l'),
    ('\u{0144}', b'n'),
    ('\u{0146}', b'n'),
    ('\u{0148}', b'n'),
    ('\u{014d}', b'o'),
    ('\u{014f}', b'o'),
    ('\u{0151}', b'o'),
    ('\u{0155}', b'r'),
    ('\u{0157}', b'r'),
    ('\u{0159}', b'r'),
    ('\u{015b}', b's'),
    ('\u{015d}', b's'),
    ('\u{015f}', b's'),
    ('\u{0161}', b's'),
    ('\u{0163}', b't'),
    ('\u{0165}', b't'),
    ('\u{0169}', b'u'),
    ('\u{016b}', b'u'),
    ('\u{016d}', b'u'),
    ('\u{016f}', b'u'),
    ('\u{0171}', b'u'),
    ('\u{0173}', b'u'),
    ('\u{0175}', b'w'),
    ('\u{0177}', b'y'),
    ('\u{017a}', b'z'),
    ('\u{017c}', b'z'),
    ('\u{017e}', b'z'),
    ('\u{01a1}', b'o'),
    ('\u{01b0}', b'u'),
    ('\u{01ce}', b'a'),
    ('\u{01d0}', b'i'),
    ('\u{01d2}', b'o'),
    ('\u{01d4}', b'u'),
    ('\u{01d6}', b'u'),
    ('\u{01d8}', b'u'),
    ('\u{01da}', b'u'),
    ('\u{01dc}', b'u'),
    ('\u{01df}', b'a'),
    ('\u{01e1}', b'a'),
    ('\u{01e7}', b'g'),
    ('\u{01e9}', b'k'),
    ('\u{01eb}', b'o'),
    ('\u{01ed}', b'o'),
    ('\u{01f0}', b'j'),
    ('\u{01f5}', b'g'),
    ('\u{01f9}', b'n'),
    ('\u{01fb}', b'a'),
    ('\u{0201}', b'a'),
    ('\u{0203}', b'a'),
    ('\u{0205}', b'e'),
    ('\u{0207}', b'e'),
    ('\u{0209}', b'i'),
    ('\u{020b}', b'i'),
    ('\u{020d}', b'o'),
    ('\u{020f}', b'o'),
    ('\u{0211}', b'r'),
    ('\u{0213}', b'r'),
    ('\u{0215}', b'u'),
    ('\u{0217}', b'u'),
    ('\u{0219}', b's'),
    ('\u{021b}', b't'),
    ('\u{021f}', b'h'),
    ('\u{0227}', b'a'),
    ('\u{0229}', b'e'),
    ('\u{022b}', b'o'),
    ('\u{022d}', b'o'),
    ('\u{022f}', b'o'),
    ('\u{0231}', b'o'),
    ('\u{0233}', b'y'),
    ('\u{1e01}', b'a'),
    ('\u{1e03}', b'b'),
    ('\u{1e05}', b'b'),
    ('\u{1e07}', b'b'),
    ('\u{1e09}', b'c'),
    ('\u{1e0b}', b'd'),
    ('\u{1e0d}', b'd'),
    ('\u{1e0f}', b'd'),
    ('\u{1e11}', b'd'),
    ('\u{1e13}', b'd'),
    ('\u{1e15}', b'e'),
    ('\u{1e17}', b'e'),
    ('\u{1e19}', b'e'),
    ('\u{1e1b}', b'e'),
    ('\u{1e1d}', b'e'),
    ('\u{1e1f}', b'f'),
    ('\u{1e21}', b'g'),
    ('\u{1e23}', b'h'),
    ('\u{1e25}', b'h'),
    ('\u{1e27}', b'h'),
    ('\u{1e29}', b'h'),
    ('\u{1e2b}', b'h'),
    ('\u{1e2d}', b'i'),
    ('\u{1e2f}', b'i'),
    ('\u{1e31}', b'k'),
    ('\u{1e33}', b'k'),
    ('\u{1e35}', b'k'),
    ('\u{1e37}', b'l'),
    ('\u{1e39}', b'l'),
    ('\u{1e3b}', b'l'),
    ('\u{1e3d}', b'l'),
    ('\u{1e3f}', b'm'),
    ('\u{1e41}', b'm'),
    ('\u{1e43}', b'm'),
    ('\u{1e45}', b'n'),
    ('\u{1e47}', b'n'),
    ('\u{1e49}', b'n'),
    ('\u{1e4b}', b'n'),
    ('\u{1e4d}', b'o'),
    ('\u{1e4f}', b'o'),
    ('\u{1e51}', b'o'),
    ('\u{1e53}', b'o'),
    ('\u{1e55}', b'p'),
    ('\u{1e57}', b'p'),
    ('\u{1e59}', b'r'),
    ('\u{1e5b}', b'r'),
    ('\u{1e5d}', b'r'),
    ('\u{1e5f}', b'r'),
    ('\u{1e61}', b's'),
    ('\u{1e63}', b's'),
    ('\u{1e65}', b's'),
    ('\u{1e67}', b's'),
    ('\u{1e69}', b's'),
    ('\u{1e6b}', b't'),
    ('\u{1e6d}', b't'),
    ('\u{1e6f}', b't'),
    ('\u{1e71}', b't'),
    ('\u{1e73}', b'u'),
    ('\u{1e75}', b'u'),
    ('\u{1e77}', b'u'),
    ('\u{1e79}', b'u'),
    ('\u{1e7b}', b'u'),
    ('\u{1e7d}', b'v'),
    ('\u{1e7f}', b'v'),
    ('\u{1e81}', b'w'),
    ('\u{1e83}', b'w'),
    ('\u{1e85}', b'w'),
    ('\u{1e87}', b'w'),
    ('\u{1e89}', b'w'),
    ('\u{1e8b}', b'x'),
    ('\u{1e8d}', b'x'),
    ('\u{1e8f}', b'y'),
    ('\u{1e91}', b'z'),
    ('\u{1e93}', b'z'),
    ('\u{1e95}', b'z'),
    ('\u{1e96}', b'h'),
    ('\u{1e97}', b't'),
    ('\u{1e98}', b'w'),
    ('\u{1e99}', b'y'),
    ('\u{1ea1}', b'a'),
    ('\u{1ea3}', b'a'),
    ('\u{1ea5}', b'a'),
    ('\u{1ea7}', b'a'),
    ('\u{1ea9}', b'a'),
    ('\u{1eab}', b'a'),
    ('\u{1ead}', b'a'),
    ('\u{1eaf}', b'a'),
    ('\u{1eb1}', b'a'),
    ('\u{1eb3}', b'a'),
    ('\u{1eb5}', b'a'),
    ('\u{1eb7}', b'a'),
    ('\u{1eb9}', b'e'),
    ('\u{1ebb}', b'e'),
    ('\u{1ebd}', b'e'),
    ('\u{1ebf}', b'e'),
    ('\u{1ec1}', b'e'),
    ('\u{1ec3}', b'e'),
    ('\u{1ec5}', b'e'),
    ('\u{1ec7}', b'e'),
    ('\u{1ec9}', b'i'),
    ('\u{1ecb}', b'i'),
    ('\u{1ecd}', b'o'),
    ('\u{1ecf}', b'o'),
    ('\u{1ed1}', b'o'),
    ('\u{1ed3}', b'o'),
    ('\u{1ed5}', b'o'),
    ('\u{1ed7}', b'o'),
    ('\u{1ed9}', b'o'),
    ('\u{1edb}', b'o'),
    ('\u{1edd}', b'o'),
    ('\u{1edf}', b'o'),
    ('\u{1ee1}', b'o'),
    ('\u{1ee3}', b'o'),
    ('\u{1ee5}', b'u'),
    ('\u{1ee7}', b'u'),
    ('\u{1ee9}', b'u'),
    ('\u{1eeb}', b'u'),
    ('\u{1eed}', b'u'),
    ('\u{1eef}', b'u'),
    ('\u{1ef1}', b'u'),
    ('\u{1ef3}', b'y'),
    ('\u{1ef5}', b'y'),
    ('\u{1ef7}', b'y'),
    ('\u{1ef9}', b'y'),
];

/// Combining diacritical marks (U+0300–U+036F).
fn is_combining_accent(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// True for characters of scripts written without spaces between words.
fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF   // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF) // CJK
}

/// Whether an index term is a pair of neighbouring syllables (words never hold a space): such a
/// term only matches exactly, never as a typo or a prefix of another.
pub fn is_pair(term: &str) -> bool {
    term.contains(' ')
}

/// Splits folded text into raw words; runs of unspaced scripts become character bigrams.
///
/// ```
/// use kb_core::analysis::{fold, segment};
/// assert_eq!(segment(&fold("wheres my pkg?? #MP123")), vec!["wheres", "my", "pkg", "mp123"]);
/// assert_eq!(segment("พัสดุ"), vec!["พั", "ัส", "สด", "ดุ"]);
/// ```
pub fn segment(folded: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush_run = |run: &mut Vec<char>, words: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => words.push(run[0].to_string()),
            _ => words.extend(run.windows(2).map(|w| w.iter().collect::<String>())),
        }
        run.clear();
    };
    for c in folded.chars() {
        if is_unspaced(c) {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            run.push(c);
        } else if c.is_alphanumeric() || (is_combining_accent(c) && !word.is_empty()) {
            flush_run(&mut run, &mut words);
            word.push(c);
        } else if c == '\'' || c == '’' {
            // "where's" and "dont" should meet: apostrophes join rather than split.
        } else {
            flush_run(&mut run, &mut words);
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        }
    }
    flush_run(&mut run, &mut words);
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// One locale's analysis pipeline: stemming, stop words and synonyms.
#[derive(Clone, Debug)]
pub struct Analyzer {
    locale: Locale,
    stopwords: HashSet<String>,
    /// Stemmed synonym sequence → the canonical stemmed sequence of its group.
    synonyms: HashMap<Vec<String>, Vec<String>>,
    longest_synonym: usize,
}

impl Analyzer {
    /// An analyzer with no stop words and no synonyms.
    pub fn new(locale: Locale) -> Analyzer {
        Analyzer { locale, stopwords: HashSet::new(), synonyms: HashMap::new(), longest_synonym: 0 }
    }

    /// The locale this analyzer is for.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// Adds stop words (matched after folding, before stemming).
    ///
    /// ```
    /// use kb_core::{analysis::Analyzer, Locale};
    /// let mut a = Analyzer::new(Locale::En);
    /// a.add_stopwords(["the", "my"]);
    /// assert_eq!(a.terms("the refunds"), vec!["refund"]);
    /// ```
    pub fn add_stopwords<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for w in words {
            for s in segment(&fold(w)) {
                self.stopwords.insert(s);
            }
        }
    }

    /// Adds a synonym group; every member is replaced by the first one. Members may be phrases.
    pub fn add_synonym_group<S: AsRef<str>>(&mut self, members: &[S]) {
        let seqs: Vec<Vec<String>> =
            members.iter().map(|m| self.stemmed(m.as_ref())).filter(|s| !s.is_empty()).collect();
        let Some(canonical) = seqs.first().cloned() else { return };
        for seq in seqs {
            if seq != canonical {
                self.longest_synonym = self.longest_synonym.max(seq.len());
                self.synonyms.entry(seq).or_insert_with(|| canonical.clone());
            }
        }
    }

    /// The stop words, sorted (for storing the analyzer in an index).
    pub fn stopwords(&self) -> Vec<String> {
        let mut v: Vec<String> = self.stopwords.iter().cloned().collect();
        v.sort();
        v
    }

    /// The synonym table as (member, canonical) pairs of term sequences, sorted.
    pub fn synonym_pairs(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let mut v: Vec<_> = self.synonyms.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort();
        v
    }

    /// Restores synonym pairs produced by [`Analyzer::synonym_pairs`].
    pub fn set_synonym_pairs(&mut self, pairs: Vec<(Vec<String>, Vec<String>)>) {
        self.longest_synonym = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        self.synonyms = pairs.into_iter().collect();
    }

    fn stem(&self, word: &str) -> String {
        if word.len() < 3 || word.chars().any(|c| c.is_ascii_digit()) {
            return word.to_string();
        }
        match self.locale.info().stemmer {
            Stemmer::English => {
                rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English).stem(word).into_owned()
            }
            Stemmer::Spanish => {
                rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Spanish).stem(word).into_owned()
            }
            Stemmer::Indonesian => indonesian::stem(word),
            Stemmer::None => word.to_string(),
        }
    }

    fn stemmed(&self, text: &str) -> Vec<String> {
        segment(&fold(text)).into_iter().filter(|w| !self.stopwords.contains(w)).map(|w| self.stem(&w)).collect()
    }

    /// The index terms of `text`, in order; for a syllabic script (Vietnamese) followed by the
    /// pairs of neighbouring syllables (see [`is_pair`]).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let words = self.words(text);
        if self.locale.info().script != Script::Syllabic {
            return words;
        }
        let pairs: Vec<String> = words.windows(2).map(|w| format!("{} {}", w[0], w[1])).collect();
        let mut out = words;
        out.extend(pairs);
        out
    }

    /// The stemmed words of `text` with synonyms replaced by their group's canonical words.
    fn words(&self, text: &str) -> Vec<String> {
        let stemmed = self.stemmed(text);
        if self.synonyms.is_empty() {
            return stemmed;
        }
        let mut out = Vec::with_capacity(stemmed.len());
        let mut i = 0;
        'outer: while i < stemmed.len() {
            let longest = self.longest_synonym.min(stemmed.len() - i);
            for len in (1..=longest).rev() {
                if let Some(canonical) = self.synonyms.get(&stemmed[i..i + len]) {
                    out.extend(canonical.iter().cloned());
                    i += len;
                    continue 'outer;
                }
            }
            out.push(stemmed[i].clone());
            i += 1;
        }
        out
    }

    /// Like [`Analyzer::terms`], but the last word is kept unstemmed when `text` does not end in
    /// a space, because while someone types, "refu" is a prefix, not a word.
    pub fn terms_with_prefix(&self, text: &str) -> (Vec<String>, Option<String>) {
        let ends_open = text.chars().last().is_some_and(|c| c.is_alphanumeric());
        if !ends_open {
            return (self.terms(text), None);
        }
        let folded = fold(text);
        let words = segment(&folded);
        let Some(last) = words.last().cloned() else { return (Vec::new(), None) };
        let cut = folded.rfind(last.as_str()).unwrap_or(folded.len());
        (self.terms(&folded[..cut]), Some(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_a_dotted_capital_i_twice_gives_what_folding_once_does() {
        // The input the query_analyzer fuzz target found: Vietnamese typed with a Turkish İ.
        let text = "İơn hàng của tôi ở đâu";
        assert_eq!(fold(text), "ion hang cua toi o dau");
        assert_eq!(fold(&fold(text)), fold(text));
    }

    #[test]
    fn folds_latin_diacritics_but_keeps_thai_marks() {
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
        assert_eq!(fold("Đơn hàng"), "don hang");
        assert_eq!(fold("คืนเงิน"), "คืนเงิน");
    }

    #[test]
    fn vietnamese_syllables_are_also_paired_with_or_without_tones() {
        let a = Analyzer::new(Locale::Vi);
        let pairs = ["don hang", "hang bi", "bi huy"];
        let with_tones = a.terms("Đơn hàng bị hủy");
        assert_eq!(with_tones[..4], ["don", "hang", "bi", "huy"]);
        assert_eq!(with_tones[4..], pairs);
        assert_eq!(a.terms("don hang bi huy"), with_tones);
        assert!(pairs.iter().all(|p| is_pair(p)) && !is_pair("hang"));
        // Other scripts keep their words alone.
        assert_eq!(Analyzer::new(Locale::Id).terms("pesanan batal"), ["pesan", "batal"]);
    }

    #[test]
    fn stems_per_locale() {
        assert_eq!(Analyzer::new(Locale::En).terms("refunds cancelled"), vec!["refund", "cancel"]);
        assert_eq!(Analyzer::new(Locale::Es).terms("devoluciones"), vec!["devolu"]);
        assert_eq!(Analyzer::new(Locale::Id).terms("pengembalian dibatalkan"), vec!["kembali", "batal"]);
    }

    #[test]
    fn multiword_synonyms_become_the_canonical_term() {
        let mut a = Analyzer::new(Locale::En);
        a.add_synonym_group(&["refund", "money back"]);
        assert_eq!(a.terms("i want my money back"), vec!["i", "want", "my", "refund"]);
    }

    #[test]
    fn thai_is_segmented_identically_in_any_context() {
        let a = Analyzer::new(Locale::Th);
        let alone = a.terms("คืนเงิน");
        let inside = a.terms("ขอคืนเงิน refund");
        assert!(alone.iter().all(|t| inside.contains(t)));
        assert!(inside.contains(&"refund".to_string()));
    }

    #[test]
    fn prefix_is_the_last_open_word() {
        let a = Analyzer::new(Locale::En);
        assert_eq!(a.terms_with_prefix("track my ref"), (vec!["track".into(), "my".into()], Some("ref".into())));
        assert_eq!(a.terms_with_prefix("refunds ").1, None);
    }
}
