//! `kb verify`: whether a candidate release may go to buyers. It lints the candidate's knowledge,
//! applies the golden gates and the size budget to its packs, asks every golden question of both
//! releases of both packs (and, with `--replay`, every logged question), and refuses the
//! candidate when it breaks golden questions beyond the tolerance, when a pack is over budget,
//! or when an entry the baseline had is gone without a `replaces:` redirect.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use clap::Args;
use kb_analytics::event::Kind;
use kb_compiler::budget::PACK_GZIP_BYTES;
use kb_compiler::knowledge::Knowledge;
use kb_compiler::release::{open_pack, open_tier_file, ReleaseManifest, Thresholds, ALL_LOCALES, SOURCE_DIR};
use kb_compiler::verify::{
    golden_changes, golden_questions, removed_without_redirect, replay, Asked, Change, Engine, GoldenChange,
    RemovedEntry, Replay,
};
use kb_core::{Audience, Index};
use serde::Serialize;

use crate::analytics::read_events;
use crate::knowledge::{golden_reports, GoldenGates};
use crate::meanings::embed_cached;
use crate::output::bar;
use crate::semantic::attach;
use crate::{out, shown, Failure, Outcome};

/// `kb verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The release folder to check.
    #[arg(long)]
    candidate: PathBuf,
    /// The release buyers get now.
    #[arg(long)]
    baseline: PathBuf,
    /// How many golden questions the candidate may break.
    #[arg(long, default_value_t = 0)]
    tolerance: usize,
    /// Event files or folders (with question text) to replay against both packs.
    #[arg(long, num_args = 1..)]
    replay: Vec<PathBuf>,
    /// The golden gates (default: top-1 0.90 and out-of-scope routing 0.80 over all locales).
    #[command(flatten)]
    gates: GoldenGates,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One release as verify reads it.
struct Release {
    manifest: ReleaseManifest,
    /// Its all-locales pack, with its semantic files attached.
    index: Index,
    /// Its encoder tier, if it has one.
    encoder: Option<kb_encoder::Encoder>,
    knowledge: Knowledge,
    lint_errors: Vec<String>,
}

/// Sentence vectors by question text.
type Meanings = Option<HashMap<String, Vec<f32>>>;

impl Release {
    /// The sentence vectors of `texts` from this release's encoder tier (none without one).
    fn meanings(&self, texts: &[&str], what: &str) -> Meanings {
        let encoder = self.encoder.as_ref()?;
        Some(texts.iter().map(|t| t.to_string()).zip(embed_cached(encoder, texts, what)).collect())
    }

    /// The release as the widget runs it, with the vectors [`Release::meanings`] gave.
    fn engine<'a>(&'a self, meanings: &'a Meanings) -> Engine<'a> {
        Engine { index: &self.index, meanings: meanings.as_ref() }
    }

    fn open(dir: &Path) -> Result<Release, Failure> {
        let manifest = ReleaseManifest::read(dir)?;
        let pack = manifest
            .packs
            .get(ALL_LOCALES)
            .ok_or_else(|| Failure(format!("{}: the manifest names no all-locales pack", shown(dir))))?;
        let mut index = open_pack(dir, pack)?;
        let mut files = Vec::new();
        for (code, file) in &manifest.tiers.semantic {
            let locale = code.parse().map_err(|e| Failure(format!("{}: semantic {code}: {e}", shown(dir))))?;
            files.push((locale, open_tier_file(dir, file)?));
        }
        attach(&mut index, &files).map_err(|Failure(e)| Failure(format!("{}: {e}", shown(dir))))?;
        let encoder = manifest
            .tiers
            .encoder
            .as_ref()
            .map(|file| {
                kb_encoder::Encoder::from_bytes(open_tier_file(dir, file)?)
                    .map_err(|e| Failure(format!("{}: {e}", shown(&dir.join(&file.file)))))
            })
            .transpose()?;
        let source = dir.join(SOURCE_DIR);
        if !source.is_dir() {
            return Err(Failure(format!("{}: no {SOURCE_DIR}/ folder (kb release build writes one)", shown(dir))));
        }
        let (knowledge, diagnostics) = Knowledge::load(&source);
        let lint_errors = diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
        Ok(Release { manifest, index, encoder, knowledge, lint_errors })
    }
}

/// Everything `kb verify` found.
#[derive(Serialize)]
struct Verdict {
    candidate: String,
    baseline: String,
    accepted: bool,
    /// Why it is refused (empty when accepted).
    reasons: Vec<String>,
    lint_errors: Vec<String>,
    golden: BTreeMap<String, kb_compiler::eval::Report>,
    /// The thresholds of the baseline and of the candidate (a refit moves many outcomes at once).
    thresholds: [Thresholds; 2],
    golden_questions: usize,
    changes: Vec<GoldenChange>,
    removed_without_redirect: Vec<RemovedEntry>,
    oversized_packs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay: Option<Replay>,
}

/// `kb verify`.
pub fn verify(args: &VerifyArgs) -> Outcome {
    let candidate = Release::open(&args.candidate)?;
    let baseline = Release::open(&args.baseline)?;
    let mut reasons = Vec::new();
    if !candidate.lint_errors.is_empty() {
        reasons.push(format!("its knowledge has {} lint error(s)", candidate.lint_errors.len()));
    }

    // The golden gates score the engine the widget runs: both semantic tiers when the release
    // has them (and so do the changes below).
    let (reports, _) = golden_reports(&candidate.index, candidate.encoder.as_ref(), &candidate.knowledge);
    reasons.extend(args.gates.or(0.90, 0.80).failures(&reports).into_iter().map(|f| format!("golden gate: {f}")));

    let oversized: Vec<String> = candidate
        .manifest
        .packs
        .values()
        .filter(|p| p.bytes as usize > PACK_GZIP_BYTES)
        .map(|p| format!("{} is {:.1} MB gzip", p.file, p.bytes as f64 / 1e6))
        .collect();
    for p in &oversized {
        reasons.push(format!("{p}, over the {:.1} MB budget", PACK_GZIP_BYTES as f64 / 1e6));
    }

    let questions = golden_questions(&baseline.knowledge, &candidate.knowledge);
    let texts: Vec<&str> = questions.keys().map(|a| a.text.as_str()).collect();
    let (before, after) = (baseline.meanings(&texts, "baseline"), candidate.meanings(&texts, "candidate"));
    let progress = bar(questions.len() as u64, "comparing");
    let changes = golden_changes(baseline.engine(&before), candidate.engine(&after), &questions, |done, _| {
        progress.set_position(done as u64)
    });
    progress.finish_and_clear();
    let broken = changes.iter().filter(|c| c.change == Change::Broken).count();
    if broken > args.tolerance {
        reasons.push(format!("it breaks {broken} golden question(s), the tolerance is {}", args.tolerance));
    }

    let removed = removed_without_redirect(&baseline.knowledge, &candidate.knowledge);
    if !removed.is_empty() {
        let named: Vec<String> = removed.iter().map(|r| format!("{} ({})", r.id, r.locale)).collect();
        reasons.push(format!(
            "{} entr{} of the baseline {} gone without a redirect (`replaces:`): {}",
            removed.len(),
            if removed.len() == 1 { "y" } else { "ies" },
            if removed.len() == 1 { "is" } else { "are" },
            named.join(", ")
        ));
    }

    let replayed =
        if args.replay.is_empty() { None } else { Some(replay_logged(&args.replay, &baseline, &candidate)?) };

    let verdict = Verdict {
        candidate: candidate.manifest.version.clone(),
        baseline: baseline.manifest.version.clone(),
        accepted: reasons.is_empty(),
        reasons,
        lint_errors: candidate.lint_errors,
        golden: reports.into_iter().collect(),
        thresholds: [baseline.manifest.thresholds.clone(), candidate.manifest.thresholds.clone()],
        golden_questions: questions.len(),
        changes,
        removed_without_redirect: removed,
        oversized_packs: oversized,
        replay: replayed,
    };
    if args.json {
        out!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        print_verdict(&verdict);
    }
    if verdict.accepted {
        Ok(())
    } else {
        Err(Failure(format!("candidate {} refused: {}", verdict.candidate, verdict.reasons.join("; "))))
    }
}

/// The logged questions with text of the event files `inputs`, each distinct one with how many
/// times it was asked, replayed against both packs.
fn replay_logged(inputs: &[PathBuf], baseline: &Release, candidate: &Release) -> Result<Replay, Failure> {
    let mut asked: BTreeMap<Asked, u64> = BTreeMap::new();
    let mut without_text = 0u64;
    read_events("kb verify", inputs, |event| {
        let Kind::Question { text, .. } = event.kind else { return };
        let (Some(text), Ok(locale)) = (text, event.locale.parse()) else {
            without_text += 1;
            return;
        };
        let audience = event.audience.parse().unwrap_or(Audience::All);
        *asked.entry(Asked { locale, audience, text }).or_default() += 1;
    })?;
    if without_text > 0 {
        eprintln!(
            "kb verify: {without_text} question(s) without text or with an unknown locale not replayed (the page sends text with data-collect-text=\"redacted\")"
        );
    }
    let texts: Vec<&str> = asked.keys().map(|a| a.text.as_str()).collect();
    let (before, after) =
        (baseline.meanings(&texts, "replay baseline"), candidate.meanings(&texts, "replay candidate"));
    Ok(replay(baseline.engine(&before), candidate.engine(&after), &asked))
}

fn print_verdict(v: &Verdict) {
    out!("kb verify: candidate {} against baseline {}", v.candidate, v.baseline);
    for error in &v.lint_errors {
        out!("  lint: {error}");
    }
    for (code, r) in &v.golden {
        out!(
            "  golden {code:<4} top-1 {:.3}  coverage {:.3}  precision {:.3}  out-of-scope routed {:.3}",
            r.top1,
            r.coverage,
            r.precision,
            r.oos_routed
        );
    }
    let [before, after] = &v.thresholds;
    out!(
        "  thresholds: answer {:.3} → {:.3}, clarify {:.3} → {:.3}",
        before.answer,
        after.answer,
        before.clarify,
        after.clarify
    );
    let mut by_locale: BTreeMap<&str, Vec<&GoldenChange>> = BTreeMap::new();
    for c in &v.changes {
        by_locale.entry(c.locale.as_str()).or_default().push(c);
    }
    out!("\n{} golden questions of both releases asked of both packs", v.golden_questions);
    if v.changes.is_empty() {
        out!("  no outcome changed");
    }
    for (locale, changes) in &by_locale {
        let count = |kind| changes.iter().filter(|c| c.change == kind).count();
        out!(
            "== {locale}: {} broken, {} fixed, {} moved ==",
            count(Change::Broken),
            count(Change::Fixed),
            count(Change::Moved)
        );
        for c in changes {
            let label = match c.change {
                Change::Fixed => "fixed ",
                Change::Broken => "BROKEN",
                Change::Moved => "moved ",
            };
            out!(
                "  {label} \"{}\" (expects {}): {} → {}",
                c.text,
                c.expected.as_deref().unwrap_or("out of scope"),
                shown_behaviour(&c.before),
                shown_behaviour(&c.after)
            );
        }
    }
    if let Some(r) = &v.replay {
        out!(
            "\nreplay: {} logged questions ({} distinct); {} ({:.1}%) would get another entry or path",
            r.questions,
            r.distinct,
            r.changed,
            100.0 * r.changed as f64 / r.questions.max(1) as f64
        );
        for c in r.changes.iter().take(25) {
            out!(
                "  {:>4} × [{}] \"{}\": {} → {}",
                c.asked,
                c.locale,
                c.text,
                shown_behaviour(&c.before),
                shown_behaviour(&c.after)
            );
        }
        if r.changes.len() > 25 {
            out!("  … and {} more (--json lists them all)", r.changes.len() - 25);
        }
    }
    if v.accepted {
        out!("\naccepted");
    } else {
        out!("\nrefused:");
        for reason in &v.reasons {
            out!("  - {reason}");
        }
    }
}

fn shown_behaviour(b: &kb_compiler::verify::Behaviour) -> String {
    match &b.entry {
        Some(entry) => format!("{} {entry}", b.path),
        None => b.path.clone(),
    }
}
