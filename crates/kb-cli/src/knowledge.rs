//! `kb build`, `kb lint`, `kb search` and `kb eval`: the knowledge's side of the tool.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use kb_compiler::builder::{build as build_pack, BuildOptions};
use kb_compiler::calibrate::build_calibrated as calibrated;
use kb_compiler::dataset::{read_kb, read_queries, LabeledQuery};
use kb_compiler::eval::{confusions, in_force, report, run, run_tiered, Outcome as QuestionOutcome, Report};
use kb_compiler::knowledge::{Corpus, Knowledge};
use kb_compiler::Diagnostic;
use kb_core::confidence::FEATURE_NAMES;
use kb_core::decide::Overrides;
use kb_core::search::MatchKind;
use kb_core::{Audience, Index, Locale, Query};
use kb_encoder::Encoder;

use crate::meanings::embed_cached;
use crate::output::{bar, write};
use crate::semantic::{attach, build_files, encoder_beside, path_beside, SemanticArgs, SemanticFiles, SemanticMode};
use crate::{out, shown, Failure, Outcome};

/// `kb build`.
#[derive(Args)]
pub struct BuildArgs {
    /// The knowledge folder.
    #[arg(long, default_value = "knowledge")]
    knowledge: PathBuf,
    /// The pack to write.
    #[arg(long, default_value = "dist/kb.idx")]
    out: PathBuf,
    /// Also write one pack per locale (`OUT`'s stem, then `.<locale>.idx`).
    #[arg(long)]
    per_locale: bool,
    #[command(flatten)]
    semantic: SemanticArgs,
}

/// `kb lint`.
#[derive(Args)]
pub struct LintArgs {
    /// The knowledge folder.
    #[arg(long, default_value = "knowledge")]
    knowledge: PathBuf,
}

/// `kb search`.
#[derive(Args)]
pub struct SearchArgs {
    /// The question (several words may be given unquoted).
    #[arg(required = true)]
    question: Vec<String>,
    /// A pack to search (else the knowledge is built first).
    #[arg(long, conflicts_with = "knowledge")]
    index: Option<PathBuf>,
    /// The knowledge folder to build and search.
    #[arg(long)]
    knowledge: Option<PathBuf>,
    /// The question's locale.
    #[arg(long, default_value = "en")]
    locale: Locale,
    /// Who asks: buyer, seller or all.
    #[arg(long, default_value = "all", value_parser = parse_audience)]
    audience: Audience,
    /// How many ranked entries to show.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    limit: u16,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    semantic: SemanticArgs,
}

/// `kb eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// The knowledge folder whose golden test sets are scored.
    #[arg(long, default_value = "knowledge", conflicts_with_all = ["kb", "queries"])]
    knowledge: PathBuf,
    /// A neutral dataset's knowledge base (docs/datasets.md) instead.
    #[arg(long, requires = "queries")]
    kb: Option<PathBuf>,
    /// Its test questions.
    #[arg(long, requires = "kb")]
    queries: Option<PathBuf>,
    /// Its development questions, to fit the thresholds on.
    #[arg(long, requires = "kb")]
    calibrate: Option<PathBuf>,
    /// Also write the dataset's pack here.
    #[arg(long, requires = "kb")]
    out: Option<PathBuf>,
    /// The dataset's locale (how its text is analysed).
    #[arg(long, default_value = "en", requires = "kb")]
    locale: Locale,
    #[command(flatten)]
    semantic: SemanticArgs,
    #[command(flatten)]
    gates: GoldenGates,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The golden sets' minimums, shared by `kb eval` and `kb verify`.
#[derive(Args)]
pub struct GoldenGates {
    /// Fail when top-1 is below this.
    #[arg(long)]
    min_top1: Option<f64>,
    /// Fail when the share of out-of-scope questions routed away is below this.
    #[arg(long)]
    min_oos_routed: Option<f64>,
    /// Where the minimums apply: `all` (every locale together) and locale codes.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    gate: Vec<String>,
}

fn parse_audience(s: &str) -> Result<Audience, String> {
    s.parse()
}

/// Loads knowledge and prints its diagnostics; fails if any is an error.
pub fn load_checked(dir: &Path) -> Result<Knowledge, Failure> {
    let (knowledge, diags) = Knowledge::load(dir);
    print_diagnostics(&diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(Failure(format!("{errors} error(s) in {}", shown(dir))));
    }
    Ok(knowledge)
}

fn print_diagnostics(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
}

/// Gzip at the best level with a zero timestamp and no name, so that the same pack gives the
/// same bytes (and so the same hashed file name in a release) on every build.
pub fn gzip_best(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// The size of `bytes` gzipped as a release ships them.
pub fn gzip_len(bytes: &[u8]) -> usize {
    gzip_best(bytes).len()
}

/// Runs questions through an index with a progress bar.
fn run_with_bar(index: &Index, questions: &[(Locale, LabeledQuery)], what: &str) -> Vec<QuestionOutcome> {
    let bar = bar(questions.len() as u64, what);
    let outcomes = run(index, questions, |done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    outcomes
}

/// Builds with the prior, runs the development questions (with a progress bar), fits, and
/// rebuilds with the fit.
pub fn build_calibrated(corpus: &Corpus, dev: &[(Locale, LabeledQuery)]) -> Result<Vec<u8>, Failure> {
    let bar = bar(dev.len() as u64, "calibrating");
    let bytes = calibrated(corpus, dev, |done, _| bar.set_position(done as u64))
        .map_err(|e| Failure(format!("fresh index does not read back: {e}")))?;
    bar.finish_and_clear();
    Ok(bytes)
}

/// `kb build`: lint, calibrate, write the pack (and one per locale).
pub fn build(args: &BuildArgs) -> Outcome {
    let started = Instant::now();
    let knowledge = load_checked(&args.knowledge)?;
    let corpus = knowledge.corpus();
    let dev = knowledge.dev_queries();
    eprintln!(
        "kb: {} entries, {} flows, {} development questions",
        corpus.entries.len(),
        corpus.flows.len(),
        dev.len()
    );
    let bytes = build_calibrated(&corpus, &dev)?;
    write(&args.out, &bytes)?;
    let index = Index::from_bytes(bytes.clone()).map_err(|e| Failure(e.to_string()))?;
    let c = index.calibration();
    let gzip = gzip_len(&bytes);
    eprintln!(
        "kb: wrote {} ({} bytes, {} gzip) in {:.2?}; answer ≥ {:.2}, clarify ≥ {:.2} ({})",
        shown(&args.out),
        bytes.len(),
        gzip,
        started.elapsed(),
        c.answer_threshold,
        c.clarify_threshold,
        c.source
    );
    warn_over_budget(&args.out, gzip);
    if let Some(table) = args.semantic.table()? {
        let encoder = args.semantic.encoder(&table)?;
        for (locale, file) in build_files(&bytes, &corpus, &dev, &table, encoder.as_ref())? {
            let path = path_beside(&args.out, locale);
            write(&path, &file)?;
            eprintln!("kb: wrote {} ({} bytes, {} gzip)", shown(&path), file.len(), gzip_len(&file));
        }
        if let Some(encoder) = encoder {
            let path = encoder_beside(&args.out);
            write(&path, encoder.bytes())?;
            eprintln!("kb: wrote {} ({} bytes)", shown(&path), encoder.byte_len());
        }
    }
    if args.per_locale {
        // One pack per locale beside the whole one, with the same calibration: a page loads
        // only its own language's answers.
        let options = BuildOptions { calibration: index.calibration().clone(), ..BuildOptions::default() };
        for locale in corpus.locales() {
            let part = build_pack(&corpus.for_locale(locale), &options);
            let path = args.out.with_extension(format!("{}.idx", locale.code()));
            write(&path, &part)?;
            let gzip = gzip_len(&part);
            eprintln!("kb: wrote {} ({} bytes, {} gzip)", shown(&path), part.len(), gzip);
            warn_over_budget(&path, gzip);
        }
    }
    Ok(())
}

/// Prints the size budget's warning for a pack written to `path`, if it is over.
fn warn_over_budget(path: &Path, gzip_bytes: usize) {
    if let Some(warning) = kb_compiler::budget::check_pack(path, gzip_bytes) {
        eprintln!("{warning}");
    }
}

/// `kb lint`.
pub fn lint(args: &LintArgs) -> Outcome {
    let knowledge = load_checked(&args.knowledge)?;
    out!(
        "kb: {} ok — {} entries, {} flows, {} golden questions",
        shown(&args.knowledge),
        knowledge.entries.len(),
        knowledge.flows.len(),
        knowledge.golden.values().map(|g| g.dev.len() + g.test.len()).sum::<usize>()
    );
    Ok(())
}

/// `kb search`.
pub fn search(args: &SearchArgs) -> Outcome {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        return Err(Failure("search needs a question".into()));
    }
    let (index, encoder) = match &args.index {
        Some(path) => {
            let read = |p: &Path| std::fs::read(p).map_err(|e| Failure(format!("cannot read {}: {e}", shown(p))));
            let mut index = Index::from_bytes(read(path)?).map_err(|e| Failure(e.to_string()))?;
            let beside = path_beside(path, args.locale);
            if args.semantic.semantic != SemanticMode::Off && beside.exists() {
                attach(&mut index, &[(args.locale, read(&beside)?)])?;
            }
            let encoder_file = encoder_beside(path);
            let encoder = match args.semantic.semantic {
                SemanticMode::Auto | SemanticMode::Encoder if encoder_file.exists() => Some(
                    Encoder::from_bytes(read(&encoder_file)?)
                        .map_err(|e| Failure(format!("{}: {e}", shown(&encoder_file))))?,
                ),
                _ => None,
            };
            (index, encoder)
        }
        None => {
            let knowledge = load_checked(args.knowledge.as_deref().unwrap_or(Path::new("knowledge")))?;
            let built = build_index(&knowledge.corpus(), &knowledge.dev_queries(), &args.semantic)?;
            (built.index, built.encoder)
        }
    };
    let limit = usize::from(args.limit);
    let query = Query::new(&question, args.locale).audience(args.audience).limit(limit);
    let mut reply = index.decide(&query, &Overrides::default());
    let mut escalated = false;
    if let Some(encoder) = encoder.as_ref().filter(|_| index.rereads(args.locale, &reply)) {
        // As the widget does: the encoder reads again what the rest would not answer, or not surely.
        let meaning = encoder.embed(&question);
        reply = index.decide(&query.clone().meaning(&meaning), &Overrides::default());
        escalated = true;
    }
    let decision = reply.decision();
    let path = reply.path.name();
    let entries: Vec<String> = reply.path.entries().iter().filter_map(|&n| index.entry_id(n)).collect();
    let result = reply.result;
    if args.json {
        let hits: Vec<serde_json::Value> = result
            .hits
            .iter()
            .take(limit)
            .map(|h| serde_json::json!({"id": index.entry(h.entry).map(|e| e.id), "kind": index.kind(h.entry), "score": h.score, "neighbour": h.neighbour, "bm25f": h.bm25f, "semantic": h.semantic, "coverage": h.coverage, "strongest": h.strongest, "matched": h.matched}))
            .collect();
        let features: serde_json::Map<String, serde_json::Value> =
            FEATURE_NAMES.iter().zip(result.features.0).map(|(n, v)| (n.to_string(), v.into())).collect();
        out!(
            "{}",
            serde_json::json!({"decision": decision, "escalated": escalated, "path": path, "entries": entries, "confidence": result.confidence.value(), "features": features, "unknown_terms": result.unknown_terms, "hits": hits})
        );
        return Ok(());
    }
    out!(
        "path: {path} ({})   decision: {decision:?}{}   confidence: {:.3}",
        entries.join(", "),
        if escalated { " (by the encoder tier)" } else { "" },
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
                MatchKind::Exact => m.index_term.clone(),
                MatchKind::Fuzzy(d) => format!("{}~{}({d})", m.query_term, m.index_term),
                MatchKind::Prefix => format!("{}*→{}", m.query_term, m.index_term),
            })
            .collect();
        out!(
            "{:>2}. {:<32} score {:.3} (question {:.2}, bm25f {:.2}, meaning {:.2}, coverage {:.2})  {}\n    matched: {}",
            rank + 1,
            e.id,
            h.score,
            h.neighbour,
            h.bm25f,
            h.semantic,
            h.coverage,
            e.title,
            matched.join(" ")
        );
    }
    Ok(())
}

/// `kb eval`: the golden test sets of a knowledge folder, or a neutral dataset.
pub fn eval(args: &EvalArgs) -> Outcome {
    match (&args.kb, &args.queries) {
        (Some(kb), Some(queries)) => eval_dataset(args, kb, queries),
        _ => eval_knowledge(args),
    }
}

fn read_or_fail(path: &Path) -> Result<Vec<LabeledQuery>, Failure> {
    read_queries(path).map_err(|d| {
        print_diagnostics(&d);
        Failure(format!("cannot read queries from {}", shown(path)))
    })
}

fn eval_dataset(args: &EvalArgs, kb: &Path, queries: &Path) -> Outcome {
    let started = Instant::now();
    let corpus = read_kb(kb).map_err(|d| {
        print_diagnostics(&d);
        Failure(format!("cannot read {}", shown(kb)))
    })?;
    let locale = args.locale;
    let corpus = Corpus {
        entries: corpus
            .entries
            .into_iter()
            .map(|mut e| {
                e.entry.locale = locale;
                e
            })
            .collect(),
        ..corpus
    };
    let tests: Vec<(Locale, LabeledQuery)> = read_or_fail(queries)?.into_iter().map(|q| (locale, q)).collect();
    let dev: Vec<(Locale, LabeledQuery)> = match &args.calibrate {
        Some(p) => read_or_fail(p)?.into_iter().map(|q| (locale, q)).collect(),
        None => Vec::new(),
    };
    eprintln!(
        "kb: {} entries, {} test questions, {} calibration questions",
        corpus.entries.len(),
        tests.len(),
        dev.len()
    );
    let built = build_index(&corpus, &dev, &args.semantic)?;
    let (index, bytes, semantic) = (&built.index, &built.pack, &built.semantic);
    if let Some(out) = &args.out {
        write(out, bytes)?;
        for (locale, file) in semantic {
            write(&path_beside(out, *locale), file)?;
        }
    }
    let outcomes = run_all(index, built.encoder.as_ref(), &tests, "evaluating");
    let r = report(&outcomes, in_force(index));
    let mut json = serde_json::to_value(&r)?;
    json["index_bytes"] = bytes.len().into();
    json["index_gz_bytes"] = gzip_len(bytes).into();
    json["semantic"] = semantic_json(semantic);
    json["build_and_eval_seconds"] = started.elapsed().as_secs_f64().into();
    if args.json {
        out!("{json}");
    } else {
        print_report(&r, bytes.len(), gzip_len(bytes));
    }
    gates(args, &[("all".to_string(), r)])
}

fn print_report(r: &Report, bytes: usize, gz: usize) {
    out!("in-scope {}  out-of-scope {}", r.in_scope, r.out_of_scope);
    out!("top-1 {:.3}  MRR@10 {:.3}", r.top1, r.mrr10);
    out!(
        "threshold {:.3}: precision {:.3}  coverage {:.3}  out-of-scope routed {:.3} (declined locally {:.3}, to the LLM {:.3})",
        r.threshold,
        r.precision,
        r.coverage,
        r.oos_routed,
        r.oos_declined,
        r.oos_to_llm
    );
    out!("latency p50 {:.1} µs  p99 {:.1} µs   index {} bytes ({} gzip)", r.p50_us, r.p99_us, bytes, gz);
}

/// Scores `index` on the golden test sets of `knowledge`: a report per locale that has test
/// questions, then `all`; and every question's outcome.
pub fn golden_reports(
    index: &Index,
    encoder: Option<&Encoder>,
    knowledge: &Knowledge,
) -> (Vec<(String, Report)>, Vec<QuestionOutcome>) {
    let mut all: Vec<QuestionOutcome> = Vec::new();
    let mut reports = Vec::new();
    for (locale, golden) in &knowledge.golden {
        let tests: Vec<(Locale, LabeledQuery)> = golden.test.iter().map(|q| (*locale, q.clone())).collect();
        if tests.is_empty() {
            continue;
        }
        let outcomes = run_all(index, encoder, &tests, locale.code());
        reports.push((locale.code().to_string(), report(&outcomes, in_force(index))));
        all.extend(outcomes);
    }
    reports.push(("all".to_string(), report(&all, in_force(index))));
    (reports, all)
}

/// What [`build_index`] built.
pub struct Built {
    /// The pack with its semantic files attached: the index every other command asks.
    pub index: Index,
    /// The pack's bytes.
    pub pack: Vec<u8>,
    /// Each locale's semantic file.
    pub semantic: SemanticFiles,
    /// The encoder tier, with `--semantic encoder`.
    pub encoder: Option<Encoder>,
}

/// Builds the calibrated pack and, unless `semantic` says otherwise, each locale's semantic file
/// (and the encoder tier), and attaches them.
pub fn build_index(corpus: &Corpus, dev: &[(Locale, LabeledQuery)], semantic: &SemanticArgs) -> Result<Built, Failure> {
    let pack = build_calibrated(corpus, dev)?;
    let mut index = Index::from_bytes(pack.clone()).map_err(|e| Failure(e.to_string()))?;
    let (files, encoder) = match semantic.table()? {
        Some(table) => {
            let encoder = semantic.encoder(&table)?;
            (build_files(&pack, corpus, dev, &table, encoder.as_ref())?, encoder)
        }
        None => (Vec::new(), None),
    };
    attach(&mut index, &files)?;
    Ok(Built { index, pack, semantic: files, encoder })
}

/// Runs questions as the widget would: through the encoder tier too when there is one.
fn run_all(
    index: &Index,
    encoder: Option<&Encoder>,
    questions: &[(Locale, LabeledQuery)],
    what: &str,
) -> Vec<QuestionOutcome> {
    let Some(encoder) = encoder else { return run_with_bar(index, questions, what) };
    let texts: Vec<&str> = questions.iter().map(|(_, q)| q.text.as_str()).collect();
    let meanings = embed_cached(encoder, &texts, what);
    let progress = bar(questions.len() as u64, what);
    let outcomes = run_tiered(index, questions, Some(&meanings), |done, _| progress.set_position(done as u64));
    progress.finish_and_clear();
    outcomes
}

/// The semantic files' sizes, per locale, for `--json`.
fn semantic_json(files: &[(Locale, Vec<u8>)]) -> serde_json::Value {
    files
        .iter()
        .map(|(l, f)| (l.code().to_string(), serde_json::json!({"bytes": f.len(), "gz_bytes": gzip_len(f)})))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn eval_knowledge(args: &EvalArgs) -> Outcome {
    let knowledge = load_checked(&args.knowledge)?;
    let Built { index, pack: bytes, semantic, encoder } =
        build_index(&knowledge.corpus(), &knowledge.dev_queries(), &args.semantic)?;
    let (reports, all) = golden_reports(&index, encoder.as_ref(), &knowledge);
    let confused = confusions(&all, in_force(&index));
    if args.json {
        let (per_locale, total) = reports.split_at(reports.len() - 1);
        let per_locale: serde_json::Map<String, serde_json::Value> = per_locale
            .iter()
            .map(|(code, r)| Ok((code.clone(), serde_json::to_value(r)?)))
            .collect::<Result<_, serde_json::Error>>()?;
        let c: Vec<serde_json::Value> =
            confused.iter().map(|(e, g, n)| serde_json::json!({"expected": e, "got": g, "count": n})).collect();
        out!(
            "{}",
            serde_json::json!({"all": total[0].1, "locales": per_locale, "confusions": c, "semantic": semantic_json(&semantic)})
        );
    } else {
        // One pack for every report: gzip it once.
        let gzip = gzip_len(&bytes);
        for (code, r) in &reports {
            out!("== {} ==", if code == "all" { "all locales" } else { code });
            print_report(r, bytes.len(), gzip);
        }
        out!("\nconfusions (expected → answered instead):");
        for (e, g, n) in confused.iter().take(25) {
            out!("  {:>3} × {} → {}", n, e.as_deref().unwrap_or("(out of scope)"), g);
        }
    }
    gates(args, &reports)
}

impl GoldenGates {
    /// These gates, with `min_top1` and `min_oos_routed` where none was given.
    pub fn or(&self, min_top1: f64, min_oos_routed: f64) -> GoldenGates {
        GoldenGates {
            min_top1: self.min_top1.or(Some(min_top1)),
            min_oos_routed: self.min_oos_routed.or(Some(min_oos_routed)),
            gate: self.gate.clone(),
        }
    }

    /// Why `reports` fail the minimums (nothing when they pass).
    pub fn failures(&self, reports: &[(String, Report)]) -> Vec<String> {
        let mut failures = Vec::new();
        for gate in &self.gate {
            let Some((_, r)) = reports.iter().find(|(name, _)| name == gate) else {
                failures.push(format!("no golden test set for `{gate}`"));
                continue;
            };
            if let Some(min) = self.min_top1.filter(|&m| r.top1 < m) {
                failures.push(format!("{gate}: top-1 {:.3} is below {min}", r.top1));
            }
            if let Some(min) = self.min_oos_routed.filter(|&m| r.oos_routed < m) {
                failures.push(format!("{gate}: out-of-scope routing {:.3} is below {min}", r.oos_routed));
            }
        }
        failures
    }
}

/// Fails when a gated locale (or `all`) is below a minimum.
fn gates(args: &EvalArgs, reports: &[(String, Report)]) -> Outcome {
    let failures = args.gates.failures(reports);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure(failures.join("; ")))
    }
}
