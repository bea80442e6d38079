//! `kb collect`, `kb report` and `kb gaps`: what the widget saw, for the support team.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use kb_analytics::collect::{self, Options, DEFAULT_MAX_BODY};
use kb_analytics::gaps::{self, draft, Finder, Verdict};
use kb_analytics::html;
use kb_analytics::read::{files, read, ReadStats};
use kb_analytics::report::{Builder, Figures, Report, Window};
use kb_analytics::unanswered::GroupKey;
use kb_core::Index;

use crate::knowledge::{build_calibrated, load_checked};
use crate::output::{bar, bytes_bar, write};
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
    /// Only the events answered from this knowledge release (their `pack`: a release version,
    /// or a pack checksum), to watch a candidate beside the stable release.
    #[arg(long, value_name = "VERSION")]
    release: Option<String>,
    /// Print every figure as JSON.
    #[arg(long)]
    json: bool,
    /// Write the report as one self-contained HTML page (charts and tables, no script).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// `kb gaps`.
#[derive(Args)]
pub struct GapsArgs {
    /// Event files, or folders of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Folder for the draft entries, written as `entries/<locale>/<id>.md` (one already there is
    /// kept as it is).
    #[arg(long, default_value = "drafts")]
    out: PathBuf,
    /// The knowledge folder whose pack judges the needs [default: knowledge].
    #[arg(long, conflicts_with = "index")]
    knowledge: Option<PathBuf>,
    /// A built pack to judge them with instead.
    #[arg(long)]
    index: Option<PathBuf>,
    /// First day of the period (UTC, YYYY-MM-DD).
    #[arg(long, requires = "to", value_parser = parse_day)]
    from: Option<NaiveDate>,
    /// Last day of the period, included.
    #[arg(long, requires = "from", value_parser = parse_day)]
    to: Option<NaiveDate>,
    /// Needs asked in fewer sessions are counted, not listed.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    min_sessions: u64,
    /// Print every need as JSON (the drafts are written all the same).
    #[arg(long)]
    json: bool,
}

/// How many needs the terminal list shows (`--json` has them all).
const LISTED: usize = 20;

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

/// Reads the event files of `inputs` into `each` with a progress bar, and says on stderr how
/// many events were read and which lines were not events.
pub fn read_events(
    command: &str,
    inputs: &[PathBuf],
    each: impl FnMut(kb_analytics::Event),
) -> Result<ReadStats, Failure> {
    let started = Instant::now();
    let inputs = files(inputs)?;
    let total: u64 = inputs.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let bar = bytes_bar(total, "reading");
    let stats = read(&inputs, each, |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{command}: {} events from {} file(s) in {seconds:.2} s ({:.0} events/s){}",
        stats.events,
        inputs.len(),
        stats.events as f64 / seconds.max(1e-9),
        if stats.bad > 0 { format!("; {} line(s) skipped", stats.bad) } else { String::new() }
    );
    for line in &stats.bad_lines {
        eprintln!("  {line}");
    }
    Ok(stats)
}

/// `kb report`.
pub fn report(args: &ReportArgs) -> Outcome {
    let mut builder = Builder::new(window(args.from, args.to)?, args.sessions.is_some());
    read_events("kb report", &args.inputs, |e| {
        if args.release.as_ref().is_none_or(|r| *r == e.pack) {
            builder.add(e);
        }
    })?;
    let (report, rows) = builder.finish();
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

/// The pack that judges the needs: `--index`, or `--knowledge` built as `kb build` builds it.
fn judging_pack(args: &GapsArgs) -> Result<Index, Failure> {
    let bytes = match &args.index {
        Some(path) => std::fs::read(path).map_err(|e| Failure(format!("cannot read {}: {e}", shown(path))))?,
        None => {
            let knowledge = load_checked(args.knowledge.as_deref().unwrap_or(std::path::Path::new("knowledge")))?;
            build_calibrated(&knowledge.corpus(), &knowledge.dev_queries())?
        }
    };
    Index::from_bytes(bytes).map_err(|e| Failure(e.to_string()))
}

/// `kb gaps`.
pub fn gaps(args: &GapsArgs) -> Outcome {
    let index = judging_pack(args)?;
    let mut finder = Finder::new(window(args.from, args.to)?);
    read_events("kb gaps", &args.inputs, |e| finder.add(e))?;
    let options = gaps::Options { min_sessions: args.min_sessions, ..gaps::Options::default() };
    let grouping = bar(0, "reading");
    let found = finder.finish(&index, &options, |done, total| {
        grouping.set_length(total as u64);
        grouping.set_position(done as u64);
        if done == total {
            grouping.set_message("grouping");
        }
    });
    grouping.finish_and_clear();
    let written = draft::write(&args.out, &found.clusters)?;
    let kept = |file: &str| written.iter().any(|w| w.kept && w.path == args.out.join(file));
    eprintln!(
        "kb gaps: {} gap questions ({} more without text) in {} phrasings; {} needs asked in {}+ sessions ({} smaller); {} draft(s) in {}",
        found.gap_questions,
        found.without_text,
        found.phrasings,
        found.clusters.len(),
        args.min_sessions,
        found.below_minimum,
        written.iter().filter(|w| !w.kept).count(),
        shown(&args.out)
    );
    if args.json {
        let mut json = serde_json::to_value(&found)?;
        json["drafts"] = serde_json::json!({
            "folder": shown(&args.out),
            "written": written.iter().filter(|w| !w.kept).map(|w| shown(&w.path)).collect::<Vec<_>>(),
            "kept": written.iter().filter(|w| w.kept).map(|w| shown(&w.path)).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    if found.clusters.is_empty() {
        out!("no need asked in {} or more sessions", args.min_sessions);
    }
    for c in found.clusters.iter().take(LISTED) {
        let verdict = match &c.verdict {
            Verdict::Add { entry, turned_down: 0, .. } => format!("add to {entry}"),
            Verdict::Add { entry, turned_down, .. } => {
                format!("add to {entry} (its answer was turned down {turned_down}×)")
            }
            Verdict::Draft { file, .. } => {
                let path = shown(&args.out.join(file));
                if kept(file) {
                    format!("draft {path} (kept, it was there)")
                } else {
                    format!("draft {path}")
                }
            }
        };
        out!(
            "{:>3}. {:>4} sessions {:>5} questions  {}  {}  → {verdict}",
            c.rank,
            c.sessions,
            c.questions,
            c.locale,
            short(&c.name, 48)
        );
    }
    if found.clusters.len() > LISTED {
        out!("… {} more (--json lists them all)", found.clusters.len() - LISTED);
    }
    Ok(())
}

/// `text` cut to `chars` characters, padded to them.
fn short(text: &str, chars: usize) -> String {
    let cut: String = if text.chars().count() > chars {
        text.chars().take(chars - 1).chain(std::iter::once('…')).collect()
    } else {
        text.to_string()
    };
    format!("{cut:<chars$}")
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
