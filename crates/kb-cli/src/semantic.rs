//! The semantic tier in `kb build`, `kb eval` and `kb search`: which distilled token table to
//! use, building and fitting each locale's `kb.<locale>.sem`, and attaching them to a pack.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use kb_compiler::dataset::LabeledQuery;
use kb_compiler::knowledge::Corpus;
use kb_compiler::semantic::{fit_calibration, fit_parts, parts_for, DistilledTable, SemanticOptions};
use kb_core::format::semantic::SemanticParts;
use kb_core::semantic::SemanticTable;
use kb_core::{Index, Locale};

use crate::{shown, Failure};

/// Whether questions are also read for their meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SemanticMode {
    /// The static tier when the distilled table is there, else lexical only (with a warning).
    Auto,
    /// The static tier: fail without the distilled table.
    Static,
    /// Lexical only.
    Off,
}

/// The semantic tier's options, shared by the commands that build packs.
#[derive(Args, Clone, Debug)]
pub struct SemanticArgs {
    /// Read questions for their meaning too (the semantic tier), or not.
    #[arg(long, value_enum, default_value = "auto")]
    pub semantic: SemanticMode,
    /// The distilled token table (`scripts/semantic.sh` writes it; default: $KB_SEMANTIC_TABLE,
    /// else ~/.cache/market-assist/semantic/e5-small-v1.kbdt).
    #[arg(long)]
    pub semantic_table: Option<PathBuf>,
}

/// Where the distilled table is looked for by default.
pub fn default_table() -> PathBuf {
    if let Some(path) = std::env::var_os("KB_SEMANTIC_TABLE") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/market-assist/semantic/e5-small-v1.kbdt")
}

impl SemanticArgs {
    /// The distilled table to build with, or `None` for a lexical build.
    ///
    /// # Errors
    /// `--semantic static` and the table cannot be read, or the table is malformed.
    pub fn table(&self) -> Result<Option<DistilledTable>, Failure> {
        if self.semantic == SemanticMode::Off {
            return Ok(None);
        }
        let path = self.semantic_table.clone().unwrap_or_else(default_table);
        if !path.exists() && self.semantic == SemanticMode::Auto {
            eprintln!(
                "kb: warning: no distilled token table at {} (scripts/semantic.sh makes it): building without the semantic tier",
                shown(&path)
            );
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let table = DistilledTable::read(&path).map_err(|e| Failure(e.to_string()))?;
        eprintln!(
            "kb: semantic tier from {} ({} pieces, {} dimensions, read in {:.2?})",
            shown(&path),
            table.pieces.len(),
            table.dims,
            started.elapsed()
        );
        Ok(Some(table))
    }
}

/// Each locale's semantic file.
pub type SemanticFiles = Vec<(Locale, Vec<u8>)>;

/// Builds and fits the semantic file of each locale of `corpus` for `pack`.
///
/// # Errors
/// The table lacks a locale's vocabulary, or a file does not fit the pack.
pub fn build_files(
    pack: &[u8],
    corpus: &Corpus,
    dev: &[(Locale, LabeledQuery)],
    table: &DistilledTable,
) -> Result<SemanticFiles, Failure> {
    let options = SemanticOptions::default();
    // One thread per locale: each trains its own head and fits its own fusion weight.
    let built: Vec<Result<SemanticParts, Failure>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = corpus
            .locales()
            .into_iter()
            .map(|locale| {
                scope.spawn(move || {
                    let parts = parts_for(table, locale, corpus, &options).map_err(|e| Failure(e.to_string()))?;
                    fit_parts(pack, parts, dev).map_err(|e| Failure(e.to_string()))
                })
            })
            .collect();
        jobs.into_iter()
            .map(|job| job.join().unwrap_or_else(|_| Err(Failure("building a semantic file failed".into()))))
            .collect()
    });
    let parts = built.into_iter().collect::<Result<Vec<_>, Failure>>()?;
    let locales: Vec<Locale> = parts.iter().map(|p| p.meta.locale).collect();
    let files = fit_calibration(pack, parts, dev).map_err(|e| Failure(e.to_string()))?;
    for (locale, bytes) in locales.iter().zip(&files) {
        let table = SemanticTable::from_bytes(bytes.clone()).map_err(|e| Failure(e.to_string()))?;
        eprintln!(
            "kb: semantic {}: {} pieces, fusion {:.1}, answer ≥ {:.2}{}",
            locale.code(),
            table.piece_count(),
            table.meta().fusion,
            table.meta().calibration.answer_threshold,
            if table.meta().fusion == 0.0 { ", kept off (no better than lexical on dev)" } else { "" },
        );
    }
    Ok(locales.into_iter().zip(files).collect())
}

/// Attaches semantic files to `index`.
///
/// # Errors
/// A file is damaged or was built for other knowledge.
pub fn attach(index: &mut Index, files: &[(Locale, Vec<u8>)]) -> Result<(), Failure> {
    for (locale, bytes) in files {
        let table = SemanticTable::from_bytes(bytes.clone())
            .map_err(|e| Failure(format!("semantic {}: {e}", locale.code())))?;
        index.attach_semantic(table).map_err(|e| Failure(format!("semantic {}: {e}", locale.code())))?;
    }
    Ok(())
}

/// The path of a locale's semantic file beside a pack: `kb.idx` → `kb.<locale>.sem`.
pub fn path_beside(pack: &Path, locale: Locale) -> PathBuf {
    pack.with_extension(format!("{}.sem", locale.code()))
}
