//! Removal of personal data from text before it leaves the device.
//!
//! [`Redactor::redact`] replaces e-mail addresses with `[email]`, phone numbers with `[phone]`,
//! card numbers with `[card]` and matches of configured extra patterns with `[redacted]`, and
//! reports which kinds it removed so the UI can tell the user. Detection is hand-written (no
//! regex engine, to keep the wasm small):
//!
//! * **E-mail**: `local@domain.tld`, the domain having at least two labels and a final label of
//!   two or more characters containing a letter.
//! * **Card**: 13–19 digits, optionally grouped with single spaces or dashes, that pass the Luhn
//!   check. Inside a longer digit sequence the longest Luhn-valid group-aligned window is taken.
//! * **Phone**: 9–15 digits in groups separated by up to three of space, `-`, `.`, `(`, `)`,
//!   with an optional leading `+` or `(`. ISO-like dates (`2024-01-15`, `15.01.2024`) are not
//!   phones.
//! * Digits glued to letters (`MP1234567890`, `A123456789`) are never a card or phone, and by
//!   default the marketplace's order numbers (`MP##########`, also written `MP 1234567890` or
//!   `MP-1234567890`) are kept: support needs them. See [`Redactor::keep`].
//! * **Extra patterns** use the glob language of flow slots (`#` digit, `@` letter, `*` run of
//!   non-space characters, case-insensitive; matches do not cut through words).

use std::fmt;

use crate::glob::Pattern;

/// Patterns kept by default: the marketplace order number in its usual spellings.
pub const DEFAULT_KEEP_PATTERNS: [&str; 3] = ["MP##########", "MP ##########", "MP-##########"];

/// A kind of personal data that was redacted. Serialises as `"email"`, `"phone"`, `"card"`,
/// `"custom"`.
///
/// ```
/// use llm_fallback::redact::RedactionKind;
/// assert_eq!(RedactionKind::Card.placeholder(), "[card]");
/// # #[cfg(feature = "serde")]
/// assert_eq!(serde_json::to_string(&RedactionKind::Email).unwrap(), "\"email\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum RedactionKind {
    /// An e-mail address.
    Email,
    /// A card-like number (Luhn-valid).
    Card,
    /// A phone number.
    Phone,
    /// A match of a configured extra pattern.
    Custom,
}

impl RedactionKind {
    /// The text that replaces a redacted span of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            RedactionKind::Email => "[email]",
            RedactionKind::Card => "[card]",
            RedactionKind::Phone => "[phone]",
            RedactionKind::Custom => "[redacted]",
        }
    }
}

impl fmt::Display for RedactionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RedactionKind::Email => "email",
            RedactionKind::Card => "card",
            RedactionKind::Phone => "phone",
            RedactionKind::Custom => "custom",
        })
    }
}

/// The result of [`Redactor::redact`].
///
/// ```
/// use llm_fallback::redact::{RedactionKind, Redactor};
///
/// let r = Redactor::new().redact("I'm ana@example.com, +62 812-3456-7890");
/// assert_eq!(r.text, "I'm [email], [phone]");
/// assert_eq!(r.kinds, vec![RedactionKind::Email, RedactionKind::Phone]);
/// assert_eq!(r.count, 2);
/// assert!(r.is_redacted());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Redacted {
    /// The text with placeholders.
    pub text: String,
    /// The kinds removed, each once, in the order email, card, phone, custom.
    pub kinds: Vec<RedactionKind>,
    /// How many spans were replaced.
    pub count: usize,
}

impl Redacted {
    /// Whether anything was replaced.
    pub fn is_redacted(&self) -> bool {
        self.count > 0
    }
}

/// A configured pattern could not be parsed.
///
/// ```
/// use llm_fallback::redact::{RedactError, Redactor};
/// let err = Redactor::new().with_pattern("  ").unwrap_err();
/// assert!(matches!(err, RedactError::InvalidPattern { .. }));
/// assert_eq!(err.to_string(), "invalid redaction pattern \"  \": empty pattern");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedactError {
    /// The pattern is not valid glob syntax (empty, too long).
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl fmt::Display for RedactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedactError::InvalidPattern { pattern, reason } => {
                write!(f, "invalid redaction pattern \"{pattern}\": {reason}")
            }
        }
    }
}

impl std::error::Error for RedactError {}

fn compile(pattern: &str) -> Result<Pattern, RedactError> {
    Pattern::parse(pattern)
        .map_err(|e| RedactError::InvalidPattern { pattern: pattern.to_string(), reason: e.to_string() })
}

/// Replaces personal data in text; see the [module documentation](self) for what is detected.
///
/// ```
/// use llm_fallback::redact::{RedactionKind, Redactor};
///
/// let redactor = Redactor::new().with_pattern("NIK ################").unwrap();
/// let r = redactor.redact("order MP1234567890, card 4111 1111 1111 1111, NIK 3201234567890001");
/// assert_eq!(r.text, "order MP1234567890, card [card], [redacted]");
/// assert_eq!(r.kinds, vec![RedactionKind::Card, RedactionKind::Custom]);
///
/// // every detector can be switched off
/// let lax = Redactor::new().phones(false);
/// assert_eq!(lax.redact("call 0812 3456 7890").text, "call 0812 3456 7890");
/// ```
#[derive(Debug, Clone)]
pub struct Redactor {
    emails: bool,
    phones: bool,
    cards: bool,
    extra: Vec<Pattern>,
    keep: Vec<Pattern>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// E-mails, phones and cards on; no extra patterns; [`DEFAULT_KEEP_PATTERNS`] kept.
    pub fn new() -> Self {
        Redactor {
            emails: true,
            phones: true,
            cards: true,
            extra: Vec::new(),
            keep: DEFAULT_KEEP_PATTERNS.iter().filter_map(|p| Pattern::parse(p).ok()).collect(),
        }
    }

    /// Switches e-mail detection on or off.
    pub fn emails(mut self, on: bool) -> Self {
        self.emails = on;
        self
    }

    /// Switches phone detection on or off.
    pub fn phones(mut self, on: bool) -> Self {
        self.phones = on;
        self
    }

    /// Switches card detection on or off.
    pub fn cards(mut self, on: bool) -> Self {
        self.cards = on;
        self
    }

    /// Adds an extra pattern whose matches become `[redacted]`.
    ///
    /// # Errors
    /// [`RedactError::InvalidPattern`] if the glob does not parse.
    pub fn with_pattern(mut self, pattern: &str) -> Result<Self, RedactError> {
        self.add_pattern(pattern)?;
        Ok(self)
    }

    /// Adds an extra pattern in place; see [`with_pattern`](Self::with_pattern).
    ///
    /// # Errors
    /// [`RedactError::InvalidPattern`] if the glob does not parse.
    pub fn add_pattern(&mut self, pattern: &str) -> Result<(), RedactError> {
        self.extra.push(compile(pattern)?);
        Ok(())
    }

    /// Adds a pattern whose matches are never taken for a phone or card number (extra
    /// patterns still apply to them).
    ///
    /// ```
    /// use llm_fallback::redact::Redactor;
    /// let r = Redactor::new().keep("INV-#########").unwrap();
    /// assert_eq!(r.redact("invoice INV-123456789").text, "invoice INV-123456789");
    /// assert_eq!(Redactor::new().redact("invoice INV-123456789").text, "invoice INV-[phone]");
    /// ```
    ///
    /// # Errors
    /// [`RedactError::InvalidPattern`] if the glob does not parse.
    pub fn keep(mut self, pattern: &str) -> Result<Self, RedactError> {
        self.keep.push(compile(pattern)?);
        Ok(self)
    }

    /// Removes all keep patterns, including the default order-number ones.
    ///
    /// ```
    /// use llm_fallback::redact::Redactor;
    /// assert_eq!(Redactor::new().clear_keep().redact("MP 1234567890").text, "MP [phone]");
    /// ```
    pub fn clear_keep(mut self) -> Self {
        self.keep.clear();
        self
    }

    /// Redacts `text`.
    pub fn redact(&self, text: &str) -> Redacted {
        let cs: Vec<(usize, char)> = text.char_indices().collect();
        let mut spans: Vec<(usize, usize, RedactionKind)> = Vec::new();
        // chars that the number detectors must not touch
        let mut blocked = vec![false; cs.len()];
        let to_chars =
            |(bs, be): (usize, usize)| (cs.partition_point(|&(b, _)| b < bs), cs.partition_point(|&(b, _)| b < be));
        let mark = |blocked: &mut Vec<bool>, s: usize, e: usize| {
            for flag in blocked.iter_mut().take(e).skip(s) {
                *flag = true;
            }
        };

        if self.emails {
            for (s, e) in find_emails(&cs) {
                mark(&mut blocked, s, e);
                spans.push((s, e, RedactionKind::Email));
            }
        }
        if self.cards || self.phones {
            for pattern in &self.keep {
                for m in pattern.find_iter(text) {
                    let (s, e) = to_chars(m);
                    mark(&mut blocked, s, e);
                }
            }
        }
        if self.cards {
            for (s, e) in find_cards(&cs, &blocked) {
                mark(&mut blocked, s, e);
                spans.push((s, e, RedactionKind::Card));
            }
        }
        if self.phones {
            for (s, e) in find_phones(&cs, &blocked) {
                spans.push((s, e, RedactionKind::Phone));
            }
        }
        for pattern in &self.extra {
            for m in pattern.find_iter(text) {
                let (s, e) = to_chars(m);
                spans.push((s, e, RedactionKind::Custom));
            }
        }
        build(text, &cs, spans)
    }
}

/// Merges overlapping spans (char indices) and writes the placeholders.
fn build(text: &str, cs: &[(usize, char)], mut spans: Vec<(usize, usize, RedactionKind)>) -> Redacted {
    let byte_at = |i: usize| cs.get(i).map_or(text.len(), |&(b, _)| b);
    spans.retain(|&(s, e, _)| s < e);
    spans.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    // In declaration order, without sorting a list of four possible values.
    let kinds: Vec<RedactionKind> =
        [RedactionKind::Email, RedactionKind::Card, RedactionKind::Phone, RedactionKind::Custom]
            .into_iter()
            .filter(|k| spans.iter().any(|s| s.2 == *k))
            .collect();

    let mut merged: Vec<(usize, usize, RedactionKind)> = Vec::new();
    for (s, e, kind) in spans {
        match merged.last_mut() {
            Some(last) if s < last.1 => {
                last.1 = last.1.max(e);
                last.2 = last.2.min(kind);
            }
            _ => merged.push((s, e, kind)),
        }
    }

    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for &(s, e, kind) in &merged {
        out.push_str(text.get(byte_at(pos)..byte_at(s)).unwrap_or(""));
        out.push_str(kind.placeholder());
        pos = e;
    }
    out.push_str(text.get(byte_at(pos)..).unwrap_or(""));
    Redacted { text: out, kinds, count: merged.len() }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn char_at(cs: &[(usize, char)], i: usize) -> Option<char> {
    cs.get(i).map(|&(_, c)| c)
}

/// Char-index spans of e-mail addresses.
fn find_emails(cs: &[(usize, char)]) -> Vec<(usize, usize)> {
    let is_local = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let is_domain = |c: char| c.is_alphanumeric() || c == '-' || c == '.';
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (at, &(_, c)) in cs.iter().enumerate() {
        if c != '@' || out.last().is_some_and(|&(_, e)| at < e) {
            continue;
        }
        let mut start = at;
        while start > 0 && char_at(cs, start - 1).is_some_and(is_local) {
            start -= 1;
        }
        while start < at && char_at(cs, start) == Some('.') {
            start += 1;
        }
        if start == at {
            continue;
        }
        let mut end = at + 1;
        while char_at(cs, end).is_some_and(is_domain) {
            end += 1;
        }
        while end > at + 1 && matches!(char_at(cs, end - 1), Some('.' | '-')) {
            end -= 1;
        }
        // When the last label cannot end a domain ("a@shop.example.123456789"), the address is
        // the labels before it: else redacting the digits later would leave a valid address
        // behind ("a@shop.example.[phone]"), and a second pass would find more.
        loop {
            let domain: String = cs.get(at + 1..end).unwrap_or(&[]).iter().map(|&(_, c)| c).collect();
            if valid_domain(&domain) {
                out.push((start, end));
                break;
            }
            match (at + 1..end).rev().find(|&i| char_at(cs, i) == Some('.')) {
                Some(dot) => end = dot,
                None => break,
            }
        }
    }
    out
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().any(char::is_alphabetic))
}

/// A maximal run of ASCII digits, in char indices.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

/// Groups of digits joined by short separator sequences. A group touching a blocked char
/// ends the run and is left out.
fn digit_runs(cs: &[(usize, char)], blocked: &[bool], is_sep: fn(char) -> bool, max_sep: usize) -> Vec<Vec<Group>> {
    let digit = |i: usize| char_at(cs, i).is_some_and(|c| c.is_ascii_digit());
    let mut runs: Vec<Vec<Group>> = Vec::new();
    let mut cur: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if !digit(i) {
            i += 1;
            continue;
        }
        let start = i;
        while digit(i) {
            i += 1;
        }
        let group = Group { start, end: i };
        if blocked.get(start..i).unwrap_or(&[]).iter().any(|&b| b) {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let joined = cur.last().is_some_and(|prev| {
            let gap = start - prev.end;
            (1..=max_sep).contains(&gap) && cs.get(prev.end..start).unwrap_or(&[]).iter().all(|&(_, c)| is_sep(c))
        });
        if !joined && !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
        cur.push(group);
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

fn digits_of(cs: &[(usize, char)], g: Group) -> impl Iterator<Item = u32> + '_ {
    cs.get(g.start..g.end).unwrap_or(&[]).iter().filter_map(|&(_, c)| c.to_digit(10))
}

/// The char before `i` is not part of a word (so a match may start at `i`).
fn starts_clean(cs: &[(usize, char)], i: usize) -> bool {
    i == 0 || !char_at(cs, i - 1).is_some_and(is_word)
}

/// The char at `i` is not part of a word (so a match may end just before `i`).
fn ends_clean(cs: &[(usize, char)], i: usize) -> bool {
    !char_at(cs, i).is_some_and(is_word)
}

fn luhn(digits: &[u32]) -> bool {
    let mut sum = 0;
    for (k, &d) in digits.iter().rev().enumerate() {
        sum += if k % 2 == 1 {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// Char-index spans of card numbers.
fn find_cards(cs: &[(usize, char)], blocked: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for run in digit_runs(cs, blocked, |c| c == ' ' || c == '-' || c == '\u{a0}', 1) {
        let mut i = 0;
        while let Some(first) = run.get(i).copied() {
            if !starts_clean(cs, first.start) {
                i += 1;
                continue;
            }
            let mut digits: Vec<u32> = Vec::new();
            let mut best = None;
            for (j, g) in run.iter().enumerate().skip(i) {
                digits.extend(digits_of(cs, *g));
                if digits.len() > 19 {
                    break;
                }
                if digits.len() >= 13 && ends_clean(cs, g.end) && luhn(&digits) {
                    best = Some((j, g.end));
                }
            }
            match best {
                Some((j, end)) => {
                    out.push((first.start, end));
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    out
}

fn is_phone_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '-' | '.' | '(' | ')')
}

/// Groups `i`, `i+1`, `i+2` look like a date: 4-2-2 or 2-2-4 digits joined by the same single
/// `-` or `.`.
fn is_date(cs: &[(usize, char)], run: &[Group], i: usize) -> bool {
    let (Some(a), Some(b), Some(c)) = (run.get(i), run.get(i + 1), run.get(i + 2)) else {
        return false;
    };
    let lens = (a.end - a.start, b.end - b.start, c.end - c.start);
    if lens != (4, 2, 2) && lens != (2, 2, 4) {
        return false;
    }
    let sep1 = cs.get(a.end..b.start).unwrap_or(&[]);
    let sep2 = cs.get(b.end..c.start).unwrap_or(&[]);
    match (sep1, sep2) {
        ([(_, x)], [(_, y)]) => x == y && matches!(x, '-' | '.'),
        _ => false,
    }
}

/// Char-index spans of phone numbers.
fn find_phones(cs: &[(usize, char)], blocked: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for run in digit_runs(cs, blocked, is_phone_sep, 3) {
        let mut i = 0;
        while let Some(first) = run.get(i).copied() {
            if is_date(cs, &run, i) {
                i += 3;
                continue;
            }
            // optional "(" and "+" before the first digit
            let mut start = first.start;
            if start > 0 && char_at(cs, start - 1) == Some('(') {
                start -= 1;
            }
            if start > 0 && char_at(cs, start - 1) == Some('+') {
                start -= 1;
            }
            // A `+` or `(` glued to a word ("111111111+123456789") is a separator, not part of
            // the number: without this the number survived, and became a phone once its
            // neighbour was redacted, so a second pass found more.
            if start != first.start && !starts_clean(cs, start) {
                start = first.start;
            }
            if !starts_clean(cs, start) || (start > 0 && blocked.get(start - 1) == Some(&true)) {
                i += 1;
                continue;
            }
            let mut count = 0;
            let mut best = None;
            for (j, g) in run.iter().enumerate().skip(i) {
                count += g.end - g.start;
                if count > 15 {
                    break;
                }
                if count >= 9 && ends_clean(cs, g.end) {
                    best = Some((j, g.end));
                }
            }
            match best {
                Some((j, mut end)) => {
                    let span = cs.get(start..end).unwrap_or(&[]);
                    let open = span.iter().filter(|&&(_, c)| c == '(').count();
                    let close = span.iter().filter(|&&(_, c)| c == ')').count();
                    if open > close && char_at(cs, end) == Some(')') {
                        end += 1;
                    }
                    out.push((start, end));
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        Redactor::new().redact(text).text
    }

    #[test]
    fn emails() {
        assert_eq!(r("mail me: john.doe+shop@mail.example.co.id."), "mail me: [email].");
        assert_eq!(r("<a_b-c@x-y.io>"), "<[email]>");
        assert_eq!(r("ana@gmail.com,bob@yahoo.com"), "[email],[email]");
        assert_eq!(r("josé@correo.es"), "[email]");
        assert_eq!(r("..x@y.com"), "..[email]");
        // not e-mails
        assert_eq!(r("@handle and a@b and x@y.1 and @ alone"), "@handle and a@b and x@y.1 and @ alone");
        assert_eq!(r("user@localhost"), "user@localhost");
        assert_eq!(r("a@.com"), "a@.com");
    }

    #[test]
    fn phones() {
        assert_eq!(r("call +62 812-3456-7890 now"), "call [phone] now");
        assert_eq!(r("call +1 (555) 123-4567"), "call [phone]");
        assert_eq!(r("(021) 555-1234 ok"), "[phone] ok");
        assert_eq!(r("0812 3456 7890"), "[phone]");
        assert_eq!(r("081234567890"), "[phone]");
        assert_eq!(r("555.123.4567"), "[phone]");
        assert_eq!(r("+66812345678"), "[phone]");
        assert_eq!(r("tel:0812345678;"), "tel:[phone];");
        // two numbers with one space between
        assert_eq!(r("0812345678 0898765432"), "[phone] [phone]");
    }

    /// Found by the `redaction` fuzz target: digits after an address were redacted as a phone,
    /// which left a valid address for a second pass.
    #[test]
    fn an_address_followed_by_a_digit_label_is_an_address_then_a_number() {
        let once = Redactor::new().redact("d@e.le.111111181");
        assert_eq!(once.text, "[email].[phone]");
        assert_eq!(Redactor::new().redact(&once.text).count, 0);
    }

    /// Found by the `redaction` fuzz target: the second number kept its `+` glued to the first
    /// and survived, then a second pass redacted it.
    #[test]
    fn numbers_glued_by_plus_are_both_phones_and_one_pass_is_enough() {
        let text = "111111111+111111111";
        let once = Redactor::new().redact(text);
        assert_eq!(once.text, "[phone]+[phone]");
        assert_eq!(Redactor::new().redact(&once.text).count, 0);
    }

    #[test]
    fn not_phones() {
        for text in [
            "MP1234567890",
            "my order MP1234567890 is late",
            "order mp 1234567890",
            "order MP-1234567890",
            "A123456789",
            "12345678",
            "555-1234",
            "on 2024-01-15 12:30",
            "on 15.01.2024 at 12",
            "paid 150.000 for 2 items",
            "123456789abc",
        ] {
            assert_eq!(r(text), text, "{text}");
        }
    }

    #[test]
    fn cards() {
        assert_eq!(r("card 4111 1111 1111 1111 exp"), "card [card] exp");
        assert_eq!(r("4111-1111-1111-1111"), "[card]");
        assert_eq!(r("4111111111111111"), "[card]");
        assert_eq!(r("amex 378282246310005."), "amex [card].");
        assert_eq!(r("4111 1111 1111 1111 2024"), "[card] 2024");
        assert_eq!(r("12 4111111111111111"), "12 [card]");
        // Luhn-invalid 16 digits are no card; the first 12 still look like a phone number
        assert_eq!(r("4111 1111 1111 1112"), "[phone] 1112");
        assert_eq!(r("4111111111111112"), "4111111111111112");
        // the kind is card, not phone
        let red = Redactor::new().redact("5555555555554444");
        assert_eq!(red.kinds, vec![RedactionKind::Card]);
    }

    #[test]
    fn kinds_and_count() {
        let red = Redactor::new().redact("a@b.co 0812345678 x@y.io");
        assert_eq!(red.kinds, vec![RedactionKind::Email, RedactionKind::Phone]);
        assert_eq!(red.count, 3);
        let clean = Redactor::new().redact("where is my parcel MP1234567890?");
        assert!(!clean.is_redacted());
        assert!(clean.kinds.is_empty());
        #[cfg(feature = "serde")]
        assert_eq!(serde_json::to_value(&red).unwrap()["kinds"], serde_json::json!(["email", "phone"]));
    }

    #[test]
    fn extra_patterns_and_merging() {
        let red = Redactor::new().with_pattern("secret-*").unwrap().with_pattern("MP##########").unwrap();
        let out = red.redact("secret-abc and MP1234567890 and secret- x");
        assert_eq!(out.text, "[redacted] and [redacted] and secret- x");
        assert_eq!(out.kinds, vec![RedactionKind::Custom]);
        // overlap with an e-mail: merged into one placeholder of the stronger kind
        let red = Redactor::new().with_pattern("x: #").unwrap();
        let out = red.redact("x: 1.c@x.com");
        assert_eq!(out.text, "[email]");
        assert_eq!(out.kinds, vec![RedactionKind::Email, RedactionKind::Custom]);
        assert!(Redactor::new().with_pattern("").is_err());
        let mut red = Redactor::new();
        assert!(red.add_pattern("@@-####").is_ok());
        assert_eq!(red.redact("id AB-1234").text, "id [redacted]");
    }

    #[test]
    fn switches() {
        let none = Redactor::new().emails(false).phones(false).cards(false);
        let text = "a@b.com 0812345678 4111111111111111";
        assert_eq!(none.redact(text).text, text);
        assert_eq!(Redactor::new().cards(false).redact("4111111111111111").text, "4111111111111111");
    }

    #[test]
    fn luhn_check() {
        let d = |s: &str| s.chars().filter_map(|c| c.to_digit(10)).collect::<Vec<_>>();
        assert!(luhn(&d("4111111111111111")));
        assert!(luhn(&d("79927398713")));
        assert!(!luhn(&d("79927398710")));
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for text in ["", "@", "@@", "a@", "@b.c", "+", "(", "((((", "+(1", "é@é.éé", "🙂@🙂.com", "1\u{a0}2"] {
            let _ = r(text);
        }
        assert_eq!(r("🙂 ana@x.io 🙂"), "🙂 [email] 🙂");
    }
}
