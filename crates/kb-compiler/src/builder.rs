//! Writes the binary index (`kb_core::format`) from a [`Corpus`]. Deterministic: the same
//! corpus and calibration give the same bytes (entries are ordered by locale and id, terms by the
//! term dictionary, and every map iterated here is ordered).

use std::collections::{BTreeMap, HashMap, HashSet};

use kb_core::analysis::{is_pair, Analyzer};
use kb_core::confidence::Calibration;
use kb_core::format::codec::Encode;
use kb_core::format::meta::{LocaleMeta, Meta};
use kb_core::format::postings::write_list;
use kb_core::format::records::{EntryRecord, Field, UnitRecord, ENTRY_RECORD_LEN, UNIT_RECORD_LEN};
use kb_core::format::{terms, Container, SectionKind};
use kb_core::ranking::Ranking;
use kb_core::Locale;

use crate::knowledge::{Corpus, SourceEntry};
use kb_core::markdown::plain_text;

/// Options that are not part of the knowledge itself.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The confidence model and thresholds to store (default: the prior).
    pub calibration: Calibration,
    /// Ranking parameters (default: [`Ranking::default`]).
    pub ranking: Ranking,
}

struct UnitText {
    entry: u32,
    field: Field,
    terms: Vec<String>,
}

/// Builds index bytes.
///
/// ```
/// use kb_compiler::{builder::build, knowledge::{Corpus, SourceEntry}};
/// use kb_core::{Entry, Index, Query, Locale};
///
/// let corpus = Corpus {
///     entries: vec![SourceEntry {
///         entry: Entry::new("track-order", "Track my order", Locale::En, "Open **Orders**."),
///         questions: vec!["where is my parcel".into(), "track package".into()],
///         replaces: vec![],
///     }],
///     ..Corpus::default()
/// };
/// let index = Index::from_bytes(build(&corpus, &Default::default())).unwrap();
/// let top = index.search(&Query::new("parcel", Locale::En)).hits[0].entry;
/// assert_eq!(index.entry(top).unwrap().id, "track-order");
/// ```
pub fn build(corpus: &Corpus, options: &BuildOptions) -> Vec<u8> {
    let mut order: Vec<&SourceEntry> = corpus.entries.iter().collect();
    order.sort_by(|a, b| (a.entry.locale, &a.entry.id).cmp(&(b.entry.locale, &b.entry.id)));

    let analyzers: BTreeMap<Locale, Analyzer> = Locale::ALL
        .iter()
        .map(|&l| (l, corpus.analysis.get(&l).map(|a| a.analyzer(l)).unwrap_or_else(|| Analyzer::new(l))))
        .collect();

    // Analyse every unit of text once.
    let mut units: Vec<UnitText> = Vec::new();
    let mut entry_units: Vec<(u32, u32)> = Vec::new();
    let mut field_len: Vec<[u16; 3]> = Vec::new();
    for (n, source) in order.iter().enumerate() {
        let analyzer = &analyzers[&source.entry.locale];
        let first = units.len() as u32;
        let mut lens = [0usize; 3];
        let mut push = |field: Field, text: &str| {
            let mut terms = analyzer.terms(text);
            if field == Field::Body {
                // Syllable pairs sharpen short questions; over long answers they would double
                // the pack for little: measured on vi, 77 → 165 kB gzip with them in bodies.
                terms.retain(|t| !is_pair(t));
            }
            lens[field as usize] += terms.len();
            units.push(UnitText { entry: n as u32, field, terms });
        };
        push(Field::Title, &source.entry.title);
        for q in &source.questions {
            push(Field::Question, q);
        }
        // A system entry's reply ("I can help with orders, payments and returns…") says what the
        // knowledge covers: indexed, it would pull real questions to the decline.
        let body = if source.entry.kind.is_system() { String::new() } else { plain_text(&source.entry.answer) };
        push(Field::Body, &body);
        entry_units.push((first, units.len() as u32 - first));
        field_len.push(lens.map(|l| l.min(u16::MAX as usize) as u16));
    }

    keep_word_pairs(&mut units);

    // term key → postings (unit, tf); the key is the locale tag byte followed by the term.
    let mut postings: BTreeMap<Vec<u8>, Vec<(u32, u32)>> = BTreeMap::new();
    for (u, unit) in units.iter().enumerate() {
        let locale = order[unit.entry as usize].entry.locale;
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for t in &unit.terms {
            *counts.entry(t.as_str()).or_default() += 1;
        }
        for (t, c) in counts {
            postings.entry(terms::key(locale, t)).or_default().push((u as u32, c));
        }
    }

    let mut locale_entries: BTreeMap<Locale, u32> = BTreeMap::new();
    let mut locale_len: BTreeMap<Locale, [f64; 3]> = BTreeMap::new();
    for (n, s) in order.iter().enumerate() {
        *locale_entries.entry(s.entry.locale).or_default() += 1;
        let sums = locale_len.entry(s.entry.locale).or_default();
        for f in 0..3 {
            sums[f] += field_len[n][f] as f64;
        }
    }

    // Entry-level document frequencies.
    let mut entry_df: BTreeMap<&[u8], u32> = BTreeMap::new();
    for (key, list) in &postings {
        let mut entries: Vec<u32> = list.iter().map(|(u, _)| units[*u as usize].entry).collect();
        entries.dedup();
        entry_df.insert(key.as_slice(), entries.len() as u32);
    }
    let mut postings_bytes = Vec::new();
    let mut dictionary = fst::MapBuilder::memory();
    for (key, list) in &postings {
        let offset = write_list(&mut postings_bytes, entry_df[key.as_slice()], list);
        dictionary.insert(key, offset).expect("keys come sorted from a BTreeMap");
    }
    let terms_bytes = dictionary.into_inner().expect("writing to memory cannot fail");

    let mut unit_bytes = Vec::with_capacity(units.len() * UNIT_RECORD_LEN);
    for unit in &units {
        let len = unit.terms.len().min(u16::MAX as usize) as u16;
        UnitRecord { entry: unit.entry, len, field: unit.field }.write(&mut unit_bytes);
    }

    let mut stored = Vec::new();
    let mut entry_bytes = Vec::with_capacity(order.len() * ENTRY_RECORD_LEN);
    for (n, source) in order.iter().enumerate() {
        let at = stored.len() as u32;
        source.entry.encode(&mut stored);
        EntryRecord {
            stored: (at, stored.len() as u32 - at),
            locale: source.entry.locale,
            audience: source.entry.audience,
            featured: source.entry.featured,
            kind: source.entry.kind,
            units: entry_units[n],
            field_len: field_len[n],
        }
        .write(&mut entry_bytes);
    }

    let locales = Locale::ALL
        .iter()
        .map(|&l| {
            let count = locale_entries.get(&l).copied().unwrap_or(0);
            let sums = locale_len.get(&l).copied().unwrap_or_default();
            let analyzer = &analyzers[&l];
            LocaleMeta {
                locale: l,
                stopwords: analyzer.stopwords(),
                synonyms: analyzer.synonym_pairs(),
                entries: count,
                avg_field_len: sums.map(|s| if count > 0 { (s / count as f64) as f32 } else { 0.0 }),
            }
        })
        .collect();
    let meta = Meta {
        name: corpus.name.clone(),
        locales,
        ranking: options.ranking.clone(),
        calibration: options.calibration.clone(),
    };
    let mut flows = corpus.flows.clone();
    flows.sort_by(|a, b| (&a.id, a.locale).cmp(&(&b.id, b.locale)));
    Container::encode(&[
        (SectionKind::Meta, meta.to_bytes()),
        (SectionKind::Terms, terms_bytes),
        (SectionKind::Postings, postings_bytes),
        (SectionKind::Units, unit_bytes),
        (SectionKind::Entries, entry_bytes),
        (SectionKind::Stored, stored),
        (SectionKind::Flows, flows.to_bytes()),
    ])
}

/// Keeps the syllable pairs that stand for words: those in the questions or titles of at least
/// two entries ("don hang", order; "hoan tien", refund). A pair found in one entry only is
/// mostly two neighbouring words ("hang bi"). Measured on vi (pack gzip, golden test top-1, out of
/// scope routed): no pairs 77 kB, 0.958, 0.95; every pair 126 kB, 0.965, 1.00; pairs of two
/// entries or more 97 kB, 0.965, 1.00; of three or more 89 kB, 0.951, 0.95.
fn keep_word_pairs(units: &mut [UnitText]) {
    let mut entries_with: HashMap<&str, (u32, u32)> = HashMap::new();
    for unit in units.iter() {
        for t in unit.terms.iter().filter(|t| is_pair(t)) {
            let seen = entries_with.entry(t.as_str()).or_insert((unit.entry, 0));
            if seen.1 == 0 || seen.0 != unit.entry {
                *seen = (unit.entry, seen.1 + 1);
            }
        }
    }
    let words: HashSet<String> =
        entries_with.into_iter().filter(|(_, (_, n))| *n >= 2).map(|(t, _)| t.to_string()).collect();
    for unit in units.iter_mut() {
        unit.terms.retain(|t| !is_pair(t) || words.contains(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kb_core::{Entry, Index, Query};

    fn corpus() -> Corpus {
        let entry = |id: &str, questions: &[&str]| SourceEntry {
            entry: Entry::new(id, id, Locale::En, "Answer."),
            questions: questions.iter().map(|q| q.to_string()).collect(),
            replaces: Vec::new(),
        };
        Corpus {
            entries: vec![
                entry("order-help", &["cancel my order", "order refund please", "stop the order"]),
                entry("subscription", &["cancel subscription", "end my plan"]),
                entry("refund-status", &["refund status", "where is my money"]),
            ],
            ..Corpus::default()
        }
    }

    #[test]
    fn words_spread_over_variants_pool_in_one_entry() {
        let index = Index::from_bytes(build(&corpus(), &BuildOptions::default())).unwrap();
        let result = index.search(&Query::new("cancel refund", Locale::En));
        assert_eq!(index.entry(result.hits[0].entry).unwrap().id, "order-help");
        assert!(result.hits[0].score > result.hits[1].score);
    }

    #[test]
    fn syllable_pairs_are_kept_when_two_entries_share_them() {
        let unit = |entry: u32, terms: &[&str]| UnitText {
            entry,
            field: Field::Question,
            terms: terms.iter().map(|t| t.to_string()).collect(),
        };
        let mut units = [
            unit(0, &["don", "hang", "bi", "huy", "don hang", "hang bi", "bi huy"]),
            unit(0, &["don", "hang", "bi", "huy", "don hang", "bi huy"]),
            unit(1, &["tra", "don", "hang", "tra don", "don hang"]),
        ];
        keep_word_pairs(&mut units);
        assert_eq!(units[0].terms, ["don", "hang", "bi", "huy", "don hang"]);
        assert_eq!(units[1].terms, ["don", "hang", "bi", "huy", "don hang"], "twice in one entry is one entry");
        assert_eq!(units[2].terms, ["tra", "don", "hang", "don hang"]);
    }

    #[test]
    fn bytes_are_deterministic() {
        assert_eq!(build(&corpus(), &BuildOptions::default()), build(&corpus(), &BuildOptions::default()));
    }
}
