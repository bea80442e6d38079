//! The query analyser of every locale: whatever a buyer types, it must return terms without
//! panicking, folding must be idempotent, and no term may be empty.
#![no_main]
use kb_core::analysis::{fold, Analyzer};
use kb_core::locale::Locale;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let folded = fold(text);
    assert_eq!(fold(&folded), folded, "folding twice changed the text");
    for locale in Locale::ALL {
        let analyzer = Analyzer::new(locale);
        let terms = analyzer.terms(text);
        assert!(terms.iter().all(|t| !t.is_empty()), "{locale:?} produced an empty term from {text:?}");
        let (_, prefix) = analyzer.terms_with_prefix(text);
        assert!(prefix.is_none_or(|p| !p.is_empty()), "{locale:?} produced an empty prefix");
    }
});
