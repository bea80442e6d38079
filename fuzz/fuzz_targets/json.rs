//! The hand-written JSON reader of the LLM client: no panics, and what it reads it writes back
//! to text that reads the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use llm_fallback::json::Json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(value) = Json::parse(text) {
        assert_eq!(Json::parse(&value.to_string()), Ok(value));
    }
});
