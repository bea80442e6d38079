//! How well `kb gaps` groups questions, measured where the right groups are known: the golden
//! questions of `knowledge/golden/`, whose expected entry says which belong together. For each
//! pair of thresholds ([`kb_analytics::gaps::cluster::Thresholds`]), the pairs of questions put
//! in one group are counted right when both expect the same entry: precision, recall and F0.5 of
//! those pairs (precision weighs twice: a group mixing needs misleads more than one need split
//! in two). The sets: `all` the questions; `unsure` those the pack does not answer (its
//! fallbacks and clarifications), the ones `kb gaps` mostly sees; `new` those of the system
//! entries (small talk, off-topic, asking for a person) read without any entry, as questions
//! about something the knowledge lacks are. The development questions choose [`THRESHOLDS`]
//! (the best sum of F0.5 over their three sets), the test questions check them. Run:
//! `cargo run --release -p kb-analytics --example gaps_fit [KNOWLEDGE]`.

use kb_analytics::gaps::cluster::{cluster, Point, Thresholds};
use kb_analytics::gaps::terms::Vocabulary;
use kb_analytics::gaps::THRESHOLDS;
use kb_compiler::calibrate::build_calibrated;
use kb_compiler::dataset::LabeledQuery;
use kb_compiler::knowledge::Knowledge;
use kb_core::decide::{Overrides, Path};
use kb_core::{Index, Locale, Query};

/// Right, wrong and missed pairs.
#[derive(Default)]
struct Pairs {
    right: u64,
    wrong: u64,
    missed: u64,
}

impl Pairs {
    fn count(&mut self, labels: &[&str], groups: &[Vec<usize>]) {
        let mut of = vec![0; labels.len()];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                of[m] = g;
            }
        }
        for i in 0..labels.len() {
            for j in i + 1..labels.len() {
                match (labels[i] == labels[j], of[i] == of[j]) {
                    (true, true) => self.right += 1,
                    (false, true) => self.wrong += 1,
                    (true, false) => self.missed += 1,
                    (false, false) => {}
                }
            }
        }
    }

    fn scores(&self) -> (f64, f64, f64) {
        let p = self.right as f64 / (self.right + self.wrong).max(1) as f64;
        let r = self.right as f64 / (self.right + self.missed).max(1) as f64;
        let f = if p + r > 0.0 { 1.25 * p * r / (0.25 * p + r) } else { 0.0 };
        (p, r, f)
    }
}

/// The thresholds tried: those chosen first, then around them.
fn grid() -> Vec<(f32, f32)> {
    let mut grid = vec![(THRESHOLDS.entries, THRESHOLDS.words)];
    for entries in [0.6, 0.7, 0.8] {
        for words in [0.2, 0.3, 0.4, 0.5, 0.7] {
            if (entries, words) != grid[0] {
                grid.push((entries, words));
            }
        }
    }
    grid
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "knowledge".into());
    let (knowledge, diags) = Knowledge::load(std::path::Path::new(&root));
    if diags.iter().any(|d| d.is_error()) {
        eprintln!("{root} has errors: run kb lint");
        std::process::exit(1);
    }
    let pack = build_calibrated(&knowledge.corpus(), &knowledge.dev_queries(), |_, _| {});
    let index = match pack.and_then(Index::from_bytes) {
        Ok(index) => index,
        Err(e) => {
            eprintln!("the pack does not read back: {e}");
            std::process::exit(1);
        }
    };
    let unsure = |locale: Locale, q: &LabeledQuery| {
        let reply = index.decide(&Query::new(&q.text, locale).audience(q.audience), &Overrides::default());
        matches!(reply.path, Path::Fallback(_) | Path::Clarify(_))
    };
    let system = |locale: Locale, q: &LabeledQuery| {
        q.expected.as_deref().and_then(|id| index.find(id, locale)).is_some_and(|n| index.kind(n).is_system())
    };
    println!("set            questions  entries  words  precision  recall  F0.5");
    for (set, subset) in [("dev", "all"), ("dev", "unsure"), ("dev", "new"), ("test", "all"), ("test", "unsure")] {
        // Per locale: the questions' points and expected entries, read once.
        let mut read: Vec<(Vec<Point>, Vec<String>)> = Vec::new();
        for (locale, golden) in &knowledge.golden {
            let pool = if set == "dev" { &golden.dev } else { &golden.test };
            let chosen: Vec<&LabeledQuery> = pool
                .iter()
                .filter(|q| {
                    q.expected.is_some()
                        && match subset {
                            "unsure" => unsure(*locale, q),
                            "new" => system(*locale, q),
                            _ => true,
                        }
                })
                .collect();
            let mut vocabulary = Vocabulary::default();
            let points = chosen
                .iter()
                .map(|q| {
                    let mut point = vocabulary.read(&index, *locale, q.audience, &q.text).point;
                    if subset == "new" {
                        // As if the knowledge lacked them: no entry to be sent to.
                        point.entries = Default::default();
                    }
                    point
                })
                .collect();
            read.push((points, chosen.iter().filter_map(|q| q.expected.clone()).collect()));
        }
        let questions: usize = read.iter().map(|(p, _)| p.len()).sum();
        for (entries, words) in grid() {
            let thresholds = Thresholds { entries, words };
            let mut pairs = Pairs::default();
            for (points, expected) in &read {
                let order: Vec<usize> = (0..points.len()).collect();
                let labels: Vec<&str> = expected.iter().map(String::as_str).collect();
                pairs.count(&labels, &cluster(points, &order, thresholds));
            }
            let (p, r, f) = pairs.scores();
            let name = format!("{set} {subset}");
            println!("{name:<14} {questions:>6}  {entries:>7.2}  {words:>5.2}  {p:>9.3}  {r:>6.3}  {f:.3}");
        }
    }
}
