//! `kb report --html`: the report as one self-contained HTML page for the support team.
//!
//! This module owns the page's presentation and nothing else: it reads a finished [`Report`]
//! (every figure is computed in [`crate::report`], as `docs/metrics.md` defines them) and writes
//! HTML with inline CSS and inline SVG charts drawn with `plotters`' SVG backend. The page runs no
//! script, loads nothing (no external URL of any kind, no web font; a Content-Security-Policy
//! forbids it besides), and reads the same with JavaScript off or when printed.
//!
//! Every text that comes from events (question texts, entry ids, flow and step names, locales,
//! error texts) is escaped: by `text::escape` in the HTML, by the SVG backend in chart
//! labels. A chart without enough data is replaced by a short note, and an empty report is a
//! page that says "no events". The few figures shown that are not in the report (the questions
//! the LLM answered, the order of a flow's steps) are derived for display only, and say how.
//!
//! The page from top to bottom: `html/headline.rs` (cards and outcome bars), `html/charts.rs`
//! (trend, funnel, confidence histogram, what-if curve), `html/tables.rs` (entries to look at,
//! unanswered questions and the rest); `html/text.rs` writes dates and numbers and escapes,
//! `html/style.css` is the inlined style sheet.

mod charts;
mod headline;
mod tables;
mod text;

use std::fmt::Write as _;

use crate::report::{FlowFigures, Report};
use charts::Chart;
use text::{day_count, escape, num, previous_period, span};

/// The page's style sheet, inlined.
const CSS: &str = include_str!("html/style.css");

/// The report as one self-contained HTML page.
pub fn page(report: &Report) -> String {
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
    let _ = writeln!(
        h,
        "<header><h1>Assistant report <span class=\"period\">{}</span></h1><p class=\"sub\">{}</p></header>",
        escape(&title),
        escape(&subtitle)
    );
    h.push_str(&headline::cards(t, report.previous.as_ref()));
    h.push_str(&headline::outcomes(t));

    section(
        &mut h,
        "trend",
        "Day by day",
        "Questions and sessions per day (left axis) and the share of questions answered locally (right axis).",
        charts::trend(&report.days),
        &if report.days.len() > 1 { tables::days_table(&report.days) } else { String::new() },
    );
    section(
        &mut h,
        "funnel",
        "Guided flows",
        "Each flow from its start to its end: how many reached each step, and how many left the flow there (steps ordered by how many reached them).",
        charts::funnel(&report.flows),
        &if report.flows.is_empty() { String::new() } else { tables::flows_table(&report.flows) },
    );

    let w = &report.what_if;
    let threshold =
        w.threshold_in_force.map_or_else(String::new, |t| format!(" The answer threshold in force is {t:.2}."));
    h.push_str("<div class=\"pair\">\n");
    section(
        &mut h,
        "histogram",
        "How sure the index was",
        &format!(
            "The top entry's confidence for the {} questions whose best match was an answer entry, in buckets of 0.05.{threshold}",
            num(w.questions)
        ),
        charts::histogram(w),
        "",
    );
    section(
        &mut h,
        "whatif",
        "What if the answer threshold moved",
        "For each answer threshold: the share of those questions answered locally, the share that would fall back, and the estimated precision of the local answers (judged by feedback, rephrases, fallbacks and handoffs that followed).",
        charts::what_if(w),
        "",
    );
    h.push_str("</div>\n");
    h.push_str(&tables::what_if_table(w));

    h.push_str(&tables::worst_entries(report));
    h.push_str(&tables::unanswered(&report.unanswered));
    h.push_str("<div class=\"pair\">\n");
    h.push_str(&tables::slice_table("locales", "Per language", "Language", &report.locales, t.questions));
    h.push_str(&tables::slice_table("audiences", "Per audience", "Audience", &report.audiences, t.questions));
    h.push_str("</div>\n");
    h.push_str(&tables::llm(t));
    let _ = write!(
        h,
        "<footer>Made by <code>kb report --html</code> from {} events. Figures as defined in docs/metrics.md; \
         a change is against the period of the same length just before.</footer>\n</main>\n</body>\n</html>\n",
        num(t.events)
    );
    h
}

/// The page's title (the period, or "no events") and the line under it.
fn heading(report: &Report) -> (String, String) {
    let t = &report.totals;
    let mut sub = format!("{} events, {} sessions, {} questions", num(t.events), num(t.sessions), num(t.questions));
    let title = match &report.period {
        Some((from, to)) => {
            if let Some(n) = day_count(from, to) {
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

/// A chart's section: heading, caption, the chart (or its note), its legend and what follows
/// it (a table).
fn section(h: &mut String, id: &str, title: &str, caption: &str, chart: Chart, after: &str) {
    let _ = writeln!(
        h,
        "<section class=\"panel\" id=\"{id}\"><h2>{}</h2><p class=\"caption\">{}</p>\n<figure class=\"chart\" id=\"chart-{id}\">{}</figure>{}{after}</section>",
        escape(title),
        escape(caption),
        chart.body,
        chart.legend
    );
}

/// A note in place of a chart or a table.
fn note(text: &str) -> String {
    format!("<p class=\"nodata\">{}</p>\n", escape(text))
}

/// Flows, the most started first (the funnel draws the first few, the table lists them all).
fn by_starts(flows: &[FlowFigures]) -> Vec<&FlowFigures> {
    let mut v: Vec<&FlowFigures> = flows.iter().collect();
    v.sort_by(|a, b| b.starts.cmp(&a.starts).then(a.flow.cmp(&b.flow)));
    v
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::{EntryFigures, Figures, Llm, Resolution, Slice, StepFigures, WhatIf, WhatIfPoint};
    use crate::unanswered::{Group, GroupKey, Unanswered};

    const HOSTILE: &str = "<img src=x onerror=alert(1)>";
    const SCRIPT: &str = "<script>alert('x')</script>";

    fn figures(scale: u64) -> Figures {
        let q = 100 * scale;
        let mut paths = BTreeMap::new();
        let mut rates = BTreeMap::new();
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
            feedback_reasons: [("not_my_question".to_string(), 2), ("wrong".to_string(), 1)].into_iter().collect(),
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
                errors: [(format!("HTTP 502: {HOSTILE}"), 2)].into_iter().collect(),
                unsure_rate: Some(0.25),
                median_ttft_ms: Some(840.0),
                encoder_read: 9 * scale,
                encoder_answered: 5 * scale,
            },
        }
    }

    /// A report with every section filled, text from events planted with markup.
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
                        let t = f64::from(i) / 20.0;
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
            unanswered: Unanswered {
                questions: 34,
                groups: vec![
                    Group {
                        key: GroupKey::Text(format!("where is my parcel {SCRIPT}")),
                        example: Some(format!("Where is my parcel {SCRIPT}")),
                        top_entry: Some("track-order".into()),
                        questions: 7,
                        no_answer: 2,
                    },
                    Group {
                        key: GroupKey::Entry(HOSTILE.into()),
                        example: None,
                        top_entry: Some(HOSTILE.into()),
                        questions: 4,
                        no_answer: 4,
                    },
                ],
                undercount: 0,
            },
        }
    }

    /// Each chart's `<figure>`, by its id.
    fn chart<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html.find(&format!("id=\"chart-{id}\"")).unwrap_or_else(|| panic!("{id} missing"));
        let end = start + html[start..].find("</figure>").unwrap_or_else(|| panic!("{id} not closed"));
        &html[start..end]
    }

    const CHARTS: [&str; 4] = ["trend", "funnel", "histogram", "whatif"];

    #[test]
    fn every_section_is_there_and_every_chart_is_one_drawn_svg() {
        let html = page(&full());
        for id in [
            "outcomes",
            "trend",
            "funnel",
            "histogram",
            "whatif",
            "whatif-table",
            "entries",
            "unanswered",
            "locales",
            "audiences",
            "llm",
        ] {
            assert!(html.contains(&format!("<section class=\"panel\" id=\"{id}\">")), "section {id}");
        }
        for id in CHARTS {
            let figure = chart(&html, id);
            assert_eq!(figure.matches("<svg").count(), 1, "{id}");
            let shapes = ["<polyline", "<rect", "<circle", "<path", "<line"]
                .iter()
                .map(|s| figure.matches(s).count())
                .sum::<usize>();
            assert!(shapes > 5, "{id}: {shapes} shapes");
        }
        assert_eq!(html.matches("<svg").count(), 4);
        for id in ["histogram", "whatif"] {
            assert!(chart(&html, id).contains("in force 0.67"), "{id}: the threshold in force is marked");
        }
        assert_eq!(html.matches("class=\"legend\"").count(), 4, "one legend per chart");
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
            let html = page(&report);
            let lower = html.to_lowercase();
            assert!(!lower.contains("<script"), "no script");
            assert!(!lower.contains("http://") && !lower.contains("https://"), "no URL");
            assert!(!lower.contains("javascript:"));
            assert!(!lower.contains("url("), "no resource in the CSS");
            assert!(!lower.contains("@import") && !lower.contains("@font-face"));
            for tag in tags(&lower) {
                let reference = tag.contains(" src=") || (tag.contains(" href=") && !tag.contains("href=\"data:,\""));
                assert!(!reference, "a resource reference: {tag}");
                assert!(!tag.contains(" on"), "an event handler: {tag}");
            }
        }
    }

    #[test]
    fn text_from_events_is_escaped_in_tables_and_charts() {
        let html = page(&full());
        assert!(!html.contains("<img") && !html.contains("<script"), "a planted tag got through");
        let unanswered = &html[html.find("id=\"unanswered\"").unwrap()..];
        assert!(
            unanswered.contains("Where is my parcel &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
            "shown as text"
        );
        assert!(html.contains("<code>&lt;img src=x onerror=alert(1)&gt;</code>"), "entry ids escaped");
        assert!(chart(&html, "funnel").contains("flow &lt;img"), "escaped in the SVG too");
        let mut closing = full();
        closing.totals.llm.errors.insert(format!("</td></tr></table>{HOSTILE}"), 1);
        assert!(!page(&closing).contains("</td></tr></table><"), "an error text cannot close the table");
    }

    #[test]
    fn an_empty_report_is_a_whole_page_that_says_no_events() {
        let html = page(&Report::default());
        assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
        assert!(html.contains("<title>Assistant report · no events</title>"));
        assert_eq!(html.matches("<section").count(), html.matches("</section>").count(), "sections closed");
        assert!(!html.contains("<svg") && !html.contains("class=\"legend\""), "notes, no charts, no legends");
        for text in [
            "No events in this period.",
            "No questions in this period.",
            "No guided flow was started",
            "no confidence to show",
            "no curve to draw",
            "No entry was viewed 3 times or more.",
            "No question fell back in this period.",
            "No LLM calls",
        ] {
            assert!(html.contains(text), "{text}");
        }
    }

    #[test]
    fn charts_without_enough_data_become_notes() {
        let mut thin = full();
        thin.days.truncate(1);
        thin.flows.clear();
        thin.totals.llm = Llm::default();
        let html = page(&thin);
        assert!(chart(&html, "trend").contains("Only one day (2026-12-01)"));
        assert!(!chart(&html, "trend").contains("<svg") && !chart(&html, "funnel").contains("<svg"));
        assert_eq!(html.matches("<svg").count(), 2, "histogram and what-if only");
        assert!(html.contains("No LLM calls in this period."));
        assert!(!html.contains("The encoder tier read"), "no encoder line without encoder reads");
        assert!(page(&full())
            .contains("The encoder tier read 18 questions again in the browser and answered 10 of them there."));
    }

    #[test]
    fn cards_show_changes_against_the_previous_period() {
        let mut r = full();
        let previous = r.previous.as_mut().unwrap();
        previous.rates.insert("answer_rate".into(), Some(0.579));
        previous.helpful_rate = Some(0.80);
        let html = page(&r);
        assert!(html.contains("<span class=\"chg good\">▲ +2.1 pt</span>"), "answered locally up");
        assert!(html.contains("<span class=\"chg bad\">▼ −5.0 pt</span>"), "helpful down");
        assert!(html.contains("▲ +100%"), "sessions doubled");
        assert!(html.contains("changes against 26 Nov – 30 Nov 2026"));
        r.previous = None;
        assert!(!page(&r).contains("class=\"chg"), "no badges without a previous period");
    }

    #[test]
    fn unanswered_counts_that_are_lower_bounds_say_so() {
        let mut r = full();
        assert!(!page(&r).contains("lower bounds"));
        r.unanswered.undercount = 3;
        assert!(page(&r).contains("the counts are lower bounds, short by at most 3."));
    }
}
