//! The little JSON the Chat Completions wire format needs: a value tree, a strict parser and a
//! compact writer.
//!
//! This replaces serde_json in the widget's wasm, where a general JSON library instantiated for
//! each type cost about a twelfth of the shell. Numbers keep their text: what the stream sends
//! (token counts) is read as integers, and parsing or printing floats in general would link in
//! core's float conversion tables.
//!
//! ```
//! use llm_fallback::json::Json;
//!
//! let chunk = Json::parse(r#"{"choices":[{"delta":{"content":"Hi \"there\"\n"}}]}"#).unwrap();
//! assert_eq!(chunk["choices"][0]["delta"]["content"].as_str(), Some("Hi \"there\"\n"));
//! assert_eq!(chunk["usage"], Json::Null);
//!
//! let body = Json::object([("stream", Json::Bool(true)), ("max_tokens", Json::from(400u32))]);
//! assert_eq!(body.to_string(), r#"{"stream":true,"max_tokens":400}"#);
//! ```

use std::fmt::{self, Write};

/// A JSON value. Objects keep their members in order (duplicates as written).
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its JSON text.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object.
    Object(Vec<(String, Json)>),
}

/// Why text is not JSON: what was expected, and at which byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the text.
    pub at: usize,
    /// What was wrong there.
    pub what: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for JsonError {}

/// Deeper nesting than any wire message has; hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

static NULL: Json = Json::Null;

impl Json {
    /// Parses a complete JSON text (RFC 8259; surrounding whitespace allowed).
    ///
    /// # Errors
    /// [`JsonError`] for anything that is not exactly one JSON value.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut p = Parser { text, bytes: text.as_bytes(), pos: 0 };
        let value = p.value(0)?;
        p.skip_whitespace();
        if p.pos != p.bytes.len() {
            return Err(p.error("trailing characters"));
        }
        Ok(value)
    }

    /// An object from its members.
    pub fn object<K: Into<String>>(members: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A number with at most three decimals (enough for sampling parameters such as a
    /// temperature), written without an exponent.
    ///
    /// ```
    /// use llm_fallback::json::Json;
    /// assert_eq!(Json::decimal(0.2).to_string(), "0.2");
    /// assert_eq!(Json::decimal(-1.0).to_string(), "-1");
    /// ```
    pub fn decimal(value: f32) -> Json {
        let thousandths = (f64::from(value) * 1000.0).round() as i64;
        let sign = if thousandths < 0 { "-" } else { "" };
        let (whole, fraction) = (thousandths.unsigned_abs() / 1000, thousandths.unsigned_abs() % 1000);
        let mut text = format!("{sign}{whole}");
        if fraction > 0 {
            let digits = format!("{fraction:03}");
            text.push('.');
            text.push_str(digits.trim_end_matches('0'));
        }
        Json::Number(text)
    }

    /// The member `key` of an object (the first one, if repeated).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number that is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        *self == Json::Null
    }
}

impl From<u32> for Json {
    fn from(n: u32) -> Json {
        Json::Number(n.to_string())
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Json {
        Json::Number(n.to_string())
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

/// `value["key"]`: the member, or `null` when there is none (as in JavaScript).
impl std::ops::Index<&str> for Json {
    type Output = Json;

    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

/// `value[n]`: the item, or `null` when there is none.
impl std::ops::Index<usize> for Json {
    type Output = Json;

    fn index(&self, n: usize) -> &Json {
        self.as_array().and_then(|items| items.get(n)).unwrap_or(&NULL)
    }
}

/// Compact JSON text.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => write_string(f, s),
            Json::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    item.fmt(f)?;
                }
                f.write_char(']')
            }
            Json::Object(members) => {
                f.write_char('{')?;
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, key)?;
                    f.write_char(':')?;
                    value.fmt(f)?;
                }
                f.write_char('}')
            }
        }
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

struct Parser<'a> {
    /// The text being parsed; `bytes` is the same, for byte-wise scanning.
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> JsonError {
        JsonError { at: self.pos, what }
    }

    /// The bytes not read yet.
    fn rest(&self) -> &[u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// The text from `start` to the current position. Both ends sit next to an ASCII byte the
    /// parser stopped at, so the range is on character boundaries; `None` only on a bug.
    fn text_from(&self, start: usize) -> Result<&str, JsonError> {
        self.text.get(start..self.pos).ok_or(JsonError { at: start, what: "bad text boundary" })
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            None => Err(self.error("unexpected end")),
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Ok(Json::Object(members));
                }
                loop {
                    self.skip_whitespace();
                    if self.bytes.get(self.pos) != Some(&b'"') {
                        return Err(self.error("expected a member name"));
                    }
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return Err(self.error("expected ':'"));
                    }
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Ok(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected ',' or '}'"));
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Ok(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected ',' or ']'"));
                    }
                }
            }
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => {
                for (word, value) in [("true", Json::Bool(true)), ("false", Json::Bool(false)), ("null", Json::Null)] {
                    if self.rest().starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok(value);
                    }
                }
                Err(self.error("expected a value"))
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = self.digits();
        if int_digits == 0 || (int_digits > 1 && self.bytes.get(int_start) == Some(&b'0')) {
            return Err(JsonError { at: start, what: "bad number" });
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(JsonError { at: start, what: "bad number" });
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(JsonError { at: start, what: "bad number" });
            }
        }
        Ok(Json::Number(self.text_from(start)?.to_string()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let hex = self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| self.error("bad \\u escape"))?;
        let text = std::str::from_utf8(hex).map_err(|_| self.error("bad \\u escape"))?;
        let code = u32::from_str_radix(text, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.pos += 4;
        Ok(code)
    }

    /// A string at `"`; the text between quotes is valid UTF-8 because it comes from a `&str`.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text_from(run_start)?);
            match self.bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.bytes.get(self.pos).copied();
                    self.pos += 1;
                    let c = match escaped {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let high = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&high) {
                                if !self.rest().starts_with(b"\\u") {
                                    return Err(self.error("lone surrogate"));
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return Err(self.error("lone surrogate"));
                                }
                                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                            } else {
                                high
                            };
                            char::from_u32(code).ok_or_else(|| self.error("lone surrogate"))?
                        }
                        _ => return Err(self.error("bad escape")),
                    };
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_servers_send() {
        let text = " {\"id\":\"c-1\",\"created\":1732500000,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\\/\"},\"logprobs\":null,\"finish_reason\":null}],\"x\":[true,false,-1.5e+3,0.25,[]],\"y\":{}}\n";
        let v = Json::parse(text).unwrap();
        assert_eq!(v["choices"][0]["delta"]["content"].as_str(), Some("été 😀/"));
        assert_eq!(v["created"].as_u64(), Some(1_732_500_000));
        assert!(v["choices"][0]["finish_reason"].is_null());
        assert_eq!(
            v["x"],
            Json::Array(vec![
                Json::Bool(true),
                Json::Bool(false),
                Json::Number("-1.5e+3".into()),
                Json::Number("0.25".into()),
                Json::Array(vec![])
            ])
        );
        assert_eq!(v["y"], Json::Object(vec![]));
        assert_eq!(v["missing"]["deeper"][3], Json::Null);
    }

    #[test]
    fn rejects_what_is_not_json() {
        for (text, at) in [
            ("", 0),
            ("{\"choices\":", 11),
            ("hello", 0),
            ("{\"a\" 1}", 5),
            ("[1,]", 3),
            ("{\"a\":1,}", 7),
            ("01", 0),
            ("1.", 0),
            ("-", 0),
            ("1e", 0),
            ("\"tab\there\"", 4),
            ("\"\\x\"", 3),
            ("\"\\ud83d\"", 7),
            ("\"\\u12g4\"", 3),
            ("\"open", 5),
            ("nul", 0),
            ("true false", 5),
        ] {
            assert_eq!(Json::parse(text).map_err(|e| e.at), Err(at), "{text:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert_eq!(Json::parse(&deep).unwrap_err().what, "nesting too deep");
    }

    #[test]
    fn decimals_have_at_most_three_places() {
        let text = |x: f32| Json::decimal(x).to_string();
        assert_eq!(
            [text(0.0), text(0.2), text(0.75), text(1.0), text(0.1234), text(2.25), text(-0.05)],
            ["0", "0.2", "0.75", "1", "0.123", "2.25", "-0.05"]
        );
    }

    fn arb_json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(|n| Json::Number(n.to_string())),
            "\\PC*|[\"\\\\\u{0}-\u{1f}]*".prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                proptest::collection::vec(("\\PC{0,6}", inner), 0..4).prop_map(Json::Object),
            ]
        })
    }

    proptest! {
        #[test]
        fn writes_what_it_reads(value in arb_json()) {
            prop_assert_eq!(Json::parse(&value.to_string()), Ok(value));
        }

        // serde_json (a dev-dependency only) as the reference for both directions.
        #[test]
        fn agrees_with_serde_json_on_strings(s in "\\PC*|[\"\\\\\u{0}-\u{1f}\u{7f}-\u{a0}]*") {
            let ours = Json::String(s.clone()).to_string();
            prop_assert_eq!(serde_json::from_str::<String>(&ours).unwrap(), s.clone());
            let theirs = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(Json::parse(&theirs), Ok(Json::String(s)));
        }

        #[test]
        fn never_panics_and_agrees_with_serde_json_on_validity(text in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ ]{0,24}") {
            prop_assert_eq!(Json::parse(&text).is_ok(), serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{:?}", text);
        }
    }
}
