//! The report's four charts, drawn with `plotters`' SVG backend and inlined in the page: the
//! trend per day, the funnel of each flow, the confidence histogram and the threshold what-if
//! curve. A chart without enough data to draw (a single day, no flows, no scored questions) is a
//! short note instead, without a legend. Labels from events (flow and step names) are escaped
//! by the backend.

use std::error::Error;
use std::fmt::Write as _;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text::{clip, escape, num, pct, short_day};
use super::{by_starts, note};
use crate::report::{FlowFigures, Slice, StepFigures, WhatIf, WhatIfPoint};

/// A chart as the page shows it: the SVG (or the note that replaces it) and its legend.
pub(super) struct Chart {
    /// The `<svg>` element, or a note.
    pub(super) body: String,
    /// The legend in HTML (empty with a note).
    pub(super) legend: String,
}

impl Chart {
    /// The chart drawn by `svg`, with `legend`; a drawing error gives a note.
    fn drawn(svg: Result<String, Box<dyn Error>>, legend: &[(Key, RGBColor, &str)]) -> Chart {
        match svg {
            Ok(body) => Chart { body, legend: self::legend(legend) },
            Err(e) => Chart::note(&format!("This chart could not be drawn: {e}")),
        }
    }

    fn note(text: &str) -> Chart {
        Chart { body: note(text), legend: String::new() }
    }
}

/// How a legend item is drawn: a bar, a line, a dashed marker.
#[derive(Clone, Copy)]
enum Key {
    Bar,
    Line,
    Dash,
}

impl Key {
    fn class(self) -> &'static str {
        match self {
            Key::Bar => "bar",
            Key::Line => "line",
            Key::Dash => "dash",
        }
    }
}

/// How many flows the funnel chart draws (the table lists them all).
const FUNNEL_FLOWS: usize = 8;
/// How many steps of one flow the funnel chart draws.
const FUNNEL_STEPS: usize = 12;

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

/// A chart legend in HTML: (shape, colour, label).
fn legend(items: &[(Key, RGBColor, &str)]) -> String {
    let mut h = String::from("<ul class=\"legend\">");
    for (key, c, label) in items {
        let _ = write!(
            h,
            "<li><span class=\"key {}\" style=\"--c:#{:02x}{:02x}{:02x}\"></span>{}</li>",
            key.class(),
            c.0,
            c.1,
            c.2,
            escape(label)
        );
    }
    h.push_str("</ul>\n");
    h
}

/// A drawing's result.
type Drawn = Result<(), Box<dyn Error>>;

/// Draws one SVG chart of `size` with `draw`; `label` describes it for screen readers.
fn svg(
    size: (u32, u32),
    label: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn,
) -> Result<String, Box<dyn Error>> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    // Inline SVG needs no namespace; without it the page holds no URL at all.
    Ok(buf.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1).replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(label)),
        1,
    ))
}

/// Text in a chart: `size` in pixels.
fn font(size: f64, color: &RGBColor) -> TextStyle<'static> {
    // The SVG backend writes font-size as size / 1.24.
    ("sans-serif", size * 1.24).into_font().color(color)
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

/// Questions and sessions per day, and the local-answer rate.
pub(super) fn trend(days: &[Slice]) -> Chart {
    match days {
        [] => return Chart::note("No events in this period."),
        [day] => {
            return Chart::note(&format!(
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
    let drawn = svg((1120, 340), &label, |root| {
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
    });
    Chart::drawn(
        drawn,
        &[
            (Key::Bar, BLUE_PALE, "Questions"),
            (Key::Line, BLUE_DARK, "Sessions"),
            (Key::Line, GREEN, "Answered locally"),
        ],
    )
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
fn ordered_steps(flow: &FlowFigures) -> Vec<&StepFigures> {
    let mut steps: Vec<_> = flow.steps.iter().collect();
    steps.sort_by(|a, b| b.reached.max(b.abandoned).cmp(&a.reached.max(a.abandoned)).then(a.step.cmp(&b.step)));
    steps
}

/// The flows the funnel draws: most started first.
fn shown_flows(flows: &[FlowFigures]) -> Vec<&FlowFigures> {
    let mut v = by_starts(flows);
    v.truncate(FUNNEL_FLOWS);
    v
}

/// The funnel of each flow: started, each step reached (and left there), finished.
pub(super) fn funnel(flows: &[FlowFigures]) -> Chart {
    if flows.is_empty() {
        return Chart::note("No guided flow was started in this period.");
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
    let drawn = svg((WIDTH as u32, height as u32), &label, |root| {
        root.fill(&WHITE)?;
        let mut y = 8;
        let left = font(13.0, &INK).pos(Pos::new(HPos::Right, VPos::Center));
        let value = font(12.0, &MUTED).pos(Pos::new(HPos::Left, VPos::Center));
        for flow in shown {
            let steps = ordered_steps(flow);
            // Those who left at a step had reached it: the red part is inside the step's bar.
            let visits = |s: &StepFigures| s.reached.max(s.abandoned);
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
    });
    Chart::drawn(
        drawn,
        &[
            (Key::Bar, BLUE_DARK, "Started"),
            (Key::Bar, BLUE, "Reached the step"),
            (Key::Bar, RED, "Left the flow here"),
            (Key::Bar, GREEN, "Finished"),
        ],
    )
}

/// How one what-if series is read from a point.
type Measure = fn(&WhatIfPoint) -> Option<f64>;

/// Whether the what-if has anything to draw.
pub(super) fn scored(w: &WhatIf) -> bool {
    w.questions > 0 && w.histogram.iter().any(|&n| n > 0)
}

/// The top entry's confidence in 20 buckets, the threshold in force marked.
pub(super) fn histogram(w: &WhatIf) -> Chart {
    if !scored(w) {
        return Chart::note("No question had an answer entry as its best match, so there is no confidence to show.");
    }
    let buckets = w.histogram.len().max(1);
    let width = 1.0 / buckets as f64;
    let top = nice_top(w.histogram.iter().copied().max().unwrap_or(0) as f64 * 1.08);
    let threshold = w.threshold_in_force;
    let label = format!("Histogram of the top entry's confidence over {} questions", w.questions);
    let drawn = svg((560, 340), &label, |root| {
        let mut chart =
            threshold_frame(root, top, ("confidence of the top entry", "questions"), &|v| format!("{v:.0}"), true)?;
        chart.draw_series(w.histogram.iter().enumerate().map(|(i, &n)| {
            let x0 = i as f64 * width;
            let above = threshold.is_none_or(|t| x0 + 1e-9 >= t);
            let color = if above { BLUE } else { BLUE_LIGHT };
            Rectangle::new([(x0 + width * 0.08, 0.0), (x0 + width * 0.92, n as f64)], color.filled())
        }))?;
        if let Some(t) = threshold {
            mark_threshold(&mut chart, t, top)?;
        }
        Ok(())
    });
    match threshold {
        Some(_) => Chart::drawn(
            drawn,
            &[
                (Key::Bar, BLUE, "Would be answered at the threshold in force"),
                (Key::Bar, BLUE_LIGHT, "Below it"),
                (Key::Dash, RED, "Threshold in force"),
            ],
        ),
        None => Chart::drawn(drawn, &[(Key::Bar, BLUE, "Questions")]),
    }
}

/// Local answers, fallbacks and estimated precision against the answer threshold.
pub(super) fn what_if(w: &WhatIf) -> Chart {
    if !scored(w) || w.points.is_empty() {
        return Chart::note("No question had an answer entry as its best match, so there is no curve to draw.");
    }
    let threshold = w.threshold_in_force;
    let label = format!("What-if curve of the answer threshold over {} questions", w.questions);
    let drawn = svg((560, 340), &label, |root| {
        let mut chart =
            threshold_frame(root, 1.0, ("answer threshold", "share"), &|v| format!("{:.0}%", v * 100.0), false)?;
        let series: [(Measure, RGBColor); 3] =
            [(|p| p.answer_rate, BLUE), (|p| p.fallback_rate, ORANGE), (|p| p.precision, GREEN)];
        for (value, color) in series {
            for run in runs(w.points.iter().map(|p| (p.threshold, value(p)))) {
                chart.draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(3)))?;
                chart.draw_series(run.iter().map(|&p| Circle::new(p, 2, color.filled())))?;
            }
        }
        if let Some(t) = threshold {
            mark_threshold(&mut chart, t, 1.0)?;
        }
        Ok(())
    });
    let mut legend = vec![
        (Key::Line, BLUE, "Answered locally"),
        (Key::Line, ORANGE, "Would fall back"),
        (Key::Line, GREEN, "Estimated precision"),
    ];
    if threshold.is_some() {
        legend.push((Key::Dash, RED, "Threshold in force"));
    }
    Chart::drawn(drawn, &legend)
}

/// A chart over answer thresholds (0 to 1 across, 0 to `top` up).
type ThresholdChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The white frame of a chart over answer thresholds: tenths across, `top` up with labels by
/// `y_label`, the axes described by `(x, y)`; `bars` leaves out the vertical grid lines.
fn threshold_frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    top: f64,
    (x, y): (&str, &str),
    y_label: &dyn Fn(&f64) -> String,
    bars: bool,
) -> Result<ThresholdChart<'a, 'b>, Box<dyn Error>> {
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin_top(14)
        .margin_right(16)
        .margin_left(6)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..1.0, 0.0..top)?;
    let mut mesh = chart.configure_mesh();
    if bars {
        mesh.disable_x_mesh();
    }
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_labels(11)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(y_label)
        .label_style(font(12.0, &MUTED))
        .axis_desc_style(font(12.0, &MUTED))
        .x_desc(x)
        .y_desc(y)
        .draw()?;
    Ok(chart)
}

/// The answer threshold in force, `t`, as a dashed red line up to `top`, labelled on the side with
/// more room.
fn mark_threshold(chart: &mut ThresholdChart<'_, '_>, t: f64, top: f64) -> Drawn {
    chart.draw_series(DashedLineSeries::new([(t, 0.0), (t, top)], 6, 4, RED.stroke_width(2)))?;
    let (anchor, dx) = if t > 0.5 { (HPos::Right, -0.01) } else { (HPos::Left, 0.01) };
    chart.draw_series([Text::new(
        format!("in force {t:.2}"),
        (t + dx, top),
        font(12.0, &RED).pos(Pos::new(anchor, VPos::Top)),
    )])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!((nice_top(47.0), nice_top(101.0), nice_top(0.0), nice_top(3.0)), (50.0, 120.0, 1.0, 3.0));
    }

    #[test]
    fn series_with_gaps_are_drawn_as_runs() {
        let runs = runs([(0.0, Some(1.0)), (1.0, None), (2.0, Some(2.0)), (3.0, Some(3.0)), (4.0, None)].into_iter());
        assert_eq!(runs, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }

    #[test]
    fn without_a_threshold_in_force_nothing_is_marked() {
        let w = WhatIf {
            threshold_in_force: None,
            questions: 3,
            points: (0..21).map(|i| WhatIfPoint { threshold: f64::from(i) / 20.0, ..Default::default() }).collect(),
            histogram: (0..20).map(|i| u64::from(i == 14)).collect(),
        };
        for chart in [histogram(&w), what_if(&w)] {
            assert!(chart.body.starts_with("<svg"), "{}", chart.body);
            assert!(!chart.body.contains("in force") && !chart.legend.contains("Threshold"));
        }
    }

    #[test]
    fn funnel_steps_put_the_common_path_first() {
        let flow = FlowFigures {
            flow: "f".into(),
            steps: vec![
                StepFigures { step: "a-rare".into(), reached: 1, abandoned: 0 },
                StepFigures { step: "b-common".into(), reached: 9, abandoned: 3 },
                StepFigures { step: "c-left".into(), reached: 0, abandoned: 4 },
            ],
            ..Default::default()
        };
        let names: Vec<&str> = ordered_steps(&flow).iter().map(|s| s.step.as_str()).collect();
        assert_eq!(names, ["b-common", "c-left", "a-rare"]);
    }
}
