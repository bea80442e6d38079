//! `kb gaps` on an event stream with planted needs (`tests/planted`): it finds them, keeps them
//! apart and apart from the noise, counts and ranks them, sends the one the knowledge covers to
//! its entry and drafts the others in a form the knowledge compiler reads and `kb lint` refuses.

mod planted;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kb_analytics::event::millis;
use kb_analytics::gaps::draft::write;
use kb_analytics::gaps::{Cluster, Finder, Gaps, Options, Verdict};
use kb_analytics::read::{files, read};
use kb_analytics::Window;
use kb_compiler::calibrate::build_calibrated;
use kb_compiler::knowledge::Knowledge;
use kb_core::{Index, Locale};
use planted::Plant;

fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge")
}

/// The pack of the real knowledge, calibrated as `kb build` does (built once for the tests).
fn pack() -> &'static Index {
    static PACK: OnceLock<Index> = OnceLock::new();
    PACK.get_or_init(|| {
        let (knowledge, _) = Knowledge::load(&knowledge_dir());
        let bytes = build_calibrated(&knowledge.corpus(), &knowledge.dev_queries(), |_, _| {}).unwrap();
        Index::from_bytes(bytes).unwrap()
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kb-gaps-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn find(events: &Path, index: &Index) -> Gaps {
    let day = |d: &str| millis(&format!("{d}T00:00:00Z")).unwrap();
    let window = Window { from: day(planted::FROM), to: day(planted::TO) + 24 * 3600 * 1000 };
    let mut finder = Finder::new(Some(window));
    read(&files(&[events.to_path_buf()]).unwrap(), |e| finder.add(e), |_| {}).unwrap();
    finder.finish(index, &Options::default(), |_, _| {})
}

/// The planted questions of the period by (locale, text).
fn by_text(planted: &[Plant]) -> HashMap<(String, String), Vec<&Plant>> {
    let mut out: HashMap<(String, String), Vec<&Plant>> = HashMap::new();
    for p in planted.iter().filter(|p| p.in_period()) {
        out.entry((p.locale.clone(), p.text.clone())).or_default().push(p);
    }
    out
}

/// The planted questions of a cluster's phrasings.
fn plants_of<'a>(c: &Cluster, planted: &HashMap<(String, String), Vec<&'a Plant>>) -> Vec<&'a Plant> {
    c.members
        .iter()
        .flat_map(|m| {
            planted.get(&(c.locale.code().to_string(), m.text.clone())).cloned().unwrap_or_else(|| {
                panic!("`{}` ({}) was not planted as a gap in the period", m.text, c.locale);
            })
        })
        .collect()
}

#[test]
fn planted_needs_are_found_apart_counted_ranked_and_judged() {
    let events = scratch("events");
    let planted = planted::plant(&events);
    let texts: HashSet<(&str, &str)> = planted.iter().map(|p| (p.locale.as_str(), p.text.as_str())).collect();
    let needs_of_text: HashSet<(&str, &str, &str)> =
        planted.iter().map(|p| (p.locale.as_str(), p.text.as_str(), p.need.as_str())).collect();
    assert_eq!(texts.len(), needs_of_text.len(), "a text of the fixture belongs to one need only");
    let index = pack();
    let gaps = find(&events, index);
    let in_period = by_text(&planted);

    // Every gap question of the period with text, no other; the duplicated event once.
    let expected: usize = in_period.values().map(Vec::len).sum();
    assert_eq!(gaps.gap_questions, expected as u64);
    assert_eq!(gaps.without_text, 6, "a day: two sessions without text, one that asked `??`");
    assert_eq!(gaps.period, Some((planted::FROM.to_string(), planted::TO.to_string())));

    // Each listed group is one need, in one locale, never noise; counted from its questions.
    let mut main: BTreeMap<String, &Cluster> = BTreeMap::new();
    for c in &gaps.clusters {
        let plants = plants_of(c, &in_period);
        let needs: BTreeSet<&str> = plants.iter().map(|p| p.need.as_str()).collect();
        assert_eq!(needs.len(), 1, "group {} `{}` mixes needs: {needs:?}", c.rank, c.name);
        let need = plants[0].need.clone();
        assert!(!plants[0].is_noise(), "noise listed as a need: {}", plants[0].text);
        assert!(plants.iter().all(|p| p.locale == c.locale.code()));
        assert_eq!(c.questions, plants.len() as u64, "{need}");
        let sessions: HashSet<&str> = plants.iter().map(|p| p.session.as_str()).collect();
        assert_eq!(c.sessions, sessions.len() as u64, "{need}");
        assert!(c.sessions >= Options::default().min_sessions);
        let best = main.entry(need).or_insert(c);
        if c.questions > best.questions {
            *best = c;
        }
    }
    // Ranked by sessions, then questions.
    let volumes: Vec<(u64, u64)> = gaps.clusters.iter().map(|c| (c.sessions, c.questions)).collect();
    let mut sorted = volumes.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(volumes, sorted);
    assert_eq!(gaps.clusters.iter().map(|c| c.rank).collect::<Vec<_>>(), (1..=gaps.clusters.len()).collect::<Vec<_>>());

    // Every planted need is found, most of each in one group: words that the analysis cannot
    // relate ("can the courier come in the evening" and "pick a time slot") stay apart.
    let phrasings: BTreeMap<&str, BTreeSet<&str>> =
        planted.iter().filter(|p| p.in_period() && !p.is_noise()).fold(BTreeMap::new(), |mut m, p| {
            m.entry(p.need.as_str()).or_default().insert(p.text.as_str());
            m
        });
    let found: Vec<String> = phrasings
        .iter()
        .map(|(need, all)| {
            let got = main.get(*need).map_or(0, |c| c.members.len());
            format!("{need} {got}/{}", all.len())
        })
        .collect();
    assert!(phrasings.keys().all(|n| main.contains_key(*n)), "needs not found: {found:?}");
    let grouped: usize = main.values().map(|c| c.members.len()).sum();
    let all: usize = phrasings.values().map(BTreeSet::len).sum();
    assert!(grouped * 4 >= all * 3, "only {grouped} of {all} phrasings with their need: {found:?}");

    // Languages apart: the Indonesian need is its own group.
    assert_eq!(main["grosir"].locale, Locale::Id);
    // The one the knowledge covers goes to its entry; the others are drafts.
    match &main["where-is-my-parcel"].verdict {
        Verdict::Add { entry, share, .. } => assert!(entry == "track-order" && *share >= 0.5, "{entry} {share}"),
        other => panic!("where-is-my-parcel: {other:?}"),
    }
    for need in ["gift-wrap", "warranty", "second-warehouse", "grosir"] {
        assert!(matches!(main[need].verdict, Verdict::Draft { .. }), "{need}: {:?}", main[need].verdict);
    }
    assert_eq!(main["second-warehouse"].audience, kb_core::Audience::Seller);

    drafts_read_back_and_are_refused_until_written(&gaps);
    let _ = std::fs::remove_dir_all(events);
}

/// The drafts parse as knowledge with their real questions, and the only errors `kb lint`'s
/// loader reports are that they are drafts, alone or inside the real knowledge.
fn drafts_read_back_and_are_refused_until_written(gaps: &Gaps) {
    let out = scratch("drafts");
    let written = write(&out, &gaps.clusters).unwrap();
    let drafts: Vec<&Cluster> = gaps.clusters.iter().filter(|c| matches!(c.verdict, Verdict::Draft { .. })).collect();
    assert_eq!(written.len(), drafts.len());
    assert!(written.iter().all(|w| !w.kept && w.path.starts_with(&out)));

    let (knowledge, diags) = Knowledge::load(&out);
    let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), drafts.len(), "{errors:#?}");
    assert!(errors.iter().all(|e| e.ends_with("draft entry: write its answer (it starts with TODO)")), "{errors:#?}");
    for c in &drafts {
        let Verdict::Draft { id, file } = &c.verdict else { unreachable!() };
        assert_eq!(file, &format!("entries/{}/{id}.md", c.locale.code()));
        let entry = knowledge.entries.iter().find(|e| &e.entry.id == id).unwrap_or_else(|| panic!("{id} not read"));
        assert_eq!(entry.entry.locale, c.locale);
        assert_eq!(entry.entry.audience, c.audience);
        assert_eq!(entry.entry.tags, ["draft"]);
        let members: Vec<&str> = c.members.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(entry.questions, members, "{id}");
    }

    // Inside the real knowledge they clash with nothing.
    let merged = scratch("merged");
    copy(&knowledge_dir(), &merged);
    copy(&out.join("entries"), &merged.join("entries"));
    let (_, diags) = Knowledge::load(&merged);
    let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), drafts.len(), "{errors:#?}");
    assert!(errors.iter().all(|e| e.contains("draft entry")), "{errors:#?}");

    // A second run keeps a draft someone started editing.
    let first = &written[0].path;
    std::fs::write(first, "edited").unwrap();
    let again = write(&out, &gaps.clusters).unwrap();
    assert!(again.iter().all(|w| w.kept));
    assert_eq!(std::fs::read_to_string(first).unwrap(), "edited");
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(merged);
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn without_a_period_the_day_before_counts_and_a_higher_minimum_lists_less() {
    let events = scratch("all-days");
    let planted = planted::plant(&events);
    let index = pack();
    let mut finder = Finder::new(None);
    read(&files(std::slice::from_ref(&events)).unwrap(), |e| finder.add(e), |_| {}).unwrap();
    let options = Options { min_sessions: 7, ..Options::default() };
    let gaps = finder.finish(index, &options, |_, _| {});
    assert_eq!(gaps.gap_questions, planted.len() as u64);
    assert_eq!(gaps.period, None);
    assert!(!gaps.clusters.is_empty());
    assert!(gaps.clusters.iter().all(|c| c.sessions >= 7));
    let _ = std::fs::remove_dir_all(events);
}
