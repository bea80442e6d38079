//! Whether a group of questions belongs to an entry the knowledge already has.
//!
//! Each of the group's phrasings is decided by the pack given to `kb gaps` (built from
//! `--knowledge`, or `--index`), exactly as the widget would decide it now
//! ([`super::terms::Reading`]), and *points at* the
//! entry the engine is at least fairly sure of: the one it answers with, the first "did you
//! mean" choice it offers, or the system entry of a handoff or a small-talk reply. A question it
//! falls back on points nowhere, even if it would send passages to an LLM: a passage is only
//! related, and a need nothing answers is what a draft is for. When at least [`ROUTE_SHARE`] of
//! the group's questions point at one entry, the group is that entry's: its phrasings should be
//! added to it (they lift the unsure ones to answers, and the next rewording of them too).
//! Except when the group's own askers were shown that entry and turned it down (asked again at
//! once, or rated it down), for at least [`TURNED_DOWN_SHARE`] of its questions: then the entry
//! is what they did not want, however close its words, and the need gets a draft.
//!
//! Why a fresh decision rather than the top entry logged in the events: the logged one is the
//! pack of the day (the knowledge may have changed since, and the verdict is about the knowledge
//! being edited); it is missing when the pack did not load; and for an answer that was turned
//! down it is the entry that failed, not necessarily the right one. The fresh decision also
//! brings the engine's own notion of a relevant entry, not just a top-1 at any score.

use std::collections::BTreeMap;

/// The share of a group's questions that must point at one entry for the group to be its.
pub const ROUTE_SHARE: f64 = 0.5;
/// The share of a group's questions that, having turned an entry down, keep the group from it
/// (fewer may be a slip of the thumb).
pub const TURNED_DOWN_SHARE: f64 = 0.25;

/// The entry most of a group's questions point at, with the share of its questions that do:
/// `pointed` holds each phrasing's entry (or none) and its number of questions, `turned_down`
/// how many of the group's questions turned each entry down.
pub fn route(pointed: &[(Option<String>, u64)], turned_down: &BTreeMap<String, u64>) -> Option<(String, f64)> {
    let total: u64 = pointed.iter().map(|(_, n)| n).sum();
    let refused = |e: &str| turned_down.get(e).is_some_and(|&n| n as f64 >= TURNED_DOWN_SHARE * total as f64);
    let mut per_entry: BTreeMap<&str, u64> = BTreeMap::new();
    for (entry, n) in pointed {
        if let Some(e) = entry.as_deref().filter(|e| !refused(e)) {
            *per_entry.entry(e).or_default() += n;
        }
    }
    // The most pointed at; among equals, the first by id, so that runs agree.
    let (entry, n) = per_entry.into_iter().fold(None, |best: Option<(&str, u64)>, (e, n)| match best {
        Some((_, b)) if b >= n => best,
        _ => Some((e, n)),
    })?;
    let share = n as f64 / total.max(1) as f64;
    (share >= ROUTE_SHARE).then(|| (entry.to_string(), share))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_an_entrys_when_half_its_questions_point_at_it() {
        let some = |e: &str, n| (Some(e.to_string()), n);
        let none = BTreeMap::new();
        assert_eq!(route(&[some("a", 2), some("b", 1), (None, 1)], &none), Some(("a".into(), 0.5)));
        assert_eq!(route(&[some("a", 1), some("b", 1), (None, 2)], &none), None);
        assert_eq!(route(&[some("b", 2), some("a", 2)], &none), Some(("a".into(), 0.5)), "ties go to the first id");
        assert_eq!(route(&[(None, 3)], &none), None);
        assert_eq!(route(&[], &none), None);
    }

    #[test]
    fn not_to_an_entry_the_group_turned_down() {
        let pointed = [(Some("a".to_string()), 7), (None, 1)];
        let turned = |n| BTreeMap::from([("a".to_string(), n)]);
        assert_eq!(route(&pointed, &turned(1)), Some(("a".into(), 0.875)), "one in eight is a slip");
        assert_eq!(route(&pointed, &turned(2)), None);
    }
}
