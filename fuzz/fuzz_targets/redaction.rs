//! Redaction before text leaves for the LLM: no panics, and its output holds nothing it would
//! redact again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use llm_fallback::redact::Redactor;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let redactor = Redactor::new();
    let once = redactor.redact(text);
    assert_eq!(once.count > 0, !once.kinds.is_empty());
    let twice = redactor.redact(&once.text);
    assert_eq!(twice.count, 0, "redacted text still holds {:?}: {:?}", twice.kinds, once.text);
});
