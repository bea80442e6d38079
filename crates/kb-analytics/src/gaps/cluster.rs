//! Grouping the phrasings of one locale into needs. Each phrasing is a [`Point`]: the vector of
//! its words and the vector of the entries the engine sends it to ([`super::terms`] reads them).
//! A phrasing is close enough to a group when
//!
//! - the engine sends both to the same entries: the cosine of their entries is at least
//!   [`Thresholds::entries`]; or
//! - their words are alike: the cosine of their words is at least [`Thresholds::words`] when one
//!   of them has no entries (the engine fell back on it: words are all there is to go by), and at
//!   least [`Thresholds::entries`] when both have (the engine's opinion is the better guide:
//!   "refund" is in the questions of many entries).
//!
//! A question the engine falls back on meets the others on its words alone, whereas one vector
//! mixing words and entries would keep it away from the same need's answered questions. The
//! closeness of a phrasing to a group is the highest of those cosines, each over its threshold
//! (at least 1 to join), and phrasings are grouped by it:
//!
//! 1. *Leader pass*: in order (most asked first), a phrasing joins the group it is closest to,
//!    if close enough, else it starts a group.
//! 2. *Refinement*: each phrasing is compared again with every group, its own without itself
//!    (so a phrasing that started a group before its real group formed can move), and moves to
//!    the closest if close enough, else stands alone; repeated until fewer than one phrasing in
//!    [`SETTLED`] moves (at most [`MAX_ROUNDS`] rounds: the last moves are a few phrasings
//!    going back and forth between two groups).
//!
//! Only groups that share a term can be close, so candidates come from an inverted index of the
//! groups' terms, and only from the terms heavy enough to reach a threshold: the cost grows with
//! the phrasings times the groups sharing their telling words, not with all pairs.

use std::collections::{BTreeSet, HashMap};

/// A phrasing's terms as ids (of one locale's vocabulary) with their weights, L2-normalised
/// and sorted by id; empty when none of its words carries weight.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vector(pub Vec<(u32, f32)>);

impl Vector {
    /// The vector of `terms` (a term's weight: how often it occurs times `weight` of it).
    pub fn new(terms: impl IntoIterator<Item = (u32, f32)>) -> Vector {
        let mut summed: HashMap<u32, f32> = HashMap::new();
        for (term, weight) in terms {
            *summed.entry(term).or_default() += weight;
        }
        let norm = summed.values().map(|w| w * w).sum::<f32>().sqrt();
        let mut v: Vec<(u32, f32)> = if norm > 0.0 {
            summed.into_iter().map(|(t, w)| (t, w / norm)).filter(|(_, w)| *w > 0.0).collect()
        } else {
            Vec::new()
        };
        v.sort_unstable_by_key(|(t, _)| *t);
        Vector(v)
    }

    /// Whether no term carries weight (such a phrasing stands alone).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A phrasing: its words, and the entries the engine sends it to (empty when it falls back).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Point {
    /// Its words.
    pub words: Vector,
    /// Its entries.
    pub entries: Vector,
}

impl Point {
    fn channels(&self) -> [&Vector; 2] {
        [&self.words, &self.entries]
    }
}

/// The cosines at which a phrasing is close enough to a group.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Thresholds {
    /// For their entries, and for their words when both have entries.
    pub entries: f32,
    /// For their words when one of them has no entries.
    pub words: f32,
}

/// The most rounds of refinement.
pub const MAX_ROUNDS: usize = 10;
/// Refinement stops when fewer than one phrasing in this many moved in a round.
pub const SETTLED: usize = 1000;

/// A group's summed member vectors, and the sum's squared norm.
#[derive(Clone, Default)]
struct Centroid {
    sum: HashMap<u32, f32>,
    norm2: f32,
}

impl Centroid {
    /// Adds (`sign` 1) or takes out (−1) a unit vector (an empty one changes nothing).
    fn add(&mut self, v: &Vector, sign: f32) {
        if v.is_empty() {
            return;
        }
        // |c ± v|² = |c|² ± 2 c·v + |v|²
        self.norm2 = (self.norm2 + sign * 2.0 * dot(&self.sum, v) + 1.0).max(0.0);
        for &(t, w) in &v.0 {
            *self.sum.entry(t).or_default() += sign * w;
        }
    }

    /// Cosine of a unit vector with this centroid, or with it less `minus` (a member taken
    /// out); 0 for an empty vector.
    fn cosine(&self, v: &Vector, minus: Option<&Vector>) -> f32 {
        let minus = minus.filter(|m| !m.is_empty());
        let (dot_v, norm2) = match minus {
            None => (dot(&self.sum, v), self.norm2),
            // (c − m)·v = c·v − m·v and |c − m|² = |c|² − 2 c·m + |m|², m a unit vector.
            Some(m) => (dot(&self.sum, v) - sparse_dot(m, v), self.norm2 - 2.0 * dot(&self.sum, m) + 1.0),
        };
        if norm2 <= 1e-6 {
            0.0
        } else {
            dot_v / norm2.sqrt()
        }
    }
}

fn dot(sum: &HashMap<u32, f32>, v: &Vector) -> f32 {
    v.0.iter().map(|(t, w)| sum.get(t).copied().unwrap_or(0.0) * w).sum()
}

fn sparse_dot(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < a.0.len() && j < b.0.len() {
        match a.0[i].0.cmp(&b.0[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a.0[i].1 * b.0[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// The terms of `v` a group must share for its cosine with `v` to reach `threshold`: the
/// heaviest ones, until the rest weigh too little together (a group sharing only the rest has
/// a cosine of at most their norm, by Cauchy–Schwarz).
fn telling_terms(v: &Vector, threshold: f32) -> Vec<u32> {
    let mut by_weight: Vec<(u32, f32)> = v.0.clone();
    by_weight.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut rest: f32 = by_weight.iter().map(|(_, w)| w * w).sum();
    let mut out = Vec::new();
    for (t, w) in by_weight {
        if rest < threshold * threshold {
            break;
        }
        out.push(t);
        rest -= w * w;
    }
    out
}

/// A group's centroids, one per channel of [`Point`].
#[derive(Clone, Default)]
struct Centroids([Centroid; 2]);

impl Centroids {
    fn add(&mut self, p: &Point, sign: f32) {
        for (c, v) in self.0.iter_mut().zip(p.channels()) {
            c.add(v, sign);
        }
    }

    /// How close `p` is to the group (`own`: with `p` taken out of it), whose other members
    /// include some with entries or not: the higher of its cosines over their thresholds, at
    /// least 1 when close enough.
    fn closeness(&self, p: &Point, own: bool, others_have_entries: bool, t: Thresholds) -> f32 {
        let [words, entries] = &self.0;
        let cos = |c: &Centroid, v: &Vector| c.cosine(v, own.then_some(v));
        let words_threshold = if others_have_entries && !p.entries.is_empty() { t.entries } else { t.words };
        (cos(entries, &p.entries) / t.entries).max(cos(words, &p.words) / words_threshold)
    }
}

/// The groups while they form: members, centroids, and which groups hold each term.
struct Groups {
    thresholds: Thresholds,
    of: Vec<usize>,
    centroids: Vec<Centroids>,
    members: Vec<usize>,
    /// Members with entries, per group.
    with_entries: Vec<usize>,
    holding: HashMap<u32, BTreeSet<usize>>,
}

impl Groups {
    fn join(&mut self, phrasing: usize, group: usize, p: &Point) {
        if group == self.centroids.len() {
            self.centroids.push(Centroids::default());
            self.members.push(0);
            self.with_entries.push(0);
        }
        self.of[phrasing] = group;
        self.centroids[group].add(p, 1.0);
        self.members[group] += 1;
        self.with_entries[group] += usize::from(!p.entries.is_empty());
        for v in p.channels() {
            for &(t, _) in &v.0 {
                self.holding.entry(t).or_default().insert(group);
            }
        }
    }

    fn leave(&mut self, phrasing: usize, p: &Point) {
        let group = self.of[phrasing];
        self.centroids[group].add(p, -1.0);
        self.members[group] -= 1;
        self.with_entries[group] -= usize::from(!p.entries.is_empty());
        // Terms no member holds any more stay listed: a stale candidate only costs a cosine.
    }

    /// The closest group to `p` among those that could be close enough (`own`: its group,
    /// compared without it), with the closeness.
    fn nearest(&self, p: &Point, own: Option<usize>) -> Option<(usize, f32)> {
        let t = self.thresholds;
        let lowest = t.words.min(t.entries);
        let candidates: BTreeSet<usize> = telling_terms(&p.words, lowest)
            .into_iter()
            .chain(telling_terms(&p.entries, t.entries))
            .filter_map(|t| self.holding.get(&t))
            .flatten()
            .copied()
            .collect();
        let mut best: Option<(usize, f32)> = None;
        for g in candidates {
            let alone = own == Some(g) && self.members[g] == 1;
            if self.members[g] == 0 || alone {
                continue;
            }
            let mine = own == Some(g);
            let others_with_entries = self.with_entries[g] - usize::from(mine && !p.entries.is_empty());
            let c = self.centroids[g].closeness(p, mine, others_with_entries > 0, t);
            if best.is_none_or(|(_, b)| c > b) {
                best = Some((g, c));
            }
        }
        best
    }
}

/// Groups the phrasings `points`, visited in `order` (most asked first); returns the groups as
/// lists of phrasing numbers, each in `order`, the groups by their first member in `order`.
pub fn cluster(points: &[Point], order: &[usize], thresholds: Thresholds) -> Vec<Vec<usize>> {
    let mut groups = Groups {
        thresholds,
        with_entries: Vec::new(),
        of: vec![usize::MAX; points.len()],
        centroids: Vec::new(),
        members: Vec::new(),
        holding: HashMap::new(),
    };
    for &p in order {
        let v = &points[p];
        let group = match groups.nearest(v, None) {
            Some((g, c)) if c >= 1.0 => g,
            _ => groups.centroids.len(),
        };
        groups.join(p, group, v);
    }
    for _ in 0..MAX_ROUNDS {
        let mut moved = 0;
        for &p in order {
            let v = &points[p];
            let own = groups.of[p];
            let target = match groups.nearest(v, Some(own)) {
                Some((g, c)) if c >= 1.0 => g,
                // Alone already, or alone from now on.
                _ if groups.members[own] == 1 => own,
                _ => groups.centroids.len(),
            };
            if target != own {
                groups.leave(p, v);
                groups.join(p, target, v);
                moved += 1;
            }
        }
        if moved * SETTLED < order.len().max(1) {
            break;
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    for &p in order {
        let n = *slot.entry(groups.of[p]).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[n].push(p);
    }
    out
}

/// How close each member is to the centre of its group: its cosines with the group's
/// centroids (of its words, and of its entries), the higher one.
pub fn centrality(points: &[Point], members: &[usize]) -> Vec<f32> {
    let mut centroids = Centroids::default();
    for &m in members {
        centroids.add(&points[m], 1.0);
    }
    let [words, entries] = &centroids.0;
    members
        .iter()
        .map(|&m| words.cosine(&points[m].words, None).max(entries.cosine(&points[m].entries, None)))
        .collect()
}

/// The group's heaviest words (ids), heaviest first, at most `n`.
pub fn top_words(points: &[Point], members: &[usize], n: usize) -> Vec<u32> {
    let mut centroid = Centroid::default();
    for &m in members {
        centroid.add(&points[m].words, 1.0);
    }
    let mut terms: Vec<(u32, f32)> = centroid.sum.into_iter().collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    terms.into_iter().take(n).map(|(t, _)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(terms: &[(u32, f32)]) -> Vector {
        Vector::new(terms.iter().copied())
    }

    fn same(t: f32) -> Thresholds {
        Thresholds { entries: t, words: t }
    }

    fn words(terms: &[(u32, f32)]) -> Point {
        Point { words: v(terms), entries: Vector::default() }
    }

    #[test]
    fn vectors_are_unit_length_and_sorted() {
        let x = v(&[(3, 3.0), (1, 4.0)]);
        assert_eq!(x.0, vec![(1, 0.8), (3, 0.6)]);
        assert!(v(&[(1, 0.0)]).is_empty());
        assert_eq!(v(&[(2, 1.0), (2, 1.0)]).0, vec![(2, 1.0)]);
    }

    #[test]
    fn phrasings_sharing_heavy_terms_group_and_the_rest_stand_alone() {
        // 0-2 share the heavy term 10; 3-4 share 20; 5 shares only the light term 1 with 0.
        let points = vec![
            words(&[(10, 5.0), (1, 0.5)]),
            words(&[(10, 5.0), (11, 2.0)]),
            words(&[(10, 5.0), (12, 2.0), (1, 0.5)]),
            words(&[(20, 4.0), (21, 1.0)]),
            words(&[(20, 4.0)]),
            words(&[(30, 5.0), (1, 0.5)]),
            words(&[]),
        ];
        let order: Vec<usize> = (0..points.len()).collect();
        assert_eq!(cluster(&points, &order, same(0.5)), vec![vec![0, 1, 2], vec![3, 4], vec![5], vec![6]]);
        // A threshold above every similarity leaves each alone.
        assert_eq!(cluster(&points, &order, same(1.01)).len(), points.len());
    }

    #[test]
    fn an_early_leader_moves_to_the_group_that_formed_after_it() {
        // 0 comes first and starts a group; 1 is too far from it (0.53) and starts another,
        // which 2 joins (closer to 1 than to 0). Together 1 and 2 are close enough to 0 (0.63)
        // for it to move.
        let points =
            vec![words(&[(3, 1.0)]), words(&[(2, 1.0), (3, 2.0), (4, 3.0)]), words(&[(2, 2.0), (3, 2.0), (4, 1.0)])];
        assert!(sparse_dot(&points[0].words, &points[1].words) < 0.6);
        assert_eq!(cluster(&points, &[0, 1, 2], same(0.6)), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn either_alike_words_or_the_same_entries_make_phrasings_similar() {
        let entries = |e: &[(u32, f32)]| v(e);
        let points = vec![
            // Answered from entry 100, different words.
            Point { words: v(&[(1, 1.0)]), entries: entries(&[(100, 1.0), (101, 0.3)]) },
            Point { words: v(&[(2, 1.0)]), entries: entries(&[(100, 1.0)]) },
            // Fell back (no entries), with the words of the first.
            words(&[(1, 1.0), (3, 0.2)]),
            // Fell back, nothing in common.
            words(&[(4, 1.0)]),
        ];
        assert_eq!(cluster(&points, &[0, 1, 2, 3], same(0.6)), vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn centrality_and_top_words_name_the_group() {
        let points = vec![words(&[(1, 1.0), (2, 1.0)]), words(&[(1, 1.0)]), words(&[(1, 1.0), (3, 1.0)])];
        let c = centrality(&points, &[0, 1, 2]);
        assert!(c[1] > c[0] && c[1] > c[2], "{c:?}");
        assert_eq!(top_words(&points, &[0, 1, 2], 2)[0], 1);
    }
}
