//! A knowledge pack as the run-time room holds it: [`Index::from_bytes`] checks the container
//! and every section once (through the readers of [`crate::format`]), then the term dictionary,
//! postings and stored entries are used in place; the small record tables are decoded.

use std::sync::Arc;

use fst::{Map, Streamer};

use crate::analysis::Analyzer;
use crate::confidence::Calibration;
use crate::entry::{Audience, Entry, EntryKind};
use crate::flow::Flow;
use crate::format::codec::Decode;
use crate::format::meta::{LocaleMeta, Meta};
use crate::format::postings::Postings;
use crate::format::records::{EntryRecord, Field, UnitRecord, ENTRY_RECORD_LEN, UNIT_RECORD_LEN};
use crate::format::{stored, terms, Container, FormatError, SectionKind};
use crate::locale::Locale;
use crate::semantic::SemanticTable;

/// Shares one buffer between the sections that read it in place (the pack's, a semantic or
/// encoder file's piece dictionary).
#[derive(Clone)]
pub struct Slice {
    bytes: Arc<[u8]>,
    start: usize,
    end: usize,
}

impl Slice {
    /// The bytes of `range` in `bytes`.
    ///
    /// # Panics
    /// When read, if `range` is not within `bytes`: the caller checks it first.
    pub fn new(bytes: Arc<[u8]>, range: std::ops::Range<usize>) -> Slice {
        Slice { bytes, start: range.start, end: range.end }
    }
}

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }
}

/// A compiled, read-only knowledge index.
///
/// ```no_run
/// let bytes = std::fs::read("dist/kb.idx").unwrap();
/// let index = kb_core::Index::from_bytes(bytes).unwrap();
/// println!("{} entries", index.len());
/// ```
///
/// Cloning shares the pack's bytes and decoded tables (a clone costs a few reference counts, and
/// the widget's wasm no deep copy): the widget clones to attach a semantic table that arrives
/// after the pack without stopping the questions being answered from it.
#[derive(Clone)]
pub struct Index {
    bytes: Arc<[u8]>,
    pub(crate) meta: Arc<Meta>,
    pub(crate) terms: Map<Slice>,
    postings: std::ops::Range<usize>,
    units: std::ops::Range<usize>,
    entries: Arc<[EntryRecord]>,
    stored: std::ops::Range<usize>,
    flows: Arc<[Flow]>,
    /// One per locale of the pack, in the order of its metadata (a handful: a scan finds one).
    pub(crate) analyzers: Arc<[Analyzer]>,
    /// Euclidean norm of each unit's idf-weighted term vector (for cosine similarity).
    pub(crate) unit_norms: Arc<[f32]>,
    /// Per entry, the norm of the sum of its normalised question vectors (for the cosine to the
    /// entry's centroid).
    pub(crate) centroid_norms: Arc<[f32]>,
    /// Units per locale (the document count of the unit-level idf).
    locale_units: [u32; Locale::ALL.len()],
    /// The container's checksum (see [`Index::version`]).
    checksum: u64,
    /// The semantic tables attached, at most one per locale ([`Index::attach_semantic`]).
    pub(crate) semantic: Vec<Arc<AttachedSemantic>>,
}

/// A semantic table attached to the index, with its entries' numbers in this index.
pub(crate) struct AttachedSemantic {
    pub(crate) table: SemanticTable,
    /// The entry number of each of the table's entries, in its order.
    pub(crate) entries: Vec<u32>,
}

/// Why a semantic table cannot be attached to an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachError {
    /// The index has no knowledge in the table's locale.
    NoSuchLocale(Locale),
    /// The table names an entry this index does not have: it was built for other knowledge.
    UnknownEntry(String),
}

impl std::fmt::Display for AttachError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttachError::NoSuchLocale(l) => write!(f, "the pack has no {l} knowledge for this semantic table"),
            AttachError::UnknownEntry(id) => {
                write!(f, "the semantic table was built for other knowledge: the pack has no entry \"{id}\"")
            }
        }
    }
}

impl std::error::Error for AttachError {}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("bytes", &self.bytes.len()).field("entries", &self.len()).finish()
    }
}

/// BM25's idf over `entries` documents, `df` of which hold the term.
pub(crate) fn idf(entries: f32, df: f32) -> f32 {
    (1.0 + (entries - df + 0.5) / (df + 0.5)).ln()
}

fn corrupt(what: &str) -> FormatError {
    FormatError::Corrupt(what.to_string())
}

impl Index {
    /// Reads an index, checking its header, checksum and every section's shape. Never panics on
    /// damaged or hostile bytes: anything wrong is a [`FormatError`].
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<Index, FormatError> {
        let bytes: Arc<[u8]> = bytes.into();
        let container = Container::decode(&bytes)?;
        let range = |kind| container.section(kind).ok_or(FormatError::BadSection("missing"));
        let meta_range = range(SectionKind::Meta)?;
        let meta = Meta::from_bytes(&bytes[meta_range]).map_err(|e| corrupt(&format!("metadata: {e}")))?;
        let terms_range = range(SectionKind::Terms)?;
        if !terms::fst_checksum_holds(&bytes[terms_range.clone()]) {
            return Err(corrupt("term dictionary: checksum mismatch"));
        }
        let terms = Map::new(Slice { bytes: bytes.clone(), start: terms_range.start, end: terms_range.end })
            .map_err(|e| corrupt(&format!("term dictionary: {e}")))?;
        let units = range(SectionKind::Units)?;
        let entries = &bytes[range(SectionKind::Entries)?];
        if !units.len().is_multiple_of(UNIT_RECORD_LEN) || !entries.len().is_multiple_of(ENTRY_RECORD_LEN) {
            return Err(corrupt("record table length"));
        }
        let entries = entries
            .chunks_exact(ENTRY_RECORD_LEN)
            .map(EntryRecord::read)
            .collect::<Option<Vec<EntryRecord>>>()
            .ok_or_else(|| corrupt("entry has an unknown locale"))?;
        let flows_range = range(SectionKind::Flows)?;
        let flows = Vec::<Flow>::from_bytes(&bytes[flows_range]).map_err(|e| corrupt(&format!("flows: {e}")))?;
        let analyzers: Vec<Analyzer> = meta
            .locales
            .iter()
            .map(|lm| {
                let mut a = Analyzer::new(lm.locale);
                a.add_stopwords(lm.stopwords.iter().map(String::as_str));
                a.set_synonym_pairs(lm.synonyms.clone());
                a
            })
            .collect();
        let index = Index {
            postings: range(SectionKind::Postings)?,
            stored: range(SectionKind::Stored)?,
            units,
            entries: entries.into(),
            bytes,
            meta: Arc::new(meta),
            terms,
            flows: flows.into(),
            analyzers: analyzers.into(),
            unit_norms: Arc::new([]),
            centroid_norms: Arc::new([]),
            locale_units: [0; Locale::ALL.len()],
            checksum: container.checksum(),
            semantic: Vec::new(),
        };
        index.validate_tables()?;
        let mut locale_units = [0; Locale::ALL.len()];
        for u in 0..index.unit_count() {
            locale_units[index.record(index.unit(u).entry).locale as usize] += 1;
        }
        let index = Index { locale_units, ..index };
        let (unit_norms, centroid_norms) = index.vector_norms().ok_or_else(|| corrupt("postings"))?;
        Ok(Index { unit_norms: unit_norms.into(), centroid_norms: centroid_norms.into(), ..index })
    }

    /// Checks every record's cross references once, so that reads later need no checks that
    /// could fail.
    fn validate_tables(&self) -> Result<(), FormatError> {
        let entries = self.len() as u32;
        if (0..self.unit_count()).any(|u| self.unit(u).entry >= entries) {
            return Err(corrupt("unit points to a missing entry"));
        }
        for r in self.entries.iter() {
            let (off, len) = (r.stored.0 as usize, r.stored.1 as usize);
            if off.checked_add(len).is_none_or(|end| end > self.stored.len()) {
                return Err(corrupt("entry points outside the stored section"));
            }
        }
        Ok(())
    }

    /// The idf weight of a term for the vector (nearest-question and centroid) similarities.
    /// It counts units, not entries: a word in every variant of one entry is that entry's
    /// signature, while a word spread thinly over many entries' variants says little, and
    /// entry-level df cannot tell the two apart.
    pub(crate) fn vector_idf(&self, locale: Locale, postings: &Postings) -> f32 {
        idf(self.locale_units[locale as usize] as f32, postings.len as f32)
    }

    /// Derives the vector norms from the postings instead of storing them: they are floats that
    /// barely compress, and reading every postings list once on load is cheap. `None` if a
    /// postings list is damaged.
    fn vector_norms(&self) -> Option<(Vec<f32>, Vec<f32>)> {
        let mut lists: Vec<(f32, Postings)> = Vec::new();
        let mut stream = self.terms.stream();
        while let Some((key, offset)) = stream.next() {
            let postings = self.postings(offset)?;
            // The one full check of every list: searches trust the lengths from here on.
            if postings.clone().count() != postings.len {
                return None;
            }
            let Some((locale, _)) = terms::split_key(key) else { continue };
            let w = self.vector_idf(locale, &postings);
            lists.push((w, postings));
        }
        let mut unit_norms = vec![0f32; self.unit_count() as usize];
        for (w, postings) in &lists {
            for (u, _) in postings.clone() {
                unit_norms[u as usize] += w * w;
            }
        }
        for n in &mut unit_norms {
            *n = n.sqrt();
        }
        let mut centroid_norms = vec![0f32; self.len()];
        let mut per_entry: Vec<(u32, f32)> = Vec::new();
        for (w, postings) in &lists {
            per_entry.clear();
            for (u, _) in postings.clone() {
                let unit = self.unit(u);
                if unit.field == Field::Body || unit_norms[u as usize] <= 0.0 {
                    continue;
                }
                let c = w / unit_norms[u as usize];
                match per_entry.last_mut() {
                    Some((e, sum)) if *e == unit.entry => *sum += c,
                    _ => per_entry.push((unit.entry, c)),
                }
            }
            for &(e, sum) in &per_entry {
                centroid_norms[e as usize] += sum * sum;
            }
        }
        for n in &mut centroid_norms {
            *n = n.sqrt();
        }
        Some((unit_norms, centroid_norms))
    }

    /// Number of entries (all locales).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pack's version as events and reports name it: its checksum in hex, the same for two
    /// builds of the same knowledge.
    pub fn version(&self) -> String {
        format!("{:016x}", self.checksum)
    }

    /// The index metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The pack's own calibration, fitted on the lexical ranking alone.
    pub fn calibration(&self) -> &Calibration {
        &self.meta.calibration
    }

    /// The calibration in force for questions in `locale`: the semantic table's while one is
    /// attached (it was fitted on the fused ranking), else the pack's. Thresholds may be
    /// overridden per deployment by the caller.
    pub fn calibration_for(&self, locale: Locale) -> &Calibration {
        self.semantic(locale).map_or(&self.meta.calibration, |t| &t.meta().calibration)
    }

    /// The calibration that decides `query`: the encoder tier's when the query carries a
    /// sentence vector and its locale's semantic file has an encoder head, else
    /// [`Index::calibration_for`] its locale.
    pub fn calibration_of(&self, query: &crate::Query<'_>) -> &Calibration {
        match (query.meaning, self.semantic(query.locale).and_then(SemanticTable::encoder_head)) {
            (Some(_), Some(head)) => &head.calibration,
            _ => self.calibration_for(query.locale),
        }
    }

    /// Attaches a semantic table (replacing the locale's earlier one): from now on, searches in
    /// its locale fuse the lexical score with the cosine to each entry, and decide with the
    /// table's calibration.
    ///
    /// # Errors
    /// The pack has no knowledge in the table's locale, or lacks one of its entries (the table
    /// was built for other knowledge); the index is left as it was.
    pub fn attach_semantic(&mut self, table: SemanticTable) -> Result<(), AttachError> {
        let locale = table.locale();
        if self.locale_meta(locale).is_none_or(|m| m.entries == 0) {
            return Err(AttachError::NoSuchLocale(locale));
        }
        // A scan per table entry: quadratic, but a locale has hundreds of entries, not millions,
        // and a map or a sort would cost the widget's wasm a few kB for this one use.
        let numbers: Vec<(String, u32)> = (0..self.len() as u32)
            .filter(|&n| self.record(n).locale == locale)
            .filter_map(|n| Some((self.entry_id(n)?, n)))
            .collect();
        let entries = table
            .meta()
            .entries
            .iter()
            .map(|id| match numbers.iter().find(|(known, _)| known == id) {
                Some(&(_, n)) => Ok(n),
                None => Err(AttachError::UnknownEntry(id.clone())),
            })
            .collect::<Result<Vec<u32>, AttachError>>()?;
        self.semantic.retain(|s| s.table.locale() != locale);
        self.semantic.push(Arc::new(AttachedSemantic { table, entries }));
        Ok(())
    }

    /// Takes the locale's semantic table off (searches there are lexical again).
    pub fn detach_semantic(&mut self, locale: Locale) -> Option<SemanticTable> {
        let at = self.semantic.iter().position(|s| s.table.locale() == locale)?;
        Some(self.semantic.remove(at).table.clone())
    }

    /// The semantic table attached for `locale`, if any.
    pub fn semantic(&self, locale: Locale) -> Option<&SemanticTable> {
        self.attached(locale).map(|s| &s.table)
    }

    pub(crate) fn attached(&self, locale: Locale) -> Option<&AttachedSemantic> {
        self.semantic.iter().map(Arc::as_ref).find(|s| s.table.locale() == locale)
    }

    /// Locales that have entries.
    pub fn locales(&self) -> Vec<Locale> {
        self.meta.locales.iter().filter(|l| l.entries > 0).map(|l| l.locale).collect()
    }

    /// The guided flows.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    /// The flow with this id in `locale`, or in English if it has no translation.
    pub fn flow(&self, id: &str, locale: Locale) -> Option<&Flow> {
        let find = |l| self.flows.iter().find(|f| f.id == id && f.locale == l);
        find(locale).or_else(|| find(Locale::En))
    }

    /// Decodes the stored entry number `n`, or `None` if it is out of range or damaged.
    pub fn entry(&self, n: u32) -> Option<Entry> {
        Entry::from_bytes(self.stored_bytes(n)?).ok()
    }

    /// The id of entry number `n`, without decoding the rest of it (answers are the bulk of an
    /// entry, and ranked lists and lookups by id only need ids).
    ///
    /// ```
    /// # fn demo(index: &kb_core::Index) {
    /// use kb_core::{Query, Locale};
    /// let result = index.search(&Query::new("refund", Locale::En));
    /// let ids: Vec<String> = result.hits.iter().filter_map(|h| index.entry_id(h.entry)).collect();
    /// # }
    /// ```
    pub fn entry_id(&self, n: u32) -> Option<String> {
        stored::entry_id(self.stored_bytes(n)?).ok()
    }

    fn stored_bytes(&self, n: u32) -> Option<&[u8]> {
        if n as usize >= self.len() {
            return None;
        }
        let r = self.record(n);
        let start = self.stored.start + r.stored.0 as usize;
        self.bytes.get(start..start + r.stored.1 as usize)
    }

    /// What entry number `n` is for (an answer, or a built-in system entry).
    pub fn kind(&self, n: u32) -> EntryKind {
        self.entries.get(n as usize).map_or(EntryKind::Answer, |r| r.kind)
    }

    /// The number of the entry with this id in `locale`.
    pub fn find(&self, id: &str, locale: Locale) -> Option<u32> {
        (0..self.len() as u32)
            .filter(|&n| self.record(n).locale == locale)
            .find(|&n| self.entry_id(n).is_some_and(|e| e == id))
    }

    /// Featured entries of `locale` that `audience` may see, for starter suggestions.
    pub fn featured(&self, locale: Locale, audience: Audience) -> Vec<u32> {
        (0..self.len() as u32)
            .filter(|&n| {
                let r = self.record(n);
                r.featured && r.kind == EntryKind::Answer && r.locale == locale && r.audience.serves(audience)
            })
            .collect()
    }

    /// The locale's analyzer, the one that read every indexed text and reads every query (every
    /// locale of the pack has one: the builder writes all of them). Other tools that compare
    /// texts, such as `kb gaps`, use it so that they read words exactly as the search does.
    pub fn analyzer(&self, locale: Locale) -> Option<&Analyzer> {
        self.analyzers.iter().find(|a| a.locale() == locale)
    }

    /// How telling an analysed `term` is in `locale`: the idf weight its search gives the term
    /// (BM25's, over the locale's entries). A word nearly every entry is asked with ("how",
    /// "my") weighs almost nothing; a term the pack has never seen weighs most.
    ///
    /// ```no_run
    /// # let index = kb_core::Index::from_bytes(std::fs::read("kb.idx").unwrap()).unwrap();
    /// use kb_core::Locale;
    /// assert!(index.term_weight(Locale::En, "giftwrap") > index.term_weight(Locale::En, "parcel"));
    /// ```
    pub fn term_weight(&self, locale: Locale, term: &str) -> f32 {
        let entries = self.locale_meta(locale).map_or(0, |l| l.entries) as f32;
        let df = self.terms.get(terms::key(locale, term)).and_then(|offset| self.entry_df(offset)).unwrap_or(0);
        idf(entries, df as f32)
    }

    pub(crate) fn locale_meta(&self, locale: Locale) -> Option<&LocaleMeta> {
        self.meta.locales.iter().find(|l| l.locale == locale)
    }

    pub(crate) fn unit_count(&self) -> u32 {
        (self.units.len() / UNIT_RECORD_LEN) as u32
    }

    /// Unit record `n`, read in place (`n` is in range: postings were checked against the unit
    /// count on load).
    pub(crate) fn unit(&self, n: u32) -> UnitRecord {
        let at = self.units.start + n as usize * UNIT_RECORD_LEN;
        UnitRecord::from_bytes(&self.bytes[at..at + UNIT_RECORD_LEN])
    }

    /// Entry record `n` (in range: units were checked against the entry count on load).
    pub(crate) fn record(&self, n: u32) -> EntryRecord {
        self.entries[n as usize]
    }

    /// How many entries contain the term whose postings start at `offset`.
    pub(crate) fn entry_df(&self, offset: u64) -> Option<u32> {
        Postings::entry_df(&self.bytes[self.postings.clone()], offset)
    }

    /// The postings list at `offset` in the postings section; `None` if its header is damaged.
    pub(crate) fn postings(&self, offset: u64) -> Option<Postings<'_>> {
        Postings::read(&self.bytes[self.postings.clone()], offset, self.unit_count())
    }
}
