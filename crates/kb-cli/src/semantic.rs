//! The semantic tiers in `kb build`, `kb eval` and `kb search`: which distilled token table and
//! encoder model to use, building and fitting each locale's `kb.<locale>.sem` and the pruned
//! `encoder.kben`, and attaching them to a pack.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use kb_compiler::dataset::LabeledQuery;
use kb_compiler::encoder::tier::{add_head, fit_heads};
use kb_compiler::encoder::{E5Model, PruneOptions};
use kb_compiler::knowledge::Corpus;
use kb_compiler::semantic::{fit_calibration, fit_parts, parts_for, DistilledTable, SemanticOptions};
use kb_core::format::semantic::{write as write_semantic, SemanticParts};
use kb_core::semantic::SemanticTable;
use kb_core::{Index, Locale};
use kb_encoder::Encoder;

use crate::meanings::embed_cached;
use crate::{shown, Failure};

/// Whether questions are also read for their meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SemanticMode {
    /// The static tier when the distilled table is there, else lexical only (with a warning).
    Auto,
    /// The static tier: fail without the distilled table.
    Static,
    /// The static tier and the encoder tier (for questions the rest would not answer): fail
    /// without the distilled table or the encoder model.
    Encoder,
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
    /// The 4-bit multilingual-e5-small model the encoder tier is pruned from (`scripts/tools.sh
    /// semantic` puts it there; default: $KB_ENCODER_MODEL, else
    /// ~/.cache/market-assist/semantic/e5-small-q4.bin).
    #[arg(long)]
    pub encoder_model: Option<PathBuf>,
}

/// Where the distilled table is looked for by default.
pub fn default_table() -> PathBuf {
    cached("KB_SEMANTIC_TABLE", "e5-small-v1.kbdt")
}

/// Where the encoder model is looked for by default.
pub fn default_model() -> PathBuf {
    cached("KB_ENCODER_MODEL", "e5-small-q4.bin")
}

/// `$variable`, else `name` in the semantic cache folder.
fn cached(variable: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/market-assist/semantic").join(name)
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

    /// The encoder tier's file, pruned to `table`'s pieces, or `None` unless `--semantic
    /// encoder`.
    ///
    /// # Errors
    /// The model cannot be read or pruned.
    pub fn encoder(&self, table: &DistilledTable) -> Result<Option<Encoder>, Failure> {
        if self.semantic != SemanticMode::Encoder {
            return Ok(None);
        }
        let path = self.encoder_model.clone().unwrap_or_else(default_model);
        let model = E5Model::read(&path).map_err(|e| Failure(e.to_string()))?;
        let bytes = model
            .prune(table.pieces.iter().map(|p| p.text.as_str()), &PruneOptions::default())
            .map_err(|e| Failure(e.to_string()))?;
        let encoder = Encoder::from_bytes(bytes).map_err(|e| Failure(format!("the pruned encoder: {e}")))?;
        eprintln!("kb: encoder tier from {} ({} pieces kept)", shown(&path), encoder.piece_count());
        Ok(Some(encoder))
    }
}

/// Each locale's semantic file.
pub type SemanticFiles = Vec<(Locale, Vec<u8>)>;

/// Builds and fits the semantic file of each locale of `corpus` for `pack`, with the encoder
/// tier's head when `encoder` is given.
///
/// # Errors
/// The table lacks a locale's vocabulary, or a file does not fit the pack.
pub fn build_files(
    pack: &[u8],
    corpus: &Corpus,
    dev: &[(Locale, LabeledQuery)],
    table: &DistilledTable,
    encoder: Option<&Encoder>,
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
    let mut parts = fit_calibration(pack, parts, dev).map_err(|e| Failure(e.to_string()))?;
    if let Some(encoder) = encoder {
        add_encoder_heads(pack, corpus, dev, encoder, &mut parts)?;
    }
    let files = parts.iter().map(write_semantic).collect::<Result<Vec<_>, _>>().map_err(|e| Failure(e.to_string()))?;
    for (locale, bytes) in locales.iter().zip(&files) {
        let table = SemanticTable::from_bytes(bytes.clone()).map_err(|e| Failure(e.to_string()))?;
        eprintln!(
            "kb: semantic {}: {} pieces, fusion {:.1}, answer ≥ {:.2}{}{}",
            locale.code(),
            table.piece_count(),
            table.meta().fusion,
            table.meta().calibration.answer_threshold,
            if table.meta().fusion == 0.0 { ", kept off (no better than lexical on dev)" } else { "" },
            table.encoder_head().map_or_else(String::new, |h| format!(
                "; encoder fusion {:.1}, answer ≥ {:.2}, re-reads answers below {:.2}",
                h.fusion, h.calibration.answer_threshold, h.sure
            )),
        );
    }
    Ok(locales.into_iter().zip(files).collect())
}

/// Trains each locale's encoder head on its entries and fits them on the development questions
/// (with progress bars: the encoder reads some 25 questions a second a core).
fn add_encoder_heads(
    pack: &[u8],
    corpus: &Corpus,
    dev: &[(Locale, LabeledQuery)],
    encoder: &Encoder,
    parts: &mut [SemanticParts],
) -> Result<(), Failure> {
    for p in parts.iter_mut() {
        let what = format!("entries {}", p.meta.locale.code());
        add_head(encoder, corpus, p, |texts| embed_cached(encoder, texts, &what));
    }
    let texts: Vec<&str> = dev.iter().map(|(_, q)| q.text.as_str()).collect();
    let meanings = embed_cached(encoder, &texts, "dev");
    fit_heads(pack, parts, dev, &meanings).map_err(|e| Failure(e.to_string()))
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

/// The path of the encoder file beside a pack: `kb.idx` → `encoder.kben`.
pub fn encoder_beside(pack: &Path) -> PathBuf {
    pack.with_file_name("encoder.kben")
}

/// The path of a locale's semantic file beside a pack: `kb.idx` → `kb.<locale>.sem`.
pub fn path_beside(pack: &Path, locale: Locale) -> PathBuf {
    pack.with_extension(format!("{}.sem", locale.code()))
}
