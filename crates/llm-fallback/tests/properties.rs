//! Property tests: SSE split invariance, redaction guarantees, no panics on arbitrary input.

use llm_fallback::chunk::StreamDecoder;
use llm_fallback::citations::split_citations;
use llm_fallback::policy::{normalize_question, parse_retry_after, SessionLedger};
use llm_fallback::redact::Redactor;
use llm_fallback::request::{ChatRequest, Passage, Turn};
use llm_fallback::sse::{SseError, SseEvent, SseParser};
use proptest::prelude::*;

mod common;

type Events = Vec<Result<SseEvent, SseError>>;

/// Feeds `bytes` cut at the given positions (see [`common::split`]), then finishes.
fn feed_split(parser: &mut SseParser, bytes: &[u8], cuts: &[usize]) -> Events {
    let mut out: Events = common::split(bytes, cuts).into_iter().flat_map(|piece| parser.push(piece)).collect();
    out.extend(parser.finish());
    out
}

fn feed_whole(parser: &mut SseParser, bytes: &[u8]) -> Events {
    let mut out = parser.push(bytes);
    out.extend(parser.finish());
    out
}

/// One generated event: optional type, optional id, data lines, and comment lines.
#[derive(Debug, Clone)]
struct GenEvent {
    event: Option<String>,
    id: Option<String>,
    data: Vec<String>,
    comment: Option<String>,
}

fn value_text() -> impl Strategy<Value = String> {
    // anything but line breaks, with multi-byte characters and colons
    proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just(' '),
            Just(':'),
            Just('{'),
            Just('"'),
            Just('é'),
            Just('ไ'),
            Just('🙂'),
            Just('\u{feff}'),
            any::<char>().prop_filter("no line breaks", |c| *c != '\r' && *c != '\n'),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn gen_event() -> impl Strategy<Value = GenEvent> {
    (
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of("[a-z0-9]{1,5}"),
        proptest::collection::vec(value_text(), 1..4),
        proptest::option::of(value_text()),
    )
        .prop_map(|(event, id, data, comment)| GenEvent { event, id, data, comment })
}

/// Serialises events with one line ending; returns the bytes and the expected events.
fn render(events: &[GenEvent], eol: &str, bom: bool) -> (Vec<u8>, Vec<SseEvent>) {
    let mut s = String::new();
    if bom {
        s.push('\u{feff}');
    }
    let mut expected = Vec::new();
    let mut last_id = None;
    for ev in events {
        if let Some(c) = &ev.comment {
            s.push_str(&format!(":{c}{eol}"));
        }
        if let Some(e) = &ev.event {
            s.push_str(&format!("event: {e}{eol}"));
        }
        if let Some(id) = &ev.id {
            s.push_str(&format!("id: {id}{eol}"));
            last_id = Some(id.clone());
        }
        for d in &ev.data {
            s.push_str(&format!("data: {d}{eol}"));
        }
        s.push_str(eol);
        expected.push(SseEvent {
            event: ev.event.clone().unwrap_or_else(|| "message".into()),
            data: ev.data.join("\n"),
            id: last_id.clone(),
        });
    }
    (s.into_bytes(), expected)
}

fn luhn_complete(body: &[u32]) -> Vec<u32> {
    // append the check digit that makes body+check Luhn-valid
    (0..10)
        .map(|check| [body, &[check]].concat())
        .find(|digits| luhn_valid(digits))
        .expect("one of ten check digits always completes a Luhn number")
}

fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, &d)| {
            if k % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[derive(Debug, Clone)]
enum Seg {
    Word(String),
    Card(String, String), // formatted, digits
    Email(String),
}

fn card() -> impl Strategy<Value = Seg> {
    (proptest::collection::vec(0u32..10, 15), 0..3usize).prop_map(|(body, style)| {
        let digits: String = luhn_complete(&body).iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
        let formatted = match style {
            0 => digits.clone(),
            1 => digits.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" "),
            _ => digits.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("-"),
        };
        Seg::Card(formatted, digits)
    })
}

fn email() -> impl Strategy<Value = Seg> {
    ("[a-z0-9]{1,8}([._+-][a-z0-9]{1,8})?", "[a-z0-9]{1,10}(-[a-z0-9]{1,5})?(\\.[a-z0-9]{1,6})?", "[a-z]{2,6}")
        .prop_map(|(local, domain, tld)| Seg::Email(format!("{local}@{domain}.{tld}")))
}

fn word() -> impl Strategy<Value = Seg> {
    prop_oneof![
        "[a-zA-Z]{1,10}",
        "[0-9]{1,6}",
        "MP[0-9]{10}",
        Just("order".to_string()),
        Just("kartu".to_string()),
        Just("ไทย".to_string()),
        Just("?".to_string()),
    ]
    .prop_map(Seg::Word)
}

fn text_with_pii() -> impl Strategy<Value = (String, Vec<Seg>)> {
    proptest::collection::vec(
        (
            prop_oneof![4 => word(), 1 => card(), 1 => email()],
            prop_oneof![Just(" "), Just(", "), Just(". "), Just("\n"), Just(": "), Just(" ("), Just(") "),],
        ),
        1..12,
    )
    .prop_map(|segs| {
        let mut text = String::new();
        for (seg, sep) in &segs {
            match seg {
                Seg::Word(w) => text.push_str(w),
                Seg::Card(f, _) => text.push_str(f),
                Seg::Email(e) => text.push_str(e),
            }
            text.push_str(sep);
        }
        (text, segs.into_iter().map(|(s, _)| s).collect())
    })
}

/// Maximal runs of ASCII digits in `text` that are not glued to letters.
fn standalone_digit_runs(text: &str) -> Vec<Vec<u32>> {
    let chars: Vec<char> = text.chars().collect();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let glued_before = start > 0 && chars[start - 1].is_alphanumeric();
            let glued_after = i < chars.len() && chars[i].is_alphanumeric();
            if !glued_before && !glued_after {
                runs.push(chars[start..i].iter().map(|c| c.to_digit(10).unwrap()).collect());
            }
        } else {
            i += 1;
        }
    }
    runs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// (a) Any split of a valid SSE byte stream yields exactly the events of feeding it whole,
    /// and those are the events that were serialised.
    #[test]
    fn sse_split_invariance(
        events in proptest::collection::vec(gen_event(), 0..6),
        eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        bom in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let (bytes, expected) = render(&events, eol, bom);
        let whole = feed_whole(&mut SseParser::new(), &bytes);
        let split = feed_split(&mut SseParser::new(), &bytes, &cuts);
        prop_assert_eq!(&whole, &split);
        let expected: Events = expected.into_iter().map(Ok).collect();
        prop_assert_eq!(whole, expected);
    }

    /// (a') Split invariance also holds for arbitrary bytes (mixed line endings, garbage,
    /// oversized events), one byte at a time included.
    #[test]
    fn sse_split_invariance_arbitrary(
        bytes in proptest::collection::vec(prop_oneof![
            Just(b'\r'), Just(b'\n'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'), Just(b't'),
            Just(0xEF), Just(0xBB), Just(0xBF), any::<u8>(),
        ], 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..60),
        cap in 1usize..64,
    ) {
        let whole = feed_whole(&mut SseParser::with_max_event_bytes(cap), &bytes);
        let split = feed_split(&mut SseParser::with_max_event_bytes(cap), &bytes, &cuts);
        prop_assert_eq!(&whole, &split);
        let mut one = SseParser::with_max_event_bytes(cap);
        let mut bytewise = Vec::new();
        for b in &bytes {
            bytewise.extend(one.push(std::slice::from_ref(b)));
        }
        bytewise.extend(one.finish());
        prop_assert_eq!(whole, bytewise);
    }

    /// (b) Redaction never leaves a generated card or e-mail, nor any standalone Luhn-valid
    /// 16-digit number, in the output; order numbers survive.
    #[test]
    fn redaction_removes_cards_and_emails((text, segs) in text_with_pii()) {
        let out = Redactor::new().redact(&text).text;
        let out_digits: String = out.chars().filter(char::is_ascii_digit).collect();
        for seg in &segs {
            match seg {
                Seg::Card(formatted, digits) => {
                    prop_assert!(!out.contains(formatted.as_str()), "card {} left in {:?}", formatted, out);
                    prop_assert!(!out_digits.contains(digits.as_str()), "card digits {} left in {:?}", digits, out);
                }
                Seg::Email(e) => prop_assert!(!out.contains(e.as_str()), "email {} left in {:?}", e, out),
                Seg::Word(w) if w.starts_with("MP") => {
                    prop_assert!(out.contains(w.as_str()), "order number {} lost in {:?}", w, out);
                }
                Seg::Word(_) => {}
            }
        }
        for run in standalone_digit_runs(&out) {
            prop_assert!(!(run.len() == 16 && luhn_valid(&run)), "Luhn-valid run {:?} in {:?}", run, out);
        }
    }

    /// (c) The parser never panics on arbitrary bytes, in arbitrary pieces.
    #[test]
    fn sse_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        cap in 0usize..128,
    ) {
        let mut p = SseParser::with_max_event_bytes(cap);
        let _ = feed_split(&mut p, &bytes, &cuts);
        let mut d = StreamDecoder::with_limits(cap, cap);
        let _ = d.push(&bytes);
        let _ = d.finish();
    }

    /// The decoder never panics on arbitrary SSE-shaped input and never delivers more reply
    /// text than its cap.
    #[test]
    fn decoder_bounded(
        payloads in proptest::collection::vec(prop_oneof![
            value_text(),
            value_text().prop_map(|t| serde_json::json!({"choices":[{"delta":{"content": t}}]}).to_string()),
            Just("[DONE]".to_string()),
            Just(r#"{"error":{"message":"x"}}"#.to_string()),
        ], 0..20),
        cap in 0usize..64,
    ) {
        let wire: String = payloads.iter().map(|p| format!("data: {p}\n\n")).collect();
        let mut d = StreamDecoder::with_limits(cap, 4096);
        let mut total = 0;
        for ev in d.push(wire.as_bytes()).into_iter().chain(d.finish()) {
            if let Ok(llm_fallback::StreamEvent::Delta(t)) = ev {
                prop_assert!(!t.is_empty());
                total += t.len();
            }
        }
        prop_assert!(total <= cap);
    }

    /// Nothing else panics on arbitrary text either.
    #[test]
    fn text_functions_never_panic(text in any::<String>(), pattern in any::<String>()) {
        let r = Redactor::new();
        let out = r.redact(&text);
        prop_assert!(out.count == 0 || !out.kinds.is_empty());
        if let Ok(r2) = Redactor::new().with_pattern(&pattern) {
            let _ = r2.redact(&text);
        }
        let _ = split_citations(&text, &["track-order", pattern.as_str()]);
        let _ = normalize_question(&text);
        let _ = parse_retry_after(&text, u64::MAX);
        let _ = SessionLedger::from_json(&text);
        let _ = ChatRequest::new(text.clone())
            .passages(vec![Passage::new(pattern.clone(), text.clone(), text.clone())])
            .history(vec![Turn::user(text.clone())])
            .locale(pattern.clone())
            .passage_chars(7)
            .build();
    }
}
