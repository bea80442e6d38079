//! Answer Markdown from knowledge authors and the LLM: no panics, no unsafe link survives, and
//! escaped text stays text.
#![no_main]
use kb_core::markdown::{self, Block, Inline};
use libfuzzer_sys::fuzz_target;

fn check_links(inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Link { label, url } => {
                assert!(markdown::is_safe_url(url), "unsafe link target kept: {url:?}");
                check_links(label);
            }
            Inline::Strong(v) | Inline::Emphasis(v) => check_links(v),
            Inline::Text(_) | Inline::Code(_) | Inline::Break => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for block in markdown::parse(text) {
        match block {
            Block::Paragraph(v) | Block::Heading(v) => check_links(&v),
            Block::List { items, .. } => items.iter().for_each(|item| check_links(item)),
        }
    }
    let _ = markdown::plain_text(text);
    // Escaped text must come back as plain text and nothing else.
    for block in markdown::parse(&markdown::escape(text)) {
        let Block::Paragraph(inlines) = block else { panic!("escaped text became a {block:?}") };
        for inline in inlines {
            assert!(matches!(inline, Inline::Text(_) | Inline::Break), "escaped text became {inline:?}");
        }
    }
});
