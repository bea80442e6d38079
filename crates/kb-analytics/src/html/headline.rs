//! The top of the report page: the headline figures as cards, each with its change against the
//! previous period, and the bars of where the questions went, how the sessions that asked
//! something ended, and the thumbs.

use std::fmt::Write as _;

use super::note;
use super::text::{escape, num, pct, signed};
use crate::report::Figures;

fn rate(f: &Figures, name: &str) -> Option<f64> {
    f.rates.get(name).copied().flatten()
}

fn path_count(f: &Figures, name: &str) -> u64 {
    f.paths.get(name).copied().unwrap_or(0)
}

/// Whether a rise is good, bad, or neither (volumes).
#[derive(Clone, Copy)]
enum Better {
    Up,
    Neither,
}

/// A rate's change in points, as a badge.
fn change_pt(now: Option<f64>, before: Option<f64>, better: Better) -> String {
    let (Some(a), Some(b)) = (now, before) else { return String::new() };
    let points = 100.0 * (a - b);
    badge(points, &format!("{} pt", signed(points, 1)), better, 0.05)
}

/// A count's relative change, as a badge.
fn change_count(now: u64, before: u64) -> String {
    if before == 0 {
        return if now > 0 { "<span class=\"chg flat\">new</span>".to_string() } else { String::new() };
    }
    let percent = 100.0 * (now as f64 - before as f64) / before as f64;
    badge(percent, &format!("{}%", signed(percent, 0)), Better::Neither, 0.5)
}

/// A change as a badge: green or red when `better` says which way is good, grey when it is
/// smaller than `flat` or neither way is.
fn badge(delta: f64, text: &str, better: Better, flat: f64) -> String {
    let (arrow, class) = if delta.abs() < flat {
        ("", "flat")
    } else if delta > 0.0 {
        ("▲ ", if matches!(better, Better::Up) { "good" } else { "flat" })
    } else {
        ("▼ ", if matches!(better, Better::Up) { "bad" } else { "flat" })
    };
    format!("<span class=\"chg {class}\">{arrow}{}</span>", escape(text))
}

/// The row of headline figures.
pub(super) fn cards(t: &Figures, p: Option<&Figures>) -> String {
    let mut h = String::from("<section class=\"cards\" aria-label=\"Headline figures\">\n");
    let per_session = if t.sessions > 0 {
        format!("{:.1} questions each", t.questions as f64 / t.sessions as f64)
    } else {
        String::new()
    };
    let card = |h: &mut String, label: &str, value: String, detail: String, change: String| {
        let change = if p.is_some() && !change.is_empty() {
            format!("<div class=\"delta\">{change} <span class=\"vs\">vs before</span></div>")
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"note\">{}</div>{change}</div>",
            escape(label),
            escape(&value),
            escape(&detail)
        );
    };
    card(
        &mut h,
        "Sessions",
        num(t.sessions),
        per_session,
        p.map_or_else(String::new, |p| change_count(t.sessions, p.sessions)),
    );
    card(
        &mut h,
        "Questions",
        num(t.questions),
        format!("{} got no answer", pct(t.no_answer_rate)),
        p.map_or_else(String::new, |p| change_count(t.questions, p.questions)),
    );
    card(
        &mut h,
        "Answered locally",
        pct(rate(t, "answer_rate")),
        format!("{} of {} questions", num(path_count(t, "answer")), num(t.questions)),
        change_pt(rate(t, "answer_rate"), p.and_then(|p| rate(p, "answer_rate")), Better::Up),
    );
    let r = &t.resolution;
    card(
        &mut h,
        "Resolution rate",
        pct(r.resolution_rate),
        format!("{} sessions asked · {} confirmed", num(r.asked), pct(r.confirmed_rate)),
        change_pt(r.resolution_rate, p.and_then(|p| p.resolution.resolution_rate), Better::Up),
    );
    card(
        &mut h,
        "Helpful",
        pct(t.helpful_rate),
        format!("of {} thumbs up or down", num(t.feedback)),
        change_pt(t.helpful_rate, p.and_then(|p| p.helpful_rate), Better::Up),
    );
    let llm_note = match (t.llm.calls, t.llm.median_ttft_ms) {
        (0, _) => "no request sent".to_string(),
        (_, Some(ms)) => format!("first token {} ms · {} unsure", num(ms.round() as u64), pct(t.llm.unsure_rate)),
        (_, None) => format!("{} unsure", pct(t.llm.unsure_rate)),
    };
    card(
        &mut h,
        "LLM calls",
        num(t.llm.calls),
        llm_note,
        p.map_or_else(String::new, |p| change_count(t.llm.calls, p.llm.calls)),
    );
    h.push_str("</section>\n");
    h
}

/// A horizontal bar of shares, with its legend: (class, label, count).
fn stack(label: &str, parts: &[(&str, &str, u64)], total: u64) -> String {
    let mut bar = String::new();
    let mut keys = String::new();
    for (class, name, n) in parts {
        let share = if total > 0 { *n as f64 / total as f64 } else { 0.0 };
        if *n > 0 {
            let _ = write!(
                bar,
                "<span class=\"seg {class}\" style=\"width:{:.3}%\" title=\"{}: {} ({})\"></span>",
                100.0 * share,
                escape(name),
                num(*n),
                pct(Some(share))
            );
        }
        let _ = write!(
            keys,
            "<li><span class=\"sw {class}\"></span>{} <b>{}</b> <span class=\"n\">{}</span></li>",
            escape(name),
            pct((total > 0).then_some(share)),
            num(*n)
        );
    }
    format!(
        "<div class=\"stack\" role=\"img\" aria-label=\"{}\">{bar}</div><ul class=\"keys\">{keys}</ul>\n",
        escape(label)
    )
}

/// Where the questions went, how the sessions ended, and the thumbs.
pub(super) fn outcomes(t: &Figures) -> String {
    let mut h = String::from("<section class=\"panel\" id=\"outcomes\"><h2>Where the questions went</h2>\n");
    if t.questions == 0 {
        h.push_str(&note("No questions in this period."));
    } else {
        // The LLM answered the fallbacks that are not "no answer" (metrics.md: no_answer counts
        // fallback and no_knowledge questions the LLM did not answer).
        let fell = path_count(t, "fallback") + path_count(t, "no_knowledge");
        let no_answer = t.no_answer_rate.map_or(0, |r| (r * t.questions as f64).round() as u64).min(fell);
        h.push_str(&stack(
            "Questions by outcome",
            &[
                ("answer", "Answered locally", path_count(t, "answer")),
                ("clarify", "Did you mean", path_count(t, "clarify")),
                ("llm", "Answered by the LLM", fell - no_answer),
                ("none", "No answer", no_answer),
                ("handoff", "Asked for a person", path_count(t, "handoff")),
                ("reply", "Small talk or declined", path_count(t, "reply")),
            ],
            t.questions,
        ));
    }
    let r = &t.resolution;
    h.push_str("<h3>How the sessions that asked something ended</h3>\n");
    if r.asked == 0 {
        h.push_str(&note("No session asked a question."));
    } else {
        h.push_str(&stack(
            "Sessions by resolution",
            &[
                ("answer", "Confirmed solved", r.confirmed),
                ("assumed", "Assumed solved", r.assumed),
                ("none", "Unresolved", r.unresolved),
            ],
            r.asked,
        ));
    }
    h.push_str("<h3>Thumbs up and down</h3>\n");
    if t.feedback == 0 {
        h.push_str(&note("No feedback in this period."));
    } else {
        let up = t.helpful_rate.map_or(0, |r| (r * t.feedback as f64).round() as u64).min(t.feedback);
        h.push_str(&stack(
            "Feedback",
            &[("answer", "Helpful", up), ("none", "Not helpful", t.feedback - up)],
            t.feedback,
        ));
        if !t.feedback_reasons.is_empty() {
            let reasons: Vec<String> = t
                .feedback_reasons
                .iter()
                .map(|(reason, n)| format!("{} <b>{}</b>", escape(&reason_name(reason)), num(*n)))
                .collect();
            let _ = writeln!(h, "<p class=\"reasons\">Reasons given after a thumbs-down: {}</p>", reasons.join(" · "));
        }
    }
    h.push_str("</section>\n");
    h
}

/// A feedback reason as words: `not_my_question` as "not my question".
fn reason_name(reason: &str) -> String {
    reason.replace('_', " ")
}
