//! Decoding of streams captured from the real llama.cpp server (tests/fixtures): the reply does
//! not depend on how the network cut the bytes, on the line endings, or on keep-alive comments,
//! and a stream cut short is reported as truncated with a prefix of the reply delivered.

use llm_fallback::chunk::{DecodeError, FinishReason, StreamDecoder, StreamEvent};
use proptest::prelude::*;

mod common;
use common::split;

const EMOJI: &[u8] = include_bytes!("fixtures/smollm2-emoji.sse");
const GROUNDED: &[u8] = include_bytes!("fixtures/smollm2-grounded.sse");
const EMOJI_TEXT: &str = "🙏\nThank you. 👌";
const GROUNDED_TEXT: &str =
    "No, you cannot return shoes after 10 days. You can only return them within 3 months of delivery.";

/// What a transport does with the decoder: feed the pieces, then finish.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    text: String,
    deltas: usize,
    finish: Vec<FinishReason>,
    done: bool,
    errors: Vec<DecodeError>,
    /// Events after `[DONE]` (must be none).
    after_done: usize,
}

fn decode<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut decoder = StreamDecoder::new();
    let mut out = Outcome::default();
    let take = |events: Vec<Result<StreamEvent, DecodeError>>, out: &mut Outcome| {
        for event in events {
            if out.done {
                out.after_done += 1;
            }
            match event {
                Ok(StreamEvent::Delta(t)) => {
                    out.deltas += 1;
                    out.text.push_str(&t);
                }
                Ok(StreamEvent::Finish(r)) => out.finish.push(r),
                Ok(StreamEvent::Done) => out.done = true,
                Ok(StreamEvent::Usage { .. }) => {}
                Ok(StreamEvent::Error(e)) => panic!("error event in a captured stream: {e}"),
                Err(e) => out.errors.push(e),
            }
        }
    };
    for piece in pieces {
        take(decoder.push(piece), &mut out);
    }
    take(decoder.finish(), &mut out);
    out
}

/// The same stream with CRLF line endings and SSE comments (keep-alives) between events.
fn with_crlf_and_comments(bytes: &[u8], every: usize) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    let mut out = String::from(": stream opened\r\n\r\n");
    for (i, event) in events.iter().enumerate() {
        out.push_str(&event.replace('\n', "\r\n"));
        out.push_str("\r\n\r\n");
        if every > 0 && i % every == 0 {
            out.push_str(": keep-alive\r\n");
        }
    }
    out.into_bytes()
}

fn expected(text: &str, deltas: usize) -> Outcome {
    Outcome { text: text.to_string(), deltas, finish: vec![FinishReason::Stop], done: true, ..Outcome::default() }
}

#[test]
fn captured_streams_decode_whole() {
    let emoji = decode([EMOJI]);
    assert_eq!(emoji, expected(EMOJI_TEXT, 6));
    let grounded = decode([GROUNDED]);
    assert_eq!(grounded.text, GROUNDED_TEXT);
    assert_eq!(grounded, expected(GROUNDED_TEXT, grounded.deltas));
    assert!(grounded.deltas > 20, "one token per event");
}

#[test]
fn captured_streams_byte_by_byte() {
    for (bytes, text) in [(EMOJI, EMOJI_TEXT), (GROUNDED, GROUNDED_TEXT)] {
        let whole = decode([bytes]);
        assert_eq!(decode(bytes.chunks(1)), whole);
        assert_eq!(decode(with_crlf_and_comments(bytes, 1).chunks(1)), whole);
        assert_eq!(whole.text, text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any chunking of a real captured stream gives the same reply, finish reason and `[DONE]`,
    /// with no errors: the network's packet boundaries never show in the chat bubble.
    #[test]
    fn captured_stream_any_chunking(
        which in any::<bool>(),
        crlf in any::<bool>(),
        every in 0usize..4,
        cuts in proptest::collection::vec(any::<usize>(), 0..80),
    ) {
        let (raw, text) = if which { (GROUNDED, GROUNDED_TEXT) } else { (EMOJI, EMOJI_TEXT) };
        let bytes = if crlf { with_crlf_and_comments(raw, every) } else { raw.to_vec() };
        let whole = decode([raw]);
        let got = decode(split(&bytes, &cuts));
        prop_assert_eq!(&got.text, text);
        prop_assert_eq!(got, whole);
    }

    /// A stream cut anywhere before `[DONE]` (a dropped connection whose body then ends
    /// cleanly) delivers a prefix of the reply and reports `Truncated` exactly once, unless
    /// the finish reason had already arrived.
    #[test]
    fn captured_stream_cut_short(
        which in any::<bool>(),
        end in any::<usize>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let (raw, text) = if which { (GROUNDED, GROUNDED_TEXT) } else { (EMOJI, EMOJI_TEXT) };
        let done_at = raw.windows(12).position(|w| w == b"data: [DONE]").unwrap();
        let end = end % done_at;
        let got = decode(split(&raw[..end], &cuts));
        prop_assert!(text.starts_with(&got.text), "{:?} is not a prefix", got.text);
        prop_assert!(!got.done);
        prop_assert_eq!(got.after_done, 0);
        if got.finish.is_empty() {
            prop_assert_eq!(got.errors, vec![DecodeError::Truncated]);
        } else {
            prop_assert!(got.errors.is_empty());
            prop_assert_eq!(got.text.as_str(), text);
        }
    }
}
