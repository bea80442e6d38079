//! `kb diff OLD NEW`: what changed between two knowledge folders or two release folders (whose
//! `source/` holds the knowledge they were built from, and whose manifests add the thresholds),
//! for a person reviewing a release, or as JSON.

use std::path::{Path, PathBuf};

use clap::Args;
use kb_compiler::diff::{diff as compare, FieldChange, KnowledgeDiff, Status};
use kb_compiler::knowledge::Knowledge;
use kb_compiler::release::{ReleaseManifest, Thresholds, RELEASE_FILE, SOURCE_DIR};

use crate::knowledge::load_checked;
use crate::{out, Failure, Outcome};

/// `kb diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The old knowledge folder or release folder.
    old: PathBuf,
    /// The new one.
    new: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A knowledge folder, or a release folder's source and thresholds.
fn open(dir: &Path) -> Result<(Knowledge, Option<Thresholds>), Failure> {
    if dir.join(RELEASE_FILE).is_file() && dir.join(SOURCE_DIR).is_dir() {
        let manifest = ReleaseManifest::read(dir)?;
        return Ok((load_checked(&dir.join(SOURCE_DIR))?, Some(manifest.thresholds)));
    }
    Ok((load_checked(dir)?, None))
}

/// `kb diff`.
pub fn diff(args: &DiffArgs) -> Outcome {
    let (old, old_thresholds) = open(&args.old)?;
    let (new, new_thresholds) = open(&args.new)?;
    let mut d = compare(&old, &new);
    if let (Some(o), Some(n)) = (&old_thresholds, &new_thresholds) {
        d = d.with_thresholds(o, n);
    }
    if args.json {
        out!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        print(&d);
    }
    Ok(())
}

fn sign(status: Status) -> &'static str {
    match status {
        Status::Added => "+",
        Status::Removed => "-",
        Status::Changed => "~",
    }
}

fn print_fields(fields: &[FieldChange]) {
    for f in fields {
        out!("    {}: {} → {}", f.field, shown_value(&f.old), shown_value(&f.new));
    }
}

fn shown_value(v: &str) -> String {
    if v.is_empty() {
        "(none)".into()
    } else {
        format!("\"{v}\"")
    }
}

fn print(d: &KnowledgeDiff) {
    if d.is_empty() {
        out!("no differences");
        return;
    }
    if !d.entries.is_empty() {
        out!("== entries ==");
    }
    for e in &d.entries {
        out!("{} [{}] {} — {}", sign(e.status), e.locale, e.id, e.title);
        if e.status != Status::Changed {
            continue;
        }
        print_fields(&e.fields);
        for q in &e.questions_added {
            out!("    + question: {q}");
        }
        for q in &e.questions_removed {
            out!("    - question: {q}");
        }
        if !e.answer.is_empty() {
            out!("    answer:");
            for line in &e.answer {
                out!("      {line}");
            }
        }
        for l in &e.links_added {
            out!("    + link: {l}");
        }
        for l in &e.links_removed {
            out!("    - link: {l}");
        }
    }
    if !d.flows.is_empty() {
        out!("== flows ==");
    }
    for f in &d.flows {
        out!("{} [{}] {}", sign(f.status), f.locale, f.id);
        if f.status != Status::Changed {
            continue;
        }
        print_fields(&f.fields);
        for s in &f.steps_added {
            out!("    + step {s}");
        }
        for s in &f.steps_removed {
            out!("    - step {s}");
        }
        for r in &f.steps_rewired {
            out!("    ~ step {} rewired: was {}; now {}", r.step, r.old.join(", "), r.new.join(", "));
        }
        for s in &f.steps_reworded {
            out!("    ~ step {s} reworded");
        }
    }
    if !d.analysis.is_empty() {
        out!("== stop words and synonyms ==");
    }
    for a in &d.analysis {
        out!("[{}]", a.locale);
        for (sign, what, items) in [
            ("+", "stop word", &a.stopwords_added),
            ("-", "stop word", &a.stopwords_removed),
            ("+", "synonyms", &a.synonyms_added),
            ("-", "synonyms", &a.synonyms_removed),
        ] {
            for item in items {
                out!("    {sign} {what}: {item}");
            }
        }
    }
    if let Some(t) = &d.thresholds {
        out!("== thresholds ==");
        out!(
            "    answer {:.3} → {:.3}, clarify {:.3} → {:.3}",
            t.old.answer,
            t.new.answer,
            t.old.clarify,
            t.new.clarify
        );
    }
    let count = |status| d.entries.iter().filter(|e| e.status == status).count();
    let flows = |status| d.flows.iter().filter(|f| f.status == status).count();
    out!(
        "\n{} entries changed, {} added, {} removed; {} flows changed, {} added, {} removed; {} locale(s) with other stop words or synonyms{}",
        count(Status::Changed),
        count(Status::Added),
        count(Status::Removed),
        flows(Status::Changed),
        flows(Status::Added),
        flows(Status::Removed),
        d.analysis.len(),
        if d.thresholds.is_some() { "; thresholds changed" } else { "" }
    );
}
