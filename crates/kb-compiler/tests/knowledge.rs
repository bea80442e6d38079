//! Validation of knowledge folders: every problem is reported at its file and line, nothing
//! panics, and the shipped knowledge is clean and its golden questions are genuinely new.

use std::fs;
use std::path::{Path, PathBuf};

use kb_compiler::knowledge::Knowledge;

struct Fixture(PathBuf);

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!("kb-fixture-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Fixture(dir)
    }

    fn file(&self, path: &str, text: &str) -> &Fixture {
        let p = self.0.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
        self
    }

    /// Diagnostics as `relative/path:line: severity: message`.
    fn lint(&self) -> Vec<String> {
        let (_, diags) = Knowledge::load(&self.0);
        diags.iter().map(|d| d.to_string().replace(&format!("{}/", self.0.display()), "")).collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const GOOD: &str = "---\nid: track-order\ntitle: Track\nlocale: en\naudience: buyer\nquestions:\n  - where is my parcel\n  - track order\n  - wheres my pkg\n---\nOpen **Orders**.\n";

fn has(diags: &[String], needle: &str) -> bool {
    diags.iter().any(|d| d.contains(needle))
}

#[test]
fn clean_entry_has_no_diagnostics() {
    let f = Fixture::new("clean");
    f.file("entries/en/track-order.md", GOOD);
    assert_eq!(f.lint(), Vec::<String>::new());
}

#[test]
fn problems_are_reported_with_file_and_line() {
    let f = Fixture::new("problems");
    f.file("entries/en/track-order.md", GOOD)
        .file("entries/en/dup.md", GOOD)
        .file("entries/en/same-question.md", "---\nid: other\ntitle: Other\nlocale: en\naudience: buyer\nquestions:\n  - a question\n  - Where is my  PARCEL\n  - third one\nrelated: [nowhere]\n---\nBody\n")
        .file("entries/en/bad.md", "---\nid: bad\ntitle: Bad\nlocale: fr\naudience: everyone\nquestions:\n  - only one\n---\n\n")
        .file("entries/en/missing.md", "---\ntitle: No id\nlocale: en\naudience: all\nquestions: [a, b, c]\n---\nBody\n")
        .file("entries/en/weak.md", "---\nid: weak\ntitle: Weak\nlocale: en\naudience: all\nquestions: [just one]\nlinks:\n  - Bad | javascript:alert(1)\n---\nBody\n")
        .file("entries/en/broken.md", "no front matter here");
    let d = f.lint();
    assert!(
        has(&d, "entries/en/track-order.md:2: error: duplicate id `track-order`")
            || has(&d, "entries/en/dup.md:2: error: duplicate id `track-order`"),
        "{d:#?}"
    );
    assert!(
        has(
            &d,
            "entries/en/same-question.md:8: error: question `Where is my  PARCEL` is also asked in entry `track-order`"
        ),
        "{d:#?}"
    );
    assert!(has(&d, "entries/en/same-question.md:10: error: related entry `nowhere` does not exist"), "{d:#?}");
    assert!(has(&d, "entries/en/bad.md:4: error: unknown locale `fr`"), "{d:#?}");
    assert!(has(&d, "entries/en/bad.md:5: error: unknown audience `everyone`"), "{d:#?}");
    assert!(has(&d, "entries/en/bad.md:9: error: empty answer"), "{d:#?}");
    assert!(has(&d, "entries/en/missing.md:1: error: missing field `id`"), "{d:#?}");
    assert!(has(&d, "entries/en/weak.md:6: warning: weak entry: only 1 question(s)"), "{d:#?}");
    assert!(has(&d, "entries/en/weak.md:8: error: link `Bad | javascript:alert(1)`"), "{d:#?}");
    assert!(has(&d, "entries/en/broken.md:1: error: missing front matter"), "{d:#?}");
}

#[test]
fn draft_entries_are_errors_until_their_answer_is_written() {
    let f = Fixture::new("draft");
    let draft = "---\nid: gift-wrap\ntitle: Gift wrap\nlocale: en\naudience: buyer\ntags: [draft]\nquestions:\n  - can you gift wrap it\n  - do you offer gift wrapping\n  - is gift wrap available\n---\n\nTODO: write the answer.\n";
    f.file("entries/en/track-order.md", GOOD).file("entries/en/gift-wrap.md", draft);
    let d = f.lint();
    assert_eq!(d, ["entries/en/gift-wrap.md:13: error: draft entry: write its answer (it starts with TODO)"], "{d:#?}");
    // Its questions are still checked against the other entries.
    f.file("entries/en/gift-wrap.md", &draft.replace("is gift wrap available", "track order"));
    assert!(has(&f.lint(), "question `track order` is also asked in entry `gift-wrap`"), "{:#?}", f.lint());
    // Written, it is an entry like the others; a "todo" inside an answer is no draft.
    f.file(
        "entries/en/gift-wrap.md",
        &draft.replace("TODO: write the answer.", "Gift wrapping is not offered. TODO lists aside."),
    );
    assert_eq!(f.lint(), Vec::<String>::new());
}

#[test]
fn golden_questions_copied_from_entries_are_errors() {
    let f = Fixture::new("golden");
    f.file("entries/en/track-order.md", GOOD).file("golden/en/a.test.jsonl", "{\"text\": \"new words here\", \"expected\": \"track-order\"}\n{\"text\": \"Where is my parcel?!\", \"expected\": \"track-order\"}\n");
    let d = f.lint();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(has(&d, "golden/en/a.test.jsonl:2: error: golden question `Where is my parcel?!` is also a question of entry `track-order`"), "{d:#?}");
}

#[test]
fn flow_problems_are_reported() {
    let f = Fixture::new("flows");
    f.file("entries/en/track-order.md", &GOOD.replace("---\nOpen", "flow: missing-flow\n---\nOpen"))
        .file(
            "flows/en/f.md",
            "---\nid: f\nlocale: en\ntitle: F\nstart: a\n---\n## a\n- go -> b\n## b\n=> end\n## c\n=> end\n",
        )
        .file("flows/en/g.md", "---\nid: g\nlocale: en\ntitle: G\nstart: a\n---\n## a\n=> entry no-such-entry\n");
    let d = f.lint();
    assert!(has(&d, "flow `missing-flow` does not exist"), "{d:#?}");
    assert!(has(&d, "flows/en/f.md:11: error: step `c` cannot be reached from `a`"), "{d:#?}");
    assert!(has(&d, "shows entry `no-such-entry`, which does not exist in en"), "{d:#?}");
}

/// `GOOD` with `markets:` in its front matter and `body` as its answer.
fn varying(markets: &str, body: &str) -> String {
    GOOD.replace("---\nOpen **Orders**.\n", &format!("markets: {markets}\n---\n{body}"))
}

#[test]
fn entries_vary_by_market_and_lint_checks_every_variant() {
    let f = Fixture::new("markets");
    let body = "Returns:\n\n::: market=default\n**15 days**\n:::\n::: market=th\n**7 days**\n:::\n=> handoff\n";
    f.file("entries/en/track-order.md", &varying("[th]", body));
    let (knowledge, diags) = Knowledge::load(&f.0);
    assert!(diags.is_empty(), "{diags:#?}");
    let entry = &knowledge.entries[0].entry;
    assert_eq!(entry.answer_for(None), "Returns:\n\n**15 days**");
    assert_eq!(entry.answer_for(Some(kb_core::Market::Th)), "Returns:\n\n**7 days**");
    assert!(entry.handoff, "`=> handoff` still ends the answer");

    // Markets is at line 10, the body starts at line 12.
    f.file("entries/en/track-order.md", &varying("[th, id, xx]", body));
    let d = f.lint();
    assert!(has(&d, "entries/en/track-order.md:10: error: unknown market `xx`"), "{d:#?}");
    assert!(has(&d, "entries/en/track-order.md:14: error: this group has no `::: market=id` block"), "{d:#?}");
    f.file("entries/en/track-order.md", &varying("[th]", "Text only.\n"));
    assert!(has(&f.lint(), "track-order.md:10: error: `markets` is declared, but no `::: market=default` block"));
    f.file("entries/en/track-order.md", &varying("[th]", "::: market=default\nx\n:::\n::: market=th\n:::\n"));
    assert!(has(&f.lint(), "track-order.md:12: error: the answer for market `th` is empty"));
    f.file("entries/en/track-order.md", &GOOD.replace("Open **Orders**.", "::: market=default\nx\n:::"));
    assert!(has(&f.lint(), "track-order.md:11: error: a `::: market=` block needs the markets it varies for"));
}

#[test]
fn hostile_files_never_panic() {
    let f = Fixture::new("hostile");
    let junk = [
        "---",
        "---\n---\n",
        "---\nquestions:\n  - \n---\n",
        "\u{feff}---\nid: x\n---",
        "---\n: :\n---\n",
        "---\nid: [unclosed\n---\n",
    ];
    for (i, text) in junk.iter().enumerate() {
        f.file(&format!("entries/en/j{i}.md"), text);
        f.file(&format!("flows/en/j{i}.md"), text);
    }
    f.file("golden/en/x.test.jsonl", "{not json}\n");
    f.file("golden/en/y.test.jsonl", "{\"text\": \"x\", \"expected\": null}\n");
    let d = f.lint();
    assert!(d.len() >= junk.len() * 2, "{d:#?}");
}

#[test]
fn shipped_knowledge_is_clean_and_golden_questions_are_new() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
    let (knowledge, diags) = Knowledge::load(&root);
    let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(knowledge.entries.iter().filter(|e| e.entry.locale == kb_core::Locale::En).count() >= 120);
    // (A golden question equal to an entry's question is a lint error, checked above.)
    assert!(knowledge.golden[&kb_core::Locale::En].test.len() >= 400);
}

#[test]
fn invalid_utf8_is_reported_at_its_line() {
    let f = Fixture::new("utf8");
    let mut latin1 = GOOD.replace("Open **Orders**.", "Open **Orders**.\nThen tap Détails.").into_bytes();
    let at = latin1.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    latin1.splice(at..at + 2, [0xe9]); // é in Latin-1
    let p = f.0.join("entries/en/track-order.md");
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, &latin1).unwrap();
    f.file("locales/en/synonyms.txt", "parcel = package\n");
    fs::write(f.0.join("locales/en/stopwords.txt"), b"the\n\xff\n").unwrap();
    let diags = f.lint();
    assert!(has(&diags, "entries/en/track-order.md:12: error: not valid UTF-8 at byte 11 of this line"), "{diags:?}");
    assert!(has(&diags, "locales/en/stopwords.txt:2: error: not valid UTF-8"), "{diags:?}");
}

#[test]
fn oversized_and_deeply_nested_answers_are_warnings_at_their_line() {
    let f = Fixture::new("budget");
    let huge = GOOD.replace("Open **Orders**.\n", &"Open **Orders** and read on. ".repeat(10 * 1024 * 1024 / 29));
    let deep: String = (0..5000).map(|i| format!("{}step {i}\n", "- ".repeat(i + 1))).collect();
    let nested = GOOD
        .replace("id: track-order", "id: nested")
        .replace("Open **Orders**.\n", &format!("Steps:\n{deep}"))
        .replace("where is my parcel", "nested one")
        .replace("track order", "nested two")
        .replace("wheres my pkg", "nested three");
    f.file("entries/en/track-order.md", &huge).file("entries/en/nested.md", &nested);
    let (knowledge, diags) = Knowledge::load(&f.0);
    assert!(diags.iter().all(|d| !d.is_error()), "budgets warn, they do not refuse: {diags:#?}");
    assert_eq!(knowledge.entries.len(), 2, "both entries still load");
    let d = f.lint();
    assert!(has(&d, "entries/en/track-order.md:11: warning: the answer is 10239 kB, over the 64 kB budget"), "{d:#?}");
    assert!(has(&d, "entries/en/nested.md:5011: warning: lists or quotes nested 5000 levels deep"), "{d:#?}");
}
