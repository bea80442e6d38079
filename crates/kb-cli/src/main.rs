//! `kb`: the support team's tool. It builds, checks, searches and evaluates knowledge packs
//! ([`knowledge`]), and collects and reports what the widget saw and what it could not answer
//! ([`analytics`]). Errors go to
//! stderr as `kb: …` with exit status 1 (2 for a usage error, as clap does); output to stdout.

mod analytics;
mod diff;
mod knowledge;
mod meanings;
mod output;
mod release;
mod semantic;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The marketplace assistant's knowledge and analytics tool.
#[derive(Parser)]
#[command(name = "kb", version, about, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint the knowledge, fit the thresholds on golden/*/*.dev.jsonl, write the pack.
    Build(knowledge::BuildArgs),
    /// Report the knowledge's problems as file:line: message.
    Lint(knowledge::LintArgs),
    /// Ask a question: the path, the ranked entries, their scores and why.
    Search(knowledge::SearchArgs),
    /// Score the golden test sets, or a neutral dataset.
    Eval(knowledge::EvalArgs),
    /// Receive the widget's event batches and append them to daily files.
    Collect(analytics::CollectArgs),
    /// Figures, charts and sessions from event files.
    Report(analytics::ReportArgs),
    /// The needs the knowledge does not meet, grouped and ranked, with a draft or an entry each.
    Gaps(analytics::GapsArgs),
    /// Build a knowledge release, stage it, and move buyers between releases (docs/releases.md).
    Release(release::ReleaseArgs),
    /// Check a candidate release against the one buyers get: gates, and every changed outcome.
    Verify(verify::VerifyArgs),
    /// What changed between two knowledge folders or two release folders.
    Diff(diff::DiffArgs),
}

/// A command's failure, printed as `kb: …`.
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure(e.to_string())
    }
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

/// A path for messages (paths are not always UTF-8).
pub fn shown(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// The default knowledge folder.
pub fn default_knowledge() -> PathBuf {
    PathBuf::from("knowledge")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(a) => knowledge::build(&a),
        Command::Lint(a) => knowledge::lint(&a),
        Command::Search(a) => knowledge::search(&a),
        Command::Eval(a) => knowledge::eval(&a),
        Command::Collect(a) => analytics::collect(&a),
        Command::Report(a) => analytics::report(&a),
        Command::Gaps(a) => analytics::gaps(&a),
        Command::Release(a) => release::release(&a),
        Command::Verify(a) => verify::verify(&a),
        Command::Diff(a) => diff::diff(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("kb: {message}");
            ExitCode::FAILURE
        }
    }
}
