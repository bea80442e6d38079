//! `kb`: build, lint, search and evaluate knowledge indexes from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use kb_compiler::builder::{build, BuildOptions};
use kb_compiler::calibrate::{fit, Targets};
use kb_compiler::dataset::{read_kb, read_queries, LabeledQuery};
use kb_compiler::eval::{confusions, report, run, Outcome};
use kb_compiler::knowledge::{Corpus, Knowledge};
use kb_compiler::Diagnostic;
use kb_core::confidence::FEATURE_NAMES;
use kb_core::decide::Overrides;
use kb_core::Locale;
use kb_core::{Audience, Index, Query};

/// Prints a line to standard output; a closed pipe (`kb search … | head`) ends the program
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

const USAGE: &str = "\
kb — the marketplace assistant's knowledge tool

USAGE:
  kb build  [--knowledge DIR] [--out FILE] [--per-locale]
                                                   lint, calibrate on golden/*/*.dev.jsonl, write the index
                                                   (and, with --per-locale, FILE's stem.<locale>.idx for each locale)
  kb lint   [--knowledge DIR]                     report problems as file:line: message
  kb search QUESTION [--index FILE | --knowledge DIR] [--locale L] [--audience A] [--limit N] [--json]
  kb eval   --kb DIR/kb.jsonl --queries DIR/test.jsonl [--calibrate DIR/dev.jsonl] [--out FILE] [--json]
  kb eval   [--knowledge DIR] [--min-top1 X] [--min-oos-routed X] [--json]
                                                   score the golden test sets (fails below the minimums)

Defaults: --knowledge knowledge, --out dist/kb.idx, --locale en, --audience all, --limit 5.";

/// A command-line failure: printed as `kb: …`, exit status 1 (2 for usage errors).
enum Failure {
    Usage(String),
    Failed(String),
}

type Outcome2 = Result<(), Failure>;

struct Args {
    positional: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(raw: Vec<String>) -> Result<Args, Failure> {
        let mut positional = Vec::new();
        let mut options = Vec::new();
        let mut it = raw.into_iter().peekable();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                let takes_value = !matches!(name, "json" | "help" | "per-locale");
                let value = if takes_value {
                    Some(it.next().ok_or_else(|| Failure::Usage(format!("--{name} needs a value")))?)
                } else {
                    None
                };
                options.push((name.to_string(), value));
            } else {
                positional.push(a);
            }
        }
        Ok(Args { positional, options })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }

    fn check(&self, allowed: &[&str]) -> Result<(), Failure> {
        match self.options.iter().find(|(n, _)| !allowed.contains(&n.as_str())) {
            Some((n, _)) => Err(Failure::Usage(format!("unknown option --{n}"))),
            None => Ok(()),
        }
    }

    fn number(&self, name: &str) -> Result<Option<f64>, Failure> {
        self.get(name)
            .map(|v| v.parse::<f64>().map_err(|_| Failure::Usage(format!("--{name} expects a number, not `{v}`"))))
            .transpose()
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let result = match raw.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            out!("{USAGE}");
            Ok(())
        }
        Some(cmd) => Args::parse(raw[1..].to_vec()).and_then(|args| match cmd {
            "build" => cmd_build(&args),
            "lint" => cmd_lint(&args),
            "search" => cmd_search(&args),
            "eval" => cmd_eval(&args),
            other => Err(Failure::Usage(format!("unknown command `{other}`"))),
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("kb: {m}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(m)) => {
            eprintln!("kb: {m}");
            ExitCode::FAILURE
        }
    }
}

fn knowledge_dir(args: &Args) -> PathBuf {
    PathBuf::from(args.get("knowledge").unwrap_or("knowledge"))
}

/// Loads knowledge and prints its diagnostics; fails if any is an error.
fn load_checked(dir: &Path) -> Result<Knowledge, Failure> {
    let (knowledge, diags) = Knowledge::load(dir);
    print_diagnostics(&diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(Failure::Failed(format!("{errors} error(s) in {}", dir.display())));
    }
    Ok(knowledge)
}

fn print_diagnostics(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
}

fn gzip_len(bytes: &[u8]) -> usize {
    use flate2::{write::GzEncoder, Compression};
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map_or(0, |v| v.len())
}

/// Builds with the prior, runs the development questions, fits, and rebuilds with the fit.
fn build_calibrated(
    corpus: &Corpus,
    dev: &[(Locale, LabeledQuery)],
) -> Result<(Vec<u8>, Option<Vec<Outcome>>), Failure> {
    let options = BuildOptions::default();
    let bytes = build(corpus, &options);
    if dev.is_empty() {
        return Ok((bytes, None));
    }
    let index =
        Index::from_bytes(bytes).map_err(|e| Failure::Failed(format!("fresh index does not read back: {e}")))?;
    let outcomes = run(&index, dev, progress("calibrating"));
    let calibration = fit(&outcomes, Targets::default());
    Ok((build(corpus, &BuildOptions { calibration, ..options }), Some(outcomes)))
}

fn progress(what: &'static str) -> impl FnMut(usize, usize) {
    move |done, total| eprint!("\r{what}: {done}/{total} questions")
}

fn cmd_build(args: &Args) -> Outcome2 {
    args.check(&["knowledge", "out", "per-locale"])?;
    let dir = knowledge_dir(args);
    let started = Instant::now();
    let knowledge = load_checked(&dir)?;
    let corpus = knowledge.corpus();
    let dev = knowledge.dev_queries();
    eprintln!(
        "kb: {} entries, {} flows, {} development questions",
        corpus.entries.len(),
        corpus.flows.len(),
        dev.len()
    );
    let (bytes, _) = build_calibrated(&corpus, &dev)?;
    let out = PathBuf::from(args.get("out").unwrap_or("dist/kb.idx"));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::Failed(format!("cannot create {}: {e}", parent.display())))?;
    }
    write(&out, &bytes)?;
    let index = Index::from_bytes(bytes.clone()).map_err(|e| Failure::Failed(e.to_string()))?;
    let c = index.calibration();
    eprintln!(
        "\nkb: wrote {} ({} bytes, {} gzip) in {:.2?}; answer ≥ {:.2}, clarify ≥ {:.2} ({})",
        out.display(),
        bytes.len(),
        gzip_len(&bytes),
        started.elapsed(),
        c.answer_threshold,
        c.clarify_threshold,
        c.source
    );
    if args.flag("per-locale") {
        // One pack per locale beside the whole one, with the same calibration: a page loads
        // only its own language's answers.
        let options = BuildOptions { calibration: index.calibration().clone(), ..BuildOptions::default() };
        for locale in corpus.locales() {
            let part = build(&corpus.for_locale(locale), &options);
            let path = out.with_extension(format!("{}.idx", locale.code()));
            write(&path, &part)?;
            eprintln!("kb: wrote {} ({} bytes, {} gzip)", path.display(), part.len(), gzip_len(&part));
        }
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Outcome2 {
    std::fs::write(path, bytes).map_err(|e| Failure::Failed(format!("cannot write {}: {e}", path.display())))
}

fn cmd_lint(args: &Args) -> Outcome2 {
    args.check(&["knowledge"])?;
    let dir = knowledge_dir(args);
    let knowledge = load_checked(&dir)?;
    out!(
        "kb: {} ok — {} entries, {} flows, {} golden questions",
        dir.display(),
        knowledge.entries.len(),
        knowledge.flows.len(),
        knowledge.golden.values().map(|g| g.dev.len() + g.test.len()).sum::<usize>()
    );
    Ok(())
}

fn cmd_search(args: &Args) -> Outcome2 {
    args.check(&["index", "knowledge", "locale", "audience", "limit", "json"])?;
    let question = args.positional.join(" ");
    if question.trim().is_empty() {
        return Err(Failure::Usage("search needs a question".into()));
    }
    let bytes = match args.get("index") {
        Some(path) => std::fs::read(path).map_err(|e| Failure::Failed(format!("cannot read {path}: {e}")))?,
        None => {
            let knowledge = load_checked(&knowledge_dir(args))?;
            build_calibrated(&knowledge.corpus(), &knowledge.dev_queries())?.0
        }
    };
    let index = Index::from_bytes(bytes).map_err(|e| Failure::Failed(e.to_string()))?;
    let locale: Locale = args
        .get("locale")
        .unwrap_or("en")
        .parse()
        .map_err(|e: kb_core::locale::UnknownLocale| Failure::Usage(e.to_string()))?;
    let audience: Audience = args.get("audience").unwrap_or("all").parse().map_err(Failure::Usage)?;
    let limit = args.number("limit")?.map_or(5, |n| n.max(1.0) as usize);
    let reply = index.decide(&Query::new(&question, locale).audience(audience).limit(limit), &Overrides::default());
    let decision = reply.decision();
    let path = reply.path.name();
    let entries: Vec<String> = reply.path.entries().iter().filter_map(|&n| index.entry_id(n)).collect();
    let result = reply.result;
    if args.flag("json") {
        let hits: Vec<serde_json::Value> = result
            .hits
            .iter()
            .take(limit)
            .map(|h| serde_json::json!({"id": index.entry(h.entry).map(|e| e.id), "kind": index.kind(h.entry), "score": h.score, "neighbour": h.neighbour, "bm25f": h.bm25f, "coverage": h.coverage, "strongest": h.strongest, "matched": h.matched}))
            .collect();
        let features: serde_json::Map<String, serde_json::Value> =
            FEATURE_NAMES.iter().zip(result.features.0).map(|(n, v)| (n.to_string(), v.into())).collect();
        out!(
            "{}",
            serde_json::json!({"decision": decision, "path": path, "entries": entries, "confidence": result.confidence.value(), "features": features, "unknown_terms": result.unknown_terms, "hits": hits})
        );
        return Ok(());
    }
    out!(
        "path: {path} ({})   decision: {:?}   confidence: {:.3}",
        entries.join(", "),
        decision,
        result.confidence.value()
    );
    let why: Vec<String> = FEATURE_NAMES.iter().zip(result.features.0).map(|(n, v)| format!("{n}={v:.2}")).collect();
    out!("features: {}", why.join(" "));
    if !result.unknown_terms.is_empty() {
        out!("unknown terms: {}", result.unknown_terms.join(", "));
    }
    for (rank, h) in result.hits.iter().take(limit).enumerate() {
        let Some(e) = index.entry(h.entry) else { continue };
        let matched: Vec<String> = h
            .matched
            .iter()
            .map(|m| match m.kind {
                kb_core::search::MatchKind::Exact => m.index_term.clone(),
                kb_core::search::MatchKind::Fuzzy(d) => format!("{}~{}({d})", m.query_term, m.index_term),
                kb_core::search::MatchKind::Prefix => format!("{}*→{}", m.query_term, m.index_term),
            })
            .collect();
        out!(
            "{:>2}. {:<32} score {:.3} (question {:.2}, bm25f {:.2}, coverage {:.2})  {}\n    matched: {}",
            rank + 1,
            e.id,
            h.score,
            h.neighbour,
            h.bm25f,
            h.coverage,
            e.title,
            matched.join(" ")
        );
    }
    Ok(())
}

fn cmd_eval(args: &Args) -> Outcome2 {
    args.check(&["kb", "queries", "calibrate", "out", "json", "knowledge", "min-top1", "min-oos-routed"])?;
    if args.get("kb").is_some() || args.get("queries").is_some() {
        return eval_dataset(args);
    }
    eval_knowledge(args)
}

fn read_or_fail(path: &str) -> Result<Vec<LabeledQuery>, Failure> {
    read_queries(Path::new(path)).map_err(|d| {
        print_diagnostics(&d);
        Failure::Failed(format!("cannot read queries from {path}"))
    })
}

fn eval_dataset(args: &Args) -> Outcome2 {
    let kb = args.get("kb").ok_or_else(|| Failure::Usage("--kb is required with --queries".into()))?;
    let queries = args.get("queries").ok_or_else(|| Failure::Usage("--queries is required with --kb".into()))?;
    let started = Instant::now();
    let corpus = read_kb(Path::new(kb)).map_err(|d| {
        print_diagnostics(&d);
        Failure::Failed(format!("cannot read {kb}"))
    })?;
    let tests: Vec<(Locale, LabeledQuery)> = read_or_fail(queries)?.into_iter().map(|q| (Locale::En, q)).collect();
    let dev: Vec<(Locale, LabeledQuery)> = match args.get("calibrate") {
        Some(p) => read_or_fail(p)?.into_iter().map(|q| (Locale::En, q)).collect(),
        None => Vec::new(),
    };
    eprintln!(
        "kb: {} entries, {} test questions, {} calibration questions",
        corpus.entries.len(),
        tests.len(),
        dev.len()
    );
    let (bytes, _) = build_calibrated(&corpus, &dev)?;
    if let Some(out) = args.get("out") {
        write(Path::new(out), &bytes)?;
    }
    let index = Index::from_bytes(bytes.clone()).map_err(|e| Failure::Failed(e.to_string()))?;
    let outcomes = run(&index, &tests, progress("evaluating"));
    eprintln!();
    let r = report(&outcomes, index.calibration());
    let mut json = serde_json::to_value(&r).map_err(|e| Failure::Failed(e.to_string()))?;
    json["index_bytes"] = bytes.len().into();
    json["index_gz_bytes"] = gzip_len(&bytes).into();
    json["build_and_eval_seconds"] = started.elapsed().as_secs_f64().into();
    if args.flag("json") {
        out!("{json}");
    } else {
        print_report(&r, bytes.len(), gzip_len(&bytes));
    }
    Ok(())
}

fn print_report(r: &kb_compiler::eval::Report, bytes: usize, gz: usize) {
    out!("in-scope {}  out-of-scope {}", r.in_scope, r.out_of_scope);
    out!("top-1 {:.3}  MRR@10 {:.3}", r.top1, r.mrr10);
    out!(
        "threshold {:.3}: precision {:.3}  coverage {:.3}  out-of-scope routed {:.3}",
        r.threshold,
        r.precision,
        r.coverage,
        r.oos_routed
    );
    out!("latency p50 {:.1} µs  p99 {:.1} µs   index {} bytes ({} gzip)", r.p50_us, r.p99_us, bytes, gz);
}

fn eval_knowledge(args: &Args) -> Outcome2 {
    let dir = knowledge_dir(args);
    let knowledge = load_checked(&dir)?;
    let (bytes, _) = build_calibrated(&knowledge.corpus(), &knowledge.dev_queries())?;
    let index = Index::from_bytes(bytes.clone()).map_err(|e| Failure::Failed(e.to_string()))?;
    let mut all: Vec<Outcome> = Vec::new();
    let mut per_locale = serde_json::Map::new();
    for (locale, golden) in &knowledge.golden {
        let tests: Vec<(Locale, LabeledQuery)> = golden.test.iter().map(|q| (*locale, q.clone())).collect();
        if tests.is_empty() {
            continue;
        }
        let outcomes = run(&index, &tests, progress("evaluating"));
        let r = report(&outcomes, index.calibration());
        if !args.flag("json") {
            out!("== {locale} ==");
            print_report(&r, bytes.len(), gzip_len(&bytes));
        }
        per_locale.insert(locale.code().to_string(), serde_json::to_value(&r).unwrap_or_default());
        all.extend(outcomes);
    }
    let total = report(&all, index.calibration());
    let confused = confusions(&all, index.calibration());
    if args.flag("json") {
        let c: Vec<serde_json::Value> =
            confused.iter().map(|(e, g, n)| serde_json::json!({"expected": e, "got": g, "count": n})).collect();
        out!("{}", serde_json::json!({"all": total, "locales": per_locale, "confusions": c}));
    } else {
        out!("== all locales ==");
        print_report(&total, bytes.len(), gzip_len(&bytes));
        out!("\nconfusions (expected → answered instead):");
        for (e, g, n) in confused.iter().take(25) {
            out!("  {:>3} × {} → {}", n, e.as_deref().unwrap_or("(out of scope)"), g);
        }
    }
    let mut failures = Vec::new();
    if let Some(min) = args.number("min-top1")? {
        if total.top1 < min {
            failures.push(format!("top-1 {:.3} is below {min}", total.top1));
        }
    }
    if let Some(min) = args.number("min-oos-routed")? {
        if total.oos_routed < min {
            failures.push(format!("out-of-scope routing {:.3} is below {min}", total.oos_routed));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(failures.join("; ")))
    }
}
