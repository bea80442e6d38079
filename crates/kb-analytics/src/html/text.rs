//! Text for people on the report page: HTML escaping, numbers, shares, signed changes, dates
//! and periods.

use chrono::NaiveDate;

/// Escapes `text` for HTML text and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `12345` as "12,345".
pub(super) fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share as "12.3%", "—" when there is none.
pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |x| format!("{:.1}%", 100.0 * x))
}

/// `x` with `decimals` and its sign: "+2.1", "−5.0" (a true minus sign), "±0.0" when it rounds to
/// zero.
pub(super) fn signed(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    if text.chars().all(|c| c == '0' || c == '.') {
        format!("±{text}")
    } else if x > 0.0 {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

/// Cuts `text` to `max` characters with an ellipsis.
pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// `2026-12-01`, `2026-12-07` as "1 Dec – 7 Dec 2026".
pub(super) fn span(from: &str, to: &str) -> String {
    match (day(from), day(to)) {
        (Some(a), Some(b)) if a == b => a.format("%-d %b %Y").to_string(),
        (Some(a), Some(b)) if a.format("%Y").to_string() == b.format("%Y").to_string() => {
            format!("{} – {}", a.format("%-d %b"), b.format("%-d %b %Y"))
        }
        (Some(a), Some(b)) => format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y")),
        _ => format!("{from} – {to}"),
    }
}

/// `2026-12-04` as "4 Dec".
pub(super) fn short_day(text: &str) -> String {
    day(text).map_or_else(|| clip(text, 10), |d| d.format("%-d %b").to_string())
}

/// Days from `from` to `to`, both included.
pub(super) fn day_count(from: &str, to: &str) -> Option<i64> {
    Some((day(to)? - day(from)?).num_days() + 1)
}

/// The period of the same length just before `[from, to]`.
pub(super) fn previous_period(from: &str, to: &str) -> Option<(String, String)> {
    let n = day_count(from, to)?;
    let end = day(from)?.pred_opt()?;
    let start = end - chrono::Duration::days(n - 1);
    Some((start.format("%Y-%m-%d").to_string(), end.format("%Y-%m-%d").to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_in_text_and_attributes() {
        assert_eq!(
            escape(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("ไม่มีพัสดุ"), "ไม่มีพัสดุ", "other text passes through");
    }

    #[test]
    fn numbers_and_changes_read_as_people_write_them() {
        assert_eq!((num(1234567), num(123456), num(12)), ("1,234,567".into(), "123,456".into(), "12".into()));
        assert_eq!((pct(Some(0.4567)), pct(None)), ("45.7%".into(), "—".into()));
        assert_eq!(
            (signed(2.06, 1), signed(-5.0, 1), signed(-0.04, 1), signed(0.0, 0)),
            ("+2.1".into(), "−5.0".into(), "±0.0".into(), "±0".into())
        );
        assert_eq!((clip("abcdef", 4), clip("abc", 4)), ("abc…".into(), "abc".into()));
    }

    #[test]
    fn periods_read_as_dates() {
        assert_eq!(span("2026-12-01", "2026-12-07"), "1 Dec – 7 Dec 2026");
        assert_eq!(span("2026-12-28", "2027-01-03"), "28 Dec 2026 – 3 Jan 2027");
        assert_eq!(span("2026-12-04", "2026-12-04"), "4 Dec 2026");
        assert_eq!(short_day("2026-12-04"), "4 Dec");
        assert_eq!(day_count("2026-11-28", "2026-12-04"), Some(7));
        assert_eq!(previous_period("2026-12-01", "2026-12-07"), Some(("2026-11-24".into(), "2026-11-30".into())));
        assert_eq!(previous_period("someday", "2026-12-07"), None);
    }
}
