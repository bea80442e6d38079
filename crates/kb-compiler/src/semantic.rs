//! Building the semantic tier (`kb.<locale>.sem`): a locale's share of the distilled token table
//! (`scripts/semantic/distill.py` runs the encoder once per piece and word), weighted, quantised,
//! with the entries' vectors, and the fusion weight and confidence model fitted on the
//! development questions.
//!
//! A locale keeps a budget of the table's pieces: every piece its knowledge's titles and questions
//! split into, every single letter of its script (so that re-tokenising with the smaller
//! vocabulary can still spell any word), then the pieces and words its language uses most. Each
//! vector is scaled by its smooth inverse frequency, `a / (a + p)`, so that "the" or "saya" weigh
//! little in a question's sum. A linear head ([`head`]) trained on the entries' titles and
//! questions turns a question's vector into a probability per entry.
//!
//! ```no_run
//! use kb_compiler::semantic::{DistilledTable, SemanticOptions, parts_for};
//! # fn demo(corpus: &kb_compiler::knowledge::Corpus) -> Result<(), kb_compiler::semantic::SemanticError> {
//! let distilled = DistilledTable::read("table.kbdt".as_ref())?;
//! let parts = parts_for(&distilled, kb_core::Locale::En, corpus, &SemanticOptions::default())?;
//! println!("{} pieces", parts.pieces.len());
//! # Ok(()) }
//! ```

pub mod head;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use kb_core::format::semantic::{write, SemanticMeta, SemanticParts, WriteError};
use kb_core::index::AttachError;
use kb_core::semantic::tokenize::WORD_START;
use kb_core::semantic::SemanticTable;
use kb_core::{FormatError, Index, Locale};

use crate::calibrate::{fit, Targets};
use crate::dataset::LabeledQuery;
use crate::eval::{in_force, report, run};
use crate::knowledge::Corpus;

/// The four bytes a distilled table starts with.
pub const DISTILLED_MAGIC: [u8; 4] = *b"KBDT";

/// One piece (or whole word) of the distilled table.
#[derive(Clone, Debug, PartialEq)]
pub struct DistilledPiece {
    /// The piece in SentencePiece form (`▁` starts a word).
    pub text: String,
    /// Its unigram log-probability (0 for a whole word, which then beats any spelling of it).
    pub score: f32,
    /// Per locale of [`DistilledTable::locales`], how often its language uses it (0: unknown).
    pub frequency: Vec<f32>,
    /// The encoder's vector for it, centred and reduced (most significant dimensions first).
    pub vector: Vec<f32>,
}

/// The table `distill.py` writes: every piece and word any locale may keep.
#[derive(Clone, Debug, PartialEq)]
pub struct DistilledTable {
    /// Dimensions of every vector.
    pub dims: usize,
    /// The locale codes the frequencies are for.
    pub locales: Vec<String>,
    /// The pieces.
    pub pieces: Vec<DistilledPiece>,
}

/// Why the semantic tier could not be built.
#[derive(Debug)]
pub enum SemanticError {
    /// The distilled table could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The distilled table is malformed.
    Distilled(String),
    /// The distilled table has no frequencies for this locale.
    NoLocale(Locale),
    /// The semantic file could not be written.
    Write(WriteError),
    /// A pack or semantic file did not read back (a bug in a writer).
    Format(FormatError),
    /// The semantic file does not fit the pack.
    Attach(AttachError),
}

impl fmt::Display for SemanticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemanticError::Read { path, source } => write!(
                f,
                "cannot read the distilled token table {}: {source} (scripts/semantic.sh makes it)",
                path.display()
            ),
            SemanticError::Distilled(what) => write!(f, "the distilled token table is malformed: {what}"),
            SemanticError::NoLocale(l) => write!(f, "the distilled token table has no {l} vocabulary"),
            SemanticError::Write(e) => e.fmt(f),
            SemanticError::Format(e) => write!(f, "a written file does not read back: {e}"),
            SemanticError::Attach(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SemanticError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SemanticError::Read { source, .. } => Some(source),
            SemanticError::Write(e) => Some(e),
            SemanticError::Format(e) => Some(e),
            SemanticError::Attach(e) => Some(e),
            _ => None,
        }
    }
}

/// A little-endian cursor over the distilled table.
/// Also reads the encoder model ([`crate::encoder`]); `what` starts its error messages.
pub(crate) struct Cursor<'a> {
    /// The bytes not read yet.
    pub(crate) rest: &'a [u8],
    what: &'static str,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`, whose errors begin with `what` ("" for the table).
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Cursor<'a> {
        Cursor { rest: bytes, what }
    }

    /// The error for `problem` in these bytes.
    pub(crate) fn malformed(&self, problem: &str) -> SemanticError {
        SemanticError::Distilled(format!("{}{problem}", self.what))
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], SemanticError> {
        if self.rest.len() < n {
            return Err(self.malformed("truncated"));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SemanticError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SemanticError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    pub(crate) fn f32(&mut self) -> Result<f32, SemanticError> {
        Ok(f32::from_bits(self.u32()?))
    }

    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, SemanticError> {
        Ok(self
            .take(n.checked_mul(4).ok_or_else(|| self.malformed("size"))?)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect())
    }

    fn text(&mut self, len: usize) -> Result<String, SemanticError> {
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| SemanticError::Distilled("a piece is not UTF-8".into()))
    }
}

impl DistilledTable {
    /// Reads the table `distill.py` wrote.
    ///
    /// # Errors
    /// The file cannot be read or is malformed.
    pub fn read(path: &Path) -> Result<DistilledTable, SemanticError> {
        let bytes = std::fs::read(path).map_err(|source| SemanticError::Read { path: path.to_path_buf(), source })?;
        DistilledTable::parse(&bytes)
    }

    /// Parses the table's bytes (format in `scripts/semantic/distill.py`).
    ///
    /// # Errors
    /// The bytes are not a whole table.
    pub fn parse(bytes: &[u8]) -> Result<DistilledTable, SemanticError> {
        let mut c = Cursor::new(bytes, "");
        if c.take(4)? != DISTILLED_MAGIC {
            return Err(SemanticError::Distilled("not a distilled token table (bad magic)".into()));
        }
        if c.u32()? != 1 {
            return Err(SemanticError::Distilled("unsupported version".into()));
        }
        let (dims, count, locale_count) = (c.u32()? as usize, c.u32()? as usize, c.u32()? as usize);
        if dims == 0 || dims > 4096 || locale_count > 64 {
            return Err(SemanticError::Distilled("implausible header".into()));
        }
        let mut locales = Vec::with_capacity(locale_count);
        for _ in 0..locale_count {
            let len = c.take(1)?[0] as usize;
            locales.push(c.text(len)?);
        }
        let mut pieces = Vec::with_capacity(count.min(bytes.len() / (dims * 4)));
        for _ in 0..count {
            let len = u16::from_le_bytes(c.take(2)?.try_into().expect("2 bytes")) as usize;
            let text = c.text(len)?;
            let score = c.f32s(1)?[0];
            let frequency = c.f32s(locale_count)?;
            let vector = c.f32s(dims)?;
            pieces.push(DistilledPiece { text, score, frequency, vector });
        }
        if !c.rest.is_empty() {
            return Err(SemanticError::Distilled("trailing bytes".into()));
        }
        Ok(DistilledTable { dims, locales, pieces })
    }

    fn column(&self, locale: Locale) -> Result<usize, SemanticError> {
        self.locales.iter().position(|c| c == locale.code()).ok_or(SemanticError::NoLocale(locale))
    }
}

/// How much of the distilled table a locale keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SemanticOptions {
    /// Pieces and words kept per locale.
    pub pieces: usize,
    /// Dimensions kept (the table's first, most significant ones).
    pub dims: usize,
    /// The `a` of the smooth inverse frequency weight `a / (a + p)`.
    pub smoothing: f32,
}

impl Default for SemanticOptions {
    fn default() -> SemanticOptions {
        SemanticOptions { pieces: 5000, dims: 384, smoothing: 1e-3 }
    }
}

/// Whether a single character belongs to the scripts `locale` is written in (with digits and
/// ASCII punctuation, which every locale types).
fn in_script(locale: Locale, c: char) -> bool {
    let c = c as u32;
    let latin = c < 0x250 || (0x1E00..=0x1EFF).contains(&c) || (0x300..=0x36F).contains(&c);
    match locale {
        Locale::Th => c < 0x80 || (0x0E00..=0x0E7F).contains(&c),
        _ => latin,
    }
}

/// The texts an entry is asked by: its title and questions.
pub(crate) fn asked_by(corpus: &Corpus, locale: Locale) -> Vec<(String, Vec<&str>)> {
    corpus
        .entries
        .iter()
        .filter(|e| e.entry.locale == locale)
        .map(|e| {
            let texts = std::iter::once(e.entry.title.as_str()).chain(e.questions.iter().map(String::as_str)).collect();
            (e.entry.id.clone(), texts)
        })
        .collect()
}

/// The semantic file's parts for `locale` (fusion 0 and the prior calibration until [`fit_parts`]).
///
/// # Errors
/// The table has no vocabulary for the locale, or has fewer dimensions than asked for.
pub fn parts_for(
    distilled: &DistilledTable,
    locale: Locale,
    corpus: &Corpus,
    options: &SemanticOptions,
) -> Result<SemanticParts, SemanticError> {
    let column = distilled.column(locale)?;
    let dims = options.dims.min(distilled.dims);
    let entries = asked_by(corpus, locale);
    // What the knowledge itself splits into, with the whole table as vocabulary.
    let whole = SemanticParts {
        meta: SemanticMeta::new(locale, 1, Vec::new()),
        pieces: distilled.pieces.iter().map(|p| (p.text.clone(), p.score, vec![0.0])).collect(),
        entries: Vec::new(),
        encoder: None,
    };
    let whole =
        SemanticTable::from_bytes(write(&whole).map_err(SemanticError::Write)?).map_err(SemanticError::Format)?;
    let mut by_text: Vec<usize> = (0..distilled.pieces.len()).collect();
    by_text.sort_by(|&a, &b| distilled.pieces[a].text.as_bytes().cmp(distilled.pieces[b].text.as_bytes()));
    let mut kept: BTreeSet<usize> = BTreeSet::new();
    for (_, texts) in &entries {
        for text in texts {
            kept.extend(whole.pieces(text).into_iter().map(|n| by_text[n as usize]));
        }
    }
    for (i, p) in distilled.pieces.iter().enumerate() {
        let mut chars = p.text.trim_start_matches(WORD_START).chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if in_script(locale, c) {
                kept.insert(i);
            }
        }
    }
    let mut by_use: Vec<usize> =
        (0..distilled.pieces.len()).filter(|&i| distilled.pieces[i].frequency[column] > 0.0).collect();
    by_use.sort_by(|&a, &b| distilled.pieces[b].frequency[column].total_cmp(&distilled.pieces[a].frequency[column]));
    for i in by_use {
        if kept.len() >= options.pieces {
            break;
        }
        kept.insert(i);
    }
    let total: f32 = kept.iter().map(|&i| distilled.pieces[i].frequency[column]).sum::<f32>().max(f32::MIN_POSITIVE);
    let pieces = kept
        .iter()
        .map(|&i| {
            let p = &distilled.pieces[i];
            let weight = options.smoothing / (options.smoothing + p.frequency[column] / total);
            (p.text.clone(), p.score, p.vector[..dims].iter().map(|x| x * weight).collect())
        })
        .collect();
    let mut parts = SemanticParts {
        meta: SemanticMeta::new(locale, dims as u32, Vec::new()),
        pieces,
        entries: Vec::new(),
        encoder: None,
    };
    parts.meta.source = format!(
        "multilingual-e5-small static table: {} of {} pieces, {dims} dimensions",
        parts.pieces.len(),
        distilled.pieces.len()
    );
    let table =
        SemanticTable::from_bytes(write(&parts).map_err(SemanticError::Write)?).map_err(SemanticError::Format)?;
    let examples: Vec<(Vec<f32>, usize)> = entries
        .iter()
        .enumerate()
        .flat_map(|(class, (_, texts))| texts.iter().filter_map(|t| table.embed(t)).map(move |v| (v, class)))
        .collect();
    let (rows, bias) = head::train(&examples, entries.len(), dims);
    parts.meta.entries = entries.into_iter().map(|(id, _)| id).collect();
    parts.meta.bias = bias;
    parts.entries = rows;
    Ok(parts)
}

/// The fusion weights tried, as a share of the score from the semantic cosine.
const FUSION_GRID: [f32; 11] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// Fits the fusion weight: the one that ranks the most development questions of the locale
/// first (the smaller on a tie). A tier that ranks no more of them first than the pack alone is
/// switched off (fusion 0). The parts keep the pack's calibration until [`fit_calibration`].
///
/// # Errors
/// A file does not read back, or the parts do not fit the pack.
pub fn fit_parts(
    pack: &[u8],
    mut parts: SemanticParts,
    dev: &[(Locale, LabeledQuery)],
) -> Result<SemanticParts, SemanticError> {
    let locale = parts.meta.locale;
    let mut index = Index::from_bytes(pack.to_vec()).map_err(SemanticError::Format)?;
    parts.meta.calibration = index.calibration().clone();
    let questions: Vec<(Locale, LabeledQuery)> = dev.iter().filter(|(l, _)| *l == locale).cloned().collect();
    if questions.is_empty() {
        return Ok(parts);
    }
    let attach = |parts: &SemanticParts, index: &mut Index| -> Result<(), SemanticError> {
        let table =
            SemanticTable::from_bytes(write(parts).map_err(SemanticError::Write)?).map_err(SemanticError::Format)?;
        index.attach_semantic(table).map_err(SemanticError::Attach)
    };
    // Top-1 as `kb eval` scores it: through the whole decision, system entries included.
    let top1 = |index: &Index| report(&run(index, &questions, |_, _| {}), in_force(index)).top1;
    let lexical = top1(&index);
    let mut best = (lexical, 0.0f32);
    for fusion in FUSION_GRID.into_iter().skip(1) {
        parts.meta.fusion = fusion;
        attach(&parts, &mut index)?;
        let first = top1(&index);
        if first > best.0 {
            best = (first, fusion);
        }
    }
    // Kept only where it ranks more development questions first than the pack alone: where it
    // does not, a refitted model would only add noise to the thresholds. The file then keeps
    // the lexical behaviour (no fusion, the pack's calibration, which gives the semantic
    // features no weight).
    parts.meta.fusion = best.1;
    if best.1 == 0.0 {
        parts.meta.source.push_str(" (kept off: no better than lexical on the development questions)");
    }
    Ok(parts)
}

/// Fits one confidence model on the fused ranking of every locale's development questions (with
/// every locale's tier attached) and gives it to each locale whose tier is on. One model for all, as the pack's: fitted on one locale's few hundred questions, it
/// learned a brevity weight of -10 and stopped answering "hi".
///
/// # Errors
/// A file does not read back, or does not fit the pack.
pub fn fit_calibration(
    pack: &[u8],
    mut all: Vec<SemanticParts>,
    dev: &[(Locale, LabeledQuery)],
) -> Result<Vec<SemanticParts>, SemanticError> {
    let mut index = Index::from_bytes(pack.to_vec()).map_err(SemanticError::Format)?;
    let on: Vec<Locale> = all.iter().filter(|p| p.meta.fusion > 0.0).map(|p| p.meta.locale).collect();
    if !on.is_empty() && !dev.is_empty() {
        for parts in &all {
            let table = SemanticTable::from_bytes(write(parts).map_err(SemanticError::Write)?)
                .map_err(SemanticError::Format)?;
            index.attach_semantic(table).map_err(SemanticError::Attach)?;
        }
        let calibration = fit(&run(&index, dev, |_, _| {}), Targets::default());
        for parts in all.iter_mut().filter(|p| on.contains(&p.meta.locale)) {
            parts.meta.calibration = calibration.clone();
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kb_core::Query;

    fn table_bytes(pieces: &[(&str, f32, [f32; 2], [f32; 2])]) -> Vec<u8> {
        let mut out = DISTILLED_MAGIC.to_vec();
        for n in [1u32, 2, pieces.len() as u32, 2] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for code in ["en", "th"] {
            out.push(2);
            out.extend_from_slice(code.as_bytes());
        }
        for (text, score, freq, vector) in pieces {
            out.extend_from_slice(&(text.len() as u16).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
            for x in std::iter::once(score).chain(freq).chain(vector) {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn reads_what_distill_writes_and_refuses_damage() {
        let bytes = table_bytes(&[("▁parcel", -9.0, [0.01, 0.0], [1.0, 0.0]), ("s", -2.0, [0.1, 0.0], [0.0, 1.0])]);
        let t = DistilledTable::parse(&bytes).unwrap();
        assert_eq!((t.dims, t.locales.clone(), t.pieces.len()), (2, vec!["en".to_string(), "th".to_string()], 2));
        assert_eq!(t.pieces[0].text, "▁parcel");
        assert_eq!(t.pieces[1].frequency, vec![0.1, 0.0]);
        assert!(DistilledTable::parse(&bytes[..bytes.len() - 1]).is_err());
        let mut more = bytes.clone();
        more.push(0);
        assert!(DistilledTable::parse(&more).is_err());
        assert!(DistilledTable::parse(b"KBIX").is_err());
        assert!(matches!(t.column(Locale::Es), Err(SemanticError::NoLocale(Locale::Es))));
    }

    /// A pack of three English entries, and a semantic table whose vocabulary knows "tune",
    /// which no entry says, and puts it with the song entry.
    fn fused(fusion: f32) -> Index {
        use crate::builder::{build, BuildOptions};
        use crate::knowledge::SourceEntry;
        use kb_core::Entry;
        let entry = |id: &str, questions: &[&str]| SourceEntry {
            entry: Entry::new(id, id, Locale::En, "Answer."),
            questions: questions.iter().map(|q| q.to_string()).collect(),
            replaces: Vec::new(),
        };
        let corpus = Corpus {
            entries: vec![
                entry("what-song", &["which song is playing", "name of this song"]),
                entry("track-order", &["where is my order", "track my parcel"]),
                entry("playlist", &["add this song to my playlist"]),
            ],
            ..Corpus::default()
        };
        let mut index = Index::from_bytes(build(&corpus, &BuildOptions::default())).unwrap();
        let mut meta =
            SemanticMeta::new(Locale::En, 2, vec!["what-song".into(), "track-order".into(), "playlist".into()]);
        meta.fusion = fusion;
        meta.bias = vec![0.0, 0.0, -1.0];
        let parts = SemanticParts {
            meta,
            pieces: vec![("▁tune".into(), -9.0, vec![1.0, 0.0]), ("▁parcel".into(), -9.0, vec![0.0, 1.0])],
            entries: vec![vec![8.0, 0.0], vec![0.0, 8.0], vec![4.0, 0.0]],
            encoder: None,
        };
        index.attach_semantic(SemanticTable::from_bytes(write(&parts).unwrap()).unwrap()).unwrap();
        index
    }

    #[test]
    fn a_word_no_entry_has_finds_its_entry_through_the_semantic_tier() {
        let query = Query::new("current tune", Locale::En);
        let index = fused(0.5);
        let hits = index.search(&query).hits;
        assert_eq!(index.entry_id(hits[0].entry).as_deref(), Some("what-song"));
        assert!(hits[0].semantic > 0.9 && hits[0].coverage == 0.0, "{:?}", hits[0]);
        let features = index.search(&query).features.0;
        assert!(features[10] > 0.9 && features[11] > 0.8, "semantic features {features:?}");
        // Lexically there is nothing to find.
        let mut lexical = fused(0.5);
        lexical.detach_semantic(Locale::En);
        assert!(lexical.search(&query).hits.is_empty());
    }

    #[test]
    fn fusion_weighs_the_probability_against_the_words() {
        // "song" is in two entries; "parcel" means track-order to the semantic tier.
        let query = Query::new("song parcel", Locale::En);
        let score = |fusion: f32, id: &str| {
            let index = fused(fusion);
            let hits = index.search(&query).hits;
            hits.iter().find(|h| index.entry_id(h.entry).as_deref() == Some(id)).map(|h| (h.score, h.semantic)).unwrap()
        };
        let (lexical_only, p) = score(0.0, "track-order");
        let (half, _) = score(0.5, "track-order");
        let (all, _) = score(1.0, "track-order");
        assert!((all - p).abs() < 1e-5, "fusion 1 is the probability alone: {all} vs {p}");
        assert!((half - (0.5 * lexical_only + 0.5 * p)).abs() < 1e-5, "{half} {lexical_only} {p}");
    }

    #[test]
    fn the_encoder_tier_rereads_what_is_not_answered_or_not_surely() {
        use kb_core::confidence::Calibration;
        use kb_core::decide::{Overrides, Path};
        use kb_core::format::semantic::EncoderHead;
        let with_sure = |sure: f32| {
            let mut index = fused(0.5);
            let mut parts = SemanticParts {
                meta: index.semantic(Locale::En).unwrap().meta().clone(),
                pieces: vec![("▁tune".into(), -9.0, vec![1.0, 0.0])],
                entries: vec![vec![8.0, 0.0], vec![0.0, 8.0], vec![4.0, 0.0]],
                encoder: None,
            };
            let head = EncoderHead {
                fusion: 1.0,
                calibration: Calibration::default(),
                sure,
                centre: vec![0.0; 2],
                bias: vec![0.0; 3],
            };
            parts.encoder = Some((head, vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.5, 0.5]]));
            index.attach_semantic(SemanticTable::from_bytes(write(&parts).unwrap()).unwrap()).unwrap();
            index
        };
        let decide = |index: &Index, text: &str| index.decide(&Query::new(text, Locale::En), &Overrides::default());
        let (unsure, sure) = (with_sure(2.0), with_sure(0.0));
        let answer = decide(&sure, "where is my order");
        assert!(matches!(answer.path, Path::Answer(_)), "{:?}", answer.path);
        assert!(!sure.rereads(Locale::En, &answer), "an answer at least as sure as `sure` stands");
        assert!(unsure.rereads(Locale::En, &decide(&unsure, "where is my order")), "a less sure one is read again");
        let nothing = decide(&sure, "zzzz qqqq");
        assert!(matches!(nothing.path, Path::Fallback(_)));
        assert!(sure.rereads(Locale::En, &nothing), "what the rest would not answer is read again");
        // Without an encoder head there is nothing to read it with.
        assert!(!fused(0.5).rereads(Locale::En, &nothing));
    }

    #[test]
    fn a_table_for_other_knowledge_is_refused() {
        let mut index = fused(0.5);
        let parts = SemanticParts {
            meta: SemanticMeta::new(Locale::En, 1, vec!["not-here".into()]),
            pieces: vec![("▁a".into(), -1.0, vec![1.0])],
            entries: vec![vec![1.0]],
            encoder: None,
        };
        let table = SemanticTable::from_bytes(write(&parts).unwrap()).unwrap();
        assert_eq!(index.attach_semantic(table), Err(AttachError::UnknownEntry("not-here".into())));
        // The earlier table is still attached.
        assert!(index.semantic(Locale::En).is_some());
        let thai = SemanticParts {
            meta: SemanticMeta::new(Locale::Th, 1, vec![]),
            pieces: vec![],
            entries: vec![],
            encoder: None,
        };
        let table = SemanticTable::from_bytes(write(&thai).unwrap()).unwrap();
        assert_eq!(index.attach_semantic(table), Err(AttachError::NoSuchLocale(Locale::Th)));
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let mut bytes = DISTILLED_MAGIC.to_vec();
            bytes.extend(noise);
            let _ = DistilledTable::parse(&bytes);
        }
    }
}
