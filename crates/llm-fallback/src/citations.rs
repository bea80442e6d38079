//! Citations in model output: `[entry-id]` markers that name one of the passages sent with the
//! request become [`Segment::Cite`]; everything else (unknown ids, Markdown links, stray
//! brackets) stays text.
//!
//! Matching is case-insensitive and ignores spaces inside the brackets; the segment carries
//! the id as given in the passage list. A bracket may list several ids (`[a, b]` or `[a; b]`)
//! if all are known. `[label](url)` is a Markdown link, never a citation. Safe to call on a
//! partial, still-streaming reply: an unclosed `[` is plain text until its `]` arrives.

/// A piece of model output.
///
/// ```
/// use llm_fallback::citations::{split_citations, Segment};
///
/// let segs = split_citations("Tap Track [track-order]. See [FAQ].", &["track-order"]);
/// assert_eq!(segs, vec![
///     Segment::Text("Tap Track ".into()),
///     Segment::Cite("track-order".into()),
///     Segment::Text(". See [FAQ].".into()),
/// ]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", content = "value", rename_all = "lowercase"))]
pub enum Segment {
    /// Plain text (Markdown as the model wrote it).
    Text(String),
    /// A citation of the passage with this entry id.
    Cite(String),
}

/// Splits `text` into text and citation segments. Adjacent text is merged; empty text
/// segments are not produced.
///
/// ```
/// use llm_fallback::citations::{split_citations, Segment};
///
/// let ids = ["track-order", "parcel-late"];
/// assert_eq!(
///     split_citations("Late? [Track-Order; parcel-late]", &ids),
///     vec![
///         Segment::Text("Late? ".into()),
///         Segment::Cite("track-order".into()),
///         Segment::Cite("parcel-late".into()),
///     ]
/// );
/// assert_eq!(
///     split_citations("[track-order](https://x.example)", &ids),
///     vec![Segment::Text("[track-order](https://x.example)".into())]
/// );
/// ```
pub fn split_citations<S: AsRef<str>>(text: &str, known_ids: &[S]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut text_buf = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (before, from_open) = rest.split_at(open);
        text_buf.push_str(before);
        let inner_and_after = from_open.get(1..).unwrap_or("");
        let close = inner_and_after.find(']');
        let nested = inner_and_after.find('[');
        let cites = match close {
            Some(c) if nested.is_none_or(|n| n > c) => {
                let inner = inner_and_after.get(..c).unwrap_or("");
                let after = inner_and_after.get(c + 1..).unwrap_or("");
                if after.starts_with('(') {
                    None
                } else {
                    resolve(inner, known_ids).map(|ids| (ids, after))
                }
            }
            _ => None,
        };
        match cites {
            Some((ids, after)) => {
                if !text_buf.is_empty() {
                    out.push(Segment::Text(std::mem::take(&mut text_buf)));
                }
                out.extend(ids.into_iter().map(Segment::Cite));
                rest = after;
            }
            None => {
                text_buf.push('[');
                rest = inner_and_after;
            }
        }
    }
    text_buf.push_str(rest);
    if !text_buf.is_empty() {
        out.push(Segment::Text(text_buf));
    }
    out
}

/// The ids of a bracket's content if every listed id is known.
fn resolve<S: AsRef<str>>(inner: &str, known_ids: &[S]) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    for part in inner.split([',', ';']) {
        let part = part.trim();
        if part.is_empty() {
            return None;
        }
        let known = known_ids.iter().map(AsRef::as_ref).find(|id| id.eq_ignore_ascii_case(part))?;
        ids.push(known.to_string());
    }
    (!ids.is_empty()).then_some(ids)
}

/// The distinct ids cited in `segments`, in order of first citation.
///
/// ```
/// use llm_fallback::citations::{cited_ids, split_citations};
/// let segs = split_citations("[a] x [b] y [a]", &["a", "b"]);
/// assert_eq!(cited_ids(&segs), vec!["a", "b"]);
/// ```
pub fn cited_ids(segments: &[Segment]) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for seg in segments {
        if let Segment::Cite(id) = seg {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The text of `segments` without its citation markers. A marker's own spacing goes with it:
/// "Tap **Track** [track-order]." becomes "Tap **Track**.", not "Tap **Track** .", and a marker
/// between two words leaves one space.
///
/// ```
/// use llm_fallback::citations::{drop_citations, split_citations};
///
/// let ids = ["track-order", "parcel-late"];
/// assert_eq!(drop_citations(&split_citations("Tap **Track** [track-order].", &ids)), "Tap **Track**.");
/// assert_eq!(drop_citations(&split_citations("Wait [parcel-late]then ask", &ids)), "Wait then ask");
/// ```
pub fn drop_citations(segments: &[Segment]) -> String {
    let mut out = String::new();
    let mut after_cite = false;
    for segment in segments {
        match segment {
            Segment::Cite(_) => {
                if !after_cite {
                    let kept = out.trim_end_matches([' ', '\t']).len();
                    out.truncate(kept);
                }
                after_cite = true;
            }
            Segment::Text(t) => {
                let glued = t.starts_with(['.', ',', ';', ':', '!', '?', ')']);
                if after_cite && !glued && !out.is_empty() && !t.starts_with(char::is_whitespace) {
                    out.push(' ');
                }
                out.push_str(t);
                after_cite = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Segment {
        Segment::Text(s.into())
    }
    fn c(s: &str) -> Segment {
        Segment::Cite(s.into())
    }

    const IDS: [&str; 3] = ["track-order", "refund-time", "cancel-order"];

    #[test]
    fn plain_and_empty() {
        assert!(split_citations("", &IDS).is_empty());
        assert_eq!(split_citations("no cites", &IDS), vec![t("no cites")]);
        let none: [&str; 0] = [];
        assert_eq!(split_citations("[track-order]", &none), vec![t("[track-order]")]);
    }

    #[test]
    fn cites_in_positions() {
        assert_eq!(split_citations("[track-order]", &IDS), vec![c("track-order")]);
        assert_eq!(
            split_citations("a [refund-time][cancel-order] b", &IDS),
            vec![t("a "), c("refund-time"), c("cancel-order"), t(" b")]
        );
        assert_eq!(split_citations("[ track-order ]", &IDS), vec![c("track-order")]);
        assert_eq!(split_citations("[TRACK-ORDER]", &IDS), vec![c("track-order")]);
    }

    #[test]
    fn unknown_partial_and_nested() {
        assert_eq!(split_citations("[unknown] ok", &IDS), vec![t("[unknown] ok")]);
        assert_eq!(split_citations("[track-order, nope]", &IDS), vec![t("[track-order, nope]")]);
        assert_eq!(split_citations("[track-order,]", &IDS), vec![t("[track-order,]")]);
        assert_eq!(split_citations("[]", &IDS), vec![t("[]")]);
        assert_eq!(split_citations("streaming [track-or", &IDS), vec![t("streaming [track-or")]);
        assert_eq!(split_citations("[[track-order]]", &IDS), vec![t("["), c("track-order"), t("]")]);
        assert_eq!(split_citations("a ] b [ c", &IDS), vec![t("a ] b [ c")]);
    }

    #[test]
    fn markdown_links_are_text() {
        assert_eq!(
            split_citations("see [Orders](https://x) [track-order]", &IDS),
            vec![t("see [Orders](https://x) "), c("track-order")]
        );
    }

    #[test]
    fn owned_ids_and_unicode() {
        let ids = vec!["track-order".to_string()];
        assert_eq!(split_citations("ดูที่ [track-order] 🙂", &ids), vec![t("ดูที่ "), c("track-order"), t(" 🙂")]);
    }

    #[test]
    #[cfg(feature = "serde")]
    fn serde_shape() {
        assert_eq!(serde_json::to_string(&c("a")).unwrap(), r#"{"type":"cite","value":"a"}"#);
    }

    #[test]
    fn dropping_markers_keeps_words_apart_and_punctuation_glued() {
        let ids = ["a", "b"];
        let drop = |t: &str| drop_citations(&split_citations(t, &ids));
        assert_eq!(drop("Open Orders [a]. Then tap Track [a][b]!"), "Open Orders. Then tap Track!");
        assert_eq!(drop("First [a] then [b] done"), "First then done");
        assert_eq!(drop("[a]Starts here"), "Starts here");
        assert_eq!(drop("Ends here [b]"), "Ends here");
        assert_eq!(drop("Not a [citation] here"), "Not a [citation] here");
    }
}
