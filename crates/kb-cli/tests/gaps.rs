//! `kb gaps` through the binary, on the planted event stream of kb-analytics' tests: the JSON
//! for scripts, the ranked list, the drafts it writes (which `kb lint` refuses until their answer
//! is written) and the ones it keeps, and its usage errors.

// Shared with kb-analytics' tests, which read more of what it plants than these do.
#[allow(dead_code)]
#[path = "../../kb-analytics/tests/planted/mod.rs"]
mod planted;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kb")).args(args).output().expect("kb runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn knowledge() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge")
}

#[test]
fn needs_as_json_and_as_a_list_with_drafts_that_lint_refuses() {
    let dir = std::env::temp_dir().join(format!("kb-cli-gaps-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let events = dir.join("events");
    let planted = planted::plant(&events);
    let drafts = dir.join("drafts");
    let s = |p: &Path| p.to_str().expect("a UTF-8 temp path").to_string();
    let period = ["--from", planted::FROM, "--to", planted::TO];

    let run =
        kb(&[&["gaps", &s(&events), "--out", &s(&drafts), "--knowledge", &s(&knowledge()), "--json"][..], &period]
            .concat());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    let clusters = json["clusters"].as_array().expect("clusters");
    assert!(!clusters.is_empty());
    assert_eq!(json["period"], serde_json::json!([planted::FROM, planted::TO]));
    assert_eq!(json["gap_questions"], planted.iter().filter(|p| p.in_period()).count());
    let texts = |c: &serde_json::Value| -> Vec<String> {
        c["members"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
    };
    let noise: Vec<&str> = planted.iter().filter(|p| p.is_noise()).map(|p| p.text.as_str()).collect();
    assert!(clusters.iter().all(|c| texts(c).iter().all(|t| !noise.contains(&t.as_str()))));
    let parcel: Vec<&str> =
        planted.iter().filter(|p| p.need == "where-is-my-parcel").map(|p| p.text.as_str()).collect();
    let near =
        clusters.iter().find(|c| texts(c).iter().any(|t| parcel.contains(&t.as_str()))).expect("the parcel need");
    assert_eq!((near["verdict"].as_str(), near["entry"].as_str()), (Some("add"), Some("track-order")));
    let files: Vec<&str> =
        clusters.iter().filter(|c| c["verdict"] == "draft").map(|c| c["file"].as_str().unwrap()).collect();
    assert!(!files.is_empty());
    let written: Vec<&str> =
        json["drafts"]["written"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(written.len(), files.len());
    for file in &files {
        assert!(drafts.join(file).is_file(), "{file}");
        assert!(written.contains(&s(&drafts.join(file)).as_str()), "{file} not in {written:?}");
    }
    assert!(text(&run.stderr).contains("kb gaps: "), "{}", text(&run.stderr));

    // `kb lint` on the drafts: one error per draft, that it is one.
    let lint = kb(&["lint", "--knowledge", &s(&drafts)]);
    assert_eq!(lint.status.code(), Some(1));
    let errors: Vec<String> =
        text(&lint.stderr).lines().filter(|l| l.contains(": error: ")).map(str::to_string).collect();
    assert_eq!(errors.len(), files.len(), "{errors:#?}");
    assert!(errors.iter().all(|e| e.ends_with("draft entry: write its answer (it starts with TODO)")), "{errors:#?}");

    // The list, from a built pack: the same needs, and the drafts there are kept.
    let pack = dir.join("kb.idx");
    let build = kb(&["build", "--knowledge", &s(&knowledge()), "--out", &s(&pack)]);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let list = kb(&[&["gaps", &s(&events), "--out", &s(&drafts), "--index", &s(&pack)][..], &period].concat());
    assert!(list.status.success(), "{}", text(&list.stderr));
    let lines: Vec<String> = text(&list.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), clusters.len(), "{lines:#?}");
    assert!(lines[0].starts_with("  1. "), "{lines:#?}");
    let name = near["name"].as_str().unwrap();
    let listed = lines.iter().find(|l| l.contains(name)).expect("listed");
    assert!(listed.ends_with("→ add to track-order"), "{listed}");
    assert_eq!(lines.iter().filter(|l| l.contains("(kept, it was there)")).count(), files.len(), "{lines:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_errors_and_missing_inputs() {
    assert_eq!(kb(&["gaps"]).status.code(), Some(2), "inputs are required");
    assert_eq!(kb(&["gaps", "x", "--from", "2026-12-01"]).status.code(), Some(2), "--from needs --to");
    assert_eq!(kb(&["gaps", "x", "--knowledge", "k", "--index", "i"]).status.code(), Some(2));
    assert_eq!(kb(&["gaps", "x", "--min-sessions", "0"]).status.code(), Some(2));
    let missing = kb(&["gaps", "/nonexistent/events", "--knowledge", &knowledge().to_string_lossy()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("/nonexistent/events: no such file or folder"), "{}", text(&missing.stderr));
}
