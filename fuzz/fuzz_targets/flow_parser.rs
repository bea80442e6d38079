//! SOP flow files, as `kb lint` and `kb build` read them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = std::str::from_utf8(data) else { return };
    let mut diags = Vec::new();
    if kb_compiler::flows::parse_flow("fuzz.md".as_ref(), doc, &mut diags).is_none() {
        assert!(!diags.is_empty(), "a flow was dropped without a diagnostic");
    }
});
