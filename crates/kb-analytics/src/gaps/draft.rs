//! Draft entries for the needs the knowledge lacks, in the knowledge format
//! (`knowledge/FORMAT.md`): the real questions as `questions`, the group's locale and audience,
//! `tags: [draft]`, and an answer that starts with `TODO`, which `kb lint` and `kb build` refuse
//! until someone writes it. They are written as `OUT/entries/<locale>/<id>.md`, the layout of a
//! knowledge folder, so that `kb lint --knowledge OUT` checks them and a finished one moves into
//! `knowledge/` as it is. A draft already there is never overwritten: it may have been edited.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kb_core::analysis::fold;

use super::{Cluster, Verdict};

/// The most questions a draft lists (the most asked first; `--json` has them all).
pub const MAX_QUESTIONS: usize = 30;
/// The most words of the name an id is made of.
const ID_WORDS: usize = 8;

/// An id for a draft named `name`: its first words, folded to `a-z`, `0-9` and `-` (`gap` when
/// nothing is left, as for a question in Thai script).
///
/// ```
/// use kb_analytics::gaps::draft::slug;
/// assert_eq!(slug("Can you GIFT-wrap my order??"), "can-you-gift-wrap-my-order");
/// assert_eq!(slug("ada harga grosir kalau beli banyak dong kak, 100 pcs"), "ada-harga-grosir-kalau-beli-banyak-dong-kak");
/// assert_eq!(slug("ส่งของขวัญได้ไหม"), "gap");
/// ```
pub fn slug(name: &str) -> String {
    let folded = fold(name);
    let words: Vec<&str> = folded
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .take(ID_WORDS)
        .collect();
    if words.is_empty() {
        "gap".to_string()
    } else {
        words.join("-")
    }
}

/// A front-matter value that reads back as `text`: on one line, quoted when it would otherwise
/// read as a list, a quoted string or a comment.
fn scalar(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let special = one_line.starts_with(['"', '\'', '[', '#']) || one_line.contains(" #");
    if !special {
        return one_line;
    }
    // The format has no escapes: a quoted value ends at its first closing quote.
    if !one_line.contains('"') {
        format!("\"{one_line}\"")
    } else if !one_line.contains('\'') {
        format!("'{one_line}'")
    } else {
        format!("\"{}\"", one_line.replace('"', "'"))
    }
}

/// The title of a draft: its name without trailing punctuation, capitalised.
fn title(name: &str) -> String {
    let bare = name.trim().trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    let bare = if bare.is_empty() { name.trim() } else { bare };
    let mut chars = bare.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The draft entry of `cluster` with id `id`.
pub fn render(cluster: &Cluster, id: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "---\nid: {id}\ntitle: {}", scalar(&title(&cluster.name)));
    let _ =
        writeln!(out, "locale: {}\naudience: {}\ntags: [draft]\nquestions:", cluster.locale, cluster.audience.name());
    for member in cluster.members.iter().take(MAX_QUESTIONS) {
        let _ = writeln!(out, "  - {}", scalar(&member.text));
    }
    let why: Vec<String> = cluster.reasons.iter().map(|(r, n)| format!("{} {n}", r.name())).collect();
    let _ = writeln!(
        out,
        "---\nTODO: write the answer. Asked in {} sessions ({} questions, {} – {}) that found no good answer: {}.",
        cluster.sessions,
        cluster.questions,
        cluster.first_day,
        cluster.last_day,
        why.join(", ")
    );
    out
}

/// A draft file `kb gaps` wrote, or found and left alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Its path.
    pub path: PathBuf,
    /// It was there already and was kept as it is.
    pub kept: bool,
}

/// A draft that could not be written.
#[derive(Debug)]
pub struct DraftError {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl std::fmt::Display for DraftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write the draft {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for DraftError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Writes the draft of every cluster whose verdict is a draft under `out`.
///
/// # Errors
/// A folder or a file that cannot be created.
pub fn write(out: &Path, clusters: &[Cluster]) -> Result<Vec<Written>, DraftError> {
    let mut written = Vec::new();
    for cluster in clusters {
        let Verdict::Draft { id, file } = &cluster.verdict else { continue };
        let path = out.join(file);
        if path.exists() {
            written.push(Written { path, kept: true });
            continue;
        }
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| DraftError { path: folder.to_path_buf(), source })?;
        }
        std::fs::write(&path, render(cluster, id)).map_err(|source| DraftError { path: path.clone(), source })?;
        written.push(Written { path, kept: false });
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_would_read_otherwise_are_quoted() {
        assert_eq!(scalar("where is my\n parcel"), "where is my parcel");
        assert_eq!(scalar("[card] charged twice"), "\"[card] charged twice\"");
        assert_eq!(scalar("order #123 missing"), "\"order #123 missing\"");
        assert_eq!(scalar("order#123"), "order#123");
        assert_eq!(scalar("\"fragile\" sticker"), "'\"fragile\" sticker'");
        assert_eq!(scalar("'it's \"fine\"'"), "\"'it's 'fine''\"");
    }

    #[test]
    fn titles_are_the_name_capitalised_without_its_question_marks() {
        assert_eq!(title("can you gift wrap my order??"), "Can you gift wrap my order");
        assert_eq!(title("¿envío gratis?"), "¿envío gratis");
        assert_eq!(title("???"), "???");
    }
}
