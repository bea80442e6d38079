//! The sizes knowledge should stay within, and the lint warnings past them. Every byte of an answer
//! ships in the pack each visitor downloads, and the widget renders lists and quotes flat, so an
//! answer of megabytes or a list nested thousands deep is a mistake (a paste gone wrong, a
//! generated file) long before it is a problem for the parser: `kb lint` and `kb build` say so.
//!
//! ```
//! use kb_compiler::budget::{check_answer, ANSWER_BYTES};
//!
//! let mut diags = Vec::new();
//! check_answer("a.md".as_ref(), 7, &"word ".repeat(ANSWER_BYTES / 4), &mut diags);
//! assert!(diags[0].message.contains("kB"), "{}", diags[0].message);
//! ```

use std::path::Path;

use crate::Diagnostic;

/// An answer's budget in bytes (64 KiB: some 15 screens on a phone; the longest bundled answer is
/// under 2 kB).
pub const ANSWER_BYTES: usize = 64 * 1024;

/// How deep lists and quotes may nest. The widget shows lists one level deep; eight leaves room
/// for any real outline.
pub const NESTING_DEPTH: usize = 8;

/// A pack's budget, gzipped, in bytes: what a phone downloads before the first local answer (the
/// bundled five-locale pack is under 0.5 MB). The widget itself refuses to inflate past 64 MB.
pub const PACK_GZIP_BYTES: usize = 2_000_000;

/// Warns when `answer` (starting at `line` of `path`) passes [`ANSWER_BYTES`] or nests lists or
/// quotes deeper than [`NESTING_DEPTH`] (the first such line is named).
pub fn check_answer(path: &Path, line: usize, answer: &str, diags: &mut Vec<Diagnostic>) {
    if answer.len() > ANSWER_BYTES {
        diags.push(Diagnostic::warning(
            path,
            line,
            format!(
                "the answer is {} kB, over the {} kB budget: every visitor downloads it; split it or link to a page",
                answer.len() / 1024,
                ANSWER_BYTES / 1024
            ),
        ));
    }
    let deepest =
        answer.lines().enumerate().map(|(i, l)| (nesting(l), i)).max_by_key(|&(depth, i)| (depth, usize::MAX - i));
    if let Some((depth, i)) = deepest.filter(|&(depth, _)| depth > NESTING_DEPTH) {
        diags.push(Diagnostic::warning(
            path,
            line + i,
            format!("lists or quotes nested {depth} levels deep (at most {NESTING_DEPTH}): the widget shows them flat"),
        ));
    }
}

/// Warns when a pack written to `path` passes [`PACK_GZIP_BYTES`] gzipped.
pub fn check_pack(path: &Path, gzip_bytes: usize) -> Option<Diagnostic> {
    (gzip_bytes > PACK_GZIP_BYTES).then(|| {
        Diagnostic::warning(
            path,
            0,
            format!(
                "the pack is {:.1} MB gzip, over the {:.1} MB budget: phones download it before the first answer",
                gzip_bytes as f64 / 1e6,
                PACK_GZIP_BYTES as f64 / 1e6
            ),
        )
    })
}

/// How many list or quote levels open on `line`: each two spaces (or a tab) of indentation before
/// a list marker, and each marker or `>` in a run such as `- - - x` or `> > x`.
fn nesting(line: &str) -> usize {
    let indent: usize =
        line.chars().take_while(|c| *c == ' ' || *c == '\t').map(|c| if c == '\t' { 2 } else { 1 }).sum();
    let mut markers = 0;
    let mut rest = line.trim_start();
    loop {
        let next = if let Some(r) = rest.strip_prefix('>') {
            r
        } else if let Some(r) = ["- ", "* ", "+ "].iter().find_map(|m| rest.strip_prefix(m)) {
            r
        } else {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            match rest[digits..].strip_prefix(". ") {
                Some(r) if digits > 0 => r,
                _ => break,
            }
        };
        markers += 1;
        rest = next.trim_start();
    }
    if markers == 0 {
        return 0;
    }
    indent / 2 + markers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(answer: &str) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        check_answer("e.md".as_ref(), 10, answer, &mut diags);
        diags
    }

    #[test]
    fn a_normal_answer_passes() {
        assert!(warnings("Open **Orders**.\n\n1. Tap it\n   - then this\n> a note\n").is_empty());
    }

    #[test]
    fn a_ten_megabyte_answer_is_named_with_its_size() {
        let d = warnings(&"All about returns. ".repeat(10 * 1024 * 1024 / 19));
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("10239 kB") || d[0].message.contains("10240 kB"), "{}", d[0].message);
        assert_eq!(d[0].line, 10);
    }

    #[test]
    fn deep_nesting_is_found_whichever_way_it_is_written() {
        let indented: String = (0..5000).map(|i| format!("{}- level {i}\n", "  ".repeat(i))).collect();
        let d = warnings(&format!("Intro\n{indented}"));
        let deep: Vec<_> = d.iter().filter(|d| d.message.contains("nested")).collect();
        assert_eq!(deep.len(), 1, "{d:?}");
        assert!(deep[0].message.contains("5000 levels"), "{}", deep[0].message);
        assert_eq!(deep[0].line, 10 + 5000, "the deepest line is named");
        let runs = format!("Intro\n\n{}x\n", "> ".repeat(20));
        let d = warnings(&runs);
        assert_eq!((d.len(), d[0].line), (1, 12), "{d:?}");
        assert!(d[0].message.contains("20 levels"), "{}", d[0].message);
        assert_eq!(warnings(&format!("{}x", "- ".repeat(NESTING_DEPTH))).len(), 0, "the limit itself passes");
    }

    #[test]
    fn a_pack_over_budget_is_named() {
        assert!(check_pack("kb.idx".as_ref(), PACK_GZIP_BYTES).is_none());
        let d = check_pack("kb.idx".as_ref(), 25_700_000).expect("a warning");
        assert!(d.message.contains("25.7 MB"), "{}", d.message);
    }
}
