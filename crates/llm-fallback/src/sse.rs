//! Incremental Server-Sent-Events parser (the `text/event-stream` format of the WHATWG HTML
//! standard), fed with raw bytes as they arrive from the network.
//!
//! The parser is a byte-at-a-time state machine, so the events it produces do not depend on
//! how the stream was split into chunks: a chunk may end inside a multi-byte UTF-8 character,
//! inside a `\r\n` pair or inside the leading byte-order mark. Memory is bounded by
//! [`SseParser::max_event_bytes`]: an event (or line) larger than that is reported as
//! [`SseError::EventTooLarge`] and skipped up to the next blank line.

use std::fmt;

/// Default cap on the bytes buffered for one event (its `data` plus the current line): 256 KiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 256 * 1024;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A response that was meant to be an event stream but says it is something else.
///
/// ```
/// use llm_fallback::sse::check_content_type;
/// let err = check_content_type(Some("Text/HTML; charset=utf-8")).unwrap_err();
/// assert_eq!(err.content_type, "text/html");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnEventStream {
    /// The media type the response declared, lowercased, without parameters.
    pub content_type: String,
}

impl fmt::Display for NotAnEventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the endpoint sent {}, not an event stream", self.content_type)
    }
}

impl std::error::Error for NotAnEventStream {}

/// Checks a response's `Content-Type` before its body is read as an event stream: a proxy's
/// HTML error page or a non-streamed JSON completion sent with status 200 is named for what it
/// is instead of failing later as a broken stream. A missing header is given the benefit of
/// the doubt (some gateways drop it).
///
/// ```
/// use llm_fallback::sse::check_content_type;
/// assert!(check_content_type(Some("text/event-stream; charset=utf-8")).is_ok());
/// assert!(check_content_type(None).is_ok());
/// assert_eq!(
///     check_content_type(Some("text/html")).unwrap_err().to_string(),
///     "the endpoint sent text/html, not an event stream"
/// );
/// ```
pub fn check_content_type(content_type: Option<&str>) -> Result<(), NotAnEventStream> {
    let Some(value) = content_type else { return Ok(()) };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "text/event-stream" || essence.is_empty() {
        Ok(())
    } else {
        Err(NotAnEventStream { content_type: essence })
    }
}

/// One dispatched Server-Sent Event.
///
/// ```
/// use llm_fallback::sse::{SseEvent, SseParser};
///
/// let mut parser = SseParser::new();
/// let events = parser.push(b"id: 7\ndata: hello\n\n");
/// assert_eq!(
///     events,
///     vec![Ok(SseEvent { event: "message".into(), data: "hello".into(), id: Some("7".into()) })]
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type (`event:` field); `"message"` when the event did not name one.
    pub event: String,
    /// The `data:` lines joined with `\n` (without a trailing newline).
    pub data: String,
    /// The last event id in effect when the event was dispatched (`id:` field), if any.
    pub id: Option<String>,
}

impl SseEvent {
    /// Whether this is a plain `message` event (no `event:` field, or `event: message`).
    ///
    /// ```
    /// use llm_fallback::sse::SseParser;
    /// let ev = SseParser::new().push(b"data: x\n\n").remove(0).unwrap();
    /// assert!(ev.is_message());
    /// ```
    pub fn is_message(&self) -> bool {
        self.event == "message"
    }
}

/// A problem in the event stream. The parser recovers by itself; the error is informational.
///
/// ```
/// use llm_fallback::sse::{SseError, SseParser};
///
/// let mut parser = SseParser::with_max_event_bytes(8);
/// let out = parser.push(b"data: far too long\n\ndata: ok\n\n");
/// assert_eq!(out[0], Err(SseError::EventTooLarge { limit: 8 }));
/// assert_eq!(out[1].as_ref().unwrap().data, "ok");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// An event or a single line exceeded the byte cap; it was dropped (up to the next blank
    /// line).
    EventTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::EventTooLarge { limit } => {
                write!(f, "server-sent event larger than {limit} bytes; dropped")
            }
        }
    }
}

impl std::error::Error for SseError {}

/// What the parser does with the bytes of the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineMode {
    /// Buffer the bytes: a field line.
    Field,
    /// A `:` comment line; bytes are ignored.
    Comment,
}

/// Incremental Server-Sent-Events parser.
///
/// Feed bytes with [`push`](Self::push) as they arrive and call [`finish`](Self::finish) at the
/// end of the stream. Each call returns the events completed by those bytes, in order, with
/// oversized events reported in-band as `Err(SseError)`.
///
/// Handles `\r\n`, `\n` and `\r` line endings, `:` comment lines (keep-alives), the `event:`,
/// `id:`, `retry:` and multi-line `data:` fields, unknown fields (ignored) and a leading UTF-8
/// BOM. Invalid UTF-8 is replaced with U+FFFD.
///
/// ```
/// use llm_fallback::sse::SseParser;
///
/// let mut parser = SseParser::new();
/// // the stream arrives in awkward pieces: inside "é" (0xC3 0xA9) and inside "\r\n"
/// let mut events = Vec::new();
/// for piece in [&b": keep-alive\r\nevent: note\r\ndata: caf\xC3"[..], b"\xA9\r", b"\ndata: 2\r\n\r\n"] {
///     events.extend(parser.push(piece));
/// }
/// events.extend(parser.finish());
/// let ev = events.remove(0).unwrap();
/// assert_eq!((ev.event.as_str(), ev.data.as_str()), ("note", "café\n2"));
/// assert!(events.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct SseParser {
    max_event_bytes: usize,
    /// Bytes of the current (unterminated) field line.
    line: Vec<u8>,
    /// Whether any byte of the current line has been seen (also in comment/discard mode).
    line_has_bytes: bool,
    mode: LineMode,
    /// The previous byte was `\r`: a following `\n` belongs to the same line ending.
    after_cr: bool,
    /// Dropping an oversized event until the next blank line.
    discarding: bool,
    /// The first bytes of the stream, held back until we know whether they are a BOM.
    bom_buf: Vec<u8>,
    bom_checked: bool,
    data: String,
    event_type: String,
    last_event_id: Option<String>,
    retry: Option<u64>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default cap ([`DEFAULT_MAX_EVENT_BYTES`]).
    ///
    /// ```
    /// use llm_fallback::sse::{SseParser, DEFAULT_MAX_EVENT_BYTES};
    /// assert_eq!(SseParser::new().max_event_bytes(), DEFAULT_MAX_EVENT_BYTES);
    /// ```
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser that buffers at most `max_event_bytes` bytes per event (at least 1).
    ///
    /// ```
    /// use llm_fallback::sse::SseParser;
    /// assert_eq!(SseParser::with_max_event_bytes(1024).max_event_bytes(), 1024);
    /// ```
    pub fn with_max_event_bytes(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes: max_event_bytes.max(1),
            line: Vec::new(),
            line_has_bytes: false,
            mode: LineMode::Field,
            after_cr: false,
            discarding: false,
            bom_buf: Vec::new(),
            bom_checked: false,
            data: String::new(),
            event_type: String::new(),
            last_event_id: None,
            retry: None,
        }
    }

    /// The per-event byte cap.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// The last event id seen (`id:` field), for a reconnection's `Last-Event-ID` header.
    ///
    /// ```
    /// use llm_fallback::sse::SseParser;
    /// let mut p = SseParser::new();
    /// p.push(b"id: 42\n\n");
    /// assert_eq!(p.last_event_id(), Some("42"));
    /// ```
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The reconnection time the server asked for (`retry:` field), in milliseconds.
    ///
    /// ```
    /// use llm_fallback::sse::SseParser;
    /// let mut p = SseParser::new();
    /// p.push(b"retry: 3000\n\n");
    /// assert_eq!(p.retry_ms(), Some(3000));
    /// ```
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Feeds the next bytes of the stream; returns the events they complete.
    ///
    /// ```
    /// use llm_fallback::sse::SseParser;
    /// let mut p = SseParser::new();
    /// assert!(p.push(b"data: hel").is_empty());
    /// assert_eq!(p.push(b"lo\n\n")[0].as_ref().unwrap().data, "hello");
    /// ```
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<SseEvent, SseError>> {
        let mut out = Vec::new();
        let mut rest = bytes;
        if !self.bom_checked {
            while !rest.is_empty() && self.bom_buf.len() < BOM.len() {
                if let Some((&b, tail)) = rest.split_first() {
                    self.bom_buf.push(b);
                    rest = tail;
                }
                if !BOM.starts_with(&self.bom_buf) {
                    break;
                }
            }
            if BOM.starts_with(&self.bom_buf) && self.bom_buf.len() < BOM.len() {
                return out; // still undecided: wait for more bytes
            }
            self.bom_checked = true;
            let held = std::mem::take(&mut self.bom_buf);
            if held != BOM {
                for &b in &held {
                    self.byte(b, &mut out);
                }
            }
        }
        for &b in rest {
            self.byte(b, &mut out);
        }
        out
    }

    /// Ends the stream: completes a final line without a line ending and dispatches a final
    /// event that lacks its closing blank line. (A browser `EventSource` would drop such an
    /// event; servers that forget the last blank line are common enough to be lenient.)
    /// The parser is then ready for a new stream; `last_event_id` and `retry_ms` are kept.
    ///
    /// ```
    /// use llm_fallback::sse::SseParser;
    /// let mut p = SseParser::new();
    /// assert!(p.push(b"data: [DONE]").is_empty());
    /// assert_eq!(p.finish()[0].as_ref().unwrap().data, "[DONE]");
    /// ```
    pub fn finish(&mut self) -> Vec<Result<SseEvent, SseError>> {
        let mut out = Vec::new();
        if !self.bom_checked {
            let held = std::mem::take(&mut self.bom_buf);
            self.bom_checked = true;
            for &b in &held {
                self.byte(b, &mut out);
            }
        }
        if self.line_has_bytes {
            self.end_line(&mut out);
        }
        if !self.discarding {
            self.dispatch(&mut out);
        }
        let (id, retry) = (self.last_event_id.take(), self.retry);
        *self = SseParser::with_max_event_bytes(self.max_event_bytes);
        self.last_event_id = id;
        self.retry = retry;
        out
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Result<SseEvent, SseError>>) {
        if self.after_cr {
            self.after_cr = false;
            if b == b'\n' {
                return;
            }
        }
        match b {
            b'\r' => {
                self.after_cr = true;
                self.end_line(out);
            }
            b'\n' => self.end_line(out),
            _ => {
                let first = !self.line_has_bytes;
                self.line_has_bytes = true;
                if self.discarding {
                    return;
                }
                if first && b == b':' {
                    self.mode = LineMode::Comment;
                }
                if self.mode == LineMode::Comment {
                    return;
                }
                self.line.push(b);
                if self.line.len().saturating_add(self.data.len()) > self.max_event_bytes {
                    self.overflow(out);
                }
            }
        }
    }

    fn overflow(&mut self, out: &mut Vec<Result<SseEvent, SseError>>) {
        out.push(Err(SseError::EventTooLarge { limit: self.max_event_bytes }));
        self.discarding = true;
        self.line = Vec::new();
        self.data = String::new();
        self.event_type.clear();
    }

    fn end_line(&mut self, out: &mut Vec<Result<SseEvent, SseError>>) {
        let blank = !self.line_has_bytes;
        self.line_has_bytes = false;
        let mode = std::mem::replace(&mut self.mode, LineMode::Field);
        let line = std::mem::take(&mut self.line);
        if self.discarding {
            if blank {
                self.discarding = false;
            }
            return;
        }
        if blank {
            self.dispatch(out);
            return;
        }
        if mode == LineMode::Comment {
            return;
        }
        self.field(&line);
        if self.data.len() > self.max_event_bytes {
            self.overflow(out);
            // the overflowing line is complete; discard until the blank line ending the event
        }
    }

    fn field(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let (name, value) = match text.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_ref(), ""),
        };
        match name {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "event" => self.event_type = value.to_string(),
            "id" if !value.contains('\0') => {
                self.last_event_id = (!value.is_empty()).then(|| value.to_string());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // digits only; a value too large for u64 is ignored
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Result<SseEvent, SseError>>) {
        let event_type = std::mem::take(&mut self.event_type);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event = if event_type.is_empty() { "message".to_string() } else { event_type };
        out.push(Ok(SseEvent { event, data, id: self.last_event_id.clone() }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(parser: &mut SseParser, bytes: &[u8]) -> Vec<Result<SseEvent, SseError>> {
        let mut out = parser.push(bytes);
        out.extend(parser.finish());
        out
    }

    fn datas(events: &[Result<SseEvent, SseError>]) -> Vec<String> {
        events.iter().map(|e| e.as_ref().map(|e| e.data.clone()).unwrap_or_else(|e| format!("ERR {e}"))).collect()
    }

    #[test]
    fn basic_events_and_line_endings() {
        for sep in ["\n", "\r\n", "\r"] {
            let s = format!("data: a{sep}{sep}data: b{sep}data: c{sep}{sep}");
            let ev = all(&mut SseParser::new(), s.as_bytes());
            assert_eq!(datas(&ev), ["a", "b\nc"], "sep {sep:?}");
        }
    }

    #[test]
    fn mixed_line_endings_and_cr_split() {
        let mut p = SseParser::new();
        let mut ev = p.push(b"data: a\r");
        assert!(ev.is_empty());
        ev.extend(p.push(b"\n"));
        assert!(ev.is_empty(), "CR LF is one line ending, not a blank line");
        ev.extend(p.push(b"\r\n"));
        assert_eq!(datas(&ev), ["a"]);
        // a lone CR followed by a non-LF byte
        let ev = all(&mut SseParser::new(), b"data: x\rdata: y\n\r");
        assert_eq!(datas(&ev), ["x\ny"]);
    }

    #[test]
    fn fields() {
        let ev =
            all(&mut SseParser::new(), b"event: delta\nid: 1\nretry: 1500\nfoo: bar\ndata:nospace\ndata:  two\n\n");
        assert_eq!(
            ev,
            vec![Ok(SseEvent { event: "delta".into(), data: "nospace\n two".into(), id: Some("1".into()) })]
        );
        let mut p = SseParser::new();
        p.push(b"retry: 12x\nretry: 700\nretry: nope\n\n");
        assert_eq!(p.retry_ms(), Some(700));
        // id persists to later events; an id with NUL is ignored; an empty id resets
        let mut p = SseParser::new();
        let ev = all(&mut p, b"id: 5\ndata: a\n\nid: x\0y\ndata: b\n\nid\ndata: c\n\n");
        let ids: Vec<_> = ev.iter().map(|e| e.as_ref().unwrap().id.clone()).collect();
        assert_eq!(ids, [Some("5".to_string()), Some("5".to_string()), None]);
    }

    #[test]
    fn field_without_colon_and_empty_data() {
        let ev = all(&mut SseParser::new(), b"data\n\ndata:\ndata:\n\n");
        assert_eq!(datas(&ev), ["", "\n"]);
        // event type alone does not dispatch, and is reset by the blank line
        let ev = all(&mut SseParser::new(), b"event: x\n\ndata: y\n\n");
        assert_eq!(ev[0].as_ref().unwrap().event, "message");
    }

    #[test]
    fn comments_are_ignored_even_when_huge() {
        let mut p = SseParser::with_max_event_bytes(16);
        let mut bytes = b": ".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 10_000));
        bytes.extend_from_slice(b"\n: keep-alive\ndata: ok\n\n");
        assert_eq!(datas(&all(&mut p, &bytes)), ["ok"]);
    }

    #[test]
    fn bom_is_stripped_only_at_start() {
        let ev = all(&mut SseParser::new(), b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n");
        // the second BOM makes the field name "\u{feff}data", which is unknown
        assert_eq!(datas(&ev), ["a"]);
        // BOM split across pushes
        let mut p = SseParser::new();
        let mut ev = p.push(b"\xEF");
        ev.extend(p.push(b"\xBB"));
        ev.extend(p.push(b"\xBFdata: z\n\n"));
        assert_eq!(datas(&ev), ["z"]);
        // a stream starting with a BOM prefix that is not a BOM
        let ev = all(&mut SseParser::new(), b"\xEFdata: q\n\n");
        assert!(ev.is_empty(), "field name is garbage, so no event");
        let ev = all(&mut SseParser::new(), b"\xEF");
        assert!(ev.is_empty());
    }

    #[test]
    fn utf8_split_and_invalid_bytes() {
        let s = "data: ไทย 🙂\n\n".as_bytes();
        for cut in 0..s.len() {
            let mut p = SseParser::new();
            let mut ev = p.push(&s[..cut]);
            ev.extend(p.push(&s[cut..]));
            ev.extend(p.finish());
            assert_eq!(datas(&ev), ["ไทย 🙂"], "cut at {cut}");
        }
        let ev = all(&mut SseParser::new(), b"data: \xFF\xFE\n\n");
        assert_eq!(datas(&ev), ["\u{FFFD}\u{FFFD}"]);
    }

    #[test]
    fn finish_flushes_unterminated_event_and_resets() {
        let mut p = SseParser::new();
        assert!(p.push(b"id: 9\ndata: tail").is_empty());
        assert_eq!(datas(&p.finish()), ["tail"]);
        assert!(p.finish().is_empty());
        assert_eq!(p.last_event_id(), Some("9"));
        assert_eq!(datas(&all(&mut p, b"data: again\n\n")), ["again"]);
    }

    #[test]
    fn oversized_event_is_reported_and_skipped() {
        let mut p = SseParser::with_max_event_bytes(10);
        let ev = all(&mut p, b"data: 12345\ndata: 67890\n\ndata: ok\n\n");
        assert_eq!(datas(&ev), ["ERR server-sent event larger than 10 bytes; dropped", "ok"]);
        // a single endless line is cut off without buffering it
        let mut p = SseParser::with_max_event_bytes(100);
        let mut ev = Vec::new();
        for _ in 0..1000 {
            ev.extend(p.push(&[b'x'; 1000]));
            assert!(p.line.len() <= 100);
        }
        ev.extend(p.push(b"\n\ndata: fine\n\n"));
        assert_eq!(ev.len(), 2);
        assert!(ev[0].is_err());
        assert_eq!(ev[1].as_ref().unwrap().data, "fine");
        // the cap counts the data of the whole event
        let mut p = SseParser::with_max_event_bytes(12);
        let ev = all(&mut p, b"data: abcd\ndata: efgh\ndata: ijkl\n\n");
        assert!(ev[0].is_err());
        assert_eq!(ev.len(), 1);
    }

    #[test]
    fn openai_style_stream() {
        let s = b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n: ping\n\ndata: [DONE]\n\n";
        assert_eq!(
            datas(&all(&mut SseParser::new(), s)),
            ["{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}", "[DONE]"]
        );
    }

    #[test]
    fn error_display() {
        assert!(SseError::EventTooLarge { limit: 3 }.to_string().contains("3 bytes"));
    }
}
