//! The neutral FAQ-evaluation format (`docs/datasets.md`): `kb.jsonl` entries and
//! query files with an expected entry id, or null for out-of-scope questions.

use std::path::Path;

use kb_core::entry::{Audience, Entry};
use kb_core::Locale;
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
    /// Who asked, as the page would tell the widget (`data-audience`); `All` when unknown.
    pub audience: Audience,
    /// 1-based line in its file.
    pub line: usize,
}

#[derive(Deserialize)]
struct QueryLine {
    text: String,
    expected: Option<String>,
    #[serde(default)]
    audience: Option<String>,
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
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![Diagnostic::error(path, 0, format!("cannot read: {e}"))])?;
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

/// Reads a query file (`{"text": …, "expected": id | null}` per line, with an optional
/// `"audience": "buyer" | "seller"` naming the side of the marketplace the question was asked on).
pub fn read_queries(path: &Path) -> Result<Vec<LabeledQuery>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let queries = lines::<QueryLine>(path)?
        .into_iter()
        .map(|(line, q)| {
            let audience = match q.audience.as_deref().map(str::parse::<Audience>) {
                None => Audience::All,
                Some(Ok(a)) => a,
                Some(Err(e)) => {
                    errors.push(Diagnostic::error(path, line, e));
                    Audience::All
                }
            };
            LabeledQuery { text: q.text, expected: q.expected, audience, line }
        })
        .collect();
    if errors.is_empty() {
        Ok(queries)
    } else {
        Err(errors)
    }
}

/// Reads a `kb.jsonl` as an English corpus.
pub fn read_kb(path: &Path) -> Result<Corpus, Vec<Diagnostic>> {
    let entries = lines::<EntryLine>(path)?
        .into_iter()
        .map(|(_, e)| {
            let answer = if e.answer.trim().is_empty() { e.title.clone() } else { e.answer };
            SourceEntry {
                entry: Entry::new(&e.id, &e.title, Locale::En, &answer),
                questions: e.questions,
                replaces: Vec::new(),
            }
        })
        .collect();
    Ok(Corpus {
        name: path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("dataset").to_string(),
        entries,
        ..Corpus::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query file under the system temp directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(text: &str) -> TempFile {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let name = format!("kb-dataset-{}-{}.jsonl", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
            let path = std::env::temp_dir().join(name);
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn audience_is_optional_and_validated() {
        let file = TempFile::new(concat!(
            r#"{"text": "a", "expected": "x", "audience": "seller"}"#,
            "\n",
            r#"{"text": "b", "expected": null}"#,
            "\n",
        ));
        let queries = read_queries(&file.0).unwrap();
        assert_eq!(queries[0].audience, Audience::Seller);
        assert_eq!(queries[1].audience, Audience::All);
        assert_eq!(queries[1].expected, None);

        let bad = TempFile::new(concat!(
            r#"{"text": "a", "expected": "x"}"#,
            "\n",
            r#"{"text": "b", "expected": "x", "audience": "admin"}"#,
            "\n",
        ));
        let errors = read_queries(&bad.0).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("admin"), "{}", errors[0].message);
    }
}
