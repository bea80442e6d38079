//! Plain text of an answer's Markdown, for indexing: link targets and markup are not words
//! anyone searches for.
//!
//! ```
//! let text = kb_compiler::markdown::plain_text("1. Open **Orders** > [My orders](https://x.example/o).");
//! assert_eq!(text, "1. Open Orders > My orders.");
//! ```

/// Strips emphasis markers, code ticks and link targets, keeping link labels.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        match after.find(')') {
            Some(close) => rest = &after[close + 1..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out.chars().filter(|c| !matches!(c, '*' | '`' | '[' | ']' | '_' | '#')).collect()
}
