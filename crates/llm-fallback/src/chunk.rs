//! Decoding of an OpenAI-compatible Chat Completions stream (`stream: true`).
//!
//! [`parse_data`] turns the `data` payload of one SSE event into [`StreamEvent`]s;
//! [`StreamDecoder`] combines it with the [`SseParser`] and a cap on the total reply size, so
//! the transport only has to hand it raw bytes.

use std::fmt;

use crate::json::Json;
use crate::sse::{SseError, SseParser, DEFAULT_MAX_EVENT_BYTES};

/// Default cap on the reply text (sum of all deltas), in bytes: 16 KiB. A concise support
/// answer is well under 4 KiB.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 16 * 1024;

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// `stop`: a natural end.
    Stop,
    /// `length`: `max_tokens` was reached (the reply is cut short).
    Length,
    /// `content_filter`: the provider withheld content.
    ContentFilter,
    /// `tool_calls` / `function_call` (not used by the widget).
    ToolCalls,
    /// Any other reason, verbatim.
    Other(String),
}

impl FinishReason {
    /// Maps the wire value.
    ///
    /// ```
    /// use llm_fallback::chunk::FinishReason;
    /// assert_eq!(FinishReason::from_wire("length"), FinishReason::Length);
    /// assert_eq!(FinishReason::from_wire("eos"), FinishReason::Other("eos".into()));
    /// ```
    pub fn from_wire(reason: &str) -> FinishReason {
        match reason {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            other => FinishReason::Other(other.to_string()),
        }
    }

    /// The wire value.
    ///
    /// ```
    /// use llm_fallback::chunk::FinishReason;
    /// assert_eq!(FinishReason::ContentFilter.as_str(), "content_filter");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Other(other) => other,
        }
    }
}

impl fmt::Display for FinishReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the model stream told us.
///
/// ```
/// use llm_fallback::chunk::{parse_data, StreamEvent};
///
/// let events = parse_data(r#"{"choices":[{"delta":{"content":"Hi"}}]}"#).unwrap();
/// assert_eq!(events, vec![StreamEvent::Delta("Hi".into())]);
/// assert_eq!(parse_data("[DONE]").unwrap(), vec![StreamEvent::Done]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The next piece of reply text (`choices[0].delta.content`); never empty.
    Delta(String),
    /// `choices[0].finish_reason`.
    Finish(FinishReason),
    /// Token accounting (sent when `stream_options.include_usage` is set).
    Usage {
        /// Tokens in the prompt.
        prompt_tokens: u64,
        /// Tokens in the reply.
        completion_tokens: u64,
    },
    /// The server reported an error inside the stream (`{"error": {"message": …}}`).
    Error(String),
    /// The `[DONE]` terminator.
    Done,
}

/// A `data` payload that is not a valid chunk.
///
/// ```
/// use llm_fallback::chunk::{parse_data, ChunkError};
/// assert!(matches!(parse_data("{oops"), Err(ChunkError::InvalidJson(_))));
/// assert!(matches!(parse_data("[1, 2]"), Err(ChunkError::UnexpectedShape(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// Not JSON at all (or truncated JSON). Holds the parser's message.
    InvalidJson(String),
    /// JSON, but not shaped like a chat completion chunk. Holds the parser's message.
    UnexpectedShape(String),
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::InvalidJson(why) => write!(f, "malformed stream chunk: {why}"),
            ChunkError::UnexpectedShape(why) => write!(f, "unexpected stream chunk: {why}"),
        }
    }
}

impl std::error::Error for ChunkError {}

/// Member `key` of `object`, `None` when absent or `null`; an error when `fits` rejects it.
fn member<'a, T>(object: &'a Json, key: &str, fits: impl Fn(&'a Json) -> Option<T>) -> Result<Option<T>, ChunkError> {
    match object.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => {
            fits(value).map(Some).ok_or_else(|| ChunkError::UnexpectedShape(format!("unexpected `{key}`: {value}")))
        }
    }
}

fn object(value: &Json) -> Option<&Json> {
    value.as_object().map(|_| value)
}

/// Parses the `data` of one SSE event of a Chat Completions stream.
///
/// Returns, in this order, a [`StreamEvent::Delta`] (role-only and empty deltas are skipped),
/// a [`StreamEvent::Finish`] and a [`StreamEvent::Usage`] when present; just
/// [`StreamEvent::Error`] for an error object; [`StreamEvent::Done`] for `[DONE]`; nothing for
/// an empty payload or a chunk without choices. Only `choices[0]` is read.
///
/// # Errors
/// [`ChunkError`] when the payload is not JSON or not an object of the expected shape.
///
/// ```
/// use llm_fallback::chunk::{parse_data, FinishReason, StreamEvent};
///
/// let role_only = r#"{"choices":[{"delta":{"role":"assistant"}}]}"#;
/// assert!(parse_data(role_only).unwrap().is_empty());
///
/// let last = r#"{"choices":[{"delta":{},"finish_reason":"stop"}],
///                "usage":{"prompt_tokens":120,"completion_tokens":42}}"#;
/// assert_eq!(
///     parse_data(last).unwrap(),
///     vec![
///         StreamEvent::Finish(FinishReason::Stop),
///         StreamEvent::Usage { prompt_tokens: 120, completion_tokens: 42 },
///     ]
/// );
///
/// let err = r#"{"error":{"message":"model overloaded","type":"server_error"}}"#;
/// assert_eq!(parse_data(err).unwrap(), vec![StreamEvent::Error("model overloaded".into())]);
/// ```
pub fn parse_data(data: &str) -> Result<Vec<StreamEvent>, ChunkError> {
    let data = data.trim();
    if data.is_empty() {
        return Ok(Vec::new());
    }
    if data == "[DONE]" {
        return Ok(vec![StreamEvent::Done]);
    }
    let chunk = Json::parse(data).map_err(|e| ChunkError::InvalidJson(e.to_string()))?;
    if chunk.as_object().is_none() {
        return Err(ChunkError::UnexpectedShape(format!("expected an object, got {chunk}")));
    }
    if let Some(error) = member(&chunk, "error", Some)? {
        return Ok(vec![StreamEvent::Error(error_message(error))]);
    }
    let mut out = Vec::new();
    if let Some(choice) = member(&chunk, "choices", Json::as_array)?.and_then(<[Json]>::first) {
        let choice =
            object(choice).ok_or_else(|| ChunkError::UnexpectedShape(format!("unexpected choice: {choice}")))?;
        let delta = member(choice, "delta", object)?;
        if let Some(text) =
            delta.map(|d| member(d, "content", Json::as_str)).transpose()?.flatten().filter(|t| !t.is_empty())
        {
            out.push(StreamEvent::Delta(text.to_string()));
        }
        if let Some(reason) = member(choice, "finish_reason", Json::as_str)? {
            out.push(StreamEvent::Finish(FinishReason::from_wire(reason)));
        }
    }
    if let Some(usage) = member(&chunk, "usage", object)? {
        out.push(StreamEvent::Usage {
            prompt_tokens: member(usage, "prompt_tokens", Json::as_u64)?.unwrap_or(0),
            completion_tokens: member(usage, "completion_tokens", Json::as_u64)?.unwrap_or(0),
        });
    }
    Ok(out)
}

/// The human-readable message of an `error` value: `error.message`, a plain string, or the
/// JSON itself.
fn error_message(error: &Json) -> String {
    error.as_str().or_else(|| error["message"].as_str()).map_or_else(|| error.to_string(), str::to_string)
}

/// A problem found by [`StreamDecoder`].
///
/// ```
/// use llm_fallback::chunk::DecodeError;
/// assert!(DecodeError::Truncated.to_string().contains("ended"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// An SSE event was too large (see [`SseParser`]); it was skipped.
    Sse(SseError),
    /// One chunk could not be parsed; it was skipped.
    Chunk(ChunkError),
    /// The reply grew beyond the cap. Terminal: the decoder ignores everything after it.
    ReplyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The stream ended without `[DONE]` or a finish reason (reported by
    /// [`StreamDecoder::finish`]).
    Truncated,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Sse(e) => e.fmt(f),
            DecodeError::Chunk(e) => e.fmt(f),
            DecodeError::ReplyTooLarge { limit } => {
                write!(f, "reply longer than {limit} bytes; stream stopped")
            }
            DecodeError::Truncated => f.write_str("stream ended before the reply was complete"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Sse(e) => Some(e),
            DecodeError::Chunk(e) => Some(e),
            _ => None,
        }
    }
}

/// Bytes in, [`StreamEvent`]s out: an [`SseParser`] plus [`parse_data`] plus a reply-size cap.
///
/// Problems are reported in-band as `Err(DecodeError)`. `Chunk` and `Sse` errors skip one
/// event and decoding continues (the caller usually aborts anyway); `ReplyTooLarge` is
/// terminal: the deltas up to the cap are delivered (the last one cut at a character
/// boundary), then the error, then nothing more. After [`StreamEvent::Done`] further bytes
/// are ignored too.
///
/// ```
/// use llm_fallback::chunk::{StreamDecoder, StreamEvent};
///
/// let mut decoder = StreamDecoder::new();
/// let wire = b"data: {\"choices\":[{\"delta\":{\"content\":\"See \"}}]}\n\n\
///              data: {\"choices\":[{\"delta\":{\"content\":\"[track-order]\"}}]}\n\n\
///              data: [DONE]\n\n";
/// let mut reply = String::new();
/// for (i, piece) in wire.chunks(7).enumerate() {
///     for event in decoder.push(piece) {
///         match event {
///             Ok(StreamEvent::Delta(text)) => reply.push_str(&text),
///             Ok(StreamEvent::Done) => assert_eq!(i, wire.len() / 7),
///             other => panic!("unexpected {other:?}"),
///         }
///     }
/// }
/// assert!(decoder.finish().is_empty());
/// assert!(decoder.is_done());
/// assert_eq!(reply, "See [track-order]");
/// ```
#[derive(Debug, Clone)]
pub struct StreamDecoder {
    parser: SseParser,
    max_reply_bytes: usize,
    reply_bytes: usize,
    finished: bool,
    done: bool,
    failed: bool,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamDecoder {
    /// A decoder with the default caps ([`DEFAULT_MAX_REPLY_BYTES`],
    /// [`DEFAULT_MAX_EVENT_BYTES`]).
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_EVENT_BYTES)
    }

    /// A decoder with explicit caps: total reply text bytes and bytes per SSE event.
    ///
    /// ```
    /// use llm_fallback::chunk::{DecodeError, StreamDecoder, StreamEvent};
    ///
    /// let mut d = StreamDecoder::with_limits(5, 1024);
    /// let out = d.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"abcdefgh\"}}]}\n\n");
    /// assert_eq!(out, vec![
    ///     Ok(StreamEvent::Delta("abcde".into())),
    ///     Err(DecodeError::ReplyTooLarge { limit: 5 }),
    /// ]);
    /// assert!(d.push(b"data: [DONE]\n\n").is_empty());
    /// ```
    pub fn with_limits(max_reply_bytes: usize, max_event_bytes: usize) -> Self {
        StreamDecoder {
            parser: SseParser::with_max_event_bytes(max_event_bytes),
            max_reply_bytes,
            reply_bytes: 0,
            finished: false,
            done: false,
            failed: false,
        }
    }

    /// Bytes of reply text delivered so far.
    pub fn reply_bytes(&self) -> usize {
        self.reply_bytes
    }

    /// Whether `[DONE]` was received.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the decoder stopped (after `[DONE]` or the reply cap); later input is ignored.
    pub fn is_stopped(&self) -> bool {
        self.done || self.failed
    }

    /// Feeds the next bytes from the response body.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<StreamEvent, DecodeError>> {
        if self.is_stopped() {
            return Vec::new();
        }
        let events = self.parser.push(bytes);
        self.decode(events)
    }

    /// Ends the stream. Reports [`DecodeError::Truncated`] when neither `[DONE]` nor a finish
    /// reason arrived (and the decoder had not stopped); a final event cut off in the middle
    /// (a dropped connection) is folded into that error rather than reported as a
    /// [`DecodeError::Chunk`]. Call it on a clean end of the body, not after a network error.
    ///
    /// ```
    /// use llm_fallback::chunk::{DecodeError, StreamDecoder, StreamEvent};
    ///
    /// let mut d = StreamDecoder::new();
    /// let out = d.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n");
    /// assert_eq!(out, vec![Ok(StreamEvent::Delta("Hel".into()))]);
    /// assert_eq!(d.finish(), vec![Err(DecodeError::Truncated)]);
    /// ```
    pub fn finish(&mut self) -> Vec<Result<StreamEvent, DecodeError>> {
        if self.is_stopped() {
            return Vec::new();
        }
        let events = self.parser.finish();
        let mut out = self.decode(events);
        if !self.is_stopped() && !self.finished {
            // a final event cut off mid-JSON is the truncation itself, not a separate error
            out.retain(|e| !matches!(e, Err(DecodeError::Chunk(_))));
            out.push(Err(DecodeError::Truncated));
        }
        out
    }

    fn decode(&mut self, events: Vec<Result<crate::sse::SseEvent, SseError>>) -> Vec<Result<StreamEvent, DecodeError>> {
        let mut out = Vec::new();
        for event in events {
            if self.is_stopped() {
                break;
            }
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    out.push(Err(DecodeError::Sse(e)));
                    continue;
                }
            };
            let parsed = match parse_data(&event.data) {
                Ok(parsed) => parsed,
                // `event: error` with a plain-text payload
                Err(_) if event.event == "error" => vec![StreamEvent::Error(event.data)],
                Err(e) => {
                    out.push(Err(DecodeError::Chunk(e)));
                    continue;
                }
            };
            for item in parsed {
                if self.is_stopped() {
                    break;
                }
                match item {
                    StreamEvent::Delta(text) => self.delta(text, &mut out),
                    StreamEvent::Done => {
                        self.done = true;
                        out.push(Ok(StreamEvent::Done));
                    }
                    StreamEvent::Finish(reason) => {
                        self.finished = true;
                        out.push(Ok(StreamEvent::Finish(reason)));
                    }
                    other => out.push(Ok(other)),
                }
            }
        }
        out
    }

    fn delta(&mut self, mut text: String, out: &mut Vec<Result<StreamEvent, DecodeError>>) {
        let room = self.max_reply_bytes.saturating_sub(self.reply_bytes);
        if text.len() <= room {
            self.reply_bytes = self.reply_bytes.saturating_add(text.len());
            out.push(Ok(StreamEvent::Delta(text)));
            return;
        }
        let mut cut = room;
        while cut > 0 && !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        if !text.is_empty() {
            self.reply_bytes = self.reply_bytes.saturating_add(text.len());
            out.push(Ok(StreamEvent::Delta(text)));
        }
        out.push(Err(DecodeError::ReplyTooLarge { limit: self.max_reply_bytes }));
        self.failed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(s: &str) -> String {
        format!("data: {}\n\n", serde_json::json!({"choices": [{"delta": {"content": s}}]}))
    }

    #[test]
    fn parse_data_variants() {
        assert_eq!(parse_data("  [DONE] ").unwrap(), vec![StreamEvent::Done]);
        assert!(parse_data("").unwrap().is_empty());
        assert!(parse_data(r#"{"choices":[]}"#).unwrap().is_empty());
        assert!(parse_data(r#"{"id":"x","object":"chat.completion.chunk"}"#).unwrap().is_empty());
        assert!(parse_data(r#"{"choices":[{"delta":{"content":""}}]}"#).unwrap().is_empty());
        assert!(parse_data(r#"{"choices":[{"delta":{"content":null},"finish_reason":null}]}"#).unwrap().is_empty());
        assert_eq!(
            parse_data(r#"{"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]}"#).unwrap(),
            vec![StreamEvent::Delta("a".into())]
        );
        assert_eq!(
            parse_data(r#"{"choices":[{"delta":{"content":"end"},"finish_reason":"length"}]}"#).unwrap(),
            vec![StreamEvent::Delta("end".into()), StreamEvent::Finish(FinishReason::Length)]
        );
        assert_eq!(
            parse_data(r#"{"choices":[],"usage":{"prompt_tokens":3}}"#).unwrap(),
            vec![StreamEvent::Usage { prompt_tokens: 3, completion_tokens: 0 }]
        );
    }

    #[test]
    fn parse_errors_and_error_objects() {
        assert!(matches!(parse_data("{\"choices\":"), Err(ChunkError::InvalidJson(_))));
        assert!(matches!(parse_data("hello"), Err(ChunkError::InvalidJson(_))));
        assert!(matches!(parse_data("42"), Err(ChunkError::UnexpectedShape(_))));
        assert!(matches!(parse_data(r#"{"choices":{"a":1}}"#), Err(ChunkError::UnexpectedShape(_))));
        assert!(matches!(parse_data(r#"{"choices":[{"delta":{"content":5}}]}"#), Err(ChunkError::UnexpectedShape(_))));
        assert_eq!(parse_data(r#"{"error":"nope"}"#).unwrap(), vec![StreamEvent::Error("nope".into())]);
        assert_eq!(
            parse_data(r#"{"error":{"code":500}}"#).unwrap(),
            vec![StreamEvent::Error(r#"{"code":500}"#.into())]
        );
        assert!(parse_data(r#"{"error":null,"choices":[]}"#).unwrap().is_empty());
        assert!(ChunkError::InvalidJson("x".into()).to_string().contains("malformed"));
    }

    #[test]
    fn decoder_full_stream_with_usage_and_comments() {
        let mut wire = String::from(": keep-alive\r\n\r\n");
        wire.push_str(&delta("Open "));
        wire.push_str(&delta("Orders [track-order]"));
        wire.push_str("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        wire.push_str("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":4}}\n\n");
        wire.push_str("data: [DONE]\n\n");
        let mut d = StreamDecoder::new();
        let mut out = Vec::new();
        for b in wire.as_bytes() {
            out.extend(d.push(std::slice::from_ref(b)));
        }
        out.extend(d.finish());
        assert_eq!(
            out,
            vec![
                Ok(StreamEvent::Delta("Open ".into())),
                Ok(StreamEvent::Delta("Orders [track-order]".into())),
                Ok(StreamEvent::Finish(FinishReason::Stop)),
                Ok(StreamEvent::Usage { prompt_tokens: 10, completion_tokens: 4 }),
                Ok(StreamEvent::Done),
            ]
        );
        assert_eq!(d.reply_bytes(), 25);
    }

    #[test]
    fn decoder_malformed_chunk_is_reported_and_skipped() {
        let wire = format!("{}data: {{not json\n\n{}data: [DONE]\n\n", delta("a"), delta("b"));
        let out = StreamDecoder::new().push(wire.as_bytes());
        assert_eq!(out.len(), 4);
        assert!(matches!(out[1], Err(DecodeError::Chunk(ChunkError::InvalidJson(_)))));
        assert_eq!(out[2], Ok(StreamEvent::Delta("b".into())));
    }

    #[test]
    fn decoder_reply_cap_cuts_at_char_boundary_and_stops() {
        let mut d = StreamDecoder::with_limits(10, 1024);
        let mut out = d.push(delta("héllo").as_bytes()); // 6 bytes
        out.extend(d.push(delta("wörld!").as_bytes())); // 7 bytes, room 4: "wör"
        out.extend(d.push(delta("more").as_bytes()));
        out.extend(d.finish());
        assert_eq!(
            out,
            vec![
                Ok(StreamEvent::Delta("héllo".into())),
                Ok(StreamEvent::Delta("wör".into())),
                Err(DecodeError::ReplyTooLarge { limit: 10 }),
            ]
        );
        assert!(d.is_stopped() && !d.is_done());
        // a cut inside a multi-byte char backs off to the char boundary
        let mut d = StreamDecoder::with_limits(2, 1024);
        assert_eq!(
            d.push(delta("aé").as_bytes()),
            vec![Ok(StreamEvent::Delta("a".into())), Err(DecodeError::ReplyTooLarge { limit: 2 })]
        );
    }

    #[test]
    fn decoder_oversized_stream_stays_bounded() {
        let mut d = StreamDecoder::new();
        let piece = delta(&"x".repeat(1000));
        let mut errors = 0;
        let mut text = 0;
        for _ in 0..2000 {
            for ev in d.push(piece.as_bytes()) {
                match ev {
                    Ok(StreamEvent::Delta(t)) => text += t.len(),
                    Err(DecodeError::ReplyTooLarge { .. }) => errors += 1,
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(errors, 1);
        assert_eq!(text, DEFAULT_MAX_REPLY_BYTES);
    }

    #[test]
    fn decoder_error_events() {
        let mut d = StreamDecoder::new();
        let out = d.push(b"data: {\"error\":{\"message\":\"model overloaded\"}}\n\nevent: error\ndata: boom\n\n");
        assert_eq!(out, vec![Ok(StreamEvent::Error("model overloaded".into())), Ok(StreamEvent::Error("boom".into()))]);
        assert_eq!(d.finish(), vec![Err(DecodeError::Truncated)]);
    }

    #[test]
    fn decoder_cut_off_mid_event_reports_only_truncated() {
        let mut d = StreamDecoder::new();
        let mut out =
            d.push(format!("{}data: {{\"choices\":[{{\"delta\":{{\"content\":\"If it", delta("a")).as_bytes());
        out.extend(d.finish());
        assert_eq!(out, vec![Ok(StreamEvent::Delta("a".into())), Err(DecodeError::Truncated)]);
        // but a complete final event without its blank line is still delivered
        let mut d = StreamDecoder::new();
        let mut out = d.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]");
        out.extend(d.finish());
        assert_eq!(out, vec![Ok(StreamEvent::Delta("x".into())), Ok(StreamEvent::Done)]);
    }

    #[test]
    fn decoder_finish_reason_without_done_is_not_truncated() {
        let mut d = StreamDecoder::new();
        d.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n");
        assert!(d.finish().is_empty());
    }

    #[test]
    fn decoder_ignores_bytes_after_done() {
        let mut d = StreamDecoder::new();
        let out = d.push(format!("data: [DONE]\n\n{}", delta("late")).as_bytes());
        assert_eq!(out, vec![Ok(StreamEvent::Done)]);
        assert!(d.push(delta("later").as_bytes()).is_empty());
        assert!(d.finish().is_empty());
    }

    #[test]
    fn decoder_reports_oversized_sse_event() {
        let mut d = StreamDecoder::with_limits(1024, 64);
        let out = d.push(format!("{}{}", delta(&"y".repeat(100)), delta("fine")).as_bytes());
        assert_eq!(
            out,
            vec![Err(DecodeError::Sse(SseError::EventTooLarge { limit: 64 })), Ok(StreamEvent::Delta("fine".into()))]
        );
    }
}
