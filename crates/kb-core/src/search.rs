//! Ranked search: field-aware BM25F over whole entries blended with the cosine to each entry's
//! centroid of question variants, with typo tolerance and prefix completion, and the features the
//! confidence model reads.
//!
//! The centroid pools every way an entry is asked, so a query that shares a word with one variant
//! and another word with a second variant still scores well; the single closest variant (nearest
//! neighbour) ranked worse on both the project's golden sets and CLINC150, so it only feeds the
//! confidence model, where the gap between the best and the runner-up question helps.

use fst::{IntoStreamer, Streamer};

use crate::analysis;
use crate::confidence::{Confidence, Features};
use crate::entry::Audience;
use crate::format::records::Field;
use crate::format::terms;
use crate::fuzzy::{allowed_distance, distance, Levenshtein, MAX_FUZZY_LEN};
use crate::index::{idf, Index};
use crate::locale::Locale;

/// How many dictionary terms one typo-tolerant or prefix term may expand to.
const MAX_EXPANSIONS: usize = 4;
/// Distinct query terms that count (longer messages rarely add meaning after this many).
const MAX_GROUPS: usize = 32;
/// How many equally close dictionary terms one mistyped word may stand for.
const MAX_TYPO_EXPANSIONS: usize = 2;
/// Dictionary terms a prefix is compared over before the most frequent are kept.
const MAX_COMPLETION_CANDIDATES: usize = 256;
/// Entries the semantic tier adds to the lexical candidates: the closest in meaning, whether or
/// not they share a word with the question.
const SEMANTIC_CANDIDATES: usize = 10;

/// A dictionary term near a query term, in the order that ranks candidates: fewest edits, then
/// same first letter, then in most entries, then the term itself, and its postings offset.
/// Typos and completions share it, so the wasm carries one sort for both.
type Nearby = (u8, bool, std::cmp::Reverse<u32>, String, u64);

/// A question put to the index.
///
/// ```
/// use kb_core::{Query, Audience, Locale};
/// let q = Query::new("wher is my parcel", Locale::En).audience(Audience::Buyer).limit(3);
/// assert_eq!(q.limit, 3);
/// ```
#[derive(Clone, Debug)]
pub struct Query<'a> {
    /// What the user typed.
    pub text: &'a str,
    /// The locale to search in.
    pub locale: Locale,
    /// Who is asking: entries for the other side are left out.
    pub audience: Audience,
    /// How many hits to return.
    pub limit: usize,
    /// The text is still being typed: its last word is a prefix.
    pub as_you_type: bool,
    /// Only knowledge entries compete (the built-in system entries are left out).
    pub knowledge_only: bool,
    /// The question's sentence vector from the encoder tier (`kb-encoder`): when the locale's
    /// semantic file has an encoder head, it reads this instead of the static table's vector,
    /// and the encoder tier's confidence model decides.
    pub meaning: Option<&'a [f32]>,
}

impl<'a> Query<'a> {
    /// A query for everyone, returning up to 5 hits.
    pub fn new(text: &'a str, locale: Locale) -> Query<'a> {
        Query {
            text,
            locale,
            audience: Audience::All,
            limit: 5,
            as_you_type: false,
            knowledge_only: false,
            meaning: None,
        }
    }

    /// Restricts the hits to entries `audience` may see.
    pub fn audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }

    /// Sets the number of hits.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Treats the last word as a prefix (for suggestions while typing).
    pub fn as_you_type(mut self) -> Self {
        self.as_you_type = true;
        self
    }

    /// Leaves the built-in system entries (handoff, small talk, off-topic) out of the ranking.
    pub fn knowledge_only(mut self) -> Self {
        self.knowledge_only = true;
        self
    }

    /// Reads the question through the encoder tier's sentence vector (see [`Query::meaning`]).
    pub fn meaning(mut self, vector: &'a [f32]) -> Self {
        self.meaning = Some(vector);
        self
    }
}

/// How a query word reached an index term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum MatchKind {
    /// The same term.
    Exact,
    /// Within this many edits.
    Fuzzy(u8),
    /// The query word is a prefix of the term.
    Prefix,
}

/// One query term matched in an entry (the "why" of a hit).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TermMatch {
    /// The analysed query term.
    pub query_term: String,
    /// The index term it matched.
    pub index_term: String,
    /// How.
    pub kind: MatchKind,
}

/// One ranked entry.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Hit {
    /// Entry number, for [`Index::entry`].
    pub entry: u32,
    /// The blended score in [0, 1].
    pub score: f32,
    /// Cosine similarity to the closest title or question.
    pub neighbour: f32,
    /// Entry-level BM25F, normalised by the query's maximum.
    pub bm25f: f32,
    /// The score without the semantic tier (BM25F and the centroid cosine): what the passage
    /// floor of [`crate::decide`] was chosen on. Equal to `score` without the tier.
    pub lexical: f32,
    /// The semantic tier's probability that this entry answers the question (0 without it).
    pub semantic: f32,
    /// Share of the query's weight this entry matched.
    pub coverage: f32,
    /// The idf weight of the rarest query term this entry matched: an entry that matched only
    /// words found all over the knowledge ("how", "do", "my") is not about the question.
    pub strongest: f32,
    /// Share of the matched weight that came from typo or prefix matches.
    pub fuzzy_share: f32,
    /// The matched terms.
    pub matched: Vec<TermMatch>,
}

/// The outcome of a search.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SearchResult {
    /// Ranked hits, best first.
    pub hits: Vec<Hit>,
    /// The features the confidence was computed from.
    pub features: Features,
    /// Calibrated confidence that the first hit is right.
    pub confidence: Confidence,
    /// The confidence the model gives the second hit as if it had ranked first (its margin to
    /// the first is then negative): what the engine thought of the alternative, for the
    /// analytics of a decision. Zero without a second hit.
    pub runner_up_confidence: Confidence,
    /// Query terms found nowhere in the index, not even with a typo.
    pub unknown_terms: Vec<String>,
}

struct Alternative {
    term: String,
    kind: MatchKind,
    weight: f32,
    offset: u64,
}

struct TermGroup {
    term: String,
    alternatives: Vec<Alternative>,
}

#[derive(Clone, Copy, Default)]
struct EntryScore {
    bm25f: f32,
    matched_weight: f32,
    /// The idf weight of the rarest query term matched.
    strongest: f32,
    fuzzy_weight: f32,
    /// Bit g: query term group g matched.
    groups: u32,
    /// Two bits per group: which alternative matched (for the "why" of a hit).
    alternatives: u64,
}

impl Index {
    /// Runs a query.
    ///
    /// ```
    /// # fn demo(index: &kb_core::Index) {
    /// use kb_core::{Query, Locale};
    /// let result = index.search(&Query::new("wher is my parcel??", Locale::En));
    /// if let Some(top) = result.hits.first() {
    ///     println!("{:?} at {:.2}", index.entry_id(top.entry), result.confidence.value());
    /// }
    /// # }
    /// ```
    pub fn search(&self, query: &Query<'_>) -> SearchResult {
        let groups = self.expand(query);
        let (scored, agreements) = self.score(query, &groups);
        let unknown_terms: Vec<String> =
            groups.iter().filter(|g| g.alternatives.is_empty()).map(|g| g.term.clone()).collect();
        let features_of = |rank: usize| features(&scored, rank, &agreements[rank], &groups, unknown_terms.len());
        let confidence_of = |rank: usize| {
            if scored.len() > rank {
                self.calibration_of(query).confidence(&features_of(rank))
            } else {
                Confidence::new(0.0)
            }
        };
        let (confidence, runner_up_confidence) = (confidence_of(0), confidence_of(1));
        SearchResult { features: features_of(0), hits: scored, confidence, runner_up_confidence, unknown_terms }
    }

    /// Entries for a partly typed question, best first (the last word counts as a prefix).
    ///
    /// ```
    /// # fn demo(index: &kb_core::Index) {
    /// use kb_core::{Locale, Audience};
    /// for n in index.suggest("refu", Locale::En, Audience::Buyer, 3) {
    ///     println!("{}", index.entry(n).unwrap().title);
    /// }
    /// # }
    /// ```
    pub fn suggest(&self, text: &str, locale: Locale, audience: Audience, limit: usize) -> Vec<u32> {
        let query = Query::new(text, locale).audience(audience).limit(limit).as_you_type().knowledge_only();
        self.search(&query).hits.into_iter().filter(|h| h.coverage >= 0.5).map(|h| h.entry).collect()
    }

    fn expand(&self, query: &Query<'_>) -> Vec<TermGroup> {
        let Some(analyzer) = self.analyzer(query.locale) else { return Vec::new() };
        let (terms, prefix) =
            if query.as_you_type { analyzer.terms_with_prefix(query.text) } else { (analyzer.terms(query.text), None) };
        let tag = query.locale.tag();
        let mut groups: Vec<TermGroup> = Vec::new();
        for term in terms {
            if groups.iter().any(|g| g.term == term) {
                continue;
            }
            let alternatives = match self.terms.get(terms::key(query.locale, &term)) {
                Some(offset) => vec![Alternative { term: term.clone(), kind: MatchKind::Exact, weight: 1.0, offset }],
                // A pair of syllables the knowledge never has says nothing: its syllables count
                // on their own.
                None if analysis::is_pair(&term) => continue,
                None => self.fuzzy(tag, &term),
            };
            groups.push(TermGroup { term, alternatives });
        }
        if let Some(prefix) = prefix {
            // A finished word ("refunds") is in the dictionary only in its analysed form
            // ("refund"), so that form counts too, not just raw completions of the prefix.
            let mut alternatives: Vec<Alternative> = analyzer
                .terms(&prefix)
                .into_iter()
                .filter_map(|t| {
                    self.terms.get(terms::key(query.locale, &t)).map(|offset| Alternative {
                        term: t,
                        kind: MatchKind::Exact,
                        weight: 1.0,
                        offset,
                    })
                })
                .take(1)
                .collect();
            for alt in self.completions(tag, &prefix) {
                if alternatives.len() < MAX_EXPANSIONS && !alternatives.iter().any(|a| a.term == alt.term) {
                    alternatives.push(alt);
                }
            }
            groups.push(TermGroup { term: prefix, alternatives });
        }
        groups
    }

    fn fuzzy(&self, tag: u8, term: &str) -> Vec<Alternative> {
        let max = allowed_distance(term.chars().count());
        if max == 0 || term.len() > MAX_FUZZY_LEN {
            return Vec::new();
        }
        let mut stream = self.terms.search(Levenshtein::new(tag, term, max)).into_stream();
        let mut found: Vec<Nearby> = Vec::new();
        while let Some((k, offset)) = stream.next() {
            let Ok(candidate) = std::str::from_utf8(&k[1..]) else { continue };
            if analysis::is_pair(candidate) {
                continue;
            }
            let d = distance(term, candidate).max(1) as u8;
            // People rarely mistype the first letter, and a typo is more likely a common word
            // than a rare one: among equally close terms, those come first.
            let other_start = candidate.chars().next() != term.chars().next();
            let df = self.entry_df(offset).unwrap_or(0);
            found.push((d, other_start, std::cmp::Reverse(df), candidate.to_string(), offset));
        }
        found.sort_unstable();
        let best = found.first().map(|f| f.0).unwrap_or(0);
        found
            .into_iter()
            .filter(|f| f.0 == best)
            .take(MAX_TYPO_EXPANSIONS)
            .map(|(d, _, _, term, offset)| Alternative {
                term,
                kind: MatchKind::Fuzzy(d),
                weight: self.meta.ranking.fuzzy_weight.powi(d as i32),
                offset,
            })
            .collect()
    }

    fn completions(&self, tag: u8, prefix: &str) -> Vec<Alternative> {
        // Tags are ASCII letters, so tag + prefix is valid UTF-8.
        let tagged = format!("{}{prefix}", tag as char);
        let automaton = fst::automaton::Str::new(&tagged);
        let mut stream = self.terms.search(fst::Automaton::starts_with(automaton)).into_stream();
        let mut found: Vec<Nearby> = Vec::new();
        // A one-letter prefix would visit a large part of a big dictionary on every keystroke.
        while let Some((k, offset)) = stream.next() {
            if found.len() >= MAX_COMPLETION_CANDIDATES {
                break;
            }
            let Ok(term) = std::str::from_utf8(&k[1..]) else { continue };
            if analysis::is_pair(term) {
                continue;
            }
            let df = self.entry_df(offset).unwrap_or(0);
            found.push((0, false, std::cmp::Reverse(df), term.to_string(), offset));
        }
        found.sort_unstable();
        found
            .into_iter()
            .take(MAX_EXPANSIONS)
            .map(|(_, _, _, term, offset)| {
                let exact = term == prefix;
                Alternative {
                    term,
                    kind: if exact { MatchKind::Exact } else { MatchKind::Prefix },
                    weight: if exact { 1.0 } else { self.meta.ranking.prefix_weight },
                    offset,
                }
            })
            .collect()
    }

    fn score(&self, query: &Query<'_>, groups: &[TermGroup]) -> (Vec<Hit>, [Agreement; 2]) {
        let none = (Vec::new(), [Agreement::default(); 2]);
        let Some(locale) = self.locale_meta(query.locale) else { return none };
        let ranking = &self.meta.ranking;
        let entries = locale.entries as f32;
        // Dense accumulators: one slot per entry and per unit, touched lists to visit them.
        let mut acc: Vec<EntryScore> = vec![EntryScore::default(); self.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut unit_dot: Vec<f32> = vec![0.0; self.unit_count() as usize];
        let mut touched_units: Vec<u32> = Vec::new();
        let mut query_weight = 0.0f32;
        let mut query_norm = 0.0f32;
        // Per group of several spellings: each entry's best (contribution, (alternative, matched
        // weight)) and each unit's best dot.
        let mut staged: BestPerKey<(usize, f32)> = BestPerKey::new(self.len());
        let mut staged_units: BestPerKey<()> = BestPerKey::new(self.unit_count() as usize);

        for (g, group) in groups.iter().enumerate().take(MAX_GROUPS) {
            let mut group_weight = 0.0f32;
            let mut group_vector = 0.0f32;
            let single = group.alternatives.len() == 1;
            for (a, alt) in group.alternatives.iter().enumerate() {
                let Some(postings) = self.postings(alt.offset) else { continue };
                let weight = alt.weight * idf(entries, postings.entry_df as f32);
                let w_vector = self.vector_idf(query.locale, &postings);
                group_weight = group_weight.max(weight);
                group_vector = group_vector.max(alt.weight * w_vector);
                // An entry's units are stored together and postings are sorted by unit, so the
                // per-entry term frequencies are runs.
                let mut run: Option<(u32, [f32; 3])> = None;
                // The term's BM25F contribution to entry `e` from its per-field frequencies, or
                // `None` when the asker may not see the entry.
                let contribution = |e: u32, tfs: [f32; 3]| -> Option<f32> {
                    let record = self.record(e);
                    if !record.audience.serves(query.audience) || (query.knowledge_only && record.kind.is_system()) {
                        return None;
                    }
                    let mut pseudo = 0.0;
                    for (f, &tf) in tfs.iter().enumerate() {
                        if tf > 0.0 {
                            let avg = locale.avg_field_len[f].max(1.0);
                            let norm = 1.0 - ranking.field_b[f] + ranking.field_b[f] * record.field_len[f] as f32 / avg;
                            pseudo += ranking.field_weight[f] * tf / norm;
                        }
                    }
                    Some(weight * pseudo / (ranking.k1 + pseudo))
                };
                let mut flush = |e: u32, tfs: [f32; 3], acc: &mut [EntryScore], touched: &mut Vec<u32>| {
                    let Some(c) = contribution(e, tfs) else { return };
                    if single {
                        add_match(&mut acc[e as usize], touched, e, c, weight, g, a, alt.kind);
                    } else {
                        staged.offer(e, c, (a, weight));
                    }
                };
                for (u, count) in postings {
                    let unit = self.unit(u);
                    match &mut run {
                        Some((e, tfs)) if *e == unit.entry => tfs[unit.field as usize] += count as f32,
                        _ => {
                            if let Some((e, tfs)) = run.take() {
                                flush(e, tfs, &mut acc, &mut touched);
                            }
                            let mut tfs = [0.0; 3];
                            tfs[unit.field as usize] = count as f32;
                            run = Some((unit.entry, tfs));
                        }
                    }
                    let norm = self.unit_norms[u as usize];
                    if unit.field != Field::Body && norm > 0.0 {
                        let dot = alt.weight * w_vector * w_vector / norm;
                        if single {
                            // Nothing to deduplicate: straight into the accumulator (this loop
                            // runs for every posting of every query term).
                            add_dot(&mut unit_dot, &mut touched_units, u, dot);
                        } else {
                            staged_units.offer(u, dot, ());
                        }
                    }
                }
                if let Some((e, tfs)) = run {
                    flush(e, tfs, &mut acc, &mut touched);
                }
            }
            query_weight += group_weight;
            query_norm += group_vector * group_vector;
            // Several spellings of one query term count once per entry: with the best of them.
            staged.drain(|e, c, (a, w)| {
                add_match(&mut acc[e as usize], &mut touched, e, c, w, g, a, group.alternatives[a].kind);
            });
            staged_units.drain(|u, d, ()| add_dot(&mut unit_dot, &mut touched_units, u, d));
        }
        let semantic = if query.as_you_type { None } else { self.semantic_scores(query) };
        if query_weight <= 0.0 && semantic.is_none() {
            return none;
        }
        if let Some(semantic) = &semantic {
            for &e in &semantic.closest {
                if acc[e as usize].groups == 0 {
                    touched.push(e);
                }
            }
        }
        // Zero when only the semantic tier found candidates: their lexical shares are then 0.
        let query_weight = query_weight.max(f32::MIN_POSITIVE);
        // Positive whenever a unit was touched; the floor only keeps a zero-weight query finite.
        let query_norm = query_norm.sqrt().max(f32::MIN_POSITIVE);
        let mut neighbour: Vec<f32> = vec![0.0; self.len()];
        let mut centroid: Vec<f32> = vec![0.0; self.len()];
        let mut nearest: Vec<(f32, u32)> = Vec::with_capacity(touched_units.len());
        for u in touched_units {
            let e = self.unit(u).entry;
            let cosine = (unit_dot[u as usize] / query_norm).min(1.0);
            neighbour[e as usize] = neighbour[e as usize].max(cosine);
            centroid[e as usize] += cosine;
            nearest.push((cosine, e));
        }
        let share = ranking.centroid_share;
        // BM25F blended with the centroid cosine, with the audience's boost: the score without
        // the semantic tier.
        let lexical = |e: u32| {
            let bm = acc[e as usize].bm25f / query_weight;
            let cn = self.centroid_norms[e as usize];
            let c = if cn > 0.0 { (centroid[e as usize] / cn).min(1.0) } else { 0.0 };
            let own = query.audience != Audience::All && self.record(e).audience == query.audience;
            let boost = if own { ranking.audience_boost } else { 1.0 };
            (share * c + (1.0 - share) * bm) * boost
        };
        let mut ranked: Vec<(f32, u32)> = touched
            .iter()
            .map(|&e| match &semantic {
                Some(s) => ((1.0 - s.fusion) * lexical(e) + s.fusion * s.probability[e as usize], e),
                None => (lexical(e), e),
            })
            .collect();
        ranked.sort_unstable_by(higher_first);
        // How much the rest agrees with the first hit, and with the second as if it were first.
        let voters = best(&nearest, VOTERS);
        let agreements = [0, 1].map(|rank| {
            ranked
                .get(rank)
                .map_or_else(Agreement::default, |&(_, e)| agreement(e, &neighbour, &acc, &touched, &voters))
        });
        // Two hits at least: the confidence model reads the margin to the second.
        ranked.truncate(query.limit.max(2));
        let hits = ranked
            .into_iter()
            .map(|(score, e)| {
                let s = &acc[e as usize];
                Hit {
                    entry: e,
                    score,
                    neighbour: neighbour[e as usize],
                    bm25f: s.bm25f / query_weight,
                    lexical: lexical(e),
                    semantic: semantic.as_ref().map_or(0.0, |sem| sem.probability[e as usize]),
                    coverage: (s.matched_weight / query_weight).min(1.0),
                    strongest: s.strongest,
                    fuzzy_share: if s.matched_weight > 0.0 { s.fuzzy_weight / s.matched_weight } else { 0.0 },
                    matched: (0..groups.len().min(MAX_GROUPS))
                        .filter(|g| s.groups & (1 << g) != 0)
                        .map(|g| {
                            let alt = &groups[g].alternatives[((s.alternatives >> (2 * g)) & 3) as usize];
                            TermMatch {
                                query_term: groups[g].term.clone(),
                                index_term: alt.term.clone(),
                                kind: alt.kind,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        (hits, agreements)
    }

    /// The semantic tier's reading of the question, when a table is attached for its locale and
    /// knows some of its words.
    fn semantic_scores(&self, query: &Query<'_>) -> Option<SemanticScores> {
        let attached = self.attached(query.locale)?;
        let table = &attached.table;
        let (fusion, probabilities) = match (query.meaning, table.encoder_head()) {
            (Some(sentence), Some(head)) => (head.fusion, table.encoder_probabilities(sentence)?),
            _ => (table.meta().fusion, table.probabilities(&table.embed(query.text)?)),
        };
        let mut probability = vec![0.0f32; self.len()];
        let mut ranked: Vec<(f32, u32)> = Vec::with_capacity(attached.entries.len());
        for (&e, c) in attached.entries.iter().zip(probabilities) {
            probability[e as usize] = c;
            let record = self.record(e);
            if record.audience.serves(query.audience) && !(query.knowledge_only && record.kind.is_system()) {
                ranked.push((c, e));
            }
        }
        let closest = best(&ranked, SEMANTIC_CANDIDATES).into_iter().map(|(_, e)| e).collect();
        Some(SemanticScores { fusion, probability, closest })
    }
}

/// What the semantic tier says about one question.
struct SemanticScores {
    /// Share of the fused score from the semantic probability.
    fusion: f32,
    /// Per entry number, the semantic head's probability that the entry answers the question (0
    /// for entries the table does not hold).
    probability: Vec<f32>,
    /// The entries closest in meaning (that the asker may see), in no particular order.
    closest: Vec<u32>,
}

/// The best score offered for each key (an entry or unit number) since the last drain, with
/// what came with it: dense like the accumulators, so no sort is needed to keep the best. Made
/// with every query, like them: making it only on a first offer measured no faster (wasm p50
/// 59.8 against 59.9 µs on CLINC150) and cost the widget's wasm 0.26 kB gzip.
struct BestPerKey<T> {
    best: Vec<Option<(f32, T)>>,
    /// The keys offered, in the order first offered.
    keys: Vec<u32>,
}

impl<T: Copy> BestPerKey<T> {
    fn new(size: usize) -> Self {
        BestPerKey { best: vec![None; size], keys: Vec::new() }
    }

    /// Keeps `score` (with `with`) for `key` if it beats what `key` has.
    fn offer(&mut self, key: u32, score: f32, with: T) {
        let slot = &mut self.best[key as usize];
        match slot {
            Some((best, _)) if *best >= score => {}
            _ => {
                if slot.is_none() {
                    self.keys.push(key);
                }
                *slot = Some((score, with));
            }
        }
    }

    /// Hands over each key's best, and forgets them.
    fn drain(&mut self, mut each: impl FnMut(u32, f32, T)) {
        for key in self.keys.drain(..) {
            if let Some((score, with)) = self.best[key as usize].take() {
                each(key, score, with);
            }
        }
    }
}

/// Adds `dot` to unit `u`'s similarity with the query.
fn add_dot(unit_dot: &mut [f32], touched: &mut Vec<u32>, u: u32, dot: f32) {
    if unit_dot[u as usize] == 0.0 {
        touched.push(u);
    }
    unit_dot[u as usize] += dot;
}

/// Adds query group `g`'s match of entry `e` (through alternative `a`) to its accumulator.
#[allow(clippy::too_many_arguments)]
fn add_match(
    s: &mut EntryScore,
    touched: &mut Vec<u32>,
    e: u32,
    contribution: f32,
    weight: f32,
    g: usize,
    a: usize,
    kind: MatchKind,
) {
    if s.groups == 0 {
        touched.push(e);
    }
    s.bm25f += contribution;
    s.matched_weight += weight;
    s.strongest = s.strongest.max(weight);
    if kind != MatchKind::Exact {
        s.fuzzy_weight += weight;
    }
    s.groups |= 1 << g;
    s.alternatives |= (a as u64 & 3) << (2 * g);
}

/// How much the two rankers and the closest questions agree with the top entry.
#[derive(Clone, Copy, Default)]
struct Agreement {
    /// The best question of any other entry (how close the runner-up's nearest question is).
    rival_neighbour: f32,
    /// 1 when the top entry also has the highest entry-level BM25F, else 0.
    bm25f_agrees: f32,
    /// Share of the closest questions' similarity that belongs to the top entry.
    vote: f32,
}

/// Questions that vote: a few, because each entry has only a handful of variants.
const VOTERS: usize = 5;

/// Orders scored entries highest score first, ties by entry number (so a ranking never depends
/// on the sorting algorithm). One function for every ranking by score, so that the widget's wasm
/// holds one copy of the sorting code, not one per closure.
fn higher_first(a: &(f32, u32), b: &(f32, u32)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The `k` best of `items` by [`higher_first`], best first. One pass that keeps a sorted handful:
/// `k` is a few and `items` every question or entry a query touched, so this beats sorting them
/// all (on every query) and costs the wasm no selection routine of its own.
fn best(items: &[(f32, u32)], k: usize) -> Vec<(f32, u32)> {
    let mut top: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    for item in items {
        let at = top.partition_point(|kept| higher_first(kept, item).is_lt());
        if at < k {
            top.insert(at, *item);
            top.truncate(k);
        }
    }
    top
}

fn agreement(top: u32, neighbour: &[f32], acc: &[EntryScore], touched: &[u32], voters: &[(f32, u32)]) -> Agreement {
    let rival_neighbour = touched.iter().filter(|&&e| e != top).map(|&e| neighbour[e as usize]).fold(0.0f32, f32::max);
    let best_bm = touched.iter().map(|&e| acc[e as usize].bm25f).fold(0.0f32, f32::max);
    let (mut mine, mut all) = (0.0f32, 0.0f32);
    for &(cosine, e) in voters {
        all += cosine;
        if e == top {
            mine += cosine;
        }
    }
    Agreement {
        rival_neighbour,
        bm25f_agrees: if acc[top as usize].bm25f >= best_bm { 1.0 } else { 0.0 },
        vote: if all > 0.0 { mine / all } else { 0.0 },
    }
}

/// The confidence model's inputs for a ranked list, about its hit at `rank` (0: the first; 1:
/// the runner-up, whose margin to the best other hit is then negative).
fn features(hits: &[Hit], rank: usize, agreement: &Agreement, groups: &[TermGroup], unknown: usize) -> Features {
    let Some(top) = hits.get(rank) else {
        return Features::new([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    };
    let others = || hits.iter().enumerate().filter(move |&(i, _)| i != rank).map(|(_, h)| h);
    let second = others().map(|h| h.score).next().unwrap_or(0.0);
    let rival_semantic = others().map(|h| h.semantic).fold(0.0f32, f32::max);
    let n = groups.len().max(1) as f32;
    Features::new([
        top.score,
        top.score - second,
        top.coverage,
        top.fuzzy_share,
        top.neighbour,
        unknown as f32 / n,
        1.0 / n,
        top.neighbour - agreement.rival_neighbour,
        agreement.bm25f_agrees,
        agreement.vote,
        top.semantic,
        top.semantic - rival_semantic,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bm25f(v: f32) -> EntryScore {
        EntryScore { bm25f: v, ..EntryScore::default() }
    }

    #[test]
    fn agreement_reads_rivals_ranker_and_votes() {
        let acc = [bm25f(2.0), bm25f(3.0)];
        let voters = best(&[(0.9, 0), (0.5, 1), (0.3, 0)], VOTERS);
        let a = agreement(0, &[0.9, 0.5], &acc, &[0, 1], &voters);
        assert_eq!(a.rival_neighbour, 0.5);
        assert_eq!(a.bm25f_agrees, 0.0);
        assert!((a.vote - 1.2 / 1.7).abs() < 1e-6, "vote {}", a.vote);
        let b = agreement(1, &[0.9, 0.5], &acc, &[0, 1], &voters);
        assert_eq!((b.rival_neighbour, b.bm25f_agrees), (0.9, 1.0));
    }

    #[test]
    fn only_the_closest_questions_vote() {
        let acc = [bm25f(1.0), bm25f(1.0)];
        let mut nearest: Vec<(f32, u32)> = (0..VOTERS as u32).map(|i| (0.9 - i as f32 * 0.01, 1)).collect();
        nearest.push((0.1, 0));
        assert_eq!(agreement(0, &[0.1, 0.9], &acc, &[0, 1], &best(&nearest, VOTERS)).vote, 0.0);
    }

    #[test]
    fn the_best_few_are_those_a_full_sort_puts_first() {
        // Ties included: the entry number breaks them, as in every ranking.
        let items: Vec<(f32, u32)> = (0..200u32).map(|i| (((i * 37) % 23) as f32 / 23.0, i % 50)).collect();
        let mut sorted = items.clone();
        sorted.sort_unstable_by(higher_first);
        for k in [0, 1, 5, 10, 200, 300] {
            assert_eq!(best(&items, k), sorted[..k.min(items.len())].to_vec(), "k = {k}");
        }
    }
}
