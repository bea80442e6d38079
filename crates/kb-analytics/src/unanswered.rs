//! The report's top unanswered questions: the questions that fell back (path `fallback` or
//! `no_knowledge`), grouped by their text when the events carry it (pages with
//! `data-collect-text="redacted"`), else by the entry the index ranked first: the entry nearest
//! to what was asked, the one to grow or to write beside (`docs/metrics.md`, "Unanswered
//! questions").
//!
//! Question texts are not bounded by the knowledge, so the groups are counted in bounded memory:
//! a Misra–Gries summary pruned in batches. Counts are exact while there are at most
//! `2 × CAPACITY` distinct groups; beyond that each count is a lower bound, short by at most
//! [`Unanswered::undercount`], and every group asked more than `questions / CAPACITY` times is
//! still there.

use std::collections::HashMap;

use serde::Serialize;

/// How many groups the summary keeps after a pruning (it holds up to twice as many between two).
const CAPACITY: usize = 1000;
/// How many groups the report lists.
pub const TOP: usize = 20;
/// Texts are grouped and shown by their first characters only.
const TEXT_CHARS: usize = 200;

/// What the questions of a group have in common.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "by", content = "key", rename_all = "snake_case")]
pub enum GroupKey {
    /// The same text, up to case, spacing and end punctuation (the normalized text).
    Text(String),
    /// No text sent; the same entry ranked first.
    Entry(String),
    /// No text sent and nothing ranked (the pack could not load, or matched nothing).
    Unmatched,
}

/// A group of questions that fell back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// What groups them.
    #[serde(flatten)]
    pub key: GroupKey,
    /// The text of its earliest question (text groups only; ties: the smallest text).
    pub example: Option<String>,
    /// The entry ranked first in its latest question that ranked one (for an entry group, that
    /// entry; ties: the largest id).
    pub top_entry: Option<String>,
    /// Questions that fell back.
    pub questions: u64,
    /// Of those, the ones the LLM did not answer.
    pub no_answer: u64,
}

/// The top unanswered questions of a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Unanswered {
    /// Questions that fell back, in all.
    pub questions: u64,
    /// The largest groups, most questions first (at most [`TOP`]).
    pub groups: Vec<Group>,
    /// How far a group's counts may fall short (0: exact).
    pub undercount: u64,
}

/// Counts the questions that fell back into groups, in bounded memory.
#[derive(Default)]
pub(crate) struct Tally {
    questions: u64,
    groups: HashMap<GroupKey, (Group, Seen)>,
    undercount: u64,
}

/// When a group's example and top entry were asked: sessions are closed in no set order, so the
/// earliest and latest are chosen by time, not by the order they arrive in.
struct Seen {
    example_at: i64,
    top_entry_at: i64,
}

impl Tally {
    /// Counts one question that fell back: when it was asked (ms), its text (if sent), the entry
    /// ranked first (if any), and whether the LLM left it without an answer.
    pub(crate) fn add(&mut self, at: i64, text: Option<&str>, top_entry: Option<&str>, no_answer: bool) {
        self.questions += 1;
        let example = text.map(|t| t.trim().chars().take(TEXT_CHARS).collect::<String>()).filter(|t| !t.is_empty());
        let key = match (&example, top_entry) {
            (Some(t), _) => GroupKey::Text(normalized(t)),
            (None, Some(entry)) => GroupKey::Entry(entry.to_string()),
            (None, None) => GroupKey::Unmatched,
        };
        if !self.groups.contains_key(&key) && self.groups.len() >= 2 * CAPACITY {
            self.prune();
        }
        let (group, seen) = self.groups.entry(key.clone()).or_insert_with(|| {
            let group = Group { key, example: None, top_entry: None, questions: 0, no_answer: 0 };
            (group, Seen { example_at: i64::MAX, top_entry_at: i64::MIN })
        });
        group.questions += 1;
        group.no_answer += u64::from(no_answer);
        if let Some(text) = example {
            if (at, Some(&text)) < (seen.example_at, group.example.as_ref()) || group.example.is_none() {
                seen.example_at = at;
                group.example = Some(text);
            }
        }
        if let Some(entry) = top_entry {
            if (at, Some(entry)) > (seen.top_entry_at, group.top_entry.as_deref()) {
                seen.top_entry_at = at;
                group.top_entry = Some(entry.to_string());
            }
        }
    }

    /// Lowers every count by the `CAPACITY`-th largest and drops the groups that reach zero:
    /// fewer than `CAPACITY` remain, and the counts stay within `undercount` of the truth.
    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.groups.values().map(|(g, _)| g.questions).collect();
        let (_, &mut cut, _) = counts.select_nth_unstable_by(CAPACITY - 1, |a, b| b.cmp(a));
        self.groups.retain(|_, (g, _)| {
            g.questions = g.questions.saturating_sub(cut);
            g.no_answer = g.no_answer.saturating_sub(cut).min(g.questions);
            g.questions > 0
        });
        self.undercount += cut;
    }

    /// The largest groups.
    pub(crate) fn finish(&self) -> Unanswered {
        let mut groups: Vec<Group> = self.groups.values().map(|(g, _)| g.clone()).collect();
        groups
            .sort_by(|a, b| b.questions.cmp(&a.questions).then(b.no_answer.cmp(&a.no_answer)).then(a.key.cmp(&b.key)));
        groups.truncate(TOP);
        Unanswered { questions: self.questions, groups, undercount: self.undercount }
    }
}

/// A text as grouped: lower case, single spaces, no punctuation at its end.
fn normalized(text: &str) -> String {
    let spaced = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    spaced
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '?' | '!' | '.' | '…' | '？' | '！' | '。'))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_group_up_to_case_spacing_and_end_punctuation_else_by_top_entry() {
        let mut tally = Tally::default();
        // Read out of order, as sessions close: the earliest text and the latest entry count.
        tally.add(20, Some("where is my parcel"), Some("parcel-late"), false);
        tally.add(10, Some("Where is my  parcel?"), Some("track-order"), true);
        tally.add(30, Some("   "), Some("track-order"), true);
        tally.add(40, None, Some("track-order"), true);
        tally.add(50, None, None, true);
        let u = tally.finish();
        assert_eq!((u.questions, u.undercount), (5, 0));
        let keys: Vec<&GroupKey> = u.groups.iter().map(|g| &g.key).collect();
        assert_eq!(
            keys,
            [
                &GroupKey::Entry("track-order".into()),
                &GroupKey::Text("where is my parcel".into()),
                &GroupKey::Unmatched
            ],
            "most questions first, then most without an answer; a blank text is no text"
        );
        let parcel = &u.groups[1];
        assert_eq!(parcel.example.as_deref(), Some("Where is my  parcel?"), "the earliest text");
        assert_eq!(parcel.top_entry.as_deref(), Some("parcel-late"), "the entry ranked first last time");
        assert_eq!((parcel.questions, parcel.no_answer), (2, 1));
        assert_eq!((u.groups[0].questions, u.groups[0].no_answer), (2, 2));
    }

    #[test]
    fn many_distinct_texts_stay_bounded_and_the_frequent_ones_survive() {
        let mut tally = Tally::default();
        for i in 0..20_000u64 {
            let at = i as i64;
            tally.add(at, Some(&format!("question {i}")), None, false);
            if i % 4 == 0 {
                tally.add(at, Some("Refund for a broken mug?"), Some("refund-timeline"), true);
            }
        }
        assert!(tally.groups.len() <= 2 * CAPACITY, "{} groups held", tally.groups.len());
        let u = tally.finish();
        assert_eq!(u.questions, 25_000);
        let top = &u.groups[0];
        assert_eq!(top.key, GroupKey::Text("refund for a broken mug".into()));
        assert!(u.undercount > 0, "counts are lower bounds now");
        assert!(
            top.questions <= 5_000 && top.questions + u.undercount >= 5_000,
            "{} + {}",
            top.questions,
            u.undercount
        );
        assert!(top.no_answer <= top.questions);
        assert!(u.groups.len() <= TOP);
    }
}
