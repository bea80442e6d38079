//! The report's tables: the what-if near the threshold in force, the days, the flows, the
//! entries to look at, the top unanswered questions, the languages and audiences, and the LLM
//! fallback. Every text from events is escaped here.

use std::fmt::Write as _;

use super::charts::scored;
use super::text::{clip, escape, num, pct};
use super::{by_starts, note};
use crate::report::{Figures, FlowFigures, Report, Slice, WhatIf, MIN_VIEWS};
use crate::unanswered::{GroupKey, Unanswered};

/// The curve's figures around the threshold in force.
pub(super) fn what_if_table(w: &WhatIf) -> String {
    if !scored(w) || w.points.is_empty() {
        return String::new();
    }
    let nearest = w.threshold_in_force.map(|t| {
        w.points
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1.threshold - t).abs().total_cmp(&(b.1.threshold - t).abs()))
            .map_or(0, |(i, _)| i)
    });
    let centre = nearest.unwrap_or(w.points.len() / 2);
    let from = centre.saturating_sub(4);
    let to = (centre + 5).min(w.points.len());
    let mut h = String::from(
        "<section class=\"panel\" id=\"whatif-table\"><h2>Moving the threshold</h2>\
         <p class=\"caption\">The curve's values near the threshold in force (the curve is computed at steps of 0.05).</p>\
         <table><thead><tr><th>Answer threshold</th><th class=\"num\">Answered locally</th><th class=\"num\">Would fall back</th><th class=\"num\">Estimated precision</th></tr></thead><tbody>\n",
    );
    for (i, p) in w.points.iter().enumerate().take(to).skip(from) {
        let current = Some(i) == nearest;
        let mark = match (current, w.threshold_in_force) {
            (true, Some(t)) => format!(" <span class=\"tag\">nearest to {t:.2} in force</span>"),
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr{}><td>{:.2}{mark}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if current { " class=\"current\"" } else { "" },
            p.threshold,
            pct(p.answer_rate),
            pct(p.fallback_rate),
            pct(p.precision)
        );
    }
    h.push_str("</tbody></table></section>\n");
    h
}

/// Per-day figures, folded.
pub(super) fn days_table(days: &[Slice]) -> String {
    let mut h = String::from(
        "<details class=\"fold\"><summary>Per day figures</summary><table><thead><tr><th>Day</th><th class=\"num\">Sessions</th><th class=\"num\">Questions</th><th class=\"num\">Answered locally</th></tr></thead><tbody>\n",
    );
    for d in days {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&d.key),
            num(d.sessions.unwrap_or(0)),
            num(d.questions),
            pct(d.answer_rate)
        );
    }
    h.push_str("</tbody></table></details>\n");
    h
}

/// Every flow, with the step most left at.
pub(super) fn flows_table(flows: &[FlowFigures]) -> String {
    let mut h = String::from(
        "<table class=\"flows\"><thead><tr><th>Flow</th><th class=\"num\">Started</th><th class=\"num\">Finished</th><th class=\"num\">Completion</th><th class=\"num\">Left</th><th>Most left at</th></tr></thead><tbody>\n",
    );
    for f in by_starts(flows) {
        let left: u64 = f.steps.iter().map(|s| s.abandoned).sum();
        let worst = f
            .steps
            .iter()
            .filter(|s| s.abandoned > 0)
            .max_by(|a, b| a.abandoned.cmp(&b.abandoned).then(b.step.cmp(&a.step)));
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&f.flow),
            num(f.starts),
            num(f.finished),
            pct(f.completion_rate),
            num(left),
            worst.map_or_else(|| "—".to_string(), |s| format!("<code>{}</code> ({})", escape(&s.step), num(s.abandoned)))
        );
    }
    h.push_str("</tbody></table>\n");
    h
}

/// How many entries to look at the page lists.
const WORST_ENTRIES: usize = 10;

/// The entries to look at.
pub(super) fn worst_entries(report: &Report) -> String {
    let mut h = format!(
        "<section class=\"panel\" id=\"entries\"><h2>Entries to look at</h2>\
         <p class=\"caption\">Entries viewed {MIN_VIEWS} times or more, worst first: the lowest helpful share, or the most views followed by a fallback, a handoff or a rephrase (another question within a minute).</p>\n",
    );
    let worst = report.entries_to_look_at();
    if worst.is_empty() {
        let judged = report.entries.iter().filter(|e| e.views >= MIN_VIEWS).count();
        h.push_str(&note(&if judged == 0 {
            format!("No entry was viewed {MIN_VIEWS} times or more.")
        } else {
            format!("None of the {judged} entries viewed {MIN_VIEWS} times or more had a thumbs-down or a view followed by trouble.")
        }));
        h.push_str("</section>\n");
        return h;
    }
    h.push_str(
        "<table><thead><tr><th>Entry</th><th class=\"num\">Views</th><th class=\"num\">Helpful</th><th class=\"num\">Then fallback</th><th class=\"num\">Then handoff</th><th class=\"num\">Rephrased</th></tr></thead><tbody>\n",
    );
    let share = |n: u64, of: u64| {
        let s = n as f64 / of.max(1) as f64;
        let class = if s >= 0.3 { " class=\"num warn\"" } else { " class=\"num\"" };
        format!("<td{class}>{} <span class=\"n\">{}</span></td>", num(n), pct(Some(s)))
    };
    for e in worst.into_iter().take(WORST_ENTRIES) {
        let helpful = match e.helpful_rate {
            Some(r) => format!(
                "<td class=\"num{}\">{} <span class=\"n\">of {}</span></td>",
                if r < 0.5 { " warn" } else { "" },
                pct(Some(r)),
                num(e.helpful + e.not_helpful)
            ),
            None => "<td class=\"num\"><span class=\"n\">no ratings</span></td>".to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td>{helpful}{}{}{}</tr>",
            escape(&e.entry),
            num(e.views),
            share(e.followed_by_fallback, e.views),
            share(e.followed_by_handoff, e.views),
            share(e.followed_by_rephrase, e.views)
        );
    }
    h.push_str("</tbody></table></section>\n");
    h
}

/// The top unanswered questions.
pub(super) fn unanswered(u: &Unanswered) -> String {
    let mut h = format!(
        "<section class=\"panel\" id=\"unanswered\"><h2>Top unanswered questions</h2>\
         <p class=\"caption\">The {} questions that fell back (to the LLM or a person) or found no knowledge, grouped by their text \
         (sent only by pages with <code>data-collect-text=\"redacted\"</code>), else by the entry ranked first, the nearest the knowledge came.</p>\n",
        num(u.questions)
    );
    if u.groups.is_empty() {
        h.push_str(&note("No question fell back in this period."));
        h.push_str("</section>\n");
        return h;
    }
    h.push_str(
        "<table><thead><tr><th>Question</th><th class=\"num\">Fell back</th><th class=\"num\">No answer</th><th>Entry ranked first</th></tr></thead><tbody>\n",
    );
    for g in &u.groups {
        let question = match (&g.key, &g.example) {
            (GroupKey::Text(_), Some(text)) => escape(text),
            (GroupKey::Text(key), None) => escape(key),
            (GroupKey::Entry(_) | GroupKey::Unmatched, _) => "<span class=\"n\">no text sent</span>".to_string(),
        };
        let entry = g.top_entry.as_deref().map_or_else(
            || "<span class=\"n\">nothing matched</span>".to_string(),
            |e| format!("<code>{}</code>", escape(e)),
        );
        let _ = writeln!(
            h,
            "<tr><td>{question}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{entry}</td></tr>",
            num(g.questions),
            num(g.no_answer)
        );
    }
    h.push_str("</tbody></table>\n");
    if u.undercount > 0 {
        h.push_str(&note(&format!(
            "Too many different questions to count each one: the counts are lower bounds, short by at most {}.",
            num(u.undercount)
        )));
    }
    h.push_str("</section>\n");
    h
}

/// Questions and local answers per locale or audience.
pub(super) fn slice_table(id: &str, title: &str, column: &str, slices: &[Slice], total: u64) -> String {
    let mut h = format!("<section class=\"panel\" id=\"{id}\"><h2>{}</h2>\n", escape(title));
    if slices.is_empty() {
        h.push_str(&note("No questions in this period."));
    } else {
        let _ = writeln!(
            h,
            "<table><thead><tr><th>{}</th><th class=\"num\">Questions</th><th class=\"num\">Share</th><th>Answered locally</th></tr></thead><tbody>",
            escape(column)
        );
        let mut v: Vec<&Slice> = slices.iter().collect();
        v.sort_by(|a, b| b.questions.cmp(&a.questions).then(a.key.cmp(&b.key)));
        for s in v {
            let share = (total > 0).then(|| s.questions as f64 / total as f64);
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"meter\"><span style=\"width:{:.1}%\"></span></span> {}</td></tr>",
                escape(&s.key),
                num(s.questions),
                pct(share),
                100.0 * s.answer_rate.unwrap_or(0.0),
                pct(s.answer_rate)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
    h
}

/// The LLM fallback: calls, unsure, first token, errors; and what the encoder tier kept from it.
pub(super) fn llm(t: &Figures) -> String {
    let l = &t.llm;
    let mut h = String::from("<section class=\"panel\" id=\"llm\"><h2>The LLM fallback</h2>\n");
    if l.encoder_read > 0 {
        h.push_str(&note(&format!(
            "The encoder tier read {} questions again in the browser and answered {} of them there.",
            num(l.encoder_read),
            num(l.encoder_answered)
        )));
    }
    let failed: u64 = l.errors.values().sum();
    if l.calls == 0 && failed == 0 {
        h.push_str(&note("No LLM calls in this period."));
        h.push_str("</section>\n");
        return h;
    }
    let _ = writeln!(
        h,
        "<dl class=\"facts\"><div><dt>Requests sent</dt><dd>{}</dd></div><div><dt>Unsure replies</dt><dd>{}</dd></div>\
         <div><dt>Median time to first token</dt><dd>{}</dd></div><div><dt>Failed</dt><dd>{}</dd></div></dl>",
        num(l.calls),
        pct(l.unsure_rate),
        l.median_ttft_ms.map_or_else(|| "—".to_string(), |ms| format!("{ms:.0} ms")),
        num(failed)
    );
    if l.errors.is_empty() {
        h.push_str(&note("No call failed."));
    } else {
        h.push_str("<table><thead><tr><th>Error</th><th class=\"num\">Calls</th></tr></thead><tbody>\n");
        let mut v: Vec<(&String, &u64)> = l.errors.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (error, n) in v {
            let text = if error.is_empty() { "(no error text)".to_string() } else { clip(error, 300) };
            let _ = writeln!(h, "<tr><td class=\"err\">{}</td><td class=\"num\">{}</td></tr>", escape(&text), num(*n));
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
    h
}
