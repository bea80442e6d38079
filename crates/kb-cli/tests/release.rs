//! `kb release` and `kb verify` through the binary, on copies of the bundled English knowledge:
//! a release folder and its channel (deterministic packs, staging, share, promote, rollback), and
//! verify refusing a candidate whose entry lost its questions (naming the golden questions it
//! breaks), an entry removed without a redirect, and accepting a rebuild of the same knowledge;
//! and `kb report --release` counting one release's events.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kb")).args(args).env("SOURCE_DATE_EPOCH", "1796515200").output().expect("kb runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kb-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The bundled knowledge's English part (every folder's `en`), copied to `to`: small enough to
/// build in a second.
fn english_knowledge(to: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
    for part in ["entries", "flows", "golden", "locales", "system"] {
        copy(&from.join(part).join("en"), &to.join(part).join("en"));
    }
    to.to_path_buf()
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// `kb release build` of `knowledge` into `releases` as `version`, with `--semantic semantic`.
fn release_build(knowledge: &Path, releases: &Path, version: &str, semantic: &str) -> Output {
    kb(&[
        "release",
        "build",
        "--knowledge",
        s(knowledge),
        "--out",
        s(releases),
        "--version",
        version,
        "--semantic",
        semantic,
    ])
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    text(&output.stdout)
}

fn refused(output: Output) -> (String, String) {
    assert!(!output.status.success(), "accepted:\n{}", text(&output.stdout));
    (text(&output.stdout), text(&output.stderr))
}

/// Replaces the questions and the title of the English entry `id` with ones about gift wrapping.
fn break_entry(knowledge: &Path, id: &str) {
    let path = knowledge.join("entries/en").join(format!("{id}.md"));
    let source = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = source.split_once("questions:\n").unwrap();
    let rest: Vec<&str> = rest.lines().skip_while(|l| l.starts_with("  - ")).collect();
    let head: String = head
        .lines()
        .map(|l| if l.starts_with("title:") { "title: Gift wrap" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let broken =
        format!("{head}\nquestions:\n  - gift wrapping options\n  - can you wrap a present\n{}\n", rest.join("\n"));
    std::fs::write(path, broken).unwrap();
}

/// Renames the English entry `old` to `new` everywhere (its file, its id, the golden sets and
/// the other entries' links to it), naming `old` in `replaces:` when `redirect`.
fn rename_entry(knowledge: &Path, old: &str, new: &str, redirect: bool) {
    let entries = knowledge.join("entries/en");
    std::fs::rename(entries.join(format!("{old}.md")), entries.join(format!("{new}.md"))).unwrap();
    for folder in ["entries/en", "golden/en", "flows/en", "system/en"] {
        for file in std::fs::read_dir(knowledge.join(folder)).unwrap() {
            let path = file.unwrap().path();
            let mut source = std::fs::read_to_string(&path).unwrap().replace(old, new);
            if redirect && path.ends_with(format!("{new}.md")) {
                source = source.replacen("\nquestions:", &format!("\nreplaces: [{old}]\nquestions:"), 1);
            }
            std::fs::write(path, source).unwrap();
        }
    }
}

#[test]
fn a_release_folder_and_its_channel_from_build_to_rollback() {
    let dir = scratch("release");
    let knowledge = english_knowledge(&dir.join("knowledge"));
    let releases = dir.join("releases");
    let build = |version: &str| {
        // Lexical: the semantic tiers in a release have a test of their own.
        release_build(&knowledge, &releases, version, "off")
    };

    let first = ok(build("r1"));
    assert!(first.contains("r1 is stable"), "{first}");
    let manifest = json(&releases.join("r1/manifest.json"));
    assert_eq!(manifest["built_at"], "2026-12-06T00:00:00Z");
    let pack = &manifest["packs"]["en"];
    let file = pack["file"].as_str().unwrap();
    let bytes = std::fs::read(releases.join("r1").join(file)).unwrap();
    assert_eq!(pack["bytes"].as_u64().unwrap(), bytes.len() as u64);
    assert!(file.starts_with("kb.en.") && pack["sha256"].as_str().unwrap().starts_with(&file[6..22]), "{file}");
    assert!(manifest["golden"]["en"]["top1"].as_f64().unwrap() > 0.5, "{manifest}");
    assert_eq!(pack["entries"].as_u64().unwrap(), manifest["packs"]["all"]["entries"].as_u64().unwrap());
    assert!(releases.join("r1/source/entries/en/track-order.md").exists());

    // The same knowledge gives the same bytes; a release folder is never overwritten.
    assert!(ok(build("r1")).contains("unchanged"));
    assert!(ok(build("r2")).contains("r2 has the same packs as the stable release r1"));
    assert_eq!(json(&releases.join("r2/manifest.json"))["packs"], manifest["packs"]);
    break_entry(&knowledge, "track-order");
    let (_, why) = refused(build("r1"));
    assert!(why.contains("immutable"), "{why}");
    ok(build("r3"));

    let channel = || json(&releases.join("manifest.json"));
    let release = |args: &[&str]| kb(&[&["release"], args, &["--releases", s(&releases)]].concat());
    // r3 replaced r2 as the candidate, at share 0.
    assert_eq!(
        (channel()["candidate"]["version"].as_str(), channel()["candidate"]["share"].as_u64()),
        (Some("r3"), Some(0))
    );
    let (_, why) = refused(release(&["set-share", "101"]));
    assert!(why.contains("0 to 100"), "{why}");
    ok(release(&["set-share", "30"]));
    assert_eq!(channel()["candidate"]["share"], 30);
    assert!(ok(release(&["status"])).contains("r3 at 30% of sessions"));
    ok(release(&["promote"]));
    assert_eq!((channel()["stable"]["version"].as_str(), channel()["candidate"].is_null()), (Some("r3"), true));
    assert_eq!(channel()["history"], serde_json::json!(["r1"]));
    assert!(ok(release(&["rollback"])).contains("r1 is stable again (was r3)"));
    assert_eq!(
        channel()["stable"],
        json(&releases.join("r1/manifest.json"))["packs"]
            .as_object()
            .map(|p| serde_json::json!({"version": "r1", "base": "r1/", "packs": p}))
            .unwrap()
    );
    let (_, why) = refused(release(&["rollback"]));
    assert!(why.contains("nothing to roll back to"), "{why}");
    // No temporary file or folder is left behind.
    let names: Vec<String> =
        std::fs::read_dir(&releases).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.') && !n.contains("tmp")), "{names:?}");
}

#[test]
fn a_release_carries_its_semantic_tier_and_verify_scores_with_it() {
    let dir = scratch("release-tiers");
    let knowledge = english_knowledge(&dir.join("knowledge"));
    let releases = dir.join("releases");
    let build = |version: &str| release_build(&knowledge, &releases, version, "static");
    let printed = ok(build("r1"));
    let manifest = json(&releases.join("r1/manifest.json"));
    let tier = &manifest["semantic"]["en"];
    let file = tier["file"].as_str().unwrap();
    assert!(file.starts_with("kb.en.") && file.ends_with(".sem.gz") && printed.contains(file), "{printed}");
    let bytes = std::fs::read(releases.join("r1").join(file)).unwrap();
    assert_eq!(tier["bytes"].as_u64().unwrap(), bytes.len() as u64);
    assert!(tier["sha256"].as_str().unwrap().starts_with(&file[6..22]), "{file}");
    assert!(manifest.get("encoder").is_none(), "--semantic static builds no encoder: {manifest}");
    // The channel names it for the widget; the same knowledge builds the same file.
    assert_eq!(json(&releases.join("manifest.json"))["stable"]["semantic"], manifest["semantic"]);
    assert!(ok(build("r1")).contains("unchanged"));

    let verify = || {
        let r1 = releases.join("r1");
        kb(&["verify", "--candidate", s(&r1), "--baseline", s(&r1), "--min-top1", "0.8"])
    };
    assert!(ok(verify()).contains("accepted"));
    // A damaged semantic file is refused like a damaged pack.
    let mut damaged = bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    std::fs::write(releases.join("r1").join(file), damaged).unwrap();
    let (_, why) = refused(verify());
    assert!(why.contains(file) && why.contains("checksum"), "{why}");
}

#[test]
fn verify_compares_releases_as_the_widget_runs_them_with_the_encoder_tier() {
    let dir = scratch("verify-encoder");
    let knowledge = english_knowledge(&dir.join("knowledge"));
    let releases = dir.join("releases");
    ok(release_build(&knowledge, &releases, "static", "static"));
    ok(release_build(&knowledge, &releases, "encoder", "encoder"));
    let verify = |candidate: &str, baseline: &str| {
        let (c, b) = (releases.join(candidate), releases.join(baseline));
        let out = ok(kb(&[
            "verify",
            "--candidate",
            s(&c),
            "--baseline",
            s(&b),
            "--min-top1",
            "0.8",
            "--tolerance",
            "1000",
            "--json",
        ]));
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    assert_eq!(verify("encoder", "encoder")["changes"].as_array().unwrap().len(), 0);
    // The same knowledge with the encoder tier: what changes is what the encoder re-reads (a
    // comparison of the packs and static tiers alone would find nothing), and it fixes more than
    // it breaks.
    let changes = verify("encoder", "static")["changes"].as_array().unwrap().clone();
    let count = |kind: &str| changes.iter().filter(|c| c["change"] == kind).count();
    assert!(!changes.is_empty());
    assert!(count("fixed") > count("broken"), "{changes:?}");
}

#[test]
fn verify_names_the_golden_questions_a_candidate_breaks_and_refuses_it() {
    let dir = scratch("verify");
    let releases = dir.join("releases");
    let build = |knowledge: &Path, version: &str| ok(release_build(knowledge, &releases, version, "off"));
    let good = english_knowledge(&dir.join("good"));
    build(&good, "baseline");
    build(&good, "same");
    let broken = english_knowledge(&dir.join("broken"));
    break_entry(&broken, "track-order");
    build(&broken, "broken");
    let renamed = english_knowledge(&dir.join("renamed"));
    rename_entry(&renamed, "write-review", "leave-a-review", false);
    build(&renamed, "renamed");
    let redirected = english_knowledge(&dir.join("redirected"));
    rename_entry(&redirected, "write-review", "leave-a-review", true);
    build(&redirected, "redirected");

    let verify = |candidate: &str, extra: &[&str]| {
        let (c, b) = (releases.join(candidate), releases.join("baseline"));
        kb(&[&["verify", "--candidate", s(&c), "--baseline", s(&b), "--min-top1", "0.8"], extra].concat())
    };
    let same = ok(verify("same", &[]));
    assert!(same.contains("no outcome changed") && same.contains("accepted"), "{same}");

    let (report, why) = refused(verify("broken", &[]));
    assert!(
        why.contains("candidate broken refused: it breaks") && why.contains("golden question(s), the tolerance is 0"),
        "{why}"
    );
    // The golden set's own tracking questions, each named with what it got before and now.
    assert!(
        report.contains("BROKEN \"wheres my order MP4829301756 ??\" (expects track-order): answer track-order → "),
        "{report}"
    );
    assert!(report.contains("thresholds: answer 0.8"), "{report}");
    let (json_report, _) = refused(verify("broken", &["--json"]));
    let verdict: serde_json::Value = serde_json::from_str(&json_report).unwrap();
    let broken_questions: Vec<&str> = verdict["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "broken")
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(broken_questions.contains(&"wheres my parcel at now"), "{broken_questions:?}");
    let broken_count = broken_questions.len();
    // A tolerance as large as the breakage lets it through.
    ok(verify("broken", &["--tolerance", &broken_count.to_string()]));

    let (_, why) = refused(verify("renamed", &[]));
    assert_eq!(why.trim(), "kb: candidate renamed refused: 1 entry of the baseline is gone without a redirect (`replaces:`): write-review (en)");
    ok(verify("redirected", &[]));

    // Replayed questions: counted per distinct text, with those that change named.
    let events = dir.join("events.jsonl");
    let event = |id: &str, text: &str| {
        serde_json::json!({"v": 1, "id": id, "session": "s1", "ts": "2026-12-06T10:00:00Z", "pack": "baseline", "locale": "en",
            "audience": "buyer", "page": "/", "type": "question", "question": id, "path": "answer", "entries": [],
            "top": null, "runner_up": null, "kind": "answer", "thresholds": null, "text": text})
        .to_string()
    };
    let lines =
        [event("q1", "where is my parcel"), event("q2", "where is my parcel"), event("q3", "how do i get a refund")];
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    let (report, _) = refused(verify("broken", &["--replay", s(&events), "--json"]));
    let replay = &serde_json::from_str::<serde_json::Value>(&report).unwrap()["replay"];
    assert_eq!((replay["questions"].as_u64(), replay["distinct"].as_u64()), (Some(3), Some(2)), "{replay}");
    assert_eq!(replay["changes"][0]["text"], "where is my parcel", "{replay}");
    assert_eq!(replay["changes"][0]["asked"], 2, "{replay}");

    // kb report watches one release at a time by the version its events carry.
    let questions = |release: &str| {
        let report: serde_json::Value =
            serde_json::from_str(&ok(kb(&["report", s(&events), "--json", "--release", release]))).unwrap();
        report["totals"]["questions"].as_u64()
    };
    assert_eq!((questions("baseline"), questions("broken")), (Some(3), Some(0)));
}
