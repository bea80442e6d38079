//! Text that varies by market (format: `knowledge/FORMAT.md`, "Policies per market"): the
//! `markets: [th, id]` front-matter list and the `::: market=<code>` blocks of an entry's answer
//! or a flow step's message, resolved into the default text and one complete text per declared
//! market.
//!
//! A *group* is a `::: market=default` block followed by one block per declared market (blank
//! lines between them are allowed); text outside blocks is shared by every market.
//!
//! ```
//! use kb_compiler::markets::resolve;
//! use kb_core::Market;
//!
//! let text = "Returns:\n::: market=default\n15 days.\n:::\n::: market=th\n7 days.\n:::\nThanks!";
//! let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
//! let mut diags = Vec::new();
//! let resolved = resolve("e.md".as_ref(), &lines, &[Market::Th], &mut diags).unwrap();
//! assert!(diags.is_empty());
//! assert_eq!(resolved.default, "Returns:\n15 days.\nThanks!");
//! assert_eq!(resolved.variants[0].text, "Returns:\n7 days.\nThanks!");
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use kb_core::market::{Market, Variant};

use crate::frontmatter::Field;
use crate::Diagnostic;

/// A line of text and its 1-based line number in the file.
pub type Line<'a> = (usize, &'a str);

/// The name a default block gives instead of a market code.
const DEFAULT: &str = "default";

/// What a line starting with `:::` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker<'a> {
    /// `::: market=<name>` opens a block for a market code or `default`.
    Open(&'a str),
    /// `:::` closes the open block.
    Close,
    /// Something else after `:::`.
    Malformed,
}

/// The marker a line is, if it starts with `:::` (leading and trailing space ignored).
pub fn marker(line: &str) -> Option<Marker<'_>> {
    let rest = line.trim().strip_prefix(":::")?.trim();
    Some(match rest.strip_prefix("market=") {
        _ if rest.is_empty() => Marker::Close,
        Some(name) if !name.trim().is_empty() && !name.contains(char::is_whitespace) => Marker::Open(name),
        _ => Marker::Malformed,
    })
}

/// The markets a `markets:` field declares, in the order written; problems go to `diags`.
pub fn declared(path: &Path, field: Option<&Field>, diags: &mut Vec<Diagnostic>) -> Vec<Market> {
    let mut markets = Vec::new();
    let Some(field) = field else { return markets };
    for (line, code) in field.value.items() {
        let line = if line == 0 { field.line } else { line };
        match code.parse::<Market>() {
            Ok(m) if markets.contains(&m) => {
                diags.push(Diagnostic::error(path, line, format!("market `{m}` is listed twice in `markets`")))
            }
            Ok(m) => markets.push(m),
            Err(e) => diags.push(Diagnostic::error(path, line, e.to_string())),
        }
    }
    markets
}

/// Text with its market blocks resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The text for every market without a variant (shared text and the default blocks).
    pub default: String,
    /// For each declared market, the whole text (empty when the text has no group).
    pub variants: Vec<Variant>,
    /// How many groups the text has.
    pub groups: usize,
}

/// Where the open block's lines go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Default,
    /// The market at this position of the declared list.
    Market(usize),
    /// A block whose marker was wrong (already reported): its lines are dropped.
    Nowhere,
}

/// The group being read: its first line and the markets that have their block so far.
struct Group {
    line: usize,
    blocks: BTreeMap<Market, usize>,
}

/// Resolves the market blocks of `lines` (1-based line number, text) for the `declared`
/// markets. Every problem is an error in `diags` at its line; `None` if there was one.
pub fn resolve(path: &Path, lines: &[Line<'_>], declared: &[Market], diags: &mut Vec<Diagnostic>) -> Option<Resolved> {
    let errors_before = diags.len();
    let mut error = |line: usize, message: String| diags.push(Diagnostic::error(path, line, message));
    let mut default: Vec<&str> = Vec::new();
    let mut texts: Vec<Vec<&str>> = vec![Vec::new(); declared.len()];
    let mut open: Option<(Target, usize)> = None;
    let mut group: Option<Group> = None;
    let mut groups = 0;
    let mut finish = |group: &mut Option<Group>, error: &mut dyn FnMut(usize, String)| {
        if let Some(g) = group.take() {
            groups += 1;
            for m in declared.iter().filter(|m| !g.blocks.contains_key(m)) {
                error(g.line, format!("this group has no `::: market={m}` block: each market in `markets` needs one"));
            }
        }
    };
    for &(line, text) in lines {
        match marker(text) {
            Some(Marker::Open(name)) => {
                if let Some((_, at)) = open {
                    error(
                        line,
                        format!("`::: market={name}` inside the block opened at line {at}: blocks cannot nest"),
                    );
                    continue;
                }
                let target = if name == DEFAULT && declared.is_empty() {
                    error(line, "a `::: market=` block needs the markets it varies for in the front matter (`markets: [th, id]`)".into());
                    Target::Nowhere
                } else if name == DEFAULT {
                    finish(&mut group, &mut error);
                    group = Some(Group { line, blocks: BTreeMap::new() });
                    Target::Default
                } else {
                    match name.parse::<Market>().map(|m| (m, declared.iter().position(|d| *d == m))) {
                        Err(e) => {
                            error(line, e.to_string());
                            Target::Nowhere
                        }
                        Ok((m, None)) => {
                            error(line, format!("market `{m}` is not declared in the front matter's `markets`"));
                            Target::Nowhere
                        }
                        Ok((m, Some(n))) => match &mut group {
                            None => {
                                error(line, format!("`::: market={m}` must follow a `::: market=default` block (what other markets see)"));
                                Target::Nowhere
                            }
                            Some(g) => match g.blocks.insert(m, line) {
                                Some(first) => {
                                    error(line, format!("a second `::: market={m}` block in this group (the first is at line {first})"));
                                    Target::Nowhere
                                }
                                None => Target::Market(n),
                            },
                        },
                    }
                };
                open = Some((target, line));
            }
            Some(Marker::Close) if open.is_none() => error(line, "`:::` closes no block".into()),
            Some(Marker::Close) => open = None,
            Some(Marker::Malformed) => error(
                line,
                format!(
                    "`{}`: a block opens with `::: market=<code>` or `::: market=default`, and `:::` closes it",
                    text.trim()
                ),
            ),
            None => match open {
                Some((Target::Default, _)) => push_line(&mut default, text),
                Some((Target::Market(n), _)) => push_line(&mut texts[n], text),
                Some((Target::Nowhere, _)) => {}
                None => {
                    if !text.trim().is_empty() {
                        finish(&mut group, &mut error);
                    }
                    push_line(&mut default, text);
                    for t in &mut texts {
                        push_line(t, text);
                    }
                }
            },
        }
    }
    if let Some((_, at)) = open {
        error(at, "this block is never closed by a `:::` line".into());
    }
    finish(&mut group, &mut error);
    if diags.len() > errors_before {
        return None;
    }
    let variants = if groups == 0 {
        Vec::new()
    } else {
        declared
            .iter()
            .zip(texts)
            .map(|(&market, lines)| Variant { market, text: lines.join("\n").trim().to_string() })
            .collect()
    };
    Some(Resolved { default: default.join("\n").trim().to_string(), variants, groups })
}

/// Appends a line of text; a blank line after a blank line is dropped, so that the blank lines
/// around a group's blocks leave one paragraph break in every market's text.
fn push_line<'a>(out: &mut Vec<&'a str>, text: &'a str) {
    let blank = |t: &str| t.trim().is_empty();
    if !(blank(text) && out.last().is_some_and(|l| blank(l))) {
        out.push(text);
    }
}

/// The error for markets declared (at `line`) in a file none of whose texts varies by them.
pub fn check_used(path: &Path, line: usize, declared: &[Market], groups: usize, diags: &mut Vec<Diagnostic>) {
    if !declared.is_empty() && groups == 0 {
        diags.push(Diagnostic::error(
            path,
            line,
            "`markets` is declared, but no `::: market=default` block varies the text",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, &str)> {
        text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect()
    }

    fn errors(text: &str, declared: &[Market]) -> Vec<String> {
        let mut diags = Vec::new();
        let resolved = resolve("e.md".as_ref(), &lines(text), declared, &mut diags);
        assert_eq!(resolved.is_none(), !diags.is_empty(), "{diags:?}");
        diags.into_iter().map(|d| format!("{}: {}", d.line, d.message)).collect()
    }

    const TH_ID: [Market; 2] = [Market::Th, Market::Id];

    #[test]
    fn groups_replace_the_default_and_shared_text_goes_to_every_market() {
        let text = "Intro.\n\n::: market=default\n15 days.\n:::\n\n::: market=th\n7 days.\n:::\n::: market=id\n30 days.\n:::\n\nCOD:\n::: market=default\nyes\n:::\n::: market=id\nyes, up to Rp5 juta\n:::\n::: market=th\nno\n:::\nBye.";
        let mut diags = Vec::new();
        let r = resolve("e.md".as_ref(), &lines(text), &TH_ID, &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(r.groups, 2);
        assert_eq!(r.default, "Intro.\n\n15 days.\n\nCOD:\nyes\nBye.");
        assert_eq!(r.variants[0], Variant { market: Market::Th, text: "Intro.\n\n7 days.\n\nCOD:\nno\nBye.".into() });
        assert_eq!(r.variants[1].text, "Intro.\n\n30 days.\n\nCOD:\nyes, up to Rp5 juta\nBye.");
    }

    #[test]
    fn text_without_blocks_has_no_variants() {
        let mut diags = Vec::new();
        let r = resolve("e.md".as_ref(), &lines("Just text.\n"), &TH_ID, &mut diags).unwrap();
        assert_eq!((r.default.as_str(), r.variants.len(), r.groups), ("Just text.", 0, 0));
    }

    #[test]
    fn a_missing_market_block_is_an_error_at_the_group() {
        let e = errors("A\n::: market=default\nx\n:::\n::: market=th\ny\n:::\n", &TH_ID);
        assert_eq!(e, ["2: this group has no `::: market=id` block: each market in `markets` needs one"]);
    }

    #[test]
    fn shared_text_ends_a_group() {
        let e = errors("::: market=default\nx\n:::\nshared\n::: market=th\ny\n:::\n", &[Market::Th]);
        assert!(
            e.contains(&"1: this group has no `::: market=th` block: each market in `markets` needs one".to_string()),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m.starts_with("5: `::: market=th` must follow a `::: market=default` block")),
            "{e:?}"
        );
    }

    #[test]
    fn undeclared_and_unknown_markets_are_errors() {
        let e = errors(
            "::: market=default\nx\n:::\n::: market=th\ny\n:::\n::: market=vn\nz\n:::\n::: market=xx\nw\n:::\n",
            &[Market::Th],
        );
        assert_eq!(
            e,
            [
                "7: market `vn` is not declared in the front matter's `markets`",
                "10: unknown market `xx` (markets: id, my, ph, sg, th, vn)",
            ]
        );
    }

    #[test]
    fn a_market_block_without_a_default_is_an_error() {
        let e = errors("text\n::: market=th\ny\n:::\n", &[Market::Th]);
        assert_eq!(e, ["2: `::: market=th` must follow a `::: market=default` block (what other markets see)"]);
    }

    #[test]
    fn nested_unclosed_stray_and_malformed_markers_are_errors() {
        let e = errors("::: market=default\n::: market=th\nx\n:::\n", &[Market::Th]);
        assert!(
            e.iter().any(|m| m.starts_with("2: `::: market=th` inside the block opened at line 1: blocks cannot nest")),
            "{e:?}"
        );
        let e = errors("::: market=default\nx\n:::\n::: market=th\ny\n", &[Market::Th]);
        assert_eq!(e, ["4: this block is never closed by a `:::` line"]);
        let e = errors("text\n:::\n", &[Market::Th]);
        assert_eq!(e, ["2: `:::` closes no block"]);
        let e = errors("::: note\n", &[Market::Th]);
        assert_eq!(
            e,
            ["1: `::: note`: a block opens with `::: market=<code>` or `::: market=default`, and `:::` closes it"]
        );
    }

    #[test]
    fn blocks_without_declared_markets_are_an_error() {
        let e = errors("::: market=default\nx\n:::\n", &[]);
        assert_eq!(
            e,
            ["1: a `::: market=` block needs the markets it varies for in the front matter (`markets: [th, id]`)"]
        );
        let mut diags = Vec::new();
        check_used("e.md".as_ref(), 3, &[Market::Th], 0, &mut diags);
        check_used("e.md".as_ref(), 3, &[Market::Th], 1, &mut diags);
        check_used("e.md".as_ref(), 3, &[], 0, &mut diags);
        assert_eq!(diags.len(), 1);
        assert_eq!(
            (diags[0].line, diags[0].message.as_str()),
            (3, "`markets` is declared, but no `::: market=default` block varies the text")
        );
    }

    #[test]
    fn a_second_block_for_a_market_in_one_group_is_an_error() {
        let e = errors("::: market=default\nx\n:::\n::: market=th\ny\n:::\n::: market=th\nz\n:::\n", &[Market::Th]);
        assert_eq!(e, ["7: a second `::: market=th` block in this group (the first is at line 4)"]);
    }

    #[test]
    fn the_markets_list_rejects_unknown_and_repeated_codes() {
        let (fields, _, _) = crate::frontmatter::split("---\nmarkets: [th, vi, th]\n---\n").unwrap();
        let mut diags = Vec::new();
        assert_eq!(declared("e.md".as_ref(), fields.get("markets"), &mut diags), [Market::Th]);
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["unknown market `vi` (markets: id, my, ph, sg, th, vn)", "market `th` is listed twice in `markets`"]
        );
        assert!(diags.iter().all(|d| d.line == 2));
    }

    #[test]
    fn markers_are_recognised_only_at_the_start_of_a_line() {
        assert_eq!(marker("  ::: market=th "), Some(Marker::Open("th")));
        assert_eq!(marker(":::"), Some(Marker::Close));
        assert_eq!(marker("::: market="), Some(Marker::Malformed));
        assert_eq!(marker("see ::: market=th"), None);
    }
}
