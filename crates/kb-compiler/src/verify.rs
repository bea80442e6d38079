//! What a candidate release would change for buyers, computed exactly: the same questions are
//! asked of the baseline and the candidate as the widget asks them (the pack, its semantic
//! files, and its encoder tier's reading where the rest is unsure), and each question whose outcome differs is
//! named — fixed, broken, or moved to another entry or path. Golden questions carry the entry
//! they expect, so a change is judged; replayed questions (real ones, from the widget's events)
//! do not, so a change is only counted. `kb verify` prints it and applies the gates.
//!
//! ```
//! use kb_compiler::verify::{Behaviour, Change};
//!
//! let answered = |entry: &str| Behaviour { path: "answer".into(), entry: Some(entry.into()) };
//! let fallback = Behaviour { path: "fallback".into(), entry: None };
//! let expected = Some("track-order".to_string());
//! assert_eq!(Change::judge(expected.as_deref(), &fallback, &answered("track-order")), Some(Change::Fixed));
//! assert_eq!(Change::judge(expected.as_deref(), &answered("track-order"), &fallback), Some(Change::Broken));
//! assert_eq!(Change::judge(None, &fallback, &answered("refunds")), Some(Change::Broken));
//! assert_eq!(Change::judge(None, &fallback, &fallback), None);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kb_core::decide::{Overrides, Path};
use kb_core::{Audience, Index, Locale, Query};
use serde::Serialize;

use crate::knowledge::Knowledge;

/// One question to ask both packs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Asked {
    /// Its language.
    pub locale: Locale,
    /// Who asks.
    pub audience: Audience,
    /// What was typed.
    pub text: String,
}

/// A release as the widget runs it: its pack, with its semantic files attached, and, when it has
/// an encoder tier, the sentence vectors of the questions asked of it (by their text, from its
/// encoder): with them, what the rest would not answer, or not surely, is decided again
/// ([`Index::rereads`]).
#[derive(Clone, Copy, Debug)]
pub struct Engine<'a> {
    /// The pack.
    pub index: &'a Index,
    /// The questions' sentence vectors, when the release has an encoder tier.
    pub meanings: Option<&'a HashMap<String, Vec<f32>>>,
}

impl<'a> From<&'a Index> for Engine<'a> {
    /// A release without an encoder tier.
    fn from(index: &'a Index) -> Engine<'a> {
        Engine { index, meanings: None }
    }
}

/// What a pack does with a question: the path and the entry it shows (the first choice of a
/// "did you mean"; none for a fallback, whose reply comes from the LLM).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Behaviour {
    /// `answer`, `clarify`, `fallback`, `handoff` or `reply`.
    pub path: String,
    /// The entry shown or offered first.
    pub entry: Option<String>,
}

impl Behaviour {
    /// What `engine` does with `asked`, at the thresholds stored in it.
    pub fn of(engine: Engine<'_>, asked: &Asked) -> Behaviour {
        let index = engine.index;
        let query = Query::new(&asked.text, asked.locale).audience(asked.audience).limit(10);
        let mut reply = index.decide(&query, &Overrides::default());
        let meaning = engine.meanings.and_then(|m| m.get(&asked.text));
        if let Some(meaning) = meaning.filter(|_| index.rereads(asked.locale, &reply)) {
            reply = index.decide(&query.clone().meaning(meaning), &Overrides::default());
        }
        let path = reply.path;
        let entry = match &path {
            Path::Fallback(_) => None,
            other => other.entries().first().and_then(|&n| index.entry_id(n)),
        };
        Behaviour { path: path.name().to_string(), entry }
    }

    /// True when it gives the buyer `expected` (an entry id; `None`: the question is out of
    /// scope, and the right outcome is anything but a local answer).
    pub fn is_right(&self, expected: Option<&str>) -> bool {
        match expected {
            // A handoff or small-talk entry is "given" by its own path; a choice is not an answer.
            Some(id) => self.entry.as_deref() == Some(id) && self.path != "clarify",
            None => self.path != "answer",
        }
    }
}

/// How a golden question's outcome changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Right before, wrong now.
    Broken,
    /// Wrong before, right now.
    Fixed,
    /// As right (or as wrong) as before, but another entry or path.
    Moved,
}

impl Change {
    /// The change from `before` to `after` of a question expecting `expected`; `None` when the
    /// behaviour is the same.
    pub fn judge(expected: Option<&str>, before: &Behaviour, after: &Behaviour) -> Option<Change> {
        if before == after {
            return None;
        }
        Some(match (before.is_right(expected), after.is_right(expected)) {
            (false, true) => Change::Fixed,
            (true, false) => Change::Broken,
            _ => Change::Moved,
        })
    }
}

/// A golden question whose outcome changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoldenChange {
    /// Its language code.
    pub locale: String,
    /// The question.
    pub text: String,
    /// The entry it expects (`None`: out of scope).
    pub expected: Option<String>,
    /// Fixed, broken or moved.
    pub change: Change,
    /// What the baseline did.
    pub before: Behaviour,
    /// What the candidate does.
    pub after: Behaviour,
}

/// The golden questions of two knowledge folders, each once: `(question, expected entry)`; the
/// candidate's label wins where both sets hold the same question.
pub fn golden_questions(baseline: &Knowledge, candidate: &Knowledge) -> BTreeMap<Asked, Option<String>> {
    let mut questions = BTreeMap::new();
    for knowledge in [baseline, candidate] {
        for (locale, set) in &knowledge.golden {
            for q in set.test.iter().chain(&set.dev) {
                let asked = Asked { locale: *locale, audience: q.audience, text: q.text.clone() };
                questions.insert(asked, q.expected.clone());
            }
        }
    }
    questions
}

/// Asks every question of `questions` of both packs; returns those whose outcome changed, by
/// locale, broken first, then fixed, then moved. `progress(done, total)` is called every 200 questions.
pub fn golden_changes(
    baseline: Engine<'_>,
    candidate: Engine<'_>,
    questions: &BTreeMap<Asked, Option<String>>,
    mut progress: impl FnMut(usize, usize),
) -> Vec<GoldenChange> {
    let mut changes = Vec::new();
    for (done, (asked, expected)) in questions.iter().enumerate() {
        let before = Behaviour::of(baseline, asked);
        let after = Behaviour::of(candidate, asked);
        if let Some(change) = Change::judge(expected.as_deref(), &before, &after) {
            let locale = asked.locale.code().to_string();
            changes.push(GoldenChange {
                locale,
                text: asked.text.clone(),
                expected: expected.clone(),
                change,
                before,
                after,
            });
        }
        if (done + 1) % 200 == 0 {
            progress(done + 1, questions.len());
        }
    }
    changes.sort_by(|a, b| (&a.locale, a.change, &a.text).cmp(&(&b.locale, b.change, &b.text)));
    changes
}

/// A real question (as logged) that would now get another entry or path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayChange {
    /// Its language code.
    pub locale: String,
    /// The question, as logged (redacted).
    pub text: String,
    /// How many times it was asked.
    pub asked: u64,
    /// What the baseline did.
    pub before: Behaviour,
    /// What the candidate does.
    pub after: Behaviour,
}

/// The replay of logged questions against both packs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Replay {
    /// Questions replayed (each time it was asked).
    pub questions: u64,
    /// Distinct questions among them.
    pub distinct: usize,
    /// Of `questions`, how many would now get another entry or path.
    pub changed: u64,
    /// The distinct questions that would, most asked first.
    pub changes: Vec<ReplayChange>,
}

/// Replays `asked` (each distinct question with how many times it was asked) against both packs.
pub fn replay(baseline: Engine<'_>, candidate: Engine<'_>, asked: &BTreeMap<Asked, u64>) -> Replay {
    let mut result = Replay { distinct: asked.len(), ..Replay::default() };
    for (question, &times) in asked {
        result.questions += times;
        let before = Behaviour::of(baseline, question);
        let after = Behaviour::of(candidate, question);
        if before != after {
            result.changed += times;
            let locale = question.locale.code().to_string();
            result.changes.push(ReplayChange { locale, text: question.text.clone(), asked: times, before, after });
        }
    }
    // Stable: equally asked questions stay in locale and text order.
    result.changes.sort_by_key(|c| std::cmp::Reverse(c.asked));
    result
}

/// An entry of the baseline that the candidate no longer has, and that no candidate entry
/// names in `replaces:`: questions that were answered by it now land elsewhere, unannounced.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RemovedEntry {
    /// Its language code.
    pub locale: String,
    /// Its id.
    pub id: String,
}

/// The baseline's entries missing from the candidate without a redirect.
pub fn removed_without_redirect(baseline: &Knowledge, candidate: &Knowledge) -> Vec<RemovedEntry> {
    let key = |e: &crate::knowledge::SourceEntry| (e.entry.locale, e.entry.id.clone());
    let kept: BTreeSet<(Locale, String)> = candidate.entries.iter().map(key).collect();
    let redirected: BTreeSet<(Locale, String)> =
        candidate.entries.iter().flat_map(|e| e.replaces.iter().map(|id| (e.entry.locale, id.clone()))).collect();
    let mut removed: Vec<RemovedEntry> = baseline
        .entries
        .iter()
        .map(key)
        .filter(|k| !kept.contains(k) && !redirected.contains(k))
        .map(|(locale, id)| RemovedEntry { locale: locale.code().to_string(), id })
        .collect();
    removed.sort();
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::LabeledQuery;
    use crate::knowledge::{GoldenSet, SourceEntry};
    use kb_core::Entry;

    fn entry(id: &str, questions: &[&str], replaces: &[&str]) -> SourceEntry {
        SourceEntry {
            entry: Entry::new(id, id, Locale::En, "An answer."),
            questions: questions.iter().map(|q| q.to_string()).collect(),
            replaces: replaces.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn labelled(text: &str, expected: Option<&str>) -> LabeledQuery {
        LabeledQuery { text: text.into(), expected: expected.map(Into::into), audience: Audience::All, line: 1 }
    }

    #[test]
    fn a_removed_entry_is_named_unless_a_new_one_replaces_it() {
        let baseline = Knowledge {
            entries: vec![entry("old-refunds", &[], &[]), entry("track-order", &[], &[]), entry("gone", &[], &[])],
            ..Knowledge::default()
        };
        let candidate = Knowledge {
            entries: vec![entry("refunds", &[], &["old-refunds"]), entry("track-order", &[], &[])],
            ..Knowledge::default()
        };
        let removed = removed_without_redirect(&baseline, &candidate);
        assert_eq!(removed, [RemovedEntry { locale: "en".into(), id: "gone".into() }]);
    }

    #[test]
    fn golden_questions_are_asked_once_with_the_candidates_label() {
        let set = |expected| GoldenSet { test: vec![labelled("where is my parcel", expected)], dev: Vec::new() };
        let baseline = Knowledge {
            golden: [(Locale::En, set(Some("old-tracking")))].into_iter().collect(),
            ..Knowledge::default()
        };
        let candidate = Knowledge {
            golden: [(Locale::En, set(Some("track-order")))].into_iter().collect(),
            ..Knowledge::default()
        };
        let questions = golden_questions(&baseline, &candidate);
        assert_eq!(questions.len(), 1);
        assert_eq!(questions.values().next().unwrap().as_deref(), Some("track-order"));
    }

    #[test]
    fn a_question_whose_entry_lost_its_phrasings_is_broken_and_the_replay_counts_it() {
        let pack = |entries: Vec<SourceEntry>| {
            let corpus = crate::knowledge::Corpus { entries, ..Default::default() };
            Index::from_bytes(crate::builder::build(&corpus, &Default::default())).unwrap()
        };
        let tracking = ["where is my order", "track my parcel", "when will my package arrive"];
        let refunds = ["how do i get a refund", "money back for a return"];
        let baseline = pack(vec![entry("track-order", &tracking, &[]), entry("refunds", &refunds, &[])]);
        // The candidate's tracking entry was overwritten by a password entry's text by mistake.
        let mut overwritten = entry("track-order", &["reset login credentials"], &[]);
        overwritten.entry.title = "Reset login credentials".into();
        let candidate = pack(vec![overwritten, entry("refunds", &refunds, &[])]);
        let ask = |text: &str| Asked { locale: Locale::En, audience: Audience::All, text: text.into() };
        let questions: BTreeMap<Asked, Option<String>> = [
            (ask("where is my order"), Some("track-order".to_string())),
            (ask("how do i get a refund"), Some("refunds".to_string())),
        ]
        .into_iter()
        .collect();
        assert!(Behaviour::of((&baseline).into(), &ask("where is my order")).is_right(Some("track-order")));
        let changes = golden_changes((&baseline).into(), (&candidate).into(), &questions, |_, _| {});
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!((changes[0].text.as_str(), changes[0].change), ("where is my order", Change::Broken));

        let logged: BTreeMap<Asked, u64> = [(ask("where is my order"), 3), (ask("how do i get a refund"), 2)].into();
        let replayed = replay((&baseline).into(), (&candidate).into(), &logged);
        assert_eq!((replayed.questions, replayed.distinct, replayed.changed), (5, 2, 3));
        assert_eq!(replayed.changes[0].text, "where is my order");
    }
}
