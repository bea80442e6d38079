//! LLM event streams: the parser must give the same events however the network splits the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use llm_fallback::sse::SseParser;

fuzz_target!(|data: &[u8]| {
    let Some((&cut_seed, body)) = data.split_first() else { return };
    let mut whole = SseParser::new();
    let mut expected = whole.push(body);
    expected.extend(whole.finish());

    // Split at a pseudo-random stride taken from the first byte, down to one byte at a time.
    let stride = usize::from(cut_seed % 7) + 1;
    let mut pieces = SseParser::new();
    let mut got = Vec::new();
    for piece in body.chunks(stride) {
        got.extend(pieces.push(piece));
    }
    got.extend(pieces.finish());
    assert_eq!(expected, got, "events depend on where the stream was split (stride {stride})");
});
