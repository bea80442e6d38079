//! The small YAML subset used in knowledge front matter, parsed with line numbers so that every
//! problem can be reported as `file:line: message`.
//!
//! ```
//! use kb_compiler::frontmatter::{split, Value};
//!
//! let doc = "---\nid: a\ntags: [x, y]\nquestions:\n  - one\n  - two\n---\nBody\n";
//! let (fields, body, body_line) = split(doc).unwrap();
//! assert_eq!(fields.get("id").unwrap().value, Value::Text("a".into()));
//! assert_eq!(fields.get("questions").unwrap().value.items().len(), 2);
//! assert_eq!((body.trim(), body_line), ("Body", 8));
//! ```

use std::collections::BTreeMap;

/// A front-matter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `key: text`
    Text(String),
    /// `key: [a, b]` or a block of `- item` lines; each item keeps its line number.
    List(Vec<(usize, String)>),
}

impl Value {
    /// The items of a list, or a one-item list for a non-empty text.
    pub fn items(&self) -> Vec<(usize, String)> {
        match self {
            Value::List(items) => items.clone(),
            Value::Text(t) if t.is_empty() => Vec::new(),
            Value::Text(t) => vec![(0, t.clone())],
        }
    }
}

/// A value and the line its key is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// 1-based line of the key.
    pub line: usize,
    /// The value.
    pub value: Value,
}

/// A front-matter syntax problem at a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError { line, message: message.into() }
}

/// Removes a trailing comment (`#` at the start or after whitespace) and surrounding space.
fn strip_comment(s: &str) -> &str {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return s[..i].trim();
        }
    }
    s.trim()
}

/// A scalar: a quoted string keeps `#` and spaces; otherwise a trailing comment is removed.
fn scalar(s: &str) -> String {
    let t = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = t.strip_prefix(q) {
            if let Some(end) = inner.find(q) {
                return inner[..end].to_string();
            }
        }
    }
    strip_comment(t).to_string()
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

/// Splits a document into its front matter fields, its body and the body's first line number.
pub fn split(doc: &str) -> Result<(BTreeMap<String, Field>, &str, usize), SyntaxError> {
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    let mut lines = doc.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Err(error(1, "missing front matter: the file must start with a `---` line")),
    }
    let mut consumed = doc.split_inclusive('\n').next().map_or(0, str::len);
    let mut fields: BTreeMap<String, Field> = BTreeMap::new();
    let mut open_list: Option<String> = None;
    let mut line_no = 1;
    for raw in lines {
        line_no += 1;
        consumed += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim_end() == "---" {
            return Ok((fields, &doc[consumed..], line_no + 1));
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ").or(if trimmed == "-" { Some("") } else { None }) {
            let key = open_list.as_ref().ok_or_else(|| error(line_no, "list item without a `key:` line above it"))?;
            let text = scalar(item);
            if text.is_empty() {
                return Err(error(line_no, "empty list item"));
            }
            if let Some(Field { value: Value::List(items), .. }) = fields.get_mut(key) {
                items.push((line_no, text));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return Err(error(line_no, "unexpected indentation (only `  - item` lines may be indented)"));
        }
        let (key, rest) = line.split_once(':').ok_or_else(|| error(line_no, "expected `key: value`"))?;
        let key = key.trim().to_string();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(error(line_no, format!("invalid key `{key}`")));
        }
        if fields.contains_key(&key) {
            return Err(error(line_no, format!("`{key}` is given twice")));
        }
        let rest = rest.trim();
        let value = if let Some(inner) = rest.strip_prefix('[') {
            let inner = inner
                .trim_end()
                .strip_suffix(']')
                .ok_or_else(|| error(line_no, "unclosed `[` list (inline lists must fit on one line)"))?;
            open_list = None;
            Value::List(inner.split(',').map(unquote).filter(|s| !s.is_empty()).map(|s| (line_no, s)).collect())
        } else {
            let text = scalar(rest);
            if text.is_empty() {
                open_list = Some(key.clone());
                Value::List(Vec::new())
            } else {
                open_list = None;
                Value::Text(text)
            }
        };
        fields.insert(key, Field { line: line_no, value });
    }
    Err(error(line_no, "front matter is not closed by a `---` line"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reports_lines() {
        let e = split("---\nid: a\n  oops\n---\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(split("no front matter").unwrap_err().line, 1);
        assert_eq!(split("---\nid: a\n").unwrap_err().message, "front matter is not closed by a `---` line");
        assert_eq!(split("---\nid: a\nid: b\n---\n").unwrap_err().line, 3);
    }

    #[test]
    fn comments_and_quotes() {
        let (f, _, _) = split("---\nflow: where # the flow\ntitle: \"Hash # kept\"\nurl: a#b\n---\n").unwrap();
        assert_eq!(f["flow"].value, Value::Text("where".into()));
        assert_eq!(f["title"].value, Value::Text("Hash # kept".into()));
        assert_eq!(f["url"].value, Value::Text("a#b".into()));
    }

    proptest! {
        #[test]
        fn never_panics(doc in "(---\n)?([a-z:\\-\\[\\] #\"]{0,12}\n){0,8}(---\n)?.{0,20}") {
            let _ = split(&doc);
        }
    }
}
