//! What changed between two versions of the knowledge, as a support operator reviews it before
//! a release: entries added, removed and changed (title, questions, the answer as a line diff,
//! links and the other fields), flows changed (steps added, removed, rewired or reworded),
//! stop words and synonym groups, and the thresholds of two releases. `kb diff` prints it.
//!
//! ```
//! use kb_compiler::diff::{diff, Status};
//! use kb_compiler::knowledge::{Knowledge, SourceEntry};
//! use kb_core::{Entry, Locale};
//!
//! let entry = |answer: &str| SourceEntry {
//!     entry: Entry::new("track-order", "Track my order", Locale::En, answer),
//!     questions: vec!["where is my order".into()],
//!     replaces: Vec::new(),
//! };
//! let old = Knowledge { entries: vec![entry("Open Orders.\nTap the order.")], ..Knowledge::default() };
//! let new = Knowledge { entries: vec![entry("Open Orders.\nTap Track.")], ..Knowledge::default() };
//! let d = diff(&old, &new);
//! assert_eq!(d.entries[0].status, Status::Changed);
//! assert_eq!(d.entries[0].answer, [" Open Orders.", "-Tap the order.", "+Tap Track."]);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use kb_core::flow::{Action, Flow, Step};
use kb_core::{Entry, Locale};
use serde::Serialize;

use crate::knowledge::{Knowledge, LocaleAnalysis, SourceEntry};
use crate::release::Thresholds;

/// Whether a thing is new, gone or different.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Only in the new knowledge.
    Added,
    /// Only in the old knowledge.
    Removed,
    /// In both, different.
    Changed,
}

/// A field's old and new value, as text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    /// The field (`title`, `audience`, `tags`, …).
    pub field: String,
    /// Its old value.
    pub old: String,
    /// Its new value.
    pub new: String,
}

/// An entry added, removed or changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryDiff {
    /// Its locale code.
    pub locale: String,
    /// Its id.
    pub id: String,
    /// Added, removed or changed.
    pub status: Status,
    /// Its title (the new one, or the old one if removed).
    pub title: String,
    /// Fields other than the questions, the answer and the links whose value changed.
    pub fields: Vec<FieldChange>,
    /// Questions only in the new version.
    pub questions_added: Vec<String>,
    /// Questions only in the old version.
    pub questions_removed: Vec<String>,
    /// The answer as a unified line diff (`-old`, `+new`, ` context`); empty when unchanged.
    pub answer: Vec<String>,
    /// Links (`label | url`) only in the new version.
    pub links_added: Vec<String>,
    /// Links only in the old version.
    pub links_removed: Vec<String>,
}

/// A step whose ways out changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rewiring {
    /// The step.
    pub step: String,
    /// Where it led (`"label" → step`, `if key = value → step`, `entry: id`, `handoff`, …).
    pub old: Vec<String>,
    /// Where it leads now.
    pub new: Vec<String>,
}

/// A flow added, removed or changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowDiff {
    /// Its locale code.
    pub locale: String,
    /// Its id.
    pub id: String,
    /// Added, removed or changed.
    pub status: Status,
    /// Title, audience or first step, when changed.
    pub fields: Vec<FieldChange>,
    /// Steps only in the new version.
    pub steps_added: Vec<String>,
    /// Steps only in the old version.
    pub steps_removed: Vec<String>,
    /// Steps in both that lead elsewhere now.
    pub steps_rewired: Vec<Rewiring>,
    /// Steps in both whose message (or a market's) changed.
    pub steps_reworded: Vec<String>,
}

/// One locale's stop words and synonym groups, where they changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalysisDiff {
    /// The locale code.
    pub locale: String,
    /// Stop words added.
    pub stopwords_added: Vec<String>,
    /// Stop words removed.
    pub stopwords_removed: Vec<String>,
    /// Synonym groups added (members joined by `, `; a changed group is removed and added).
    pub synonyms_added: Vec<String>,
    /// Synonym groups removed.
    pub synonyms_removed: Vec<String>,
}

/// The thresholds of two releases, when they differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThresholdsDiff {
    /// The old release's.
    pub old: Thresholds,
    /// The new release's.
    pub new: Thresholds,
}

/// Everything that differs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KnowledgeDiff {
    /// Entries, by locale and id.
    pub entries: Vec<EntryDiff>,
    /// Flows, by locale and id.
    pub flows: Vec<FlowDiff>,
    /// Analysis settings, by locale.
    pub analysis: Vec<AnalysisDiff>,
    /// Thresholds (releases only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<ThresholdsDiff>,
}

impl KnowledgeDiff {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.flows.is_empty() && self.analysis.is_empty() && self.thresholds.is_none()
    }

    /// Adds the thresholds of two releases, if they differ.
    pub fn with_thresholds(mut self, old: &Thresholds, new: &Thresholds) -> KnowledgeDiff {
        if (old.answer, old.clarify) != (new.answer, new.clarify) {
            self.thresholds = Some(ThresholdsDiff { old: old.clone(), new: new.clone() });
        }
        self
    }
}

/// Compares two loaded knowledge folders.
pub fn diff(old: &Knowledge, new: &Knowledge) -> KnowledgeDiff {
    let key = |e: &SourceEntry| (e.entry.locale, e.entry.id.clone());
    let old_entries: BTreeMap<_, _> = old.entries.iter().map(|e| (key(e), e)).collect();
    let new_entries: BTreeMap<_, _> = new.entries.iter().map(|e| (key(e), e)).collect();
    let entries =
        paired(&old_entries, &new_entries).filter_map(|((locale, id), pair)| entry_diff(locale, id, pair)).collect();

    let key = |f: &Flow| (f.locale, f.id.clone());
    let old_flows: BTreeMap<_, _> = old.flows.iter().map(|f| (key(f), f)).collect();
    let new_flows: BTreeMap<_, _> = new.flows.iter().map(|f| (key(f), f)).collect();
    let flows = paired(&old_flows, &new_flows).filter_map(|((locale, id), pair)| flow_diff(locale, id, pair)).collect();

    let locales: BTreeSet<Locale> = old.analysis.keys().chain(new.analysis.keys()).copied().collect();
    let analysis = locales
        .into_iter()
        .filter_map(|locale| {
            let (o, n) = (old.analysis.get(&locale), new.analysis.get(&locale));
            let stop = |a: Option<&LocaleAnalysis>| a.map(|a| a.stopwords.clone()).unwrap_or_default();
            let groups = |a: Option<&LocaleAnalysis>| {
                a.map(|a| a.synonyms.iter().map(|g| g.join(", ")).collect::<Vec<_>>()).unwrap_or_default()
            };
            let (stopwords_added, stopwords_removed) = set_change(&stop(o), &stop(n));
            let (synonyms_added, synonyms_removed) = set_change(&groups(o), &groups(n));
            let d = AnalysisDiff {
                locale: locale.code().to_string(),
                stopwords_added,
                stopwords_removed,
                synonyms_added,
                synonyms_removed,
            };
            let unchanged = d.stopwords_added.is_empty()
                && d.stopwords_removed.is_empty()
                && d.synonyms_added.is_empty()
                && d.synonyms_removed.is_empty();
            (!unchanged).then_some(d)
        })
        .collect();
    KnowledgeDiff { entries, flows, analysis, thresholds: None }
}

/// The keys of both maps in order, each with its old and new value.
fn paired<'a, K: Ord + Clone, V>(
    old: &'a BTreeMap<K, &'a V>,
    new: &'a BTreeMap<K, &'a V>,
) -> impl Iterator<Item = (K, (Option<&'a V>, Option<&'a V>))> + 'a {
    let keys: BTreeSet<&K> = old.keys().chain(new.keys()).collect();
    keys.into_iter().map(|k| (k.clone(), (old.get(k).copied(), new.get(k).copied())))
}

/// Items only in `new`, and items only in `old`, each in their order.
fn set_change(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let added = new.iter().filter(|x| !old.contains(x)).cloned().collect();
    let removed = old.iter().filter(|x| !new.contains(x)).cloned().collect();
    (added, removed)
}

fn entry_diff(locale: Locale, id: String, pair: (Option<&SourceEntry>, Option<&SourceEntry>)) -> Option<EntryDiff> {
    let empty = SourceEntry { entry: Entry::new(&id, "", locale, ""), questions: Vec::new(), replaces: Vec::new() };
    let (status, old, new) = match pair {
        (None, Some(n)) => (Status::Added, &empty, n),
        (Some(o), None) => (Status::Removed, o, &empty),
        (Some(o), Some(n)) => (Status::Changed, o, n),
        (None, None) => return None,
    };
    let (questions_added, questions_removed) = set_change(&old.questions, &new.questions);
    let link = |e: &SourceEntry| e.entry.links.iter().map(|l| format!("{} | {}", l.label, l.url)).collect::<Vec<_>>();
    let (links_added, links_removed) = set_change(&link(old), &link(new));
    let fields = if status == Status::Changed { entry_fields(old, new) } else { Vec::new() };
    let d = EntryDiff {
        locale: locale.code().to_string(),
        title: if status == Status::Removed { old.entry.title.clone() } else { new.entry.title.clone() },
        id,
        status,
        fields,
        questions_added,
        questions_removed,
        answer: line_diff(&old.entry.answer, &new.entry.answer),
        links_added,
        links_removed,
    };
    let unchanged = d.fields.is_empty()
        && d.questions_added.is_empty()
        && d.questions_removed.is_empty()
        && d.answer.is_empty()
        && d.links_added.is_empty()
        && d.links_removed.is_empty();
    (status != Status::Changed || !unchanged).then_some(d)
}

/// The fields of an entry other than questions, answer and links, as text, compared.
fn entry_fields(old: &SourceEntry, new: &SourceEntry) -> Vec<FieldChange> {
    let values = |s: &SourceEntry| {
        let e = &s.entry;
        let mut v = vec![
            ("title", e.title.clone()),
            ("audience", e.audience.name().to_string()),
            ("kind", format!("{:?}", e.kind).to_lowercase()),
            ("tags", e.tags.join(", ")),
            ("related", e.related.join(", ")),
            ("featured", e.featured.to_string()),
            ("flow", e.flow.clone().unwrap_or_default()),
            ("handoff", e.handoff.to_string()),
            ("replaces", s.replaces.join(", ")),
        ];
        v.extend(
            e.variants.iter().map(|variant| ("market variant", format!("{:?}: {}", variant.market, variant.text))),
        );
        v
    };
    compare_fields(&values(old), &values(new))
}

/// Pairs fields by name (repeated names, like market variants, by position) and keeps those
/// whose value differs.
fn compare_fields(old: &[(&str, String)], new: &[(&str, String)]) -> Vec<FieldChange> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for name in old.iter().chain(new).map(|(n, _)| *n) {
        if !seen.insert(name) {
            continue;
        }
        let values = |fields: &[(&str, String)]| {
            fields.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.clone()).collect::<Vec<_>>()
        };
        let (o, n) = (values(old), values(new));
        for i in 0..o.len().max(n.len()) {
            let (a, b) = (o.get(i).cloned().unwrap_or_default(), n.get(i).cloned().unwrap_or_default());
            if a != b {
                out.push(FieldChange { field: name.to_string(), old: a, new: b });
            }
        }
    }
    out
}

/// A unified line diff with two lines of context: `-` old, `+` new, ` ` context; empty when
/// the texts are the same.
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    if old == new {
        return Vec::new();
    }
    let text = similar::TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for hunk in text.unified_diff().context_radius(2).iter_hunks() {
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            lines.push(format!("{sign}{}", change.value().trim_end_matches(['\n', '\r'])));
        }
    }
    lines
}

fn flow_diff(locale: Locale, id: String, pair: (Option<&Flow>, Option<&Flow>)) -> Option<FlowDiff> {
    let step_ids =
        |f: Option<&Flow>| f.map(|f| f.steps.iter().map(|s| s.id.clone()).collect::<Vec<_>>()).unwrap_or_default();
    let (steps_added, steps_removed) = set_change(&step_ids(pair.0), &step_ids(pair.1));
    let (status, old, new) = match pair {
        (None, Some(_)) => (Status::Added, None, pair.1),
        (Some(_), None) => (Status::Removed, pair.0, None),
        (Some(o), Some(n)) => (Status::Changed, Some(o), Some(n)),
        (None, None) => return None,
    };
    let mut d = FlowDiff {
        locale: locale.code().to_string(),
        id,
        status,
        fields: Vec::new(),
        steps_added,
        steps_removed,
        steps_rewired: Vec::new(),
        steps_reworded: Vec::new(),
    };
    let (Some(old), Some(new)) = (old, new) else { return Some(d) };
    let fields = |f: &Flow| {
        vec![("title", f.title.clone()), ("audience", f.audience.name().to_string()), ("start", f.start.clone())]
    };
    d.fields = compare_fields(&fields(old), &fields(new));
    for step in &old.steps {
        let Some(now) = new.steps.iter().find(|s| s.id == step.id) else { continue };
        let (was, is) = (ways_out(step), ways_out(now));
        if was != is {
            d.steps_rewired.push(Rewiring { step: step.id.clone(), old: was, new: is });
        }
        if step.message != now.message || step.variants != now.variants {
            d.steps_reworded.push(step.id.clone());
        }
    }
    let unchanged = d.fields.is_empty()
        && d.steps_added.is_empty()
        && d.steps_removed.is_empty()
        && d.steps_rewired.is_empty()
        && d.steps_reworded.is_empty();
    (!unchanged).then_some(d)
}

/// Where a step leads, in words: its conditions, buttons, slot and action.
fn ways_out(step: &Step) -> Vec<String> {
    let mut out: Vec<String> =
        step.conditions.iter().map(|c| format!("if {} = {} → {}", c.key, c.value, c.target)).collect();
    out.extend(step.choices.iter().map(|c| format!("\"{}\" → {}", c.label, c.target)));
    if let Some(slot) = &step.slot {
        out.push(format!("asks {} → {}", slot.name, slot.target));
    }
    out.extend(step.action.iter().map(|a| match a {
        Action::Entry(id) => format!("entry: {id}"),
        Action::Url(url) => format!("link: {url}"),
        Action::Handoff => "handoff".to_string(),
        Action::Event(name) => format!("event: {name}"),
        Action::End => "end".to_string(),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kb_core::flow::Choice;

    fn step(id: &str, message: &str, choices: &[(&str, &str)]) -> Step {
        Step {
            id: id.into(),
            message: message.into(),
            conditions: Vec::new(),
            choices: choices.iter().map(|(l, t)| Choice { label: (*l).into(), target: (*t).into() }).collect(),
            slot: None,
            action: None,
            variants: Vec::new(),
        }
    }

    fn flow(steps: Vec<Step>) -> Flow {
        Flow {
            id: "return".into(),
            locale: Locale::En,
            title: "Return an item".into(),
            audience: kb_core::Audience::Buyer,
            start: "ask".into(),
            steps,
        }
    }

    #[test]
    fn a_flow_shows_steps_added_removed_rewired_and_reworded() {
        let old = Knowledge {
            flows: vec![flow(vec![
                step("ask", "Did it arrive?", &[("Yes", "photos"), ("No", "wait")]),
                step("photos", "Send photos.", &[]),
                step("wait", "Wait a day.", &[]),
            ])],
            ..Knowledge::default()
        };
        let new = Knowledge {
            flows: vec![flow(vec![
                step("ask", "Did it arrive?", &[("Yes", "photos"), ("No", "courier")]),
                step("photos", "Send two photos.", &[]),
                step("courier", "Ask the courier.", &[]),
            ])],
            ..Knowledge::default()
        };
        let d = diff(&old, &new);
        let f = &d.flows[0];
        assert_eq!(
            (f.steps_added.as_slice(), f.steps_removed.as_slice()),
            (&["courier".to_string()][..], &["wait".to_string()][..])
        );
        assert_eq!(f.steps_rewired.len(), 1);
        assert_eq!(f.steps_rewired[0].old, ["\"Yes\" → photos", "\"No\" → wait"]);
        assert_eq!(f.steps_rewired[0].new, ["\"Yes\" → photos", "\"No\" → courier"]);
        assert_eq!(f.steps_reworded, ["photos"]);
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn analysis_and_thresholds_show_what_moved() {
        let analysis = |stop: &[&str], groups: &[&[&str]]| LocaleAnalysis {
            stopwords: stop.iter().map(|s| s.to_string()).collect(),
            synonyms: groups.iter().map(|g| g.iter().map(|s| s.to_string()).collect()).collect(),
        };
        let old = Knowledge {
            analysis: [(Locale::En, analysis(&["the", "a"], &[&["parcel", "package"]]))].into(),
            ..Knowledge::default()
        };
        let new = Knowledge {
            analysis: [(Locale::En, analysis(&["the"], &[&["parcel", "package", "box"]]))].into(),
            ..Knowledge::default()
        };
        let d = diff(&old, &new);
        assert_eq!(d.analysis[0].stopwords_removed, ["a"]);
        assert_eq!(
            (d.analysis[0].synonyms_added.as_slice(), d.analysis[0].synonyms_removed.as_slice()),
            (&["parcel, package, box".to_string()][..], &["parcel, package".to_string()][..])
        );
        let t = |answer| Thresholds { answer, clarify: 0.3, source: "fit".into() };
        assert!(d.clone().with_thresholds(&t(0.6), &t(0.6)).thresholds.is_none());
        assert_eq!(d.with_thresholds(&t(0.6), &t(0.7)).thresholds.unwrap().new.answer, 0.7);
    }
}
