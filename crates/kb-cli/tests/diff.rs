//! `kb diff` through the binary on a fixture pair (tests/fixtures/diff/{old,new}): an entry
//! added, one removed, one changed (questions, answer line, link), a flow's step added, removed,
//! rewired and reworded, a synonym group and a stop word; in the terminal, as JSON, and between
//! two release folders built from the pair.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kb")).args(args).output().expect("kb runs")
}

fn fixture(side: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff").join(side)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn stdout(output: Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_terminal_report_names_every_change_of_the_fixture_pair() {
    let report = stdout(kb(&["diff", s(&fixture("old")), s(&fixture("new"))]));
    for line in [
        "+ [en] cancel-order — Cancel an order",
        "- [en] gift-cards — Gift cards",
        "~ [en] track-order — Track my order",
        "    + question: has my order shipped",
        "    - question: track my parcel",
        "      -The courier's tracking shows under *Delivery*.",
        "      +The courier's tracking shows under *Delivery*, with the courier's name.",
        "       Open **My orders** and tap the order.",
        "    + link: Courier status | https://demo-market.example/couriers",
        "~ [en] missing-parcel",
        "    + step courier",
        "    - step wait",
        "    ~ step ask rewired: was \"Yes\" → neighbours, \"No\" → wait; now \"Yes\" → neighbours, \"No\" → courier",
        "    ~ step neighbours reworded",
        "    + stop word: of",
        "    + synonyms: parcel, package, pkg, box",
        "    - synonyms: parcel, package, pkg",
        "1 entries changed, 1 added, 1 removed; 1 flows changed, 0 added, 0 removed; 1 locale(s) with other stop words or synonyms",
    ] {
        assert!(report.lines().any(|l| l == line), "missing {line:?} in\n{report}");
    }
    // An unchanged entry is not listed.
    assert!(!report.contains("refund-status"), "{report}");
    assert_eq!(stdout(kb(&["diff", s(&fixture("old")), s(&fixture("old"))])).trim(), "no differences");
}

#[test]
fn json_and_release_folders() {
    let json: serde_json::Value =
        serde_json::from_str(&stdout(kb(&["diff", "--json", s(&fixture("old")), s(&fixture("new"))]))).unwrap();
    let entries = json["entries"].as_array().unwrap();
    let track = entries.iter().find(|e| e["id"] == "track-order").unwrap();
    assert_eq!(track["status"], "changed");
    assert_eq!(track["questions_removed"], serde_json::json!(["track my parcel"]));
    assert_eq!(json["flows"][0]["steps_rewired"][0]["new"][1], "\"No\" → courier");
    assert_eq!(json["analysis"][0]["stopwords_added"], serde_json::json!(["of"]));

    let releases = std::env::temp_dir().join(format!("kb-cli-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&releases);
    for (side, version) in [("old", "v1"), ("new", "v2")] {
        let built = kb(&[
            "release",
            "build",
            "--knowledge",
            s(&fixture(side)),
            "--out",
            s(&releases),
            "--version",
            version,
            "--semantic",
            "off",
        ]);
        assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    }
    let report = stdout(kb(&["diff", s(&releases.join("v1")), s(&releases.join("v2"))]));
    assert!(report.contains("+ [en] cancel-order") && report.contains("    + step courier"), "{report}");
    let missing = kb(&["diff", s(&releases.join("v1")), s(&releases.join("nope"))]);
    assert!(!missing.status.success());
}
