//! The read side of a compiled knowledge index: [`Index::from_bytes`] checks the container and
//! then uses its sections in place.

use std::collections::BTreeMap;
use std::sync::Arc;

use fst::{Map, Streamer};

use crate::analysis::{Analyzer, Locale};
use crate::codec::{self, Decode};
use crate::confidence::Calibration;
use crate::entry::{Audience, Entry};
use crate::flow::Flow;
use crate::format::{read_u32, read_varint, Container, FormatError, SectionKind, ENTRY_RECORD_LEN, UNIT_RECORD_LEN};

/// Which part of an entry a unit of text comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The entry title.
    Title = 0,
    /// One of the ways users ask the question.
    Question = 1,
    /// The answer body.
    Body = 2,
}

impl Field {
    /// All fields in storage order.
    pub const ALL: [Field; 3] = [Field::Title, Field::Question, Field::Body];

    fn from_byte(b: u8) -> Field {
        match b {
            0 => Field::Title,
            1 => Field::Question,
            _ => Field::Body,
        }
    }
}

/// Ranking parameters, stored in the index so that every reader ranks alike.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranking {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25F weight per field (title, question, body).
    pub field_weight: [f32; 3],
    /// BM25F length normalisation per field.
    pub field_b: [f32; 3],
    /// Share of the score from the cosine to the entry's centroid (the mean of its normalised
    /// title and question vectors); the rest comes from entry-level BM25F.
    pub centroid_share: f32,
    /// Weight of a term reached by one typo, relative to an exact match (two typos: squared).
    pub fuzzy_weight: f32,
    /// Weight of a term reached by prefix completion.
    pub prefix_weight: f32,
    /// Score factor for entries written for exactly the asking audience (buyer or seller) over
    /// entries for everyone, when the page says who is asking.
    pub audience_boost: f32,
}

impl Default for Ranking {
    fn default() -> Ranking {
        Ranking {
            k1: 1.2,
            field_weight: [2.0, 1.0, 0.25],
            field_b: [0.3, 0.5, 0.75],
            centroid_share: 0.4,
            fuzzy_weight: 0.7,
            prefix_weight: 0.85,
            audience_boost: AUDIENCE_BOOST,
        }
    }
}

/// The default [`Ranking::audience_boost`]: enough to order a buyer-only and an everyone entry
/// that match alike, too little to lift a weaker match over a clearly better one.
pub const AUDIENCE_BOOST: f32 = 1.08;

/// Per-locale analysis settings and statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct LocaleMeta {
    /// The locale.
    pub locale: Locale,
    /// Stop words.
    pub stopwords: Vec<String>,
    /// Synonym pairs (member terms → canonical terms).
    pub synonyms: Vec<(Vec<String>, Vec<String>)>,
    /// Number of entries in this locale.
    pub entries: u32,
    /// Average token count per field over this locale's entries.
    pub avg_field_len: [f32; 3],
}

/// The index's metadata section.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// Name of the knowledge base (free text).
    pub name: String,
    /// Per-locale analysis and statistics.
    pub locales: Vec<LocaleMeta>,
    /// Ranking parameters.
    pub ranking: Ranking,
    /// The confidence model and decision thresholds.
    pub calibration: Calibration,
}

/// Shares one buffer between the sections that read it in place.
#[derive(Clone)]
pub(crate) struct Slice {
    bytes: Arc<[u8]>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }
}

/// A unit record: one indexed text (title, question or body) of an entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    pub entry: u32,
    pub field: Field,
}

/// An entry record: where its stored data is, its filters and field lengths.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryRecord {
    stored: (u32, u32),
    pub locale: u8,
    pub audience: Audience,
    pub featured: bool,
    pub field_len: [u16; 3],
}

/// A postings list, decoded as it is iterated: (unit, term frequency) pairs by unit. Lists are
/// checked once when the index loads ([`Index::from_bytes`] decodes every one), so a search
/// reads them without allocating; damage found later just ends the iteration.
#[derive(Clone)]
pub(crate) struct Postings<'a> {
    /// How many distinct entries contain the term.
    pub entry_df: u32,
    /// How many units contain the term.
    pub len: usize,
    data: &'a [u8],
    pos: usize,
    unit: u64,
    left: usize,
    units_total: u64,
}

impl Iterator for Postings<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let decoded = (|| {
            let step = read_varint(self.data, &mut self.pos)?;
            self.unit = self.unit.checked_add(step >> 1)?;
            let tf = if step & 1 == 1 { u32::try_from(read_varint(self.data, &mut self.pos)?).ok()? } else { 1 };
            (self.unit < self.units_total).then_some((self.unit as u32, tf))
        })();
        if decoded.is_none() {
            self.left = 0;
        }
        decoded
    }
}

/// A compiled, read-only knowledge index.
///
/// ```no_run
/// let bytes = std::fs::read("dist/kb.idx").unwrap();
/// let index = kb_core::Index::from_bytes(bytes).unwrap();
/// println!("{} entries", index.len());
/// ```
pub struct Index {
    bytes: Arc<[u8]>,
    pub(crate) meta: Meta,
    pub(crate) terms: Map<Slice>,
    postings: std::ops::Range<usize>,
    units: std::ops::Range<usize>,
    entries: std::ops::Range<usize>,
    stored: std::ops::Range<usize>,
    flows: Vec<Flow>,
    pub(crate) analyzers: BTreeMap<Locale, Analyzer>,
    /// Euclidean norm of each unit's idf-weighted term vector (for cosine similarity).
    pub(crate) unit_norms: Vec<f32>,
    /// Per entry, the norm of the sum of its normalised question vectors (for the cosine to the
    /// entry's centroid).
    pub(crate) centroid_norms: Vec<f32>,
    /// Units per locale (the document count of the unit-level idf).
    locale_units: [u32; Locale::ALL.len()],
}

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
        if !crate::format::fst_checksum_holds(&bytes[terms_range.clone()]) {
            return Err(corrupt("term dictionary: checksum mismatch"));
        }
        let terms = Map::new(Slice { bytes: bytes.clone(), start: terms_range.start, end: terms_range.end })
            .map_err(|e| corrupt(&format!("term dictionary: {e}")))?;
        let units = range(SectionKind::Units)?;
        let entries = range(SectionKind::Entries)?;
        if units.len() % UNIT_RECORD_LEN != 0 || entries.len() % ENTRY_RECORD_LEN != 0 {
            return Err(corrupt("record table length"));
        }
        let flows_range = range(SectionKind::Flows)?;
        let flows = Vec::<Flow>::from_bytes(&bytes[flows_range]).map_err(|e| corrupt(&format!("flows: {e}")))?;
        let mut analyzers = BTreeMap::new();
        for lm in &meta.locales {
            let mut a = Analyzer::new(lm.locale);
            a.add_stopwords(lm.stopwords.iter().map(String::as_str));
            a.set_synonym_pairs(lm.synonyms.clone());
            analyzers.insert(lm.locale, a);
        }
        let index = Index {
            postings: range(SectionKind::Postings)?,
            stored: range(SectionKind::Stored)?,
            units,
            entries,
            bytes,
            meta,
            terms,
            flows,
            analyzers,
            unit_norms: Vec::new(),
            centroid_norms: Vec::new(),
            locale_units: [0; Locale::ALL.len()],
        };
        index.validate_tables()?;
        let mut locale_units = [0; Locale::ALL.len()];
        for u in 0..index.unit_count() {
            locale_units[index.record(index.unit(u).entry).locale as usize] += 1;
        }
        let index = Index { locale_units, ..index };
        let (unit_norms, centroid_norms) = index.vector_norms().ok_or_else(|| corrupt("postings"))?;
        Ok(Index { unit_norms, centroid_norms, ..index })
    }

    /// Checks every record's cross references once, so that reads later need no checks that
    /// could fail.
    fn validate_tables(&self) -> Result<(), FormatError> {
        let entries = self.len() as u32;
        for u in 0..self.unit_count() {
            if self.unit(u).entry >= entries {
                return Err(corrupt("unit points to a missing entry"));
            }
        }
        for e in 0..entries {
            let r = self.record(e);
            let (off, len) = (r.stored.0 as usize, r.stored.1 as usize);
            if off.checked_add(len).is_none_or(|end| end > self.stored.len()) {
                return Err(corrupt("entry points outside the stored section"));
            }
            if r.locale as usize >= Locale::ALL.len() {
                return Err(corrupt("entry has an unknown locale"));
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
            let Some(locale) = Locale::ALL.into_iter().find(|l| l.tag() == key[0]) else { continue };
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
        self.entries.len() / ENTRY_RECORD_LEN
    }

    /// True if the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The calibration in force (thresholds may be overridden per deployment by the caller).
    pub fn calibration(&self) -> &Calibration {
        &self.meta.calibration
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
    /// use kb_core::{Query, analysis::Locale};
    /// let result = index.search(&Query::new("refund", Locale::En));
    /// let ids: Vec<String> = result.hits.iter().filter_map(|h| index.entry_id(h.entry)).collect();
    /// # }
    /// ```
    pub fn entry_id(&self, n: u32) -> Option<String> {
        codec::entry_id(self.stored_bytes(n)?).ok()
    }

    fn stored_bytes(&self, n: u32) -> Option<&[u8]> {
        if n as usize >= self.len() {
            return None;
        }
        let r = self.record(n);
        let start = self.stored.start + r.stored.0 as usize;
        self.bytes.get(start..start + r.stored.1 as usize)
    }

    /// The number of the entry with this id in `locale`.
    pub fn find(&self, id: &str, locale: Locale) -> Option<u32> {
        (0..self.len() as u32)
            .filter(|&n| self.record(n).locale == locale as u8)
            .find(|&n| self.entry_id(n).is_some_and(|e| e == id))
    }

    /// Featured entries of `locale` that `audience` may see, for starter suggestions.
    pub fn featured(&self, locale: Locale, audience: Audience) -> Vec<u32> {
        (0..self.len() as u32)
            .filter(|&n| {
                let r = self.record(n);
                r.featured && r.locale == locale as u8 && r.audience.serves(audience)
            })
            .collect()
    }

    /// The locale's analyzer (every locale has one: the builder writes all of them).
    pub(crate) fn analyzer(&self, locale: Locale) -> Option<&Analyzer> {
        self.analyzers.get(&locale)
    }

    pub(crate) fn locale_meta(&self, locale: Locale) -> Option<&LocaleMeta> {
        self.meta.locales.iter().find(|l| l.locale == locale)
    }

    pub(crate) fn unit_count(&self) -> u32 {
        (self.units.len() / UNIT_RECORD_LEN) as u32
    }

    pub(crate) fn unit(&self, n: u32) -> Unit {
        let at = self.units.start + n as usize * UNIT_RECORD_LEN;
        let b = &self.bytes[at..at + UNIT_RECORD_LEN];
        Unit { entry: read_u32(b, 0), field: Field::from_byte(b[6]) }
    }

    pub(crate) fn record(&self, n: u32) -> EntryRecord {
        let at = self.entries.start + n as usize * ENTRY_RECORD_LEN;
        let b = &self.bytes[at..at + ENTRY_RECORD_LEN];
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        EntryRecord {
            stored: (read_u32(b, 0), read_u32(b, 4)),
            locale: b[8],
            audience: Audience::from_byte(b[9]),
            featured: b[10] & 1 == 1,
            field_len: [u16_at(20), u16_at(22), u16_at(24)],
        }
    }

    /// How many entries contain the term whose postings start at `offset`, without decoding the
    /// list (typo and prefix candidates are ranked by it, most of them never scored).
    pub(crate) fn entry_df(&self, offset: u64) -> Option<u32> {
        let data = &self.bytes[self.postings.clone()];
        read_varint(data, &mut usize::try_from(offset).ok()?).and_then(|v| u32::try_from(v).ok())
    }

    /// The postings list at `offset` in the postings section; `None` if its header is damaged.
    pub(crate) fn postings(&self, offset: u64) -> Option<Postings<'_>> {
        let data = &self.bytes[self.postings.clone()];
        let mut pos = usize::try_from(offset).ok()?;
        let entry_df = u32::try_from(read_varint(data, &mut pos)?).ok()?;
        let len = usize::try_from(read_varint(data, &mut pos)?).ok()?;
        Some(Postings { entry_df, len, data, pos, unit: 0, left: len, units_total: self.unit_count() as u64 })
    }

    /// Encodes an entry record (used by the compiler, kept beside the decoder so they agree).
    #[allow(clippy::too_many_arguments)]
    pub fn encode_entry_record(
        out: &mut Vec<u8>,
        stored: (u32, u32),
        locale: Locale,
        audience: Audience,
        featured: bool,
        units: (u32, u32),
        field_len: [u16; 3],
    ) {
        out.extend_from_slice(&stored.0.to_le_bytes());
        out.extend_from_slice(&stored.1.to_le_bytes());
        out.extend_from_slice(&[locale as u8, audience.to_byte(), u8::from(featured), 0]);
        out.extend_from_slice(&units.0.to_le_bytes());
        out.extend_from_slice(&units.1.to_le_bytes());
        for l in field_len {
            out.extend_from_slice(&l.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }

    /// Encodes a unit record (used by the compiler, kept beside the decoder so they agree).
    pub fn encode_unit_record(out: &mut Vec<u8>, entry: u32, len: u16, field: Field) {
        out.extend_from_slice(&entry.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&[field as u8, 0]);
    }
}
