//! Knowledge entry files: front matter and body, as `kb lint` and `kb build` read them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = std::str::from_utf8(data) else { return };
    let _ = kb_compiler::frontmatter::split(doc);
    let mut diags = Vec::new();
    let parsed = kb_compiler::knowledge::parse_entry_file("fuzz.md".as_ref(), doc, &mut diags);
    // An entry comes back exactly when nothing was wrong enough to drop it.
    if parsed.is_none() {
        assert!(!diags.is_empty(), "an entry was dropped without a diagnostic");
    }
});
