//! The small Markdown dialect of answers (and LLM replies), parsed into a tree that a renderer
//! turns into DOM nodes one by one. There is no HTML pass-through: `<b>` in the source stays the
//! text `"<b>"`, and links keep only http(s) and mailto targets, so untrusted text can never become
//! markup.
//!
//! ```
//! use kb_core::markdown::{parse, Block, Inline};
//!
//! let blocks = parse("Open **Orders**.\n\n1. Tap [Track](https://x.example)\n2. <script>");
//! assert_eq!(blocks[0], Block::Paragraph(vec![
//!     Inline::Text("Open ".into()), Inline::Strong(vec![Inline::Text("Orders".into())]), Inline::Text(".".into()),
//! ]));
//! let Block::List { ordered: true, items } = &blocks[1] else { panic!() };
//! assert_eq!(items[1], vec![Inline::Text("<script>".into())]);
//! ```

/// A block of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A paragraph (single line breaks inside are kept as [`Inline::Break`]).
    Paragraph(Vec<Inline>),
    /// A bulleted (`- `, `* `) or numbered (`1. `) list.
    List {
        /// Numbered?
        ordered: bool,
        /// The items' contents.
        items: Vec<Vec<Inline>>,
    },
    /// A `#`–`###` heading, rendered as strong text.
    Heading(Vec<Inline>),
}

/// Text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// `**strong**`
    Strong(Vec<Inline>),
    /// `*emphasis*` or `_emphasis_`
    Emphasis(Vec<Inline>),
    /// `` `code` ``
    Code(String),
    /// `[label](url)` with a safe URL; unsafe targets become plain text.
    Link {
        /// Link text.
        label: Vec<Inline>,
        /// http(s) or mailto URL.
        url: String,
    },
    /// A line break inside a paragraph.
    Break,
}

/// True for link targets the widget may open.
///
/// ```
/// assert!(kb_core::markdown::is_safe_url("https://demo-market.example/orders"));
/// assert!(!kb_core::markdown::is_safe_url("javascript:alert(1)"));
/// ```
pub fn is_safe_url(url: &str) -> bool {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits < 4 {
        if let Some(rest) = t[digits..].strip_prefix(". ").or_else(|| t[digits..].strip_prefix(") ")) {
            return Some((true, rest));
        }
    }
    None
}

/// Parses Markdown into blocks.
pub fn parse(source: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            let mut inlines = Vec::new();
            for (i, line) in paragraph.iter().enumerate() {
                if i > 0 {
                    inlines.push(Inline::Break);
                }
                inlines.extend(parse_inline(line.trim()));
            }
            blocks.push(Block::Paragraph(inlines));
            paragraph.clear();
        }
    };
    for line in source.lines() {
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut blocks);
            continue;
        }
        if let Some((ordered, rest)) = list_item(line) {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::List { ordered: o, items }) if *o == ordered => items.push(parse_inline(rest.trim())),
                _ => blocks.push(Block::List { ordered, items: vec![parse_inline(rest.trim())] }),
            }
            continue;
        }
        let t = line.trim_start();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if (1..=3).contains(&hashes) && t[hashes..].starts_with(' ') {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(parse_inline(t[hashes..].trim())));
            continue;
        }
        // A continuation line of a list item joins that item.
        if paragraph.is_empty() && line.starts_with("   ") {
            if let Some(Block::List { items, .. }) = blocks.last_mut() {
                if let Some(last) = items.last_mut() {
                    last.push(Inline::Text(" ".into()));
                    last.extend(parse_inline(line.trim()));
                    continue;
                }
            }
        }
        paragraph.push(line);
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// Parses inline markup of one line.
pub fn parse_inline(text: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let push_text = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    let find = |from: usize, pat: &[char]| -> Option<usize> {
        (from..chars.len().saturating_sub(pat.len() - 1)).find(|&j| chars[j..j + pat.len()] == *pat)
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1).is_some_and(char::is_ascii_punctuation) {
            // A backslash makes the next mark plain text, as in CommonMark (see [`escape`]).
            plain.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            if let Some(end) = find(i + 2, &['*', '*']).filter(|&e| e > i + 2) {
                push_text(&mut plain, &mut out);
                out.push(Inline::Strong(parse_inline(&chars[i + 2..end].iter().collect::<String>())));
                i = end + 2;
                continue;
            }
        } else if (c == '*' || c == '_') && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
            if let Some(end) = find(i + 1, &[c]).filter(|&e| e > i + 1 && starts_word) {
                push_text(&mut plain, &mut out);
                out.push(Inline::Emphasis(parse_inline(&chars[i + 1..end].iter().collect::<String>())));
                i = end + 1;
                continue;
            }
        } else if c == '`' {
            if let Some(end) = find(i + 1, &['`']) {
                push_text(&mut plain, &mut out);
                out.push(Inline::Code(chars[i + 1..end].iter().collect()));
                i = end + 1;
                continue;
            }
        } else if c == '[' || (c == '!' && chars.get(i + 1) == Some(&'[')) {
            let image = c == '!';
            let open = if image { i + 1 } else { i };
            if let Some((label, url, end)) = link_at(&chars, open) {
                push_text(&mut plain, &mut out);
                if image {
                    // The subset has no images (nothing is loaded from a knowledge file): the
                    // alternative text stands in.
                    out.push(Inline::Text(label));
                } else if is_safe_url(&url) {
                    out.push(Inline::Link { label: parse_inline(&label), url: url.trim().to_string() });
                } else {
                    out.extend(parse_inline(&label));
                }
                i = end + 1;
                continue;
            }
        }
        plain.push(c);
        i += 1;
    }
    push_text(&mut plain, &mut out);
    out
}

/// Text made safe to put inside Markdown: every ASCII punctuation mark is escaped, so that it
/// renders as itself, and line breaks become spaces (a value cannot start a list or a heading).
/// For text that is not Markdown, such as a value typed into a flow.
///
/// ```
/// use kb_core::markdown::{escape, plain_text};
/// let typed = "[Verify your card](https://evil.example/phish)";
/// assert_eq!(plain_text(&format!("Thanks, {}!", escape(typed))), format!("Thanks, {typed}!"));
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `[label](url)` starting at `open` (the `[`): its label, its URL and the index of its closing
/// `)`. Parentheses inside the URL nest (`javascript:alert(1)` ends at its own last `)`).
fn link_at(chars: &[char], open: usize) -> Option<(String, String, usize)> {
    let close = (open + 1..chars.len()).find(|&j| chars[j] == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let mut depth = 0usize;
    for (j, &c) in chars.iter().enumerate().skip(close + 2) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                return Some((chars[open + 1..close].iter().collect(), chars[close + 2..j].iter().collect(), j));
            }
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The plain text of Markdown (for indexing and for screen-reader announcements).
///
/// ```
/// assert_eq!(kb_core::markdown::plain_text("1. Open **Orders** > [My orders](https://x.example/o)."), "Open Orders > My orders.");
/// ```
pub fn plain_text(source: &str) -> String {
    fn inline_text(inlines: &[Inline], out: &mut String) {
        for i in inlines {
            match i {
                Inline::Text(t) | Inline::Code(t) => out.push_str(t),
                Inline::Strong(v) | Inline::Emphasis(v) | Inline::Link { label: v, .. } => inline_text(v, out),
                Inline::Break => out.push(' '),
            }
        }
    }
    let mut out = String::new();
    for block in parse(source) {
        if !out.is_empty() {
            out.push('\n');
        }
        match block {
            Block::Paragraph(v) | Block::Heading(v) => inline_text(&v, &mut out),
            Block::List { items, .. } => {
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push('\n');
                    }
                    inline_text(item, &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unsafe_links_become_text() {
        assert_eq!(parse_inline("[x](javascript:alert(1))"), vec![Inline::Text("x".into())], "no stray `)`");
        assert_eq!(
            parse_inline("[mail](mailto:help@x.example)")[0],
            Inline::Link { label: vec![Inline::Text("mail".into())], url: "mailto:help@x.example".into() }
        );
    }

    #[test]
    fn images_leave_their_alternative_text_whole() {
        let text = |t: &str| Inline::Text(t.into());
        assert_eq!(parse_inline("![img](javascript:alert(1)) ok"), vec![text("img"), text(" ok")]);
        assert_eq!(parse_inline("see ![logo](https://x.example/l.png)"), vec![text("see "), text("logo")]);
        assert_eq!(parse_inline("wow!"), vec![text("wow!")]);
    }

    #[test]
    fn parentheses_nest_inside_a_link_url() {
        let url = "https://en.wikipedia.org/wiki/Bubble_(physics)";
        assert_eq!(
            parse_inline(&format!("[bubble]({url}).")),
            vec![
                Inline::Link { label: vec![Inline::Text("bubble".into())], url: url.into() },
                Inline::Text(".".into())
            ]
        );
        assert_eq!(parse_inline("[a](b(c)"), vec![Inline::Text("[a](b(c)".into())], "unbalanced: text");
    }

    #[test]
    fn escaped_text_is_never_markup() {
        for hostile in [
            "[Verify your card here](https://evil.example/phish)",
            "**big** _it_ `code`",
            "# title\n- item\n1. one",
            "a\\b",
        ] {
            let blocks = parse(&format!("Your order {}.", escape(hostile)));
            let [Block::Paragraph(inlines)] = blocks.as_slice() else { panic!("one paragraph: {blocks:?}") };
            assert!(inlines.iter().all(|i| matches!(i, Inline::Text(_))), "{hostile}: {inlines:?}");
            let shown: String = inlines.iter().map(|i| if let Inline::Text(t) = i { t.as_str() } else { "" }).collect();
            assert_eq!(shown, format!("Your order {}.", hostile.replace('\n', " ")));
        }
    }

    #[test]
    fn unclosed_markup_is_text() {
        assert_eq!(parse_inline("2 * 3 **bold"), vec![Inline::Text("2 * 3 **bold".into())]);
        assert_eq!(parse_inline("snake_case_name"), vec![Inline::Text("snake_case_name".into())]);
    }

    proptest! {
        #[test]
        fn never_panics_and_keeps_no_raw_tags_as_markup(s in "[a-z*_`\\[\\]()<>#:/. \n0-9-]{0,80}") {
            let _ = parse(&s);
            let _ = plain_text(&s);
        }
    }
}
