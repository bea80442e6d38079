//! `kb gaps`: the needs the knowledge does not meet, from the questions that found no good
//! answer, grouped, ranked by how many asked, each with what to do about it.
//!
//! 1. *Which questions* ([`select`]): those that fell back, got no answer, were asked again
//!    within a minute of their answer, or whose answer got a thumbs-down — with text only (the
//!    widget sends it with `data-collect-text="redacted"`). Sessions are read as `kb report`
//!    reads them ([`crate::session`]), so the definitions are `docs/metrics.md`'s.
//! 2. *Phrasings*: questions that differ only in case, accents, punctuation or spacing are one
//!    phrasing, counted in questions and distinct sessions.
//! 3. *Groups* ([`cluster`], per locale: groups never mix languages): each phrasing is read by
//!    the pack ([`terms`]: its words through the pack's own analyzer, weighted by BM25's idf,
//!    and the entries the engine sends it to), and phrasings close enough to a group (by
//!    [`THRESHOLDS`]) form one need. Measured on the golden questions, whose expected entries
//!    say which belong together (`examples/gaps_fit.rs`): on the test questions, 39% of the
//!    pairs a group puts together expect the same entry, and 38% of the pairs that expect the
//!    same entry are put together (47% and 21% among the questions the pack is unsure of) — at
//!    entry level, where `refund-time` and `refund-status` count as different needs. Words
//!    that share no stem ("deliver", "delivery", "evening") stay apart: the groups are leads to
//!    read, not verdicts.
//! 4. *Ranking*: by distinct sessions, then questions; groups asked in fewer than
//!    [`Options::min_sessions`] sessions are counted, not listed (one person's question is not a
//!    need yet). A group is named by its most central phrasing.
//! 5. *Verdict* ([`route`]): when most of a group's questions lean on one entry of the pack, the
//!    group should be added to that entry; otherwise it gets a draft entry ([`draft`]).

pub mod cluster;
pub mod draft;
pub mod route;
pub mod select;
pub mod terms;

use std::collections::{BTreeMap, HashMap, HashSet};

use kb_core::analysis::fold;
use kb_core::{Audience, Index, Locale};
use serde::Serialize;

use crate::event::{date, millis, Event, Kind};
use crate::report::{hash, Window};
use crate::session::{OpenSessions, SWEEP_EVERY};
pub use select::Reason;

/// The thresholds of [`cluster`], fitted on the golden development questions for the best F0.5
/// of the pairs grouped, summed over all of them, those the pack is unsure of, and those of the
/// system entries read as needs the knowledge lacks (precision counts twice as much as recall: a
/// group that mixes two needs misleads, one need split in two only shows twice), and checked on
/// the test questions (`examples/gaps_fit.rs`).
pub const THRESHOLDS: cluster::Thresholds = cluster::Thresholds { entries: 0.7, words: 0.3 };
/// The most top terms a group lists.
const TOP_TERMS: usize = 5;

/// How to group and what to list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// The cosines at which a phrasing joins a group.
    pub thresholds: cluster::Thresholds,
    /// Groups asked in fewer sessions are counted, not listed.
    pub min_sessions: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options { thresholds: THRESHOLDS, min_sessions: 2 }
    }
}

/// One way a need was asked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// The text, as asked most often.
    pub text: String,
    /// Questions asked so.
    pub questions: u64,
    /// Distinct sessions that asked so.
    pub sessions: u64,
}

/// What to do about a need.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Add its questions to this existing entry.
    Add {
        /// The entry's id.
        entry: String,
        /// The share of the group's questions that lean on it.
        share: f64,
        /// How many of the group's questions had been answered with it and turned it down
        /// (asked again at once, or a thumbs-down): then its answer, not its questions, may be
        /// what is missing.
        turned_down: u64,
    },
    /// Write a new entry, from the draft `file`.
    Draft {
        /// The draft's id (free in its locale, in the pack and among the drafts).
        id: String,
        /// Its path under the drafts folder, `entries/<locale>/<id>.md`.
        file: String,
    },
}

/// One need: a group of phrasings of one locale.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    /// Its rank, from 1 (most sessions).
    pub rank: usize,
    /// Its locale.
    pub locale: Locale,
    /// The audience most of its questions came from (`all` when mixed evenly).
    pub audience: Audience,
    /// Its most central phrasing.
    pub name: String,
    /// Its heaviest words, as the analyzer reads them.
    pub terms: Vec<String>,
    /// Distinct sessions that asked it.
    pub sessions: u64,
    /// Questions.
    pub questions: u64,
    /// Questions per reason (a question may have several).
    pub reasons: BTreeMap<Reason, u64>,
    /// The first day it was asked (UTC).
    pub first_day: String,
    /// The last day it was asked.
    pub last_day: String,
    /// Its phrasings, the most asked first.
    pub members: Vec<Member>,
    /// What to do (in JSON, `verdict` and its fields sit beside the others).
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What `kb gaps` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gaps {
    /// The period (ISO dates, inclusive), if bounded.
    pub period: Option<(String, String)>,
    /// The version of the pack the verdicts come from.
    pub pack: String,
    /// Questions in the period.
    pub questions: u64,
    /// Gap questions with text.
    pub gap_questions: u64,
    /// Gap questions without text (the page does not send it), or with punctuation only.
    pub without_text: u64,
    /// Gap questions in a locale this build does not know.
    pub unknown_locale: u64,
    /// Distinct phrasings of the gap questions.
    pub phrasings: u64,
    /// The thresholds they were grouped at.
    pub thresholds: cluster::Thresholds,
    /// Groups asked in fewer sessions than the minimum (not listed).
    pub below_minimum: u64,
    /// The listed groups, ranked.
    pub clusters: Vec<Cluster>,
}

/// One phrasing's questions so far.
#[derive(Default)]
struct Phrasing {
    texts: BTreeMap<String, u64>,
    questions: u64,
    sessions: HashSet<u64>,
    reasons: BTreeMap<Reason, u64>,
    audiences: Audiences,
    turned_down: BTreeMap<String, u64>,
    first: i64,
    last: i64,
}

impl Phrasing {
    /// The text it was asked with most often (alphabetically first among equals).
    fn text(&self) -> &str {
        self.texts.iter().fold(("", 0), |best, (t, &n)| if n > best.1 { (t, n) } else { best }).0
    }
}

/// The key that makes two texts one phrasing: folded, without punctuation, single spaces.
fn phrasing_key(text: &str) -> String {
    let folded: String = fold(text).chars().map(|c| if c.is_ascii_punctuation() { ' ' } else { c }).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Streams events into gap phrasings; feed them with [`Finder::add`], then [`Finder::finish`].
pub struct Finder {
    window: Option<Window>,
    open: OpenSessions,
    clock: i64,
    since_sweep: u32,
    phrasings: HashMap<(Locale, String), Phrasing>,
    questions: u64,
    without_text: u64,
    unknown_locale: u64,
    /// Events that could not be read: (id, why).
    pub skipped: Vec<(String, String)>,
}

impl Finder {
    /// Gaps of `window` (every event without one).
    pub fn new(window: Option<Window>) -> Finder {
        Finder {
            window,
            open: OpenSessions::default(),
            clock: i64::MIN,
            since_sweep: 0,
            phrasings: HashMap::new(),
            questions: 0,
            without_text: 0,
            unknown_locale: 0,
            skipped: Vec::new(),
        }
    }

    /// Adds one event (duplicates of an id already seen in its session are ignored).
    pub fn add(&mut self, event: Event) {
        let Some(ms) = millis(&event.ts) else {
            self.skipped.push((event.id.clone(), format!("bad timestamp `{}`", event.ts)));
            return;
        };
        if self.window.is_some_and(|w| !w.contains(ms)) {
            return;
        }
        self.clock = self.clock.max(ms);
        if !self.open.add(ms, event) {
            return;
        }
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.since_sweep = 0;
            for (id, events) in self.open.close_idle(self.clock) {
                self.close(&id, &events);
            }
        }
    }

    fn close(&mut self, id: &str, events: &[(i64, Event)]) {
        self.questions += events.iter().filter(|(_, e)| matches!(e.kind, Kind::Question { .. })).count() as u64;
        let (gaps, without_text) = select::gaps(events);
        self.without_text += without_text;
        let session = hash(id);
        for gap in gaps {
            let Ok(locale) = gap.event.locale.parse::<Locale>() else {
                self.unknown_locale += 1;
                continue;
            };
            let key = phrasing_key(gap.text);
            if key.is_empty() {
                // "??" says that something was missing, not what.
                self.without_text += 1;
                continue;
            }
            let ms = gap.at;
            let p = self.phrasings.entry((locale, key)).or_insert_with(|| Phrasing {
                first: ms,
                last: ms,
                ..Phrasing::default()
            });
            *p.texts.entry(gap.text.to_string()).or_default() += 1;
            p.questions += 1;
            p.sessions.insert(session);
            for r in &gap.reasons {
                *p.reasons.entry(*r).or_default() += 1;
            }
            p.audiences.add(gap.event.audience.parse().unwrap_or(Audience::All), 1);
            let turned_down = gap.reasons.iter().any(|r| matches!(r, Reason::Rephrased | Reason::Unhelpful));
            if let Some(entry) = gap.shown.filter(|_| turned_down) {
                *p.turned_down.entry(entry.to_string()).or_default() += 1;
            }
            p.first = p.first.min(ms);
            p.last = p.last.max(ms);
        }
    }

    /// Groups, ranks and judges the gaps against `index`; `progress(done, total)` is called as
    /// the pack reads the phrasings (grouping them comes after the last call).
    pub fn finish(mut self, index: &Index, options: &Options, mut progress: impl FnMut(usize, usize)) -> Gaps {
        for (id, events) in self.open.close_all() {
            self.close(&id, &events);
        }
        let mut by_locale: BTreeMap<Locale, Vec<(String, Phrasing)>> = BTreeMap::new();
        for ((locale, key), p) in self.phrasings.drain() {
            by_locale.entry(locale).or_default().push((key, p));
        }
        let total: usize = by_locale.values().map(Vec::len).sum();
        let mut done = 0;
        let mut clusters = Vec::new();
        let mut below_minimum = 0;
        let mut gap_questions = 0;
        for (locale, mut phrasings) in by_locale {
            // The most asked first: they lead the groups. The key breaks ties, for stable runs.
            phrasings.sort_by(|(ka, a), (kb, b)| {
                (b.sessions.len(), b.questions).cmp(&(a.sessions.len(), a.questions)).then(ka.cmp(kb))
            });
            gap_questions += phrasings.iter().map(|(_, p)| p.questions).sum::<u64>();
            let mut vocabulary = terms::Vocabulary::default();
            let (points, pointed): (Vec<cluster::Point>, Vec<Option<String>>) = phrasings
                .iter()
                .map(|(_, p)| {
                    done += 1;
                    progress(done, total);
                    let reading = vocabulary.read(index, locale, p.audiences.majority(), p.text());
                    (reading.point, reading.pointed)
                })
                .unzip();
            let order: Vec<usize> = (0..phrasings.len()).collect();
            for members in cluster::cluster(&points, &order, options.thresholds) {
                let sessions: HashSet<u64> =
                    members.iter().flat_map(|&m| phrasings[m].1.sessions.iter().copied()).collect();
                if (sessions.len() as u64) < options.min_sessions {
                    below_minimum += 1;
                    continue;
                }
                let group: Vec<&Phrasing> = members.iter().map(|&m| &phrasings[m].1).collect();
                let centrality = cluster::centrality(&points, &members);
                let words = cluster::top_words(&points, &members, TOP_TERMS);
                clusters.push(Cluster {
                    rank: 0,
                    locale,
                    audience: group.iter().fold(Audiences::default(), |all, p| all.plus(&p.audiences)).majority(),
                    name: central(&group, &centrality).to_string(),
                    terms: words.iter().filter_map(|&t| vocabulary.word(t)).map(str::to_string).collect(),
                    sessions: sessions.len() as u64,
                    questions: group.iter().map(|p| p.questions).sum(),
                    reasons: sum(group.iter().map(|p| &p.reasons)),
                    first_day: date(group.iter().map(|p| p.first).min().unwrap_or(0)),
                    last_day: date(group.iter().map(|p| p.last).max().unwrap_or(0)),
                    members: members_of(&group),
                    verdict: verdict(&group, members.iter().map(|&m| pointed[m].clone())),
                });
            }
        }
        clusters.sort_by(|a, b| {
            (b.sessions, b.questions)
                .cmp(&(a.sessions, a.questions))
                .then(a.locale.cmp(&b.locale))
                .then(a.name.cmp(&b.name))
        });
        name_drafts(index, &mut clusters);
        for (i, c) in clusters.iter_mut().enumerate() {
            c.rank = i + 1;
        }
        Gaps {
            period: self.window.map(|w| (date(w.from), date(w.to - 1))),
            pack: index.version(),
            questions: self.questions,
            gap_questions,
            without_text: self.without_text,
            unknown_locale: self.unknown_locale,
            phrasings: total as u64,
            thresholds: options.thresholds,
            below_minimum,
            clusters,
        }
    }
}

/// Sums counts per key.
fn sum<'a, K: Ord + Clone + 'a>(maps: impl Iterator<Item = &'a BTreeMap<K, u64>>) -> BTreeMap<K, u64> {
    let mut out = BTreeMap::new();
    for map in maps {
        for (k, n) in map {
            *out.entry(k.clone()).or_default() += n;
        }
    }
    out
}

/// Questions per audience: buyers, sellers, unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Audiences([u64; 3]);

impl Audiences {
    const ORDER: [Audience; 3] = [Audience::Buyer, Audience::Seller, Audience::All];

    fn add(&mut self, audience: Audience, n: u64) {
        if let Some(i) = Self::ORDER.iter().position(|a| *a == audience) {
            self.0[i] += n;
        }
    }

    fn plus(mut self, other: &Audiences) -> Audiences {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
        self
    }

    /// The audience most questions came from; `all` when two tie for most.
    fn majority(&self) -> Audience {
        let most = self.0.iter().copied().max().unwrap_or(0);
        let mut leaders = Self::ORDER.iter().zip(self.0).filter(|(_, n)| *n == most && most > 0);
        match (leaders.next(), leaders.next()) {
            (Some((a, _)), None) => *a,
            _ => Audience::All,
        }
    }
}

/// The group's most central phrasing (the most asked among equals, they come first).
fn central<'a>(group: &[&'a Phrasing], centrality: &[f32]) -> &'a str {
    let mut best = 0;
    for (i, c) in centrality.iter().enumerate() {
        if *c > centrality[best] + 1e-6 {
            best = i;
        }
    }
    group[best].text()
}

fn members_of(group: &[&Phrasing]) -> Vec<Member> {
    let mut members: Vec<Member> = group
        .iter()
        .map(|p| Member { text: p.text().to_string(), questions: p.questions, sessions: p.sessions.len() as u64 })
        .collect();
    members.sort_by(|a, b| (b.questions, b.sessions).cmp(&(a.questions, a.sessions)).then(a.text.cmp(&b.text)));
    members
}

/// The group's verdict from the entry each of its phrasings points at; a draft's id is given
/// later ([`name_drafts`]), in rank order.
fn verdict(group: &[&Phrasing], pointed: impl Iterator<Item = Option<String>>) -> Verdict {
    let pointed: Vec<(Option<String>, u64)> = pointed.zip(group).map(|(e, p)| (e, p.questions)).collect();
    let turned_down = sum(group.iter().map(|p| &p.turned_down));
    match route::route(&pointed, &turned_down) {
        Some((entry, share)) => {
            let turned_down = turned_down.get(&entry).copied().unwrap_or(0);
            Verdict::Add { entry, share, turned_down }
        }
        None => Verdict::Draft { id: String::new(), file: String::new() },
    }
}

/// Gives each draft an id from its name, free in its locale in the pack and among the drafts
/// (`-2`, `-3`… when taken).
fn name_drafts(index: &Index, clusters: &mut [Cluster]) {
    let mut taken: HashSet<(Locale, String)> = HashSet::new();
    for c in clusters.iter_mut() {
        let Verdict::Draft { id, file } = &mut c.verdict else { continue };
        let base = draft::slug(&c.name);
        let free = |candidate: &str| {
            index.find(candidate, c.locale).is_none() && !taken.contains(&(c.locale, candidate.to_string()))
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while !free(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        taken.insert((c.locale, candidate.clone()));
        *file = format!("entries/{}/{candidate}.md", c.locale.code());
        *id = candidate;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrasings_differ_by_more_than_case_accents_and_punctuation() {
        assert_eq!(phrasing_key("Gift-wrap  possible??"), phrasing_key("gift wrap possible"));
        assert_eq!(phrasing_key("¿Envío gratis?"), "¿envio gratis");
        assert_ne!(phrasing_key("gift wrap"), phrasing_key("giftwrap"));
    }

    #[test]
    fn the_majority_audience_or_all() {
        let m = |pairs: &[(Audience, u64)]| {
            let mut a = Audiences::default();
            for (audience, n) in pairs {
                a.add(*audience, *n);
            }
            a.majority()
        };
        assert_eq!(m(&[(Audience::Buyer, 3), (Audience::Seller, 1)]), Audience::Buyer);
        assert_eq!(m(&[(Audience::Buyer, 2), (Audience::Seller, 2)]), Audience::All);
        assert_eq!(m(&[(Audience::Seller, 1), (Audience::All, 1)]), Audience::All);
        assert_eq!(m(&[(Audience::Seller, 1)]), Audience::Seller);
        assert_eq!(m(&[]), Audience::All);
    }
}
