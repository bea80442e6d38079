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
        // The top unanswered needs come from `kb gaps`; none yet.
        write(path, html::page(&report, &[]).as_bytes())?;
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

/// The change against the previous period, in points.
fn change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => format!(" ({:+.1} pt)", 100.0 * (a - b)),
        _ => String::new(),
    }
}

fn summary(report: &Report) {
    let t = &report.totals;
    let p = report.previous.as_ref();
    let prev = |f: fn(&Figures) -> Option<f64>| p.and_then(f);
    if let Some((from, to)) = &report.period {
        out!("Period {from} – {to}{}", if p.is_some() { ", against the period before" } else { "" });
    }
    out!("{} sessions, {} questions, {} events", t.sessions, t.questions, t.events);
    let rate = |name: &str| t.rates.get(name).copied().flatten();
    let rate_before = |name: &str| p.and_then(|p| p.rates.get(name).copied().flatten());
    out!(
        "  answered locally {}{}  clarified {}  fell back {}{}  handed off {}  small talk / declined {}  no answer {}{}",
        pct(rate("answer_rate")),
        change(rate("answer_rate"), rate_before("answer_rate")),
        pct(rate("clarify_rate")),
        pct(rate("fallback_rate")),
        change(rate("fallback_rate"), rate_before("fallback_rate")),
        pct(rate("handoff_rate")),
        pct(rate("reply_rate")),
        pct(t.no_answer_rate),
        change(t.no_answer_rate, prev(|f| f.no_answer_rate)),
    );
    let r = &t.resolution;
    out!(
        "  resolved {}{} of {} sessions that asked (confirmed {}, assumed {}, unresolved {})",
        pct(r.resolution_rate),
        change(r.resolution_rate, prev(|f| f.resolution.resolution_rate)),
        r.asked,
        pct(r.confirmed_rate),
        pct(r.assumed_rate),
        pct(r.unresolved_rate)
    );
    out!("  helpful {} of {} ratings", pct(t.helpful_rate), t.feedback);
    out!(
        "  LLM: {} calls, unsure {}, median first token {}, errors {}",
        t.llm.calls,
        pct(t.llm.unsure_rate),
        t.llm.median_ttft_ms.map_or_else(|| "—".into(), |ms| format!("{ms:.0} ms")),
        t.llm.errors.values().sum::<u64>()
    );
    let worst: Vec<String> = report
        .entries
        .iter()
        .filter(|e| e.views >= 3)
        .filter(|e| {
            e.helpful_rate.is_some_and(|h| h < 0.5) || e.followed_by_fallback + e.followed_by_handoff > e.views / 3
        })
        .take(5)
        .map(|e| format!("{} ({} views, helpful {})", e.entry, e.views, pct(e.helpful_rate)))
        .collect();
    if !worst.is_empty() {
        out!("  entries to look at: {}", worst.join("; "));
    }
    if let Some(t) = report.what_if.threshold_in_force {
        out!("  answer threshold in force {t:.2}; `--json` for the what-if curve");
    }
}
