//! Text analysis: the one pipeline that turns text into index terms, used identically when the
//! knowledge compiler writes the index and when a query is read.
//!
//! Steps: lowercase and fold Latin diacritics (`Dóndé` → `donde`), split into words, emit
//! character bigrams for scripts written without spaces (Thai, Lao, Khmer, Myanmar, Chinese,
//! Japanese), drop stop words, stem (Snowball English and Spanish, an Indonesian stemmer after
//! Tala/Snowball), then replace synonyms by the first member of their group.
//!
//! ```
//! use kb_core::analysis::{Analyzer, Locale};
//!
//! let mut analyzer = Analyzer::new(Locale::En);
//! analyzer.add_synonym_group(&["parcel", "package", "pkg"]);
//! assert_eq!(analyzer.terms("Where is my PACKAGE?"), vec!["where", "is", "my", "parcel"]);
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod indonesian;

/// A knowledge locale. Each has its own stemmer and stop words; the index keeps their terms apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English.
    En,
    /// Indonesian.
    Id,
    /// Spanish.
    Es,
    /// Thai (segmented into character bigrams).
    Th,
    /// Vietnamese.
    Vi,
}

impl Locale {
    /// Every supported locale, in index order.
    pub const ALL: [Locale; 5] = [Locale::En, Locale::Id, Locale::Es, Locale::Th, Locale::Vi];

    /// The BCP 47 language code.
    ///
    /// ```
    /// assert_eq!(kb_core::analysis::Locale::Es.code(), "es");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Id => "id",
            Locale::Es => "es",
            Locale::Th => "th",
            Locale::Vi => "vi",
        }
    }

    /// The byte that prefixes this locale's terms in the term dictionary.
    pub fn tag(self) -> u8 {
        b'a' + self as u8
    }

    /// The locale for a language tag such as `es-MX` or `th`, if supported.
    ///
    /// ```
    /// use kb_core::analysis::Locale;
    /// assert_eq!(Locale::from_tag("es-MX"), Some(Locale::Es));
    /// assert_eq!(Locale::from_tag("fr"), None);
    /// ```
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.code() == lang)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error for a locale tag the project has no analysis for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLocale(pub String);

impl fmt::Display for UnknownLocale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown locale `{}` (supported: en, id, es, th, vi)", self.0)
    }
}

impl std::error::Error for UnknownLocale {}

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Locale::from_tag(s).ok_or_else(|| UnknownLocale(s.to_string()))
    }
}

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
        for lower in c.to_lowercase() {
            if lower == 'đ' {
                out.push('d');
                continue;
            }
            if lower == 'ß' {
                out.push_str("ss");
                continue;
            }
            let mut base = None;
            let mut marks_only = true;
            unicode_normalization::char::decompose_canonical(lower, |d| {
                if base.is_none() {
                    base = Some(d);
                } else if !unicode_normalization::char::is_combining_mark(d) {
                    marks_only = false;
                }
            });
            match base {
                Some(b) if b.is_ascii_alphabetic() && marks_only => out.push(b),
                _ => out.push(lower),
            }
        }
    }
    out
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
        } else if c.is_alphanumeric() || (is_mark(c) && !word.is_empty()) {
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

fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
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
    /// use kb_core::analysis::{Analyzer, Locale};
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
        let seqs: Vec<Vec<String>> = members
            .iter()
            .map(|m| self.stemmed(m.as_ref()))
            .filter(|s| !s.is_empty())
            .collect();
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
        match self.locale {
            Locale::En => stemmer(rust_stemmers::Algorithm::English).stem(word).into_owned(),
            Locale::Es => stemmer(rust_stemmers::Algorithm::Spanish).stem(word).into_owned(),
            Locale::Id => indonesian::stem(word),
            Locale::Th | Locale::Vi => word.to_string(),
        }
    }

    fn stemmed(&self, text: &str) -> Vec<String> {
        segment(&fold(text))
            .into_iter()
            .filter(|w| !self.stopwords.contains(w))
            .map(|w| self.stem(&w))
            .collect()
    }

    /// The index terms of `text`, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
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

fn stemmer(algorithm: rust_stemmers::Algorithm) -> rust_stemmers::Stemmer {
    rust_stemmers::Stemmer::create(algorithm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_latin_diacritics_but_keeps_thai_marks() {
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
        assert_eq!(fold("Đơn hàng"), "don hang");
        assert_eq!(fold("คืนเงิน"), "คืนเงิน");
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
