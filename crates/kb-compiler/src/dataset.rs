//! The neutral FAQ-evaluation format (`../shared/datasets/README.md`): `kb.jsonl` entries and
//! query files with an expected entry id, or null for out-of-scope questions.

use std::path::Path;

use kb_core::analysis::Locale;
use kb_core::entry::Entry;
use serde::Deserialize;

use crate::knowledge::{Corpus, SourceEntry};
use crate::Diagnostic;

/// A question with the entry that should answer it (`None`: out of scope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabeledQuery {
    /// What the user typed.
    pub text: String,
    /// The expected entry id.
    pub expected: Option<String>,
    /// 1-based line in its file.
    pub line: usize,
}

#[derive(Deserialize)]
struct QueryLine {
    text: String,
    expected: Option<String>,
}

#[derive(Deserialize)]
struct EntryLine {
    id: String,
    title: String,
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default)]
    answer: String,
}

fn lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<(usize, T)>, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| vec![Diagnostic::error(path, 0, format!("cannot read: {e}"))])?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<T>(line) {
            Ok(v) => out.push((i + 1, v)),
            Err(e) => errors.push(Diagnostic::error(path, i + 1, format!("invalid JSON line: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Reads a query file (`{"text": …, "expected": id | null}` per line).
pub fn read_queries(path: &Path) -> Result<Vec<LabeledQuery>, Vec<Diagnostic>> {
    Ok(lines::<QueryLine>(path)?
        .into_iter()
        .map(|(line, q)| LabeledQuery { text: q.text, expected: q.expected, line })
        .collect())
}

/// Reads a `kb.jsonl` as an English corpus.
pub fn read_kb(path: &Path) -> Result<Corpus, Vec<Diagnostic>> {
    let entries = lines::<EntryLine>(path)?
        .into_iter()
        .map(|(_, e)| {
            let answer = if e.answer.trim().is_empty() { e.title.clone() } else { e.answer };
            SourceEntry { entry: Entry::new(&e.id, &e.title, Locale::En, &answer), questions: e.questions }
        })
        .collect();
    Ok(Corpus {
        name: path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("dataset").to_string(),
        entries,
        ..Corpus::default()
    })
}
