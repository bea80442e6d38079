//! Whether an LLM reply may be shown as an answer. A small model asked to answer only from the
//! passages still invents: a CEO called "\[Company Name\]", the weather in "\[city_name\]". A reply is
//! shown as an answer only when it cites at least one of the passages it was given and holds no
//! template placeholder; otherwise the widget says it is not sure and offers the related
//! articles and a person.
//!
//! ```
//! use llm_fallback::guard::{check, Verdict};
//!
//! let ids = ["track-order"];
//! assert_eq!(check("Open **Orders** and tap Track [track-order].", &ids), Verdict::Grounded);
//! assert_eq!(check("Our CEO is [Company Name].", &ids), Verdict::Placeholder("Company Name".into()));
//! assert_eq!(check("It will be sunny tomorrow.", &ids), Verdict::Uncited);
//! ```

use crate::citations::{split_citations, Segment};

/// What [`check`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Cites a passage it was given and holds no placeholder: show it as an answer.
    Grounded,
    /// Cites none of the passages.
    Uncited,
    /// Holds a template placeholder such as `[Company Name]` (its text).
    Placeholder(String),
}

impl Verdict {
    /// True for [`Verdict::Grounded`].
    pub fn is_grounded(&self) -> bool {
        *self == Verdict::Grounded
    }
}

/// The placeholders the widget's own redaction puts into questions: a reply that mentions them
/// speaks of the customer's data, it does not stand in for a fact.
const REDACTION_PLACEHOLDERS: [&str; 4] = ["email", "phone", "card", "redacted"];

/// Checks a finished reply against the ids of the passages sent with the request.
pub fn check<S: AsRef<str>>(reply: &str, passage_ids: &[S]) -> Verdict {
    let segments = split_citations(reply, passage_ids);
    for segment in &segments {
        if let Segment::Text(text) = segment {
            if let Some(found) = placeholder(text) {
                return Verdict::Placeholder(found.to_string());
            }
        }
    }
    if segments.iter().any(|s| matches!(s, Segment::Cite(_))) {
        Verdict::Grounded
    } else {
        Verdict::Uncited
    }
}

/// The first `[Words like these]` in `text` that is not a Markdown link's label: 2–40
/// characters of letters, digits, spaces, `_` or `-`, with a letter among them.
fn placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        let inner = &after[..close];
        let is_link = after[close + 1..].starts_with('(');
        let looks_like_one = (2..=40).contains(&inner.chars().count())
            && inner.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-'))
            && inner.chars().any(char::is_alphabetic)
            && !REDACTION_PLACEHOLDERS.contains(&inner.to_ascii_lowercase().as_str());
        if looks_like_one && !is_link {
            return Some(inner);
        }
        rest = &after[close..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_links_and_redactions_are_not() {
        let ids = ["a"];
        assert_eq!(check("The weather in [city_name] is fine [a].", &ids), Verdict::Placeholder("city_name".into()));
        assert_eq!(check("See the [Help Center](https://help.example) [a].", &ids), Verdict::Grounded);
        assert_eq!(check("We will call you at [phone] [a].", &ids), Verdict::Grounded);
        assert_eq!(check("[1] is not a word [a]", &ids), Verdict::Grounded);
        assert_eq!(check("unclosed [bracket and [a]", &ids), Verdict::Grounded);
        assert_eq!(check("no citation at all", &ids), Verdict::Uncited);
        assert_eq!(
            check("[refund-policy] is not a passage we sent", &ids),
            Verdict::Placeholder("refund-policy".into())
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_a_reply_without_brackets_is_uncited(text in "\\PC{0,200}") {
            let _ = check(&text, &["a"]);
            if !text.contains('[') {
                proptest::prop_assert_eq!(check(&text, &["a"]), Verdict::Uncited);
            }
        }
    }
}
