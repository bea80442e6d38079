//! When to retry, when to give up, and how much fallback one session may use.
//!
//! * [`RetryPolicy`] decides after a failed attempt: one retry for a network error before the
//!   first byte (after it, the partial answer is on screen, so no retry); HTTP 429 is retried
//!   once after `Retry-After` (seconds or HTTP-date) unless that wait exceeds a cap; 5xx and
//!   other statuses are not retried.
//! * [`Timeouts`] holds the first-byte and total deadlines in milliseconds.
//! * [`SessionLedger`] caps the number of fallback calls per session and caches answers to
//!   repeated questions; it has its own JSON form (`to_json`/`from_json`) so the widget can
//!   keep it in `sessionStorage`.
//!
//! Nothing here reads a clock: callers pass `now_ms` (Unix milliseconds, `Date.now()` in the
//! browser), which keeps the module deterministic and wasm-safe.

use std::fmt;
use std::time::Duration;

use crate::json::Json;

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TimeoutKind {
    /// No response byte arrived in time.
    FirstByte,
    /// The whole reply took too long.
    Total,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::FirstByte => "no response in time",
            TimeoutKind::Total => "the reply took too long",
        })
    }
}

/// Deadlines of one fallback call, in milliseconds from the start of the request.
///
/// ```
/// use llm_fallback::policy::{TimeoutKind, Timeouts};
///
/// let t = Timeouts { first_byte_ms: 8_000, total_ms: 30_000 };
/// assert_eq!(t.check(5_000, false), None);
/// assert_eq!(t.check(9_000, false), Some(TimeoutKind::FirstByte));
/// assert_eq!(t.check(9_000, true), None);
/// assert_eq!(t.check(31_000, true), Some(TimeoutKind::Total));
/// assert_eq!(t.remaining_ms(5_000, false), 3_000); // for the next setTimeout
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Timeouts {
    /// Time allowed until the first byte of the response body. Default 20000: small self-hosted
    /// models spend seconds reading a grounded prompt before the first token (SmolLM2 on 2
    /// cores: 2–12 s), so 8 s cut too many replies off.
    pub first_byte_ms: u64,
    /// Time allowed for the whole call. Default 30000.
    pub total_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { first_byte_ms: 20_000, total_ms: 30_000 }
    }
}

impl Timeouts {
    /// The first-byte deadline as a [`Duration`].
    pub fn first_byte(&self) -> Duration {
        Duration::from_millis(self.first_byte_ms)
    }

    /// The total deadline as a [`Duration`].
    pub fn total(&self) -> Duration {
        Duration::from_millis(self.total_ms)
    }

    /// Which deadline has passed after `elapsed_ms`, given whether a byte has arrived.
    pub fn check(&self, elapsed_ms: u64, got_first_byte: bool) -> Option<TimeoutKind> {
        if elapsed_ms >= self.total_ms {
            Some(TimeoutKind::Total)
        } else if !got_first_byte && elapsed_ms >= self.first_byte_ms {
            Some(TimeoutKind::FirstByte)
        } else {
            None
        }
    }

    /// Milliseconds until the next applicable deadline (0 if one has passed).
    pub fn remaining_ms(&self, elapsed_ms: u64, got_first_byte: bool) -> u64 {
        let deadline = if got_first_byte { self.total_ms } else { self.first_byte_ms.min(self.total_ms) };
        deadline.saturating_sub(elapsed_ms)
    }
}

/// How an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The request failed at the network level (fetch rejected, connection reset).
    Network {
        /// Whether part of the response body had already arrived.
        after_first_byte: bool,
    },
    /// The server answered with a non-success status.
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// A deadline of [`Timeouts`] passed.
    Timeout(TimeoutKind),
}

/// Why no further attempt is made (the UI picks its message from this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveUpReason {
    /// The connection broke after the answer had started.
    NetworkAfterFirstByte,
    /// The network failed again after the allowed retries.
    NetworkRetriesExhausted,
    /// HTTP 429 and no (further) retry: retries used up, or the requested wait was too long.
    RateLimited {
        /// The wait the server asked for, if it said.
        retry_after_ms: Option<u64>,
    },
    /// HTTP 5xx.
    ServerError(u16),
    /// Any other HTTP status (4xx and oddities).
    ClientError(u16),
    /// A deadline passed.
    Timeout(TimeoutKind),
}

impl fmt::Display for GiveUpReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GiveUpReason::NetworkAfterFirstByte => f.write_str("the connection broke during the reply"),
            GiveUpReason::NetworkRetriesExhausted => f.write_str("the network request failed"),
            GiveUpReason::RateLimited { retry_after_ms: Some(ms) } => {
                write!(f, "rate limited; the server asked to wait {ms} ms")
            }
            GiveUpReason::RateLimited { retry_after_ms: None } => f.write_str("rate limited"),
            GiveUpReason::ServerError(s) => write!(f, "server error (HTTP {s})"),
            GiveUpReason::ClientError(s) => write!(f, "request rejected (HTTP {s})"),
            GiveUpReason::Timeout(kind) => kind.fmt(f),
        }
    }
}

/// What to do after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Send the same request again after this many milliseconds.
    Retry {
        /// The wait before the retry.
        delay_ms: u64,
    },
    /// Stop and tell the user.
    GiveUp(GiveUpReason),
}

/// Retries already spent on one question; start with `RetryState::default()` per question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetryState {
    /// Retries after network errors.
    pub network_retries: u32,
    /// Retries after HTTP 429.
    pub rate_limit_retries: u32,
}

/// The retry rules.
///
/// ```
/// use llm_fallback::policy::{Failure, GiveUpReason, RetryDecision, RetryPolicy, RetryState};
///
/// let policy = RetryPolicy::default();
/// let mut state = RetryState::default();
/// let now = 1_700_000_000_000;
///
/// let limited = Failure::Status { status: 429, retry_after: Some("1".into()) };
/// assert_eq!(policy.decide(&mut state, &limited, now), RetryDecision::Retry { delay_ms: 1_000 });
/// // only once
/// assert!(matches!(policy.decide(&mut state, &limited, now), RetryDecision::GiveUp(_)));
///
/// let mut state = RetryState::default();
/// let flaky = Failure::Network { after_first_byte: false };
/// assert!(matches!(policy.decide(&mut state, &flaky, now), RetryDecision::Retry { .. }));
/// assert_eq!(
///     policy.decide(&mut state, &flaky, now),
///     RetryDecision::GiveUp(GiveUpReason::NetworkRetriesExhausted)
/// );
///
/// let broken = Failure::Status { status: 503, retry_after: None };
/// assert_eq!(policy.decide(&mut state, &broken, now), RetryDecision::GiveUp(GiveUpReason::ServerError(503)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct RetryPolicy {
    /// Retries for a network error before the first byte. Default 1.
    pub network_retries: u32,
    /// Wait before such a retry. Default 500.
    pub network_retry_delay_ms: u64,
    /// Retries after HTTP 429. Default 1.
    pub rate_limit_retries: u32,
    /// Longest `Retry-After` wait accepted; a longer one gives up instead. Default 10000.
    pub max_retry_after_ms: u64,
    /// Wait when a 429 has no (valid) `Retry-After`. Default 1000.
    pub default_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            network_retries: 1,
            network_retry_delay_ms: 500,
            rate_limit_retries: 1,
            max_retry_after_ms: 10_000,
            default_retry_after_ms: 1_000,
        }
    }
}

impl RetryPolicy {
    /// Decides what to do after `failure`, counting the retry in `state` when there is one.
    /// `now_ms` (Unix milliseconds) is needed for an HTTP-date `Retry-After`.
    pub fn decide(&self, state: &mut RetryState, failure: &Failure, now_ms: u64) -> RetryDecision {
        match failure {
            Failure::Network { after_first_byte: true } => RetryDecision::GiveUp(GiveUpReason::NetworkAfterFirstByte),
            Failure::Network { after_first_byte: false } => {
                if state.network_retries < self.network_retries {
                    state.network_retries += 1;
                    RetryDecision::Retry { delay_ms: self.network_retry_delay_ms }
                } else {
                    RetryDecision::GiveUp(GiveUpReason::NetworkRetriesExhausted)
                }
            }
            Failure::Status { status: 429, retry_after } => {
                let asked = retry_after.as_deref().and_then(|v| parse_retry_after(v, now_ms));
                let wait = asked.unwrap_or(self.default_retry_after_ms);
                if state.rate_limit_retries < self.rate_limit_retries && wait <= self.max_retry_after_ms {
                    state.rate_limit_retries += 1;
                    RetryDecision::Retry { delay_ms: wait }
                } else {
                    RetryDecision::GiveUp(GiveUpReason::RateLimited { retry_after_ms: asked })
                }
            }
            Failure::Status { status, .. } if (500..=599).contains(status) => {
                RetryDecision::GiveUp(GiveUpReason::ServerError(*status))
            }
            Failure::Status { status, .. } => RetryDecision::GiveUp(GiveUpReason::ClientError(*status)),
            Failure::Timeout(kind) => RetryDecision::GiveUp(GiveUpReason::Timeout(*kind)),
        }
    }
}

/// Parses a `Retry-After` value (delay-seconds or HTTP-date) into a wait in milliseconds
/// from `now_ms`. A date in the past means 0.
///
/// ```
/// use llm_fallback::policy::parse_retry_after;
///
/// assert_eq!(parse_retry_after(" 2 ", 0), Some(2_000));
/// let now = 784_111_777_000 - 5_000; // five seconds before the date below
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(5_000));
/// assert_eq!(parse_retry_after("soon", 0), None);
/// ```
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // absurdly long numbers saturate
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1000));
    }
    parse_http_date(value).map(|at| at.saturating_sub(now_ms))
}

/// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime format) into Unix milliseconds.
///
/// ```
/// use llm_fallback::policy::parse_http_date;
///
/// let t = Some(784_111_777_000);
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), t);
/// assert_eq!(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"), None);
/// ```
pub fn parse_http_date(value: &str) -> Option<u64> {
    let tokens: Vec<&str> = value.split([' ', ',', '-']).filter(|t| !t.is_empty()).collect();
    let (weekday, rest) = tokens.split_first()?;
    if !weekday.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut month = None;
    let mut time = None;
    let mut numbers: Vec<&str> = Vec::new();
    for tok in rest {
        if tok.contains(':') {
            time = Some(*tok);
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(tok);
        } else if let Some(m) = month_number(tok) {
            month = Some(m);
        } else if !tok.eq_ignore_ascii_case("GMT") && !tok.eq_ignore_ascii_case("UTC") {
            return None;
        }
    }
    let [day, year] = numbers.as_slice() else { return None };
    let day: u32 = day.parse().ok().filter(|_| day.len() <= 2)?;
    let year: i64 = match year.len() {
        2 => {
            let yy: i64 = year.parse().ok()?;
            if yy < 70 {
                2000 + yy
            } else {
                1900 + yy
            }
        }
        4 => year.parse().ok()?,
        _ => return None,
    };
    let month = month?;
    let mut hms = time?.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || [h, m, s].iter().any(|p| p.len() != 2) {
        return None;
    }
    let (h, m, s): (u64, u64, u64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if year < 1970 || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some(((days * 24 + h) * 60 + m) * 60_000 + s * 1000)
}

fn month_number(tok: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    if tok.len() != 3 {
        return None;
    }
    let lower = tok.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == lower).and_then(|i| u32::try_from(i + 1).ok())
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A [`SessionLedger`] refused or could not be restored.
///
/// ```
/// use llm_fallback::policy::{LedgerError, SessionLedger};
/// assert!(matches!(SessionLedger::from_json("nope"), Err(LedgerError::InvalidJson(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// The session used all its fallback calls.
    LimitReached {
        /// The cap.
        max_calls: u32,
    },
    /// The stored ledger is not valid JSON of the right shape.
    InvalidJson(String),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::LimitReached { max_calls } => {
                write!(f, "this session used all {max_calls} assistant fallback calls")
            }
            LedgerError::InvalidJson(why) => write!(f, "stored session ledger is invalid: {why}"),
        }
    }
}

impl std::error::Error for LedgerError {}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CachedAnswer {
    key: String,
    answer: String,
}

/// Default number of cached answers per session.
pub const DEFAULT_CACHED_ANSWERS: usize = 20;

/// Per-session fallback budget and answer cache.
///
/// Questions are compared after [`normalize_question`] (case, whitespace and punctuation
/// ignored). Pass the *redacted* question, so no personal data is stored. A cache hit does
/// not use a call.
///
/// ```
/// use llm_fallback::policy::SessionLedger;
///
/// let mut ledger = SessionLedger::new(2);
/// assert_eq!(ledger.cached_answer("Where is my parcel?"), None);
/// ledger.begin_call().unwrap();
/// ledger.remember("Where is my parcel?", "Open Orders [track-order].");
/// assert_eq!(ledger.cached_answer("  where IS my parcel "), Some("Open Orders [track-order]."));
///
/// ledger.begin_call().unwrap();
/// assert!(ledger.begin_call().is_err());
/// assert_eq!(ledger.remaining_calls(), 0);
///
/// // kept in sessionStorage between page loads
/// let stored = ledger.to_json();
/// let restored = SessionLedger::from_json(&stored).unwrap();
/// assert_eq!(restored, ledger);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLedger {
    max_calls: u32,
    calls: u32,
    max_cached: usize,
    cache: Vec<CachedAnswer>,
}

impl Default for SessionLedger {
    fn default() -> Self {
        SessionLedger::new(10)
    }
}

impl SessionLedger {
    /// A fresh ledger allowing `max_calls` fallback calls and caching
    /// [`DEFAULT_CACHED_ANSWERS`] answers.
    pub fn new(max_calls: u32) -> Self {
        SessionLedger { max_calls, calls: 0, max_cached: DEFAULT_CACHED_ANSWERS, cache: Vec::new() }
    }

    /// Sets how many answers are cached (oldest dropped first); 0 disables the cache.
    pub fn with_cache_size(mut self, max_cached: usize) -> Self {
        self.max_cached = max_cached;
        self.trim_cache();
        self
    }

    /// The call cap.
    pub fn max_calls(&self) -> u32 {
        self.max_calls
    }

    /// Calls started so far.
    pub fn calls_made(&self) -> u32 {
        self.calls
    }

    /// Calls left.
    pub fn remaining_calls(&self) -> u32 {
        self.max_calls.saturating_sub(self.calls)
    }

    /// Whether another call is allowed.
    pub fn can_call(&self) -> bool {
        self.calls < self.max_calls
    }

    /// Counts a call about to be made (failed calls count too).
    ///
    /// # Errors
    /// [`LedgerError::LimitReached`] when the cap is used up.
    pub fn begin_call(&mut self) -> Result<(), LedgerError> {
        if !self.can_call() {
            return Err(LedgerError::LimitReached { max_calls: self.max_calls });
        }
        self.calls += 1;
        Ok(())
    }

    /// The answer previously remembered for this question, if any.
    pub fn cached_answer(&self, question: &str) -> Option<&str> {
        let key = normalize_question(question);
        if key.is_empty() {
            return None;
        }
        self.cache.iter().rev().find(|c| c.key == key).map(|c| c.answer.as_str())
    }

    /// Remembers a complete answer (replacing an older one for the same question).
    pub fn remember(&mut self, question: &str, answer: &str) {
        let key = normalize_question(question);
        if key.is_empty() || self.max_cached == 0 {
            return;
        }
        self.cache.retain(|c| c.key != key);
        self.cache.push(CachedAnswer { key, answer: answer.to_string() });
        self.trim_cache();
    }

    /// Forgets all cached answers (keeps the call count).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// Serialises the ledger for `sessionStorage`.
    pub fn to_json(&self) -> String {
        let cache = self
            .cache
            .iter()
            .map(|c| Json::object([("key", Json::from(c.key.as_str())), ("answer", Json::from(c.answer.as_str()))]));
        Json::object([
            ("max_calls", Json::from(self.max_calls)),
            ("calls", Json::from(self.calls)),
            ("max_cached", Json::from(self.max_cached as u64)),
            ("cache", Json::Array(cache.collect())),
        ])
        .to_string()
    }

    /// Restores a ledger saved with [`to_json`](Self::to_json). A missing member takes its
    /// default; an over-full cache is trimmed.
    ///
    /// # Errors
    /// [`LedgerError::InvalidJson`] if `json` is not a saved ledger.
    pub fn from_json(json: &str) -> Result<Self, LedgerError> {
        let saved = Json::parse(json).map_err(|e| LedgerError::InvalidJson(e.to_string()))?;
        let invalid = |what: &str| LedgerError::InvalidJson(format!("bad `{what}`"));
        if saved.as_object().is_none() {
            return Err(invalid("ledger"));
        }
        let defaults = SessionLedger::default();
        let count = |key: &str, default: u64| match saved.get(key) {
            None => Ok(default),
            Some(n) => n.as_u64().filter(|&n| n <= u64::from(u32::MAX)).ok_or_else(|| invalid(key)),
        };
        let text = |entry: &Json, key: &str| entry[key].as_str().map(str::to_string).ok_or_else(|| invalid(key));
        let cache = match saved.get("cache") {
            None => Vec::new(),
            Some(list) => list
                .as_array()
                .ok_or_else(|| invalid("cache"))?
                .iter()
                .map(|entry| Ok(CachedAnswer { key: text(entry, "key")?, answer: text(entry, "answer")? }))
                .collect::<Result<_, LedgerError>>()?,
        };
        let mut ledger = SessionLedger {
            max_calls: count("max_calls", defaults.max_calls.into())? as u32,
            calls: count("calls", defaults.calls.into())? as u32,
            max_cached: count("max_cached", defaults.max_cached as u64)? as usize,
            cache,
        };
        ledger.trim_cache();
        Ok(ledger)
    }

    fn trim_cache(&mut self) {
        let excess = self.cache.len().saturating_sub(self.max_cached);
        self.cache.drain(..excess);
    }
}

/// The cache key of a question: lowercase, punctuation removed, whitespace collapsed.
///
/// ```
/// use llm_fallback::policy::normalize_question;
/// assert_eq!(normalize_question("  Where's my   PARCEL?!"), "where s my parcel");
/// assert_eq!(normalize_question("¿Dónde está mi pedido?"), "dónde está mi pedido");
/// ```
pub fn normalize_question(question: &str) -> String {
    let mapped: String =
        question.chars().flat_map(char::to_lowercase).map(|c| if is_punctuation(c) { ' ' } else { c }).collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '¿' | '¡'
                | '…'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '«'
                | '»'
                | '‹'
                | '›'
                | '–'
                | '—'
                | '·'
                | '、'
                | '。'
                | '，'
                | '！'
                | '？'
                | '：'
                | '；'
                | '（'
                | '）'
                | '「'
                | '」'
                | '『'
                | '』'
                | '\u{0e2f}'
                | '\u{0e5a}'
                | '\u{0e5b}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_failures() {
        let p = RetryPolicy::default();
        let mut s = RetryState::default();
        assert_eq!(
            p.decide(&mut s, &Failure::Network { after_first_byte: true }, 0),
            RetryDecision::GiveUp(GiveUpReason::NetworkAfterFirstByte)
        );
        assert_eq!(s, RetryState::default());
        assert_eq!(
            p.decide(&mut s, &Failure::Network { after_first_byte: false }, 0),
            RetryDecision::Retry { delay_ms: 500 }
        );
        assert_eq!(s.network_retries, 1);
        let none = RetryPolicy { network_retries: 0, ..RetryPolicy::default() };
        assert_eq!(
            none.decide(&mut RetryState::default(), &Failure::Network { after_first_byte: false }, 0),
            RetryDecision::GiveUp(GiveUpReason::NetworkRetriesExhausted)
        );
    }

    #[test]
    fn rate_limits() {
        let p = RetryPolicy::default();
        let f = |v: Option<&str>| Failure::Status { status: 429, retry_after: v.map(String::from) };
        let d = |f: Failure| p.decide(&mut RetryState::default(), &f, 1_000_000);
        assert_eq!(d(f(None)), RetryDecision::Retry { delay_ms: 1_000 });
        assert_eq!(d(f(Some("garbage"))), RetryDecision::Retry { delay_ms: 1_000 });
        assert_eq!(d(f(Some("0"))), RetryDecision::Retry { delay_ms: 0 });
        assert_eq!(d(f(Some("10"))), RetryDecision::Retry { delay_ms: 10_000 });
        assert_eq!(d(f(Some("11"))), RetryDecision::GiveUp(GiveUpReason::RateLimited { retry_after_ms: Some(11_000) }));
        assert_eq!(
            d(f(Some("99999999999999999999999"))),
            RetryDecision::GiveUp(GiveUpReason::RateLimited { retry_after_ms: Some(u64::MAX) })
        );
        // an HTTP-date in the past means "now"
        assert_eq!(d(f(Some("Thu, 01 Jan 1970 00:00:00 GMT"))), RetryDecision::Retry { delay_ms: 0 });
        // shared counter: the second 429 gives up
        let mut s = RetryState::default();
        assert!(matches!(p.decide(&mut s, &f(Some("1")), 0), RetryDecision::Retry { .. }));
        assert_eq!(
            p.decide(&mut s, &f(Some("1")), 0),
            RetryDecision::GiveUp(GiveUpReason::RateLimited { retry_after_ms: Some(1_000) })
        );
    }

    #[test]
    fn statuses_and_timeouts() {
        let p = RetryPolicy::default();
        let mut s = RetryState::default();
        for status in [500, 502, 503, 504, 599] {
            assert_eq!(
                p.decide(&mut s, &Failure::Status { status, retry_after: Some("1".into()) }, 0),
                RetryDecision::GiveUp(GiveUpReason::ServerError(status))
            );
        }
        for status in [400, 401, 403, 404, 413, 302, 0] {
            assert_eq!(
                p.decide(&mut s, &Failure::Status { status, retry_after: None }, 0),
                RetryDecision::GiveUp(GiveUpReason::ClientError(status))
            );
        }
        assert_eq!(
            p.decide(&mut s, &Failure::Timeout(TimeoutKind::FirstByte), 0),
            RetryDecision::GiveUp(GiveUpReason::Timeout(TimeoutKind::FirstByte))
        );
        assert_eq!(s, RetryState::default());
        assert!(GiveUpReason::ServerError(502).to_string().contains("502"));
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), Some(1_445_412_480_000));
        assert_eq!(parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"), Some(951_825_600_000));
        assert_eq!(parse_http_date("Thursday, 01-Jan-70 00:00:01 GMT"), Some(1_000));
        assert_eq!(parse_http_date("Mon, 29 Feb 2100 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 8:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 GMT"), None);
        assert_eq!(parse_http_date("06 Nov 1994 08:49:37 GMT"), None);
        for junk in ["", " ", ",", "-", "a", "a,", "Sun, 999 Nov 1994 08:49:37", "Sun, 1 Nov 19945 00:00:00"] {
            assert_eq!(parse_http_date(junk), None, "{junk:?}");
        }
        assert_eq!(parse_retry_after("", 0), None);
    }

    #[test]
    fn timeouts() {
        let t = Timeouts::default();
        assert_eq!(t.first_byte(), Duration::from_secs(20));
        assert_eq!(t.total(), Duration::from_secs(30));
        assert_eq!(t.check(29_999, true), None);
        assert_eq!(t.check(20_000, false), Some(TimeoutKind::FirstByte));
        assert_eq!(t.check(30_000, false), Some(TimeoutKind::Total));
        assert_eq!(t.remaining_ms(10_000, true), 20_000);
        assert_eq!(t.remaining_ms(10_000, false), 10_000);
        assert_eq!(t.remaining_ms(25_000, false), 0);
        let odd = Timeouts { first_byte_ms: 50, total_ms: 10 };
        assert_eq!(odd.remaining_ms(0, false), 10);
        #[cfg(feature = "serde")]
        {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, r#"{"first_byte_ms":20000,"total_ms":30000}"#);
            assert_eq!(serde_json::from_str::<Timeouts>(r#"{"total_ms":5}"#).unwrap().first_byte_ms, 20_000);
        }
    }

    #[test]
    fn ledger_cache_eviction_and_limits() {
        let mut l = SessionLedger::new(1).with_cache_size(2);
        l.remember("a?", "1");
        l.remember("b", "2");
        l.remember("A", "1b"); // replaces, moves to newest
        l.remember("c", "3"); // evicts "b"
        assert_eq!(l.cached_answer("a"), Some("1b"));
        assert_eq!(l.cached_answer("b"), None);
        assert_eq!(l.cached_answer("C!"), Some("3"));
        l.remember("?!", "x");
        assert_eq!(l.cached_answer("..."), None);
        assert!(l.begin_call().is_ok());
        assert_eq!(l.begin_call(), Err(LedgerError::LimitReached { max_calls: 1 }));
        assert_eq!(l.calls_made(), 1);
        l.clear_cache();
        assert_eq!(l.cached_answer("a"), None);
        let mut off = SessionLedger::new(1).with_cache_size(0);
        off.remember("a", "1");
        assert_eq!(off.cached_answer("a"), None);
        assert!(!SessionLedger::new(0).can_call());
    }

    #[test]
    fn ledger_json() {
        let mut l = SessionLedger::new(5);
        l.begin_call().unwrap();
        l.remember("q", "a");
        let json = l.to_json();
        assert_eq!(json, r#"{"max_calls":5,"calls":1,"max_cached":20,"cache":[{"key":"q","answer":"a"}]}"#);
        // tampered or partial values are tolerated
        let l = SessionLedger::from_json(
            r#"{"calls":3,"max_cached":1,"cache":[{"key":"a","answer":"1"},{"key":"b","answer":"2"}]}"#,
        )
        .unwrap();
        assert_eq!(l.max_calls(), 10);
        assert_eq!(l.cached_answer("a"), None);
        assert_eq!(l.cached_answer("b"), Some("2"));
        assert!(SessionLedger::from_json(r#"{"calls":-1}"#).is_err());
        assert!(SessionLedger::from_json("").is_err());
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_question("Hello,World"), "hello world");
        assert_eq!(normalize_question("พัสดุ ของฉัน อยู่ไหน?"), "พัสดุ ของฉัน อยู่ไหน");
        assert_eq!(normalize_question("ĐƠN HÀNG"), "đơn hàng");
        assert_eq!(normalize_question("\t\n"), "");
    }
}
