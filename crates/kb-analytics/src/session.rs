//! Grouping a stream of events into browser sessions while they are open, for the figures that
//! need a whole session at once (`kb report`'s, `kb gaps`' choice of questions).
//!
//! Memory does not grow with the period: a session is handed back, its events in time order,
//! once the events read have moved [`SESSION_TIMEOUT_MS`] past its last one (the widget's
//! session is one browser tab: longer silences do not happen within one), or at the end.

use std::collections::{HashMap, HashSet};

use crate::event::Event;

/// How long after its last event a session is closed.
pub const SESSION_TIMEOUT_MS: i64 = 6 * 3600 * 1000;
/// How many events pass between two looks for sessions to close.
pub(crate) const SWEEP_EVERY: u32 = 4096;

/// A closed session: its id and its events (with their times in milliseconds) in time order;
/// events with equal times keep the order they were read in.
pub type Closed = (String, Vec<(i64, Event)>);

/// One session's events so far.
struct Open {
    last: i64,
    ids: HashSet<String>,
    events: Vec<(i64, Event)>,
}

/// The sessions still open.
#[derive(Default)]
pub struct OpenSessions {
    open: HashMap<String, Open>,
}

impl OpenSessions {
    /// Adds an event that happened at `ms` to its session; `false` for a duplicate of an id
    /// already in that session (a collector may receive an event twice), which is left out.
    pub fn add(&mut self, ms: i64, event: Event) -> bool {
        let session = self.open.entry(event.session.clone()).or_insert_with(|| Open {
            last: ms,
            ids: HashSet::new(),
            events: Vec::new(),
        });
        if !session.ids.insert(event.id.clone()) {
            return false;
        }
        session.last = session.last.max(ms);
        session.events.push((ms, event));
        true
    }

    /// Closes the sessions whose last event is more than [`SESSION_TIMEOUT_MS`] before `clock`
    /// (the latest event time read).
    pub fn close_idle(&mut self, clock: i64) -> Vec<Closed> {
        let idle: Vec<String> =
            self.open.iter().filter(|(_, s)| clock - s.last > SESSION_TIMEOUT_MS).map(|(k, _)| k.clone()).collect();
        idle.into_iter().filter_map(|id| self.open.remove(&id).map(|s| closed(id, s))).collect()
    }

    /// Closes every session.
    pub fn close_all(&mut self) -> Vec<Closed> {
        self.open.drain().map(|(id, s)| closed(id, s)).collect()
    }
}

fn closed(id: String, mut session: Open) -> Closed {
    // Stable: events with equal times keep the order they were read in.
    session.events.sort_by_key(|(ms, _)| *ms);
    (id, session.events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Kind;

    fn event(id: &str, session: &str, ts: &str) -> Event {
        Event {
            v: 1,
            id: id.into(),
            session: session.into(),
            ts: ts.into(),
            pack: "p".into(),
            locale: "en".into(),
            audience: "all".into(),
            page: "/".into(),
            kind: Kind::HandoffClicked { reason: "asked".into() },
        }
    }

    #[test]
    fn sessions_close_after_the_timeout_in_time_order_without_duplicates() {
        let mut open = OpenSessions::default();
        let hour = 3600 * 1000;
        assert!(open.add(2 * hour, event("b", "s1", "t2")));
        assert!(open.add(hour, event("a", "s1", "t1")));
        assert!(!open.add(hour, event("a", "s1", "t1")));
        assert!(open.add(7 * hour, event("c", "s2", "t7")));
        assert!(open.close_idle(8 * hour).is_empty(), "s1's last event is 6 h before: still open");
        let closed = open.close_idle(8 * hour + 1);
        assert_eq!(closed.len(), 1);
        let ids: Vec<&str> = closed[0].1.iter().map(|(_, e)| e.id.as_str()).collect();
        assert_eq!((closed[0].0.as_str(), ids), ("s1", vec!["a", "b"]));
        let rest = open.close_all();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].0, "s2");
        assert!(open.close_all().is_empty());
    }
}
