//! `kb collect` and `kb report`: what the widget saw, for the support team.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use kb_analytics::collect::{self, Options, DEFAULT_MAX_BODY};
use kb_analytics::html;
use kb_analytics::read::{files, read};
use kb_analytics::report::{Builder, Figures, Report, Window};
use kb_analytics::unanswered::GroupKey;

use crate::output::{bytes_bar, write};
use crate::{out, shown, Failure, Outcome};

/// `kb collect`.
#[derive(Args)]
pub struct CollectArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8790")]
    listen: SocketAddr,
    /// Folder for the daily event files.
    #[arg(long, default_value = "events")]
    out: PathBuf,
    /// An origin allowed to send (repeatable; `*` for any).
    #[arg(long = "allow-origin", default_value = "*")]
    origins: Vec<String>,
    /// The largest batch accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY)]
    max_body: usize,
}

/// `kb report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Event files, or folders of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// First day of the period (UTC, YYYY-MM-DD).
    #[arg(long, requires = "to", value_parser = parse_day)]
    from: Option<NaiveDate>,
    /// Last day of the period, included.
    #[arg(long, requires = "from", value_parser = parse_day)]
    to: Option<NaiveDate>,
    /// Write one row per session as CSV.
    #[arg(long)]
    sessions: Option<PathBuf>,
    /// Print every figure as JSON.
    #[arg(long)]
    json: bool,
    /// Write the report as one self-contained HTML page (charts and tables, no script).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a day (YYYY-MM-DD)"))
}

/// `kb collect`.
pub fn collect(args: &CollectArgs) -> Outcome {
    let options =
        Options { listen: args.listen, out: args.out.clone(), origins: args.origins.clone(), max_body: args.max_body };
    collect::serve(&options, |address| {
        out!("listening {address}");
        eprintln!("kb collect: writing events to {}", shown(&args.out));
    })?;
    Ok(())
}

/// The period `[from, to]` as event times.
fn window(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Option<Window>, Failure> {
    let (Some(from), Some(to)) = (from, to) else { return Ok(None) };
    if to < from {
        return Err(Failure(format!("--to {to} is before --from {from}")));
    }
    let ms = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_millis());
    Ok(Some(Window { from: ms(from), to: ms(to + chrono::Days::new(1)) }))
}

/// `kb report`.
pub fn report(args: &ReportArgs) -> Outcome {
    let started = Instant::now();
    let inputs = files(&args.inputs)?;
    let total: u64 = inputs.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let mut builder = Builder::new(window(args.from, args.to)?, args.sessions.is_some());
    let bar = bytes_bar(total, "reading");
    let stats = read(&inputs, |e| builder.add(e), |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let (report, rows) = builder.finish();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "kb report: {} events from {} file(s) in {seconds:.2} s ({:.0} events/s){}",
        stats.events,
        inputs.len(),
        stats.events as f64 / seconds.max(1e-9),
        if stats.bad > 0 { format!("; {} line(s) skipped", stats.bad) } else { String::new() }
    );
    for line in &stats.bad_lines {
        eprintln!("  {line}");
    }
    if let Some(path) = &args.sessions {
        let mut csv = csv::Writer::from_writer(Vec::new());
        for row in &rows {
            csv.serialize(row)?;
        }
        write(path, &csv.into_inner().map_err(|e| Failure(e.to_string()))?)?;
        eprintln!("kb report: wrote {} ({} sessions)", shown(path), rows.len());
    }
    if let Some(path) = &args.html {
        write(path, html::page(&report).as_bytes())?;
        eprintln!("kb report: wrote {}", shown(path));
    }
    if args.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        summary(&report);
    }
    Ok(())
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |x| format!("{:.1}%", 100.0 * x))
}

/// A rate's change against the previous period, in points: " (+2.1 pt)".
fn change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => format!(" ({:+.1} pt)", 100.0 * (a - b)),
        _ => String::new(),
    }
}

/// A count's change against the previous period, in percent: " (+20%)".
fn count_change(now: u64, before: Option<u64>) -> String {
    match before {
        Some(b) if b > 0 => format!(" ({:+.0}%)", 100.0 * (now as f64 - b as f64) / b as f64),
        _ => String::new(),
    }
}

/// The terminal summary: one labelled line per subject, the rest is in `--html` and `--json`.
fn summary(report: &Report) {
    let t = &report.totals;
    let p = report.previous.as_ref();
    match &report.period {
        Some((from, to)) => {
            out!("{from} to {to}{}", if p.is_some() { ", changes against the period before" } else { "" })
        }
        None => out!("every event read"),
    }
    let rate = |f: &Figures, name: &str| f.rates.get(name).copied().flatten();
    let answered = rate(t, "answer_rate");
    out!(
        "  sessions    {}{}, questions {}{}",
        t.sessions,
        count_change(t.sessions, p.map(|p| p.sessions)),
        t.questions,
        count_change(t.questions, p.map(|p| p.questions))
    );
    out!(
        "  answered    {} locally{} · {} fell back · {} no answer{}",
        pct(answered),
        change(answered, p.and_then(|p| rate(p, "answer_rate"))),
        pct(rate(t, "fallback_rate")),
        pct(t.no_answer_rate),
        change(t.no_answer_rate, p.and_then(|p| p.no_answer_rate))
    );
    let r = &t.resolution;
    out!(
        "  resolved    {} of {} sessions that asked{}",
        pct(r.resolution_rate),
        r.asked,
        change(r.resolution_rate, p.and_then(|p| p.resolution.resolution_rate))
    );
    out!(
        "  helpful     {} of {} ratings{}",
        pct(t.helpful_rate),
        t.feedback,
        change(t.helpful_rate, p.and_then(|p| p.helpful_rate))
    );
    if t.llm.calls > 0 {
        out!(
            "  LLM         {} calls · {} unsure · first token {} · {} failed",
            t.llm.calls,
            pct(t.llm.unsure_rate),
            t.llm.median_ttft_ms.map_or_else(|| "—".into(), |ms| format!("{ms:.0} ms")),
            t.llm.errors.values().sum::<u64>()
        );
    }
    let worst: Vec<String> = report
        .entries_to_look_at()
        .into_iter()
        .take(3)
        .map(|e| format!("{} (helpful {}, {} views)", clip(&e.entry, 60), pct(e.helpful_rate), e.views))
        .collect();
    if !worst.is_empty() {
        out!("  look at     {}", worst.join("; "));
    }
    let unanswered: Vec<String> = report
        .unanswered
        .groups
        .iter()
        .take(3)
        .map(|g| match (&g.key, &g.example) {
            (GroupKey::Text(_), Some(text)) => format!("\"{}\" ×{}", clip(text, 40), g.questions),
            (GroupKey::Text(key), None) => format!("\"{}\" ×{}", clip(key, 40), g.questions),
            (GroupKey::Entry(entry), _) => format!("near {} ×{}", clip(entry, 60), g.questions),
            (GroupKey::Unmatched, _) => format!("unmatched ×{}", g.questions),
        })
        .collect();
    if !unanswered.is_empty() {
        out!("  unanswered  {}", unanswered.join("; "));
    }
    if let Some(t) = report.what_if.threshold_in_force {
        out!("  threshold   {t:.2} in force (--html for the charts and the what-if, --json for every figure)");
    }
}

/// Text from events cut to `max` characters, control characters shown as spaces (an event must
/// not drive the terminal).
fn clip(text: &str, max: usize) -> String {
    let cleaned: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match cleaned.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &cleaned[..at]),
        None => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_text_is_short_and_cannot_drive_the_terminal() {
        assert_eq!(clip("where is my parcel", 8), "where is…");
        assert_eq!(clip("ok\u{1b}[2J\n", 10), "ok [2J ", "escape and newline shown as spaces");
        assert_eq!(clip("ไม่มีพัสดุ", 3), "ไม่…", "cut on characters");
        assert_eq!(
            (count_change(12, Some(10)), count_change(3, Some(0)), count_change(3, None)),
            (" (+20%)".into(), String::new(), String::new())
        );
        assert_eq!(change(Some(0.5), Some(0.479)), " (+2.1 pt)");
    }

    #[test]
    fn a_period_ends_after_its_last_day_and_cannot_run_backwards() {
        let day = |s| parse_day(s).unwrap();
        let Ok(Some(w)) = window(Some(day("2026-12-01")), Some(day("2026-12-01"))) else { panic!("a one-day window") };
        assert_eq!(w.to - w.from, 86_400_000);
        assert!(window(Some(day("2026-12-02")), Some(day("2026-12-01"))).is_err());
        assert!(parse_day("12/01/2026").is_err());
    }
}
