//! A tiny, case-insensitive glob used to validate flow slots (`? order_id MP########## -> …`)
//! and as configurable redaction patterns in the LLM fallback.
//!
//! Syntax:
//!
//! | token | matches                                                        |
//! |-------|----------------------------------------------------------------|
//! | `#`   | one ASCII digit `0`–`9`                                          |
//! | `@`   | one letter (any Unicode alphabetic character)                  |
//! | `*`   | a run of one or more characters                                |
//! | space | one whitespace character (space, tab, no-break space, …)      |
//! | other | that character, compared case-insensitively                    |
//!
//! There is no escaping: `#`, `@` and `*` are always wildcards.
//!
//! Two ways to match:
//!
//! * [`Pattern::is_match`] checks the *whole* text (ignoring leading and trailing whitespace);
//!   here `*` may span anything, including spaces. Used for flow slots.
//! * [`Pattern::find_iter`] / [`Pattern::find_all`] search inside a longer text for
//!   non-overlapping, leftmost-longest matches that do not cut through a word (a match may not
//!   start or end between two letters/digits). Here `*` does **not** cross whitespace, so a
//!   pattern such as `token-*` redacts one token rather than the rest of the message. Used
//!   for redaction.
//!
//! The module is self-contained (std only, no `crate::` paths): `llm-fallback` compiles this very
//! file into itself (`#[path]`) so that slot validation and redaction share one glob language.
//! Keep it that way.
//!
//! ```
//! use kb_core::pattern::Pattern;
//!
//! let order = Pattern::parse("MP##########").unwrap();
//! assert!(order.is_match(" mp1234567890 "));
//! assert!(!order.is_match("MP12345"));
//! assert_eq!(order.find_all("order MP1234567890, not MP12"), vec![(6, 18)]);
//! ```

use std::fmt;
use std::str::FromStr;

/// The longest accepted pattern, in characters. Keeps matching cost bounded.
pub const MAX_PATTERN_CHARS: usize = 256;

/// Why a pattern could not be parsed.
///
/// ```
/// use kb_core::pattern::{Pattern, PatternError};
///
/// assert_eq!(Pattern::parse("   "), Err(PatternError::Empty));
/// assert_eq!(Pattern::parse("ok").map(|p| p.as_str().to_string()), Ok("ok".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// The pattern is empty (or only whitespace).
    Empty,
    /// The pattern has more than [`MAX_PATTERN_CHARS`] characters.
    TooLong {
        /// Number of characters in the rejected pattern.
        chars: usize,
        /// The limit ([`MAX_PATTERN_CHARS`]).
        max: usize,
    },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Empty => f.write_str("empty pattern"),
            PatternError::TooLong { chars, max } => {
                write!(f, "pattern too long ({chars} characters, at most {max})")
            }
        }
    }
}

impl std::error::Error for PatternError {}

/// One compiled pattern element. `*` compiles to `One` followed by `Star`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Tok {
    /// `#`
    Digit,
    /// `@`
    Letter,
    /// first character of `*`
    One,
    /// zero or more further characters of `*`
    Star,
    /// a space in the pattern: one whitespace character
    Space,
    /// a literal character
    Lit(char),
}

/// A compiled glob pattern (see the [module documentation](self) for the syntax).
///
/// ```
/// use kb_core::pattern::Pattern;
///
/// let phone_ish = Pattern::parse("+## ###-####").unwrap();
/// assert!(phone_ish.is_match("+62 812-3456"));
///
/// let any = Pattern::parse("*").unwrap();
/// assert!(any.is_match("anything at all"));
/// assert!(!any.is_match("   "));
///
/// let code: Pattern = "code-@@##".parse().unwrap();
/// assert_eq!(code.find_all("use CODE-ab12 or code-xy99!"), vec![(4, 13), (17, 26)]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    source: String,
    toks: Vec<Tok>,
}

impl Pattern {
    /// Parses a pattern. Leading and trailing whitespace of `pattern` is ignored.
    ///
    /// # Errors
    /// [`PatternError::Empty`] for an empty/blank pattern, [`PatternError::TooLong`] above
    /// [`MAX_PATTERN_CHARS`] characters.
    ///
    /// ```
    /// use kb_core::pattern::Pattern;
    ///
    /// assert!(Pattern::parse("MP##########").is_ok());
    /// assert!(Pattern::parse("").is_err());
    /// ```
    pub fn parse(pattern: &str) -> Result<Pattern, PatternError> {
        let source = pattern.trim();
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        let chars = source.chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(PatternError::TooLong { chars, max: MAX_PATTERN_CHARS });
        }
        let mut toks = Vec::with_capacity(chars + 1);
        for c in source.chars() {
            match c {
                '#' => toks.push(Tok::Digit),
                '@' => toks.push(Tok::Letter),
                '*' => {
                    toks.push(Tok::One);
                    toks.push(Tok::Star);
                }
                c if c.is_whitespace() => toks.push(Tok::Space),
                c => toks.push(Tok::Lit(c)),
            }
        }
        Ok(Pattern { source: source.to_string(), toks })
    }

    /// The pattern text as written (trimmed).
    ///
    /// ```
    /// use kb_core::pattern::Pattern;
    /// assert_eq!(Pattern::parse(" MP## ").unwrap().as_str(), "MP##");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the whole `text` (leading/trailing whitespace ignored) matches the pattern.
    /// Here `*` matches any characters, whitespace included.
    ///
    /// ```
    /// use kb_core::pattern::Pattern;
    ///
    /// let p = Pattern::parse("MP##########").unwrap();
    /// assert!(p.is_match("MP1234567890"));
    /// assert!(p.is_match("  mp1234567890\n"));
    /// assert!(!p.is_match("MP1234567890X"));
    /// assert!(!p.is_match("my order is MP1234567890"));
    /// ```
    pub fn is_match(&self, text: &str) -> bool {
        let mut states = self.start_states();
        for c in text.trim().chars() {
            states = self.step(&states, c, false);
            if !states.iter().any(|&s| s) {
                return false;
            }
        }
        self.accepts(&states)
    }

    /// Iterates over the non-overlapping, leftmost-longest matches inside `text`, as byte
    /// ranges `(start, end)`. A match never starts or ends in the middle of a word (between two
    /// letters/digits/underscores) and `*` does not match whitespace.
    ///
    /// ```
    /// use kb_core::pattern::Pattern;
    ///
    /// let p = Pattern::parse("MP##########").unwrap();
    /// let text = "orders MP1234567890 and mp0000000001; XMP1234567890 is not one";
    /// let found: Vec<&str> = p.find_iter(text).map(|(s, e)| &text[s..e]).collect();
    /// assert_eq!(found, ["MP1234567890", "mp0000000001"]);
    /// ```
    pub fn find_iter<'p, 't>(&'p self, text: &'t str) -> Matches<'p, 't> {
        Matches { pattern: self, text, pos: 0 }
    }

    /// All matches of [`find_iter`](Self::find_iter), collected.
    ///
    /// ```
    /// use kb_core::pattern::Pattern;
    ///
    /// let p = Pattern::parse("ref-*").unwrap();
    /// // longest: `*` takes the trailing "." too, but stops at whitespace
    /// assert_eq!(p.find_all("see ref-AB12 and ref-9."), vec![(4, 12), (17, 23)]);
    /// ```
    pub fn find_all(&self, text: &str) -> Vec<(usize, usize)> {
        self.find_iter(text).collect()
    }

    fn start_states(&self) -> Vec<bool> {
        let mut states = vec![false; self.toks.len() + 1];
        if let Some(first) = states.first_mut() {
            *first = true;
        }
        self.close(&mut states);
        states
    }

    /// Epsilon closure: a `Star` may be skipped.
    fn close(&self, states: &mut [bool]) {
        for i in 0..self.toks.len() {
            if self.toks.get(i) == Some(&Tok::Star) && states.get(i).copied().unwrap_or(false) {
                if let Some(next) = states.get_mut(i + 1) {
                    *next = true;
                }
            }
        }
    }

    fn step(&self, states: &[bool], c: char, search: bool) -> Vec<bool> {
        let mut next = vec![false; self.toks.len() + 1];
        for (i, tok) in self.toks.iter().enumerate() {
            if !states.get(i).copied().unwrap_or(false) {
                continue;
            }
            let ok = match *tok {
                Tok::Digit => c.is_ascii_digit(),
                Tok::Letter => c.is_alphabetic(),
                Tok::One | Tok::Star => !(search && c.is_whitespace()),
                Tok::Space => c.is_whitespace(),
                Tok::Lit(p) => same_char(p, c),
            };
            if !ok {
                continue;
            }
            let target = if *tok == Tok::Star { i } else { i + 1 };
            if let Some(slot) = next.get_mut(target) {
                *slot = true;
            }
        }
        self.close(&mut next);
        next
    }

    fn accepts(&self, states: &[bool]) -> bool {
        states.last().copied().unwrap_or(false)
    }

    /// Longest match starting at byte `start` whose end is a valid word boundary.
    fn longest_at(&self, text: &str, start: usize) -> Option<usize> {
        let rest = text.get(start..)?;
        let mut states = self.start_states();
        let mut best = None;
        let mut chars = rest.char_indices().peekable();
        while let Some((off, c)) = chars.next() {
            states = self.step(&states, c, true);
            if !states.iter().any(|&s| s) {
                break;
            }
            if self.accepts(&states) {
                let next = chars.peek().map(|&(_, n)| n);
                if !(next.is_some_and(is_word) && is_word(c)) {
                    best = Some(start + off + c.len_utf8());
                }
            }
        }
        best
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Iterator over the matches of a [`Pattern`] in a text; see [`Pattern::find_iter`].
#[derive(Debug, Clone)]
pub struct Matches<'p, 't> {
    pattern: &'p Pattern,
    text: &'t str,
    pos: usize,
}

impl Iterator for Matches<'_, '_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let rest = self.text.get(self.pos..)?;
        let mut prev = self.text.get(..self.pos).and_then(|t| t.chars().next_back());
        for (off, c) in rest.char_indices() {
            let start = self.pos + off;
            let boundary_ok = !(prev.is_some_and(is_word) && is_word(c));
            prev = Some(c);
            if !boundary_ok {
                continue;
            }
            if let Some(end) = self.pattern.longest_at(self.text, start) {
                self.pos = end;
                return Some((start, end));
            }
        }
        self.pos = self.text.len();
        None
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn same_char(p: char, c: char) -> bool {
    p == c || p.to_lowercase().eq(c.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::parse(s).unwrap()
    }

    #[test]
    fn parse_errors() {
        assert_eq!(Pattern::parse(""), Err(PatternError::Empty));
        assert_eq!(Pattern::parse(" \t\n"), Err(PatternError::Empty));
        let long = "#".repeat(MAX_PATTERN_CHARS + 1);
        assert_eq!(
            Pattern::parse(&long),
            Err(PatternError::TooLong { chars: MAX_PATTERN_CHARS + 1, max: MAX_PATTERN_CHARS })
        );
        assert!(Pattern::parse(&"#".repeat(MAX_PATTERN_CHARS)).is_ok());
        assert_eq!(PatternError::Empty.to_string(), "empty pattern");
        assert!("".parse::<Pattern>().is_err());
    }

    #[test]
    fn digits_letters_literals() {
        assert!(p("##").is_match("42"));
        assert!(!p("##").is_match("4"));
        assert!(!p("##").is_match("423"));
        assert!(!p("##").is_match("4a"));
        assert!(!p("#").is_match("٣"), "only ASCII digits");
        assert!(p("@@").is_match("ab"));
        assert!(p("@@").is_match("éß"));
        assert!(p("@").is_match("ก"));
        assert!(!p("@").is_match("1"));
        assert!(p("abc").is_match("ABC"));
        assert!(p("ÉTÉ").is_match("été"));
        assert!(!p("abc").is_match("abd"));
    }

    #[test]
    fn star_is_one_or_more() {
        assert!(p("*").is_match("x"));
        assert!(p("*").is_match("hello world"));
        assert!(!p("*").is_match(""));
        assert!(!p("*").is_match("   "));
        assert!(p("a*b").is_match("axxb"));
        assert!(p("a*b").is_match("a b"));
        assert!(!p("a*b").is_match("ab"));
        assert!(p("a**").is_match("abc"));
        assert!(!p("a**").is_match("ab"));
        assert!(p("*@").is_match("12x"));
        assert!(p("*-*-*").is_match("a-b-c-d"));
    }

    #[test]
    fn whitespace_handling() {
        assert!(p("MP##########").is_match("  MP1234567890\t"));
        assert!(p("## ##").is_match("12\u{a0}34"));
        assert!(p("## ##").is_match("12\t34"));
        assert!(!p("## ##").is_match("1234"));
    }

    #[test]
    fn slot_pattern_from_format_doc() {
        let order = p("MP##########");
        assert!(order.is_match("MP1234567890"));
        assert!(order.is_match("mp1234567890"));
        assert!(!order.is_match("MP123456789"));
        assert!(!order.is_match("MP12345678901"));
        assert!(!order.is_match("XP1234567890"));
    }

    #[test]
    fn find_all_respects_word_boundaries() {
        let order = p("MP##########");
        assert_eq!(order.find_all("MP1234567890"), vec![(0, 12)]);
        assert!(order.find_all("XMP1234567890").is_empty());
        assert!(order.find_all("MP12345678901").is_empty());
        assert_eq!(order.find_all("(MP1234567890)"), vec![(1, 13)]);
        assert_eq!(order.find_all("a MP1234567890 b mp0000000000"), vec![(2, 14), (17, 29)]);

        // a pattern starting with a non-word char may follow a word char
        assert_eq!(p("-##").find_all("ab-12"), vec![(2, 5)]);
        assert!(p("##").find_all("ab12").is_empty());
    }

    #[test]
    fn find_all_leftmost_longest_and_star_stops_at_whitespace() {
        assert_eq!(p("ref-*").find_all("ref-abc def"), vec![(0, 7)]);
        assert_eq!(p("*").find_all("ab cd"), vec![(0, 2), (3, 5)]);
        // longest, but must end at a boundary: "ab-cd" stops before "!"? '!' is not a word char
        assert_eq!(p("a*").find_all("ab-cd!"), vec![(0, 6)]);
        assert_eq!(p("#*#").find_all("1x2 3"), vec![(0, 3)]);
        // non-overlapping
        assert_eq!(p("##").find_all("12 34 56"), vec![(0, 2), (3, 5), (6, 8)]);
    }

    #[test]
    fn find_all_byte_offsets_with_multibyte_text() {
        let text = "é ÉTÉ été!";
        let found: Vec<&str> = p("été").find_iter(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["ÉTÉ", "été"]);
    }

    #[test]
    fn no_panic_on_odd_inputs() {
        let pats = ["*", "#", "@", " ", "a b", "**", "*#*", "é", "\u{0}"];
        let texts = ["", " ", "\u{0}", "ééé", "a\u{300}b", "🙂🙂", "12 34", "\r\n", "x\u{feff}"];
        for pat in pats {
            let Ok(pat) = Pattern::parse(pat) else { continue };
            for t in texts {
                let _ = pat.is_match(t);
                for (s, e) in pat.find_all(t) {
                    assert!(s < e && t.is_char_boundary(s) && t.is_char_boundary(e));
                }
            }
        }
    }

    #[test]
    fn display_and_as_str() {
        let pat = p("  Ab#  ");
        assert_eq!(pat.as_str(), "Ab#");
        assert_eq!(pat.to_string(), "Ab#");
    }
}
