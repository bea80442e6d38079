//! `kb report --html`: the report as one self-contained HTML page for the support team.
//!
//! This module owns the page's presentation and nothing else: it reads a finished [`Report`]
//! (every figure is computed in [`crate::report`], as `docs/metrics.md` defines them) and the
//! top unanswered needs ([`GapLine`], from `kb gaps`), and writes HTML with inline CSS and inline
//! SVG charts drawn with `plotters`' SVG backend. The page runs no script, loads nothing (no
//! external URL of any kind, no web font; a Content-Security-Policy forbids it besides), and
//! reads the same with JavaScript off or when printed.
//!
//! Every text that comes from events (entry ids, flow and step names, locales, error texts, the
//! needs' names) is escaped: by [`escape`] in the HTML, by the SVG backend in chart labels. A
//! chart without enough data to draw (no flows, no scored questions, a single day) is replaced
//! by a short note. The few figures shown that are not in the report (the questions the LLM
//! answered, the order of a flow's steps, which entries to look at) are derived here, for
//! display only, and say how.

use std::error::Error;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{EntryFigures, Figures, FlowFigures, Report, Slice, WhatIf};

/// One unanswered need, as `kb gaps` lists them: the page shows the top ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GapLine {
    /// What people asked for, in words.
    pub name: String,
    /// How many questions asked for it.
    pub questions: u64,
    /// What to do: a draft entry to write, or the entry that should grow.
    pub action: String,
}

/// How many flows the funnel chart draws (the table lists them all).
const FUNNEL_FLOWS: usize = 8;
/// How many steps of one flow the funnel chart draws.
const FUNNEL_STEPS: usize = 12;
/// Entries with fewer views are not judged.
const MIN_VIEWS: u64 = 3;
/// How many entries to look at the page lists.
const WORST_ENTRIES: usize = 10;
/// How many needs the page lists.
const TOP_GAPS: usize = 10;

// The palette (Tailwind-like, readable on white, and told apart by more than hue in the charts:
// bars, lines and dashes).
const INK: RGBColor = RGBColor(0x1f, 0x29, 0x37);
const MUTED: RGBColor = RGBColor(0x6b, 0x72, 0x80);
const GRID: RGBColor = RGBColor(0xe5, 0xe7, 0xeb);
const BLUE_DARK: RGBColor = RGBColor(0x1e, 0x40, 0xaf);
const BLUE: RGBColor = RGBColor(0x25, 0x63, 0xeb);
const BLUE_LIGHT: RGBColor = RGBColor(0x93, 0xc5, 0xfd);
const BLUE_PALE: RGBColor = RGBColor(0xbf, 0xdb, 0xfe);
const GREEN: RGBColor = RGBColor(0x16, 0xa3, 0x4a);
const ORANGE: RGBColor = RGBColor(0xea, 0x58, 0x0c);
const RED: RGBColor = RGBColor(0xdc, 0x26, 0x26);

/// Escapes `text` for HTML text and attribute values.
pub fn escape(text: &str) -> String {
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

/// The report as one self-contained HTML page; `gaps` are the top unanswered needs (none: the
/// page says so).
pub fn page(report: &Report, gaps: &[GapLine]) -> String {
    let t = &report.totals;
    let (title, subtitle) = heading(report);
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&format!("Assistant report · {title}"))
    );
    let _ = write!(
        h,
        "<header><h1>Assistant report <span class=\"period\">{}</span></h1><p class=\"sub\">{}</p></header>\n",
        escape(&title),
        escape(&subtitle)
    );
    h.push_str(&cards(t, report.previous.as_ref()));
    h.push_str(&outcomes(t));

    section(
        &mut h,
        "trend",
        "Day by day",
        "Questions and sessions per day (left axis) and the share of questions answered locally (right axis).",
        &trend(&report.days),
        &legend(&[
            ("bar", BLUE_PALE, "Questions"),
            ("line", BLUE_DARK, "Sessions"),
            ("line", GREEN, "Answered locally"),
        ]),
        &if report.days.len() > 1 { days_table(&report.days) } else { String::new() },
    );

    section(
        &mut h,
        "funnel",
        "Guided flows",
        "Each flow from its start to its end: how many reached each step, and how many left the flow there (steps ordered by how many reached them).",
        &funnel(&report.flows),
        &if report.flows.is_empty() {
            String::new()
        } else {
            legend(&[("bar", BLUE_DARK, "Started"), ("bar", BLUE, "Reached the step"), ("bar", RED, "Left the flow here"), ("bar", GREEN, "Finished")])
        },
        &if report.flows.is_empty() { String::new() } else { flows_table(&report.flows) },
    );

    let w = &report.what_if;
    let threshold =
        w.threshold_in_force.map_or_else(String::new, |t| format!(" The answer threshold in force is {t:.2}."));
    h.push_str("<div class=\"pair\">\n");
    section(
        &mut h,
        "histogram",
        "How sure the index was",
        &format!("The top entry's confidence for the {} questions whose best match was an answer entry, in buckets of 0.05.{threshold}", num(w.questions)),
        &histogram(w),
        &if w.questions == 0 { String::new() } else { legend(&[("bar", BLUE, "Would be answered at the threshold in force"), ("bar", BLUE_LIGHT, "Below it"), ("dash", RED, "Threshold in force")]) },
        "",
    );
    section(
        &mut h,
        "whatif",
        "What if the answer threshold moved",
        "For each answer threshold: the share of those questions answered locally, the share that would fall back, and the estimated precision of the local answers (judged by feedback, rephrases, fallbacks and handoffs that followed).",
        &what_if(w),
        &if w.questions == 0 { String::new() } else { legend(&[("line", BLUE, "Answered locally"), ("line", ORANGE, "Would fall back"), ("line", GREEN, "Estimated precision"), ("dash", RED, "Threshold in force")]) },
        "",
    );
    h.push_str("</div>\n");
    h.push_str(&what_if_table(w));

    h.push_str(&worst_entries(&report.entries));
    h.push_str(&gaps_table(gaps));
    h.push_str("<div class=\"pair\">\n");
    h.push_str(&slice_table("locales", "Per language", "Language", &report.locales, t.questions));
    h.push_str(&slice_table("audiences", "Per audience", "Audience", &report.audiences, t.questions));
    h.push_str("</div>\n");
    h.push_str(&llm(t));
    let _ = write!(
        h,
        "<footer>Made by <code>kb report --html</code> from {} events. Figures as defined in docs/metrics.md; \
         a change is against the period of the same length just before.</footer>\n</main>\n</body>\n</html>\n",
        num(t.events)
    );
    h
}

/// The page's title (the period) and the line under it.
fn heading(report: &Report) -> (String, String) {
    let t = &report.totals;
    let mut sub = format!("{} events, {} sessions, {} questions", num(t.events), num(t.sessions), num(t.questions));
    let title = match &report.period {
        Some((from, to)) => {
            let days = day_count(from, to);
            if let Some(n) = days {
                let _ = write!(sub, " over {n} day{}", if n == 1 { "" } else { "s" });
            }
            if report.previous.is_some() {
                if let Some((pf, pt)) = previous_period(from, to) {
                    let _ = write!(sub, "; changes against {}", span(&pf, &pt));
                }
            }
            span(from, to)
        }
        None => match (report.days.first(), report.days.last()) {
            (Some(first), Some(last)) => {
                sub.push_str(" (every event read)");
                span(&first.key, &last.key)
            }
            _ => "no events".to_string(),
        },
    };
    (title, sub)
}

/// `2026-12-01`, `2026-12-07` as "1 Dec – 7 Dec 2026".
fn span(from: &str, to: &str) -> String {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    match (parse(from), parse(to)) {
        (Some(a), Some(b)) if a == b => a.format("%-d %b %Y").to_string(),
        (Some(a), Some(b)) if a.format("%Y").to_string() == b.format("%Y").to_string() => {
            format!("{} – {}", a.format("%-d %b"), b.format("%-d %b %Y"))
        }
        (Some(a), Some(b)) => format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y")),
        _ => format!("{from} – {to}"),
    }
}

fn day_count(from: &str, to: &str) -> Option<i64> {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    Some((parse(to)? - parse(from)?).num_days() + 1)
}

fn previous_period(from: &str, to: &str) -> Option<(String, String)> {
    let a = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").ok()?;
    let n = day_count(from, to)?;
    let end = a.pred_opt()?;
    let start = end - chrono::Duration::days(n - 1);
    Some((start.format("%Y-%m-%d").to_string(), end.format("%Y-%m-%d").to_string()))
}

/// `12345` as "12,345".
fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |x| format!("{:.1}%", 100.0 * x))
}

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

/// `x` with `decimals` and its sign: "+2.1", "−5.0" (a true minus sign), "±0.0" when it rounds to
/// zero.
fn signed(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    if text.chars().all(|c| c == '0' || c == '.') {
        format!("±{text}")
    } else if x > 0.0 {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

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
fn cards(t: &Figures, p: Option<&Figures>) -> String {
    let mut h = String::from("<section class=\"cards\" aria-label=\"Headline figures\">\n");
    let per_session = if t.sessions > 0 {
        format!("{:.1} questions each", t.questions as f64 / t.sessions as f64)
    } else {
        String::new()
    };
    let card = |h: &mut String, label: &str, value: String, note: String, change: String| {
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
            escape(&note)
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
fn outcomes(t: &Figures) -> String {
    let mut h = String::from("<section class=\"panel\" id=\"outcomes\"><h2>Where the questions went</h2>\n");
    if t.questions == 0 {
        h.push_str("<p class=\"nodata\">No questions in this period.</p>\n");
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
        h.push_str("<p class=\"nodata\">No session asked a question.</p>\n");
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
        h.push_str("<p class=\"nodata\">No feedback in this period.</p>\n");
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

fn reason_name(reason: &str) -> String {
    match reason {
        "not_my_question" => "not my question".to_string(),
        "unclear" => "unclear".to_string(),
        "wrong" => "wrong".to_string(),
        other => other.replace('_', " "),
    }
}

/// A chart's section: heading, caption, the chart (or its note), its legend and what follows
/// it (a table).
fn section(h: &mut String, id: &str, title: &str, caption: &str, chart: &str, legend: &str, after: &str) {
    let _ = write!(
        h,
        "<section class=\"panel\" id=\"{id}\"><h2>{}</h2><p class=\"caption\">{}</p>\n<figure class=\"chart\" id=\"chart-{id}\">{chart}</figure>{legend}{after}</section>\n",
        escape(title),
        escape(caption)
    );
}

/// A chart legend in HTML: (shape, colour, label).
fn legend(items: &[(&str, RGBColor, &str)]) -> String {
    let mut h = String::from("<ul class=\"legend\">");
    for (shape, c, label) in items {
        let _ = write!(
            h,
            "<li><span class=\"key {shape}\" style=\"--c:#{:02x}{:02x}{:02x}\"></span>{}</li>",
            c.0,
            c.1,
            c.2,
            escape(label)
        );
    }
    h.push_str("</ul>\n");
    h
}

fn note(text: &str) -> String {
    format!("<p class=\"nodata\">{}</p>", escape(text))
}

/// Draws one SVG chart of `size` with `draw`; `label` describes it for screen readers. A
/// drawing error gives a note instead.
fn svg(
    size: (u32, u32),
    label: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), Box<dyn Error>>,
) -> String {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        draw(&root).and_then(|()| root.present().map_err(Into::into))
    };
    match result {
        // Inline SVG needs no namespace; without it the page holds no URL at all.
        Ok(()) => buf.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1).replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(label)),
            1,
        ),
        Err(e) => note(&format!("This chart could not be drawn: {e}")),
    }
}

/// Text in a chart: `size` in pixels.
fn font(size: f64, color: &RGBColor) -> TextStyle<'static> {
    // The SVG backend writes font-size as size / 1.24.
    ("sans-serif", size * 1.24).into_font().color(color)
}

/// Cuts `text` to `max` characters with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A round upper bound for an axis.
fn nice_top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// `2026-12-04` as "4 Dec".
fn short_day(day: &str) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_or_else(|_| clip(day, 10), |d| d.format("%-d %b").to_string())
}

/// (a) Questions and sessions per day, and the local-answer rate.
fn trend(days: &[Slice]) -> String {
    match days {
        [] => return note("No events in this period."),
        [day] => {
            return note(&format!(
                "Only one day ({}): {} questions in {} sessions, {} answered locally. A trend needs two days or more.",
                day.key,
                num(day.questions),
                num(day.sessions.unwrap_or(0)),
                pct(day.answer_rate)
            ))
        }
        _ => {}
    }
    let n = days.len();
    let top = nice_top(days.iter().map(|d| d.questions.max(d.sessions.unwrap_or(0))).max().unwrap_or(0) as f64 * 1.05);
    let label = format!("Questions, sessions and local-answer rate per day, {} to {}", days[0].key, days[n - 1].key);
    svg((1120, 340), &label, |root| {
        root.fill(&WHITE)?;
        let x = -0.5..n as f64 - 0.5;
        let mut chart = ChartBuilder::on(root)
            .margin_top(14)
            .margin_left(6)
            .margin_right(6)
            .x_label_area_size(34)
            .y_label_area_size(56)
            .right_y_label_area_size(56)
            .build_cartesian_2d(x.clone(), 0.0..top)?
            .set_secondary_coord(x, 0.0..1.0);
        let day_label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                short_day(&days[i as usize].key)
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(n.min(12))
            .y_labels(6)
            .x_label_formatter(&day_label)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(font(12.0, &MUTED))
            .axis_desc_style(font(12.0, &MUTED))
            .y_desc("questions, sessions")
            .draw()?;
        chart
            .configure_secondary_axes()
            .axis_style(MUTED)
            .y_labels(6)
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .label_style(font(12.0, &MUTED))
            .axis_desc_style(font(12.0, &MUTED))
            .y_desc("answered locally")
            .draw()?;
        let half = if n > 40 { 0.45 } else { 0.32 };
        chart.draw_series(days.iter().enumerate().map(|(i, d)| {
            let x = i as f64;
            Rectangle::new([(x - half, 0.0), (x + half, d.questions as f64)], BLUE_PALE.filled())
        }))?;
        let sessions: Vec<(f64, f64)> =
            days.iter().enumerate().map(|(i, d)| (i as f64, d.sessions.unwrap_or(0) as f64)).collect();
        chart.draw_series(LineSeries::new(sessions.iter().copied(), BLUE_DARK.stroke_width(2)))?;
        let rates: Vec<Vec<(f64, f64)>> = runs(days.iter().enumerate().map(|(i, d)| (i as f64, d.answer_rate)));
        for run in &rates {
            chart.draw_secondary_series(LineSeries::new(run.iter().copied(), GREEN.stroke_width(3)))?;
        }
        if n <= 45 {
            chart.draw_series(sessions.iter().map(|&p| Circle::new(p, 3, BLUE_DARK.filled())))?;
            chart.draw_secondary_series(rates.iter().flatten().map(|&p| Circle::new(p, 3, GREEN.filled())))?;
        }
        Ok(())
    })
}

/// The points of a series with gaps, as runs of consecutive known values.
fn runs(points: impl Iterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        match y {
            Some(y) => out.last_mut().map_or((), |run| run.push((x, y))),
            None if out.last().is_some_and(|r| !r.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A flow's steps in the order the funnel shows them: most reached first (a flow's steps come
/// in name order in the report, and branch; this puts the common path on top).
fn ordered_steps(flow: &FlowFigures) -> Vec<&crate::report::StepFigures> {
    let mut steps: Vec<_> = flow.steps.iter().collect();
    steps.sort_by(|a, b| b.reached.max(b.abandoned).cmp(&a.reached.max(a.abandoned)).then(a.step.cmp(&b.step)));
    steps
}

/// The flows the funnel draws: most started first.
fn shown_flows(flows: &[FlowFigures]) -> Vec<&FlowFigures> {
    let mut v: Vec<&FlowFigures> = flows.iter().collect();
    v.sort_by(|a, b| b.starts.cmp(&a.starts).then(a.flow.cmp(&b.flow)));
    v.truncate(FUNNEL_FLOWS);
    v
}

/// (b) The funnel of each flow: started, each step reached (and left there), finished.
fn funnel(flows: &[FlowFigures]) -> String {
    if flows.is_empty() {
        return note("No guided flow was started in this period.");
    }
    const ROW: i32 = 24;
    const HEAD: i32 = 30;
    const GAP: i32 = 18;
    const LEFT: i32 = 250;
    const WIDTH: i32 = 1120;
    const RIGHT: i32 = 190;
    let shown = shown_flows(flows);
    let rows = |f: &FlowFigures| f.steps.len().min(FUNNEL_STEPS) as i32 + 2 + i32::from(f.steps.len() > FUNNEL_STEPS);
    let height = 8 + shown.iter().map(|f| HEAD + rows(f) * ROW + GAP).sum::<i32>();
    let label = format!("Funnel of {} guided flow{}", shown.len(), if shown.len() == 1 { "" } else { "s" });
    svg((WIDTH as u32, height as u32), &label, |root| {
        root.fill(&WHITE)?;
        let mut y = 8;
        let left = font(13.0, &INK).pos(Pos::new(HPos::Right, VPos::Center));
        let value = font(12.0, &MUTED).pos(Pos::new(HPos::Left, VPos::Center));
        for flow in shown {
            let steps = ordered_steps(flow);
            // Those who left at a step had reached it: the red part is inside the step's bar.
            let visits = |s: &crate::report::StepFigures| s.reached.max(s.abandoned);
            let scale =
                steps.iter().map(|s| visits(s)).chain([flow.starts, flow.finished]).max().unwrap_or(1).max(1) as f64;
            let bar = |n: u64| ((WIDTH - LEFT - RIGHT - 12) as f64 * n as f64 / scale).round() as i32;
            let title = format!(
                "{}: {} started, {} finished ({})",
                clip(&flow.flow, 60),
                num(flow.starts),
                num(flow.finished),
                pct(flow.completion_rate)
            );
            root.draw(&Text::new(title, (8, y + HEAD / 2), font(14.0, &INK).pos(Pos::new(HPos::Left, VPos::Center))))?;
            root.draw(&PathElement::new(vec![(8, y + HEAD - 3), (WIDTH - 8, y + HEAD - 3)], GRID))?;
            y += HEAD;
            let mut row = |label: &str, parts: &[(u64, RGBColor)], text: String| -> Result<(), Box<dyn Error>> {
                let mid = y + ROW / 2;
                root.draw(&Text::new(clip(label, 34), (LEFT, mid), left.clone()))?;
                let mut x = LEFT + 10;
                for (n, color) in parts {
                    let w = bar(*n);
                    if w > 0 {
                        root.draw(&Rectangle::new([(x, y + 4), (x + w, y + ROW - 4)], color.filled()))?;
                    }
                    x += w;
                }
                root.draw(&Text::new(text, (x + 8, mid), value.clone()))?;
                y += ROW;
                Ok(())
            };
            row("Started", &[(flow.starts, BLUE_DARK)], num(flow.starts))?;
            for s in steps.iter().take(FUNNEL_STEPS) {
                let text = if s.abandoned > 0 {
                    format!("{} reached · {} left here", num(s.reached), num(s.abandoned))
                } else {
                    format!("{} reached", num(s.reached))
                };
                row(&s.step, &[(visits(s) - s.abandoned, BLUE), (s.abandoned, RED)], text)?;
            }
            if steps.len() > FUNNEL_STEPS {
                let rest = &steps[FUNNEL_STEPS..];
                let reached: u64 = rest.iter().map(|s| s.reached).sum();
                let left_here: u64 = rest.iter().map(|s| s.abandoned).sum();
                row(
                    &format!("{} more steps", rest.len()),
                    &[],
                    format!("{} reached · {} left there, together", num(reached), num(left_here)),
                )?;
            }
            row(
                "Finished",
                &[(flow.finished, GREEN)],
                format!("{} ({})", num(flow.finished), pct(flow.completion_rate)),
            )?;
            y += GAP;
        }
        Ok(())
    })
}

/// Whether the what-if has anything to draw.
fn scored(w: &WhatIf) -> bool {
    w.questions > 0 && w.histogram.iter().any(|&n| n > 0)
}

/// (c) The top entry's confidence in 20 buckets, the threshold in force marked.
fn histogram(w: &WhatIf) -> String {
    if !scored(w) {
        return note("No question had an answer entry as its best match, so there is no confidence to show.");
    }
    let buckets = w.histogram.len().max(1);
    let width = 1.0 / buckets as f64;
    let top = nice_top(w.histogram.iter().copied().max().unwrap_or(0) as f64 * 1.08);
    let threshold = w.threshold_in_force;
    let label = format!("Histogram of the top entry's confidence over {} questions", w.questions);
    svg((560, 340), &label, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .margin_top(14)
            .margin_right(16)
            .margin_left(6)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(0.0..1.0, 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(11)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(font(12.0, &MUTED))
            .axis_desc_style(font(12.0, &MUTED))
            .x_desc("confidence of the top entry")
            .y_desc("questions")
            .draw()?;
        chart.draw_series(w.histogram.iter().enumerate().map(|(i, &n)| {
            let x0 = i as f64 * width;
            let above = threshold.is_none_or(|t| x0 + 1e-9 >= t);
            let color = if above { BLUE } else { BLUE_LIGHT };
            Rectangle::new([(x0 + width * 0.08, 0.0), (x0 + width * 0.92, n as f64)], color.filled())
        }))?;
        if let Some(t) = threshold {
            chart.draw_series(DashedLineSeries::new([(t, 0.0), (t, top)], 6, 4, RED.stroke_width(2)))?;
            let (anchor, dx) = if t > 0.5 { (HPos::Right, -0.01) } else { (HPos::Left, 0.01) };
            chart.draw_series([Text::new(
                format!("in force {t:.2}"),
                (t + dx, top),
                font(12.0, &RED).pos(Pos::new(anchor, VPos::Top)),
            )])?;
        }
        Ok(())
    })
}

/// (d) Local answers, fallbacks and estimated precision against the answer threshold.
fn what_if(w: &WhatIf) -> String {
    if !scored(w) || w.points.is_empty() {
        return note("No question had an answer entry as its best match, so there is no curve to draw.");
    }
    let threshold = w.threshold_in_force;
    let label = format!("What-if curve of the answer threshold over {} questions", w.questions);
    svg((560, 340), &label, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .margin_top(14)
            .margin_right(16)
            .margin_left(6)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(11)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .label_style(font(12.0, &MUTED))
            .axis_desc_style(font(12.0, &MUTED))
            .x_desc("answer threshold")
            .y_desc("share")
            .draw()?;
        let series: [(fn(&crate::report::WhatIfPoint) -> Option<f64>, RGBColor); 3] =
            [(|p| p.answer_rate, BLUE), (|p| p.fallback_rate, ORANGE), (|p| p.precision, GREEN)];
        for (value, color) in series {
            for run in runs(w.points.iter().map(|p| (p.threshold, value(p)))) {
                chart.draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(3)))?;
                chart.draw_series(run.iter().map(|&p| Circle::new(p, 2, color.filled())))?;
            }
        }
        if let Some(t) = threshold {
            chart.draw_series(DashedLineSeries::new([(t, 0.0), (t, 1.0)], 6, 4, RED.stroke_width(2)))?;
            let anchor = if t > 0.5 { HPos::Right } else { HPos::Left };
            let dx = if t > 0.5 { -0.01 } else { 0.01 };
            chart.draw_series([Text::new(
                format!("in force {t:.2}"),
                (t + dx, 1.0),
                font(12.0, &RED).pos(Pos::new(anchor, VPos::Top)),
            )])?;
        }
        Ok(())
    })
}

/// The curve's figures around the threshold in force.
fn what_if_table(w: &WhatIf) -> String {
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
fn days_table(days: &[Slice]) -> String {
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
fn flows_table(flows: &[FlowFigures]) -> String {
    let mut v: Vec<&FlowFigures> = flows.iter().collect();
    v.sort_by(|a, b| b.starts.cmp(&a.starts).then(a.flow.cmp(&b.flow)));
    let mut h = String::from(
        "<table class=\"flows\"><thead><tr><th>Flow</th><th class=\"num\">Started</th><th class=\"num\">Finished</th><th class=\"num\">Completion</th><th class=\"num\">Left</th><th>Most left at</th></tr></thead><tbody>\n",
    );
    for f in v {
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

/// How badly an entry does, 0 to 1: the worst of its not-helpful share, the share of its views
/// followed by a fallback or a handoff, and the share followed by a rephrase.
fn trouble(e: &EntryFigures) -> f64 {
    let views = e.views.max(1) as f64;
    let unhelpful = e.helpful_rate.map_or(0.0, |h| 1.0 - h);
    let escaped = ((e.followed_by_fallback + e.followed_by_handoff) as f64 / views).min(1.0);
    let rephrased = (e.followed_by_rephrase as f64 / views).min(1.0);
    unhelpful.max(escaped).max(rephrased)
}

/// The entries to look at: views ≥ 3, the worst first.
fn worst_entries(entries: &[EntryFigures]) -> String {
    let mut v: Vec<&EntryFigures> = entries.iter().filter(|e| e.views >= MIN_VIEWS && trouble(e) > 0.0).collect();
    v.sort_by(|a, b| trouble(b).total_cmp(&trouble(a)).then(b.views.cmp(&a.views)).then(a.entry.cmp(&b.entry)));
    v.truncate(WORST_ENTRIES);
    let mut h = String::from(
        "<section class=\"panel\" id=\"entries\"><h2>Entries to look at</h2>\
         <p class=\"caption\">Entries viewed 3 times or more, worst first: the lowest helpful share, or the most views followed by a fallback, a handoff or a rephrase (another question within a minute).</p>\n",
    );
    if v.is_empty() {
        let judged = entries.iter().filter(|e| e.views >= MIN_VIEWS).count();
        h.push_str(&note(&if judged == 0 {
            "No entry was viewed 3 times or more.".to_string()
        } else {
            format!(
                "None of the {judged} entries viewed 3 times or more had a thumbs-down or a view followed by trouble."
            )
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
    for e in v {
        let ratings = e.helpful + e.not_helpful;
        let helpful = match e.helpful_rate {
            Some(r) => format!(
                "<td class=\"num{}\">{} <span class=\"n\">of {}</span></td>",
                if r < 0.5 { " warn" } else { "" },
                pct(Some(r)),
                num(ratings)
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

/// The top unanswered needs.
fn gaps_table(gaps: &[GapLine]) -> String {
    let mut h = String::from(
        "<section class=\"panel\" id=\"gaps\"><h2>Top unanswered needs</h2>\
         <p class=\"caption\">What people asked that the knowledge did not answer, grouped by <code>kb gaps</code>, with what to do about it.</p>\n",
    );
    if gaps.is_empty() {
        h.push_str(&note("There are none to show."));
    } else {
        h.push_str(
            "<table><thead><tr><th>Need</th><th class=\"num\">Questions</th><th>What to do</th></tr></thead><tbody>\n",
        );
        let mut v: Vec<&GapLine> = gaps.iter().collect();
        v.sort_by(|a, b| b.questions.cmp(&a.questions));
        for g in v.into_iter().take(TOP_GAPS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&g.name),
                num(g.questions),
                escape(&g.action)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
    h
}

/// Questions and local answers per locale or audience.
fn slice_table(id: &str, title: &str, column: &str, slices: &[Slice], total: u64) -> String {
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

/// The LLM fallback: calls, unsure, first token, errors.
fn llm(t: &Figures) -> String {
    let l = &t.llm;
    let mut h = String::from("<section class=\"panel\" id=\"llm\"><h2>The LLM fallback</h2>\n");
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

const CSS: &str = r#"
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;--good:#15803d;--bad:#b91c1c;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:28px 24px 40px}
header h1{margin:0;font-size:26px;font-weight:700;letter-spacing:-.01em}
header .period{color:var(--accent);font-weight:600;margin-left:.35em}
header .sub{margin:4px 0 20px;color:var(--muted)}
h2{font-size:18px;margin:0 0 4px}
h3{font-size:14px;margin:18px 0 6px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:16px}
.card{display:flex;flex-direction:column;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 14px 12px}
.card .label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
.card .value{font-size:30px;font-weight:700;margin:2px 0;font-variant-numeric:tabular-nums}
.card .note{color:var(--muted);font-size:13px}
.delta{margin-top:auto;padding-top:8px;font-size:13px;white-space:nowrap}
.vs{color:var(--muted)}
.chg{font-weight:700;border-radius:4px;padding:1px 5px;font-variant-numeric:tabular-nums}
.chg.good{color:var(--good);background:#dcfce7}.chg.bad{color:var(--bad);background:#fee2e2}.chg.flat{color:#374151;background:#e5e7eb}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:16px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.pair>.panel{margin-bottom:16px}
.caption{margin:0 0 10px;color:var(--muted);font-size:14px}
figure.chart{margin:0}
figure.chart svg{display:block;width:100%;height:auto}
.nodata{margin:8px 0;padding:14px 16px;background:#f9fafb;border:1px dashed #d1d5db;border-radius:8px;color:var(--muted)}
.legend,.keys{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;margin:10px 0 0;padding:0;font-size:13px;color:#374151}
.legend li,.keys li{display:flex;align-items:center;gap:6px}
.key{display:inline-block;width:18px;height:10px;background:var(--c)}
.key.line{height:3px}
.key.dash{height:0;border-top:2px dashed var(--c);background:none}
.stack{display:flex;height:26px;border-radius:6px;overflow:hidden;background:#e5e7eb;margin-top:8px}
.seg{display:block;height:100%}
.sw{display:inline-block;width:12px;height:12px;border-radius:3px}
.answer{background:#16a34a}.clarify{background:#0891b2}.llm{background:#7c3aed}.none{background:#dc2626}.handoff{background:#d97706}.reply{background:#9ca3af}.assumed{background:#86efac}
.keys .n,.n{color:var(--muted);font-weight:400}
.reasons{margin:8px 0 0;font-size:13px;color:#374151}
table{width:100%;border-collapse:collapse;font-size:14px;margin-top:6px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;background:#f9fafb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.warn{color:var(--bad);font-weight:600}
tr.current td{background:#eff6ff;font-weight:600}
.tag{font-size:12px;color:var(--accent);font-weight:600;margin-left:6px}
code{font:13px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;border-radius:4px;padding:1px 5px;word-break:break-all}
td.err{word-break:break-word}
table.flows{margin-top:14px}
.meter{display:inline-block;vertical-align:middle;width:90px;height:8px;background:#e5e7eb;border-radius:4px;overflow:hidden;margin-right:6px}
.meter span{display:block;height:100%;background:#16a34a}
.facts{display:flex;flex-wrap:wrap;gap:12px 36px;margin:6px 0 8px}
.facts dt{color:var(--muted);font-size:13px}.facts dd{margin:0;font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}
details.fold{margin-top:12px}
details.fold summary{cursor:pointer;font-weight:600;font-size:14px;color:#374151}
footer{color:var(--muted);font-size:13px;margin-top:8px}
@media (max-width:1000px){.cards{grid-template-columns:repeat(3,1fr)}.pair{grid-template-columns:1fr}}
@media (max-width:560px){.cards{grid-template-columns:repeat(2,1fr)}}
@media print{body{background:#fff}.panel,.card{break-inside:avoid}}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Llm, Resolution, StepFigures, WhatIfPoint};
    use std::collections::BTreeMap;

    fn figures(scale: u64) -> Figures {
        let mut paths = BTreeMap::new();
        let mut rates = BTreeMap::new();
        let q = 100 * scale;
        for (p, n) in
            [("answer", 60), ("clarify", 10), ("fallback", 15), ("handoff", 5), ("reply", 8), ("no_knowledge", 2)]
        {
            paths.insert(p.to_string(), n * scale);
            rates.insert(format!("{p}_rate"), Some((n * scale) as f64 / q as f64));
        }
        Figures {
            events: 600 * scale,
            sessions: 30 * scale,
            questions: q,
            paths,
            rates,
            no_answer_rate: Some(0.07),
            helpful_rate: Some(0.75),
            feedback: 20 * scale,
            feedback_reasons: [("unclear".to_string(), 2), ("wrong".to_string(), 1)].into_iter().collect(),
            resolution: Resolution {
                asked: 28 * scale,
                confirmed: 10 * scale,
                assumed: 10 * scale,
                unresolved: 8 * scale,
                resolution_rate: Some(20.0 / 28.0),
                confirmed_rate: Some(10.0 / 28.0),
                assumed_rate: Some(10.0 / 28.0),
                unresolved_rate: Some(8.0 / 28.0),
            },
            llm: Llm {
                calls: 12 * scale,
                errors: [("timeout <after 8 s>".to_string(), 2)].into_iter().collect(),
                unsure_rate: Some(0.25),
                median_ttft_ms: Some(840.0),
            },
        }
    }

    const HOSTILE: &str = "<img src=x onerror=alert(1)>";

    fn full() -> Report {
        let day = |d: u32, q: u64| Slice {
            key: format!("2026-12-0{d}"),
            sessions: Some(q / 3),
            questions: q,
            answer_rate: Some(0.6),
        };
        Report {
            period: Some(("2026-12-01".into(), "2026-12-05".into())),
            totals: figures(2),
            previous: Some(figures(1)),
            entries: vec![
                EntryFigures {
                    entry: HOSTILE.into(),
                    views: 9,
                    helpful: 1,
                    not_helpful: 3,
                    helpful_rate: Some(0.25),
                    followed_by_fallback: 3,
                    followed_by_handoff: 1,
                    followed_by_rephrase: 2,
                },
                EntryFigures {
                    entry: "track-order".into(),
                    views: 20,
                    helpful: 9,
                    helpful_rate: Some(1.0),
                    ..Default::default()
                },
            ],
            flows: vec![FlowFigures {
                flow: format!("flow {HOSTILE}"),
                starts: 10,
                finished: 6,
                completion_rate: Some(0.6),
                steps: vec![
                    StepFigures { step: "status".into(), reached: 9, abandoned: 2 },
                    StepFigures { step: format!("step {HOSTILE}"), reached: 7, abandoned: 1 },
                ],
            }],
            days: vec![day(1, 30), day(2, 45), day(3, 40), day(4, 50), day(5, 35)],
            locales: vec![Slice { key: HOSTILE.into(), sessions: None, questions: 120, answer_rate: Some(0.6) }],
            audiences: vec![Slice { key: "buyer".into(), sessions: None, questions: 200, answer_rate: Some(0.6) }],
            what_if: WhatIf {
                threshold_in_force: Some(0.67),
                questions: 150,
                points: (0..21)
                    .map(|i| {
                        let t = i as f64 / 20.0;
                        WhatIfPoint {
                            threshold: t,
                            answer_rate: Some(1.0 - t),
                            fallback_rate: Some(t * 0.4),
                            precision: (i < 20).then_some(0.7 + 0.3 * t),
                        }
                    })
                    .collect(),
                histogram: (0..20).map(|i| (i * 7 % 13) as u64).collect(),
            },
        }
    }

    fn charts(html: &str) -> Vec<&str> {
        ["chart-trend", "chart-funnel", "chart-histogram", "chart-whatif"]
            .into_iter()
            .map(|id| {
                let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("{id} missing"));
                let end = start + html[start..].find("</figure>").unwrap();
                &html[start..end]
            })
            .collect()
    }

    #[test]
    fn every_chart_is_one_svg_when_there_is_data() {
        let html = page(&full(), &[]);
        for chart in charts(&html) {
            assert_eq!(chart.matches("<svg").count(), 1, "{chart}");
            assert!(chart.contains("<polyline") || chart.contains("<rect"), "{chart}");
        }
        assert_eq!(html.matches("<svg").count(), 4);
    }

    /// The page's tags (`<` and a letter, up to `>`): escaped text makes none.
    fn tags(html: &str) -> Vec<&str> {
        html.match_indices('<')
            .filter(|(i, _)| html[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic()))
            .map(|(i, _)| &html[i..i + html[i..].find('>').unwrap_or(html.len() - i)])
            .collect()
    }

    #[test]
    fn the_page_runs_no_script_and_loads_nothing() {
        for report in [full(), Report::default()] {
            let html = page(&report, &[GapLine { name: "x".into(), questions: 1, action: "y".into() }]);
            let lower = html.to_lowercase();
            assert!(!lower.contains("<script"), "no script");
            assert!(!lower.contains("http://") && !lower.contains("https://"), "no URL");
            assert!(!lower.contains("javascript:"));
            assert!(!lower.contains("url("), "no resource in the CSS");
            for tag in tags(&lower) {
                let reference = tag.contains(" src=") || (tag.contains(" href=") && !tag.contains("href=\"data:,\""));
                assert!(!reference, "a resource reference: {tag}");
            }
            assert!(!lower.contains("@import") && !lower.contains("@font-face"));
        }
    }

    #[test]
    fn text_from_events_is_escaped_in_html_and_svg() {
        let gaps = [GapLine { name: HOSTILE.into(), questions: 4, action: format!("write \"{HOSTILE}\"") }];
        let html = page(&full(), &gaps);
        assert!(!html.contains("<img"), "a raw tag got through");
        assert!(!html.contains("onerror=alert(1)>"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "shown, escaped, in the tables");
        let funnel = charts(&html)[1];
        assert!(funnel.contains("flow &lt;img"), "escaped in the SVG too: {funnel}");
        let mut errors = full();
        errors.totals.llm.errors.insert(format!("</td></tr></table>{HOSTILE}"), 1);
        let html = page(&errors, &[]);
        assert!(!html.contains("<img") && !html.contains("</td></tr></table><"));
    }

    #[test]
    fn empty_data_gives_notes_instead_of_charts() {
        let html = page(&Report::default(), &[]);
        assert!(!html.contains("<svg"));
        for text in [
            "No events in this period.",
            "No guided flow was started",
            "no confidence to show",
            "No LLM calls",
            "There are none to show.",
        ] {
            assert!(html.contains(text), "{text}");
        }
        let mut one_day = full();
        one_day.days.truncate(1);
        one_day.flows.clear();
        one_day.totals.llm = Llm::default();
        let html = page(&one_day, &[]);
        assert!(html.contains("Only one day (2026-12-01)"));
        assert_eq!(html.matches("<svg").count(), 2, "histogram and what-if only");
        assert!(html.contains("No LLM calls in this period."));
    }

    #[test]
    fn cards_show_changes_against_the_previous_period() {
        let mut r = full();
        r.previous.as_mut().unwrap().rates.insert("answer_rate".into(), Some(0.579));
        r.previous.as_mut().unwrap().helpful_rate = Some(0.80);
        let html = page(&r, &[]);
        assert!(html.contains("<span class=\"chg good\">▲ +2.1 pt</span>"), "answered locally up");
        assert!(html.contains("<span class=\"chg bad\">▼ −5.0 pt</span>"), "helpful down");
        assert!(html.contains("▲ +100%"), "sessions doubled");
        r.previous = None;
        assert!(!page(&r, &[]).contains("class=\"chg"), "no badges without a previous period");
    }

    #[test]
    fn helpers_format_for_people() {
        assert_eq!(num(1234567), "1,234,567");
        assert_eq!(num(12), "12");
        assert_eq!(span("2026-12-01", "2026-12-07"), "1 Dec – 7 Dec 2026");
        assert_eq!(span("2026-12-28", "2027-01-03"), "28 Dec 2026 – 3 Jan 2027");
        assert_eq!(previous_period("2026-12-01", "2026-12-07"), Some(("2026-11-24".into(), "2026-11-30".into())));
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(
            (signed(2.06, 1), signed(-5.0, 1), signed(-0.04, 1), signed(0.0, 0)),
            ("+2.1".into(), "−5.0".into(), "±0.0".into(), "±0".into())
        );
        assert_eq!(nice_top(47.0), 50.0);
        assert_eq!(runs([(0.0, Some(1.0)), (1.0, None), (2.0, Some(2.0)), (3.0, Some(3.0))].into_iter()).len(), 2);
    }
}
