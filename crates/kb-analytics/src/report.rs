//! `kb report`'s figures, computed as `docs/metrics.md` defines them, from events streamed in the
//! order they were written (files in name order, lines in order).
//!
//! Memory does not grow with the period: events are grouped by session while the session is
//! open ([`crate::session`]), and a closed session's figures are added to the totals and its row
//! written. What is kept across a whole period is bounded by the knowledge (per entry, per flow),
//! the days, and the LLM calls' first-token times; the unanswered questions' texts are summarized
//! in bounded memory ([`crate::unanswered`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::event::{date, millis, Event, Kind, Path};
use crate::session::{OpenSessions, SWEEP_EVERY};
use crate::unanswered::{Tally, Unanswered};

/// A next question within this long of an answer is a rephrase.
pub const REPHRASE_MS: i64 = 60 * 1000;
/// The answer thresholds of the what-if curve: 0.00, 0.05, …, 1.00.
pub const WHAT_IF_STEPS: usize = 21;

/// A half-open range of event times, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub from: i64,
    /// Exclusive end.
    pub to: i64,
}

impl Window {
    /// Whether `ms` falls in it.
    pub fn contains(&self, ms: i64) -> bool {
        self.from <= ms && ms < self.to
    }

    /// The window of the same length just before.
    pub fn previous(&self) -> Window {
        Window { from: self.from - (self.to - self.from), to: self.from }
    }
}

/// Every figure of a period (see `docs/metrics.md`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Events read in the period (each id once).
    pub events: u64,
    /// Distinct sessions.
    pub sessions: u64,
    /// Questions.
    pub questions: u64,
    /// Questions per path.
    pub paths: BTreeMap<String, u64>,
    /// Share of questions per path.
    pub rates: BTreeMap<String, Option<f64>>,
    /// Questions with no answer (fallback or no knowledge, not answered by the LLM) / questions.
    pub no_answer_rate: Option<f64>,
    /// Helpful feedback / feedback (reasons aside).
    pub helpful_rate: Option<f64>,
    /// Thumbs up and down (reasons aside).
    pub feedback: u64,
    /// Reasons given after a thumbs-down.
    pub feedback_reasons: BTreeMap<String, u64>,
    /// Resolution of the sessions that asked something.
    pub resolution: Resolution,
    /// The LLM fallback.
    pub llm: Llm,
}

/// How the sessions that asked something ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Resolution {
    /// Sessions with at least one substantive question.
    pub asked: u64,
    /// Their last "did this solve your issue?" said yes.
    pub confirmed: u64,
    /// No yes or no, and the last question was resolved, with no handoff after it.
    pub assumed: u64,
    /// The rest.
    pub unresolved: u64,
    /// (confirmed + assumed) / asked.
    pub resolution_rate: Option<f64>,
    /// confirmed / asked.
    pub confirmed_rate: Option<f64>,
    /// assumed / asked.
    pub assumed_rate: Option<f64>,
    /// unresolved / asked.
    pub unresolved_rate: Option<f64>,
}

/// The LLM fallback's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Llm {
    /// Requests sent (answered, unsure, failed, stopped).
    pub calls: u64,
    /// Failed calls per error text.
    pub errors: BTreeMap<String, u64>,
    /// Unsure replies / calls.
    pub unsure_rate: Option<f64>,
    /// Lower median of the time to first byte.
    pub median_ttft_ms: Option<f64>,
    /// Questions the encoder tier read and decided again.
    pub encoder_read: u64,
    /// Of those, the ones it answered in the browser: each an LLM call saved or a "did you
    /// mean" turned into an answer.
    pub encoder_answered: u64,
}

/// One entry's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EntryFigures {
    /// The entry.
    pub entry: String,
    /// Times shown as an answer or taken as a suggestion.
    pub views: u64,
    /// Helpful feedback.
    pub helpful: u64,
    /// Not-helpful feedback.
    pub not_helpful: u64,
    /// helpful / (helpful + not helpful).
    pub helpful_rate: Option<f64>,
    /// Views followed by a fallback or no knowledge.
    pub followed_by_fallback: u64,
    /// Views followed by a handoff.
    pub followed_by_handoff: u64,
    /// Views followed by another question within a minute.
    pub followed_by_rephrase: u64,
}

impl EntryFigures {
    /// How badly the entry does, 0 to 1: the largest of its not-helpful share, the share of its
    /// views followed by a fallback or a handoff, and the share followed by a rephrase.
    pub fn trouble(&self) -> f64 {
        let views = self.views.max(1) as f64;
        let unhelpful = self.helpful_rate.map_or(0.0, |h| 1.0 - h);
        let escaped = ((self.followed_by_fallback + self.followed_by_handoff) as f64 / views).min(1.0);
        let rephrased = (self.followed_by_rephrase as f64 / views).min(1.0);
        unhelpful.max(escaped).max(rephrased)
    }
}

/// Entries viewed fewer times are not judged by [`Report::entries_to_look_at`].
pub const MIN_VIEWS: u64 = 3;

/// One flow's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FlowFigures {
    /// The flow.
    pub flow: String,
    /// Times started.
    pub starts: u64,
    /// Times finished.
    pub finished: u64,
    /// finished / starts.
    pub completion_rate: Option<f64>,
    /// Per step: reached and abandoned.
    pub steps: Vec<StepFigures>,
}

/// A flow step's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StepFigures {
    /// The step.
    pub step: String,
    /// `flow_step` events at it.
    pub reached: u64,
    /// `flow_abandoned` events at it.
    pub abandoned: u64,
}

/// Questions and answers of one day, locale or audience.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Slice {
    /// The day, locale or audience.
    pub key: String,
    /// Distinct sessions (days only).
    pub sessions: Option<u64>,
    /// Questions.
    pub questions: u64,
    /// Local answers / questions.
    pub answer_rate: Option<f64>,
}

/// One point of the threshold what-if curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WhatIfPoint {
    /// The answer threshold.
    pub threshold: f64,
    /// Share answered locally at it.
    pub answer_rate: Option<f64>,
    /// Share that would fall back.
    pub fallback_rate: Option<f64>,
    /// Estimated precision of its local answers (feedback and rephrases).
    pub precision: Option<f64>,
}

/// The threshold what-if.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WhatIf {
    /// The answer threshold in force (the most frequent one logged).
    pub threshold_in_force: Option<f64>,
    /// Questions the curve is computed over.
    pub questions: u64,
    /// The curve.
    pub points: Vec<WhatIfPoint>,
    /// Top-entry confidences of those questions in 20 buckets of 0.05.
    pub histogram: Vec<u64>,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// The period (ISO dates, inclusive), if bounded.
    pub period: Option<(String, String)>,
    /// Its figures.
    pub totals: Figures,
    /// The previous period's figures (with `--from` and `--to`).
    pub previous: Option<Figures>,
    /// Per entry, by views.
    pub entries: Vec<EntryFigures>,
    /// Per flow.
    pub flows: Vec<FlowFigures>,
    /// Per day.
    pub days: Vec<Slice>,
    /// Per locale.
    pub locales: Vec<Slice>,
    /// Per audience.
    pub audiences: Vec<Slice>,
    /// The threshold what-if.
    pub what_if: WhatIf,
    /// The questions that fell back, grouped.
    pub unanswered: Unanswered,
}

impl Report {
    /// The entries to look at, worst first: viewed [`MIN_VIEWS`] times or more, with some
    /// [`EntryFigures::trouble`] (ties: more views first, then by id).
    pub fn entries_to_look_at(&self) -> Vec<&EntryFigures> {
        let mut v: Vec<&EntryFigures> =
            self.entries.iter().filter(|e| e.views >= MIN_VIEWS && e.trouble() > 0.0).collect();
        v.sort_by(|a, b| b.trouble().total_cmp(&a.trouble()).then(b.views.cmp(&a.views)).then(a.entry.cmp(&b.entry)));
        v
    }
}

/// One session's row of `--sessions sessions.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SessionRow {
    /// Session id.
    pub session: String,
    /// Its first event.
    pub first_ts: String,
    /// Its last event.
    pub last_ts: String,
    /// Locale of its first question.
    pub locale: String,
    /// Audience of its first question.
    pub audience: String,
    /// Questions.
    pub questions: u64,
    /// Local answers.
    pub answers: u64,
    /// Clarifications.
    pub clarifies: u64,
    /// Fallbacks.
    pub fallbacks: u64,
    /// Handoffs asked for.
    pub handoffs: u64,
    /// Small-talk and off-topic replies.
    pub replies: u64,
    /// `confirmed`, `assumed`, `unresolved` or `none`.
    pub resolution: String,
    /// Entries viewed, in order.
    pub entries: String,
    /// Flows started.
    pub flows: String,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Totals that add up over sessions.
#[derive(Default)]
struct Totals {
    events: u64,
    sessions: u64,
    questions: u64,
    paths: BTreeMap<Path, u64>,
    no_answer: u64,
    helpful: u64,
    feedback: u64,
    reasons: BTreeMap<String, u64>,
    asked: u64,
    confirmed: u64,
    assumed: u64,
    llm_calls: u64,
    llm_unsure: u64,
    llm_errors: BTreeMap<String, u64>,
    ttft: Vec<f64>,
    encoder_read: u64,
    encoder_answered: u64,
}

impl Totals {
    fn figures(&self) -> Figures {
        let mut ttft = self.ttft.clone();
        ttft.sort_by(f64::total_cmp);
        let unresolved = self.asked - self.confirmed - self.assumed;
        Figures {
            events: self.events,
            sessions: self.sessions,
            questions: self.questions,
            paths: Path::ALL.iter().map(|p| (p.name().to_string(), self.paths.get(p).copied().unwrap_or(0))).collect(),
            rates: Path::ALL
                .iter()
                .map(|p| (format!("{}_rate", p.name()), ratio(self.paths.get(p).copied().unwrap_or(0), self.questions)))
                .collect(),
            no_answer_rate: ratio(self.no_answer, self.questions),
            helpful_rate: ratio(self.helpful, self.feedback),
            feedback: self.feedback,
            feedback_reasons: self.reasons.clone(),
            resolution: Resolution {
                asked: self.asked,
                confirmed: self.confirmed,
                assumed: self.assumed,
                unresolved,
                resolution_rate: ratio(self.confirmed + self.assumed, self.asked),
                confirmed_rate: ratio(self.confirmed, self.asked),
                assumed_rate: ratio(self.assumed, self.asked),
                unresolved_rate: ratio(unresolved, self.asked),
            },
            llm: Llm {
                calls: self.llm_calls,
                errors: self.llm_errors.clone(),
                unsure_rate: ratio(self.llm_unsure, self.llm_calls),
                median_ttft_ms: (!ttft.is_empty()).then(|| ttft[(ttft.len() - 1) / 2]),
                encoder_read: self.encoder_read,
                encoder_answered: self.encoder_answered,
            },
        }
    }
}

/// Per-period accumulation: totals, and (for the main period) the breakdowns.
#[derive(Default)]
struct Accumulator {
    totals: Totals,
    entries: BTreeMap<String, EntryFigures>,
    flows: BTreeMap<String, FlowCounts>,
    day_sessions: BTreeMap<String, HashSet<u64>>,
    days: BTreeMap<String, (u64, u64)>,
    locales: BTreeMap<String, (u64, u64)>,
    audiences: BTreeMap<String, (u64, u64)>,
    what_if: WhatIfCounts,
    thresholds_seen: BTreeMap<u64, u64>,
    unanswered: Tally,
}

/// A flow's starts, finishes, and per step (reached, abandoned).
type FlowCounts = (u64, u64, BTreeMap<String, (u64, u64)>);

#[derive(Default)]
struct WhatIfCounts {
    questions: u64,
    answered: [u64; WHAT_IF_STEPS],
    fallback: [u64; WHAT_IF_STEPS],
    good: [u64; WHAT_IF_STEPS],
    judged: [u64; WHAT_IF_STEPS],
    histogram: [u64; 20],
}

/// Streams events into a report; feed them with [`Builder::add`], then [`Builder::finish`].
pub struct Builder {
    window: Option<Window>,
    current: Accumulator,
    previous: Option<Accumulator>,
    open: OpenSessions,
    open_previous: OpenSessions,
    clock: i64,
    since_sweep: u32,
    sessions_out: Vec<SessionRow>,
    keep_rows: bool,
    /// Lines that could not be read as events: (where, why).
    pub skipped: Vec<(String, String)>,
}

impl Builder {
    /// A report of `window` (every event without one); `keep_rows` keeps one row per session.
    pub fn new(window: Option<Window>, keep_rows: bool) -> Builder {
        Builder {
            window,
            current: Accumulator::default(),
            previous: window.map(|_| Accumulator::default()),
            open: OpenSessions::default(),
            open_previous: OpenSessions::default(),
            clock: i64::MIN,
            since_sweep: 0,
            sessions_out: Vec::new(),
            keep_rows,
            skipped: Vec::new(),
        }
    }

    /// Adds one event (duplicates of an id already seen in its session are ignored).
    pub fn add(&mut self, event: Event) {
        let Some(ms) = millis(&event.ts) else {
            self.skipped.push((event.id.clone(), format!("bad timestamp `{}`", event.ts)));
            return;
        };
        self.clock = self.clock.max(ms);
        let open = match self.window {
            Some(w) if w.previous().contains(ms) => &mut self.open_previous,
            Some(w) if !w.contains(ms) => return,
            _ => &mut self.open,
        };
        if !open.add(ms, event) {
            return;
        }
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.since_sweep = 0;
            self.close_idle();
        }
    }

    /// Closes the sessions the clock has moved past.
    fn close_idle(&mut self) {
        for (id, events) in self.open.close_idle(self.clock) {
            self.close(&id, &events, false);
        }
        for (id, events) in self.open_previous.close_idle(self.clock) {
            self.close(&id, &events, true);
        }
    }

    fn close(&mut self, id: &str, events: &[(i64, Event)], previous: bool) {
        let acc = if previous { self.previous.as_mut() } else { Some(&mut self.current) };
        let Some(acc) = acc else { return };
        let row = add_session(acc, id, events, !previous);
        if self.keep_rows && !previous {
            self.sessions_out.push(row);
        }
    }

    /// Closes every open session and returns the report and the session rows.
    pub fn finish(mut self) -> (Report, Vec<SessionRow>) {
        for (id, events) in self.open.close_all() {
            self.close(&id, &events, false);
        }
        for (id, events) in self.open_previous.close_all() {
            self.close(&id, &events, true);
        }
        self.sessions_out.sort_by(|a, b| (&a.first_ts, &a.session).cmp(&(&b.first_ts, &b.session)));
        let report = Report {
            period: self.window.map(|w| (date(w.from), date(w.to - 1))),
            totals: self.current.totals.figures(),
            previous: self.previous.as_ref().map(|p| p.totals.figures()),
            entries: entries(&self.current),
            flows: flows(&self.current),
            days: self
                .current
                .days
                .iter()
                .map(|(d, &(q, a))| Slice {
                    key: d.clone(),
                    sessions: Some(self.current.day_sessions.get(d).map_or(0, |s| s.len() as u64)),
                    questions: q,
                    answer_rate: ratio(a, q),
                })
                .collect(),
            locales: slices(&self.current.locales),
            audiences: slices(&self.current.audiences),
            what_if: what_if(&self.current),
            unanswered: self.current.unanswered.finish(),
        };
        (report, self.sessions_out)
    }
}

fn slices(map: &BTreeMap<String, (u64, u64)>) -> Vec<Slice> {
    map.iter()
        .map(|(k, &(q, a))| Slice { key: k.clone(), sessions: None, questions: q, answer_rate: ratio(a, q) })
        .collect()
}

fn entries(acc: &Accumulator) -> Vec<EntryFigures> {
    let mut v: Vec<EntryFigures> = acc
        .entries
        .values()
        .cloned()
        .map(|mut e| {
            e.helpful_rate = ratio(e.helpful, e.helpful + e.not_helpful);
            e
        })
        .collect();
    v.sort_by(|a, b| b.views.cmp(&a.views).then(a.entry.cmp(&b.entry)));
    v
}

fn flows(acc: &Accumulator) -> Vec<FlowFigures> {
    acc.flows
        .iter()
        .map(|(flow, (starts, finished, steps))| FlowFigures {
            flow: flow.clone(),
            starts: *starts,
            finished: *finished,
            completion_rate: ratio(*finished, *starts),
            steps: steps.iter().map(|(s, &(r, a))| StepFigures { step: s.clone(), reached: r, abandoned: a }).collect(),
        })
        .collect()
}

fn what_if(acc: &Accumulator) -> WhatIf {
    let w = &acc.what_if;
    let threshold_in_force =
        acc.thresholds_seen.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(t, _)| *t as f64 / 1e6);
    WhatIf {
        threshold_in_force,
        questions: w.questions,
        points: (0..WHAT_IF_STEPS)
            .map(|i| WhatIfPoint {
                threshold: i as f64 / (WHAT_IF_STEPS - 1) as f64,
                answer_rate: ratio(w.answered[i], w.questions),
                fallback_rate: ratio(w.fallback[i], w.questions),
                precision: ratio(w.good[i], w.judged[i]),
            })
            .collect(),
        histogram: w.histogram.to_vec(),
    }
}

/// The what-if threshold of step `i`, compared in millionths so that SQL's decimals agree.
fn step_threshold(i: usize) -> i64 {
    (i as i64 * 1_000_000) / (WHAT_IF_STEPS as i64 - 1)
}

fn micro(x: f64) -> i64 {
    (x * 1e6).round() as i64
}

/// What a closed session adds; `breakdowns` for the main period only. Returns its row.
fn add_session(acc: &mut Accumulator, id: &str, events: &[(i64, Event)], breakdowns: bool) -> SessionRow {
    let t = &mut acc.totals;
    t.events += events.len() as u64;
    t.sessions += 1;
    // The LLM's outcome of each question.
    let llm: HashMap<&str, &str> = events
        .iter()
        .filter_map(|(_, e)| match &e.kind {
            Kind::LlmFallback { question, outcome, .. } => Some((question.as_str(), outcome.as_str())),
            _ => None,
        })
        .collect();
    // A question the knowledge could not answer (a fallback, or no pack at all: the widget sends
    // both to the LLM) is "answered by the LLM" when its reply was grounded (docs/metrics.md).
    let answered_by_llm = |path: Path, q: &str| {
        matches!(path, Path::Fallback | Path::NoKnowledge)
            && llm.get(q).is_some_and(|o| *o == "answered" || *o == "cached")
    };
    let mut row = SessionRow { session: id.to_string(), ..SessionRow::default() };
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        row.first_ts = first.1.ts.clone();
        row.last_ts = last.1.ts.clone();
    }
    // Views (entry, time, position) for the per-entry figures and the what-if.
    struct View<'a> {
        entry: &'a str,
        at: i64,
        position: usize,
        /// The top confidence of an answer that is one of the what-if's questions.
        what_if: Option<f64>,
    }
    let mut views: Vec<View> = Vec::new();
    let mut last_resolution: Option<&str> = None;
    let mut viewed: Vec<String> = Vec::new();
    let mut flows_started: Vec<String> = Vec::new();
    for (position, (ms, e)) in events.iter().enumerate() {
        let day = date(*ms);
        if breakdowns {
            // Every day with an event is listed, with or without questions.
            acc.days.entry(day.clone()).or_default();
            acc.day_sessions.entry(day.clone()).or_default().insert(hash(id));
        }
        match &e.kind {
            Kind::Question { question, path, entries, top, kind, thresholds, text, encoder, .. } => {
                t.questions += 1;
                *t.paths.entry(*path).or_default() += 1;
                t.encoder_read += u64::from(*encoder);
                t.encoder_answered += u64::from(*encoder && *path == Path::Answer);
                let unanswered =
                    matches!(path, Path::Fallback | Path::NoKnowledge) && !answered_by_llm(*path, question);
                t.no_answer += u64::from(unanswered);
                if row.questions == 0 {
                    row.locale = e.locale.clone();
                    row.audience = e.audience.clone();
                }
                row.questions += 1;
                match path {
                    Path::Answer => row.answers += 1,
                    Path::Clarify => row.clarifies += 1,
                    Path::Fallback | Path::NoKnowledge => row.fallbacks += 1,
                    Path::Handoff => row.handoffs += 1,
                    Path::Reply => row.replies += 1,
                }
                if breakdowns {
                    if matches!(path, Path::Fallback | Path::NoKnowledge) {
                        let top_entry = top.as_ref().and_then(|r| r.entry.as_deref());
                        acc.unanswered.add(*ms, text.as_deref(), top_entry, unanswered);
                    }
                    let answered = u64::from(*path == Path::Answer);
                    for (map, key) in [
                        (&mut acc.days, day.clone()),
                        (&mut acc.locales, e.locale.clone()),
                        (&mut acc.audiences, e.audience.clone()),
                    ] {
                        let slot = map.entry(key).or_default();
                        slot.0 += 1;
                        slot.1 += answered;
                    }
                    // The what-if's questions: an answer entry on top, with its confidence.
                    let what_if = top.as_ref().and_then(|r| r.confidence).filter(|_| kind.as_deref() == Some("answer"));
                    if let (Some(c), Path::Answer | Path::Clarify | Path::Fallback) = (what_if, path) {
                        let w = &mut acc.what_if;
                        w.questions += 1;
                        let clarify = thresholds.map_or(0.0, |t| t.clarify);
                        for i in 0..WHAT_IF_STEPS {
                            let th = step_threshold(i);
                            w.answered[i] += u64::from(micro(c) >= th);
                            w.fallback[i] += u64::from(micro(c) < th.min(micro(clarify)));
                        }
                        w.histogram[((c * 20.0) as usize).min(19)] += 1;
                        if let Some(t) = thresholds {
                            *acc.thresholds_seen.entry(micro(t.answer) as u64).or_default() += 1;
                        }
                    }
                    if *path == Path::Answer {
                        if let Some(entry) = entries.first() {
                            views.push(View { entry, at: *ms, position, what_if });
                        }
                    }
                } else if *path == Path::Answer {
                    if let Some(entry) = entries.first() {
                        views.push(View { entry, at: *ms, position, what_if: None });
                    }
                }
                if *path == Path::Answer {
                    if let Some(entry) = entries.first() {
                        viewed.push(entry.clone());
                    }
                }
            }
            Kind::SuggestionTaken { entry, .. } => {
                views.push(View { entry, at: *ms, position, what_if: None });
                viewed.push(entry.clone());
            }
            Kind::Feedback { helpful, reason: None, .. } => {
                t.feedback += 1;
                t.helpful += u64::from(*helpful);
            }
            Kind::Feedback { reason: Some(reason), .. } => *t.reasons.entry(reason.clone()).or_default() += 1,
            Kind::Resolution { answer, .. } if answer == "yes" || answer == "no" => {
                last_resolution = Some(answer.as_str())
            }
            Kind::LlmFallback { outcome, error, ttft_ms, .. } => {
                if matches!(outcome.as_str(), "answered" | "unsure" | "failed" | "stopped") {
                    t.llm_calls += 1;
                    t.llm_unsure += u64::from(outcome == "unsure");
                    if let Some(ms) = ttft_ms {
                        t.ttft.push(*ms);
                    }
                }
                if outcome == "failed" {
                    *t.llm_errors.entry(error.clone().unwrap_or_default()).or_default() += 1;
                }
            }
            Kind::FlowStarted { flow, .. } => {
                flows_started.push(flow.clone());
                if breakdowns {
                    acc.flows.entry(flow.clone()).or_default().0 += 1;
                }
            }
            Kind::FlowFinished { flow, .. } if breakdowns => acc.flows.entry(flow.clone()).or_default().1 += 1,
            Kind::FlowStep { flow, step } if breakdowns => {
                acc.flows.entry(flow.clone()).or_default().2.entry(step.clone()).or_default().0 += 1
            }
            Kind::FlowAbandoned { flow, step } if breakdowns => {
                acc.flows.entry(flow.clone()).or_default().2.entry(step.clone()).or_default().1 += 1
            }
            _ => {}
        }
    }
    // Resolution.
    let substantive = |e: &Event| matches!(&e.kind, Kind::Question { path, .. } if *path != Path::Reply);
    let last_question = events.iter().enumerate().rev().find(|(_, (_, e))| substantive(e));
    row.resolution = "none".into();
    if let Some((at, (_, e))) = last_question {
        t.asked += 1;
        let resolved = match &e.kind {
            Kind::Question { path: Path::Answer, .. } => true,
            Kind::Question { path, question, .. } => answered_by_llm(*path, question),
            _ => false,
        };
        let handoff_after = events[at..].iter().any(|(_, e)| matches!(e.kind, Kind::HandoffClicked { .. }));
        row.resolution = match last_resolution {
            Some("yes") => "confirmed",
            Some(_) => "unresolved",
            None if resolved && !handoff_after => "assumed",
            None => "unresolved",
        }
        .into();
        t.confirmed += u64::from(row.resolution == "confirmed");
        t.assumed += u64::from(row.resolution == "assumed");
    }
    // Per entry, and the what-if's precision.
    for view in &views {
        let next = events[view.position + 1..].iter().enumerate().find(|(_, (_, e))| substantive(e));
        let end = next.map_or(events.len(), |(i, _)| view.position + 1 + i);
        let between = &events[view.position + 1..end];
        let next_path = next.and_then(|(_, (_, e))| match &e.kind {
            Kind::Question { path, .. } => Some(*path),
            _ => None,
        });
        let fallback = matches!(next_path, Some(Path::Fallback | Path::NoKnowledge));
        let handoff = next_path == Some(Path::Handoff)
            || between.iter().any(|(_, e)| matches!(e.kind, Kind::HandoffClicked { .. }));
        let rephrase = next.is_some_and(|(_, (ms, _))| ms - view.at <= REPHRASE_MS);
        let not_helpful = between.iter().any(
            |(_, e)| matches!(&e.kind, Kind::Feedback { entry, helpful: false, reason: None } if entry == view.entry),
        );
        if breakdowns {
            let fig = acc
                .entries
                .entry(view.entry.to_string())
                .or_insert_with(|| EntryFigures { entry: view.entry.to_string(), ..Default::default() });
            fig.views += 1;
            fig.followed_by_fallback += u64::from(fallback);
            fig.followed_by_handoff += u64::from(handoff);
            fig.followed_by_rephrase += u64::from(rephrase);
            if let Some(c) = view.what_if {
                let good = !(not_helpful || rephrase || fallback || handoff);
                for i in 0..WHAT_IF_STEPS {
                    if micro(c) >= step_threshold(i) {
                        acc.what_if.judged[i] += 1;
                        acc.what_if.good[i] += u64::from(good);
                    }
                }
            }
        }
    }
    if breakdowns {
        for (_, e) in events {
            if let Kind::Feedback { entry, helpful, reason: None } = &e.kind {
                let fig = acc
                    .entries
                    .entry(entry.clone())
                    .or_insert_with(|| EntryFigures { entry: entry.clone(), ..Default::default() });
                if *helpful {
                    fig.helpful += 1;
                } else {
                    fig.not_helpful += 1;
                }
            }
        }
    }
    row.entries = viewed.join(" ");
    row.flows = flows_started.join(" ");
    row
}

/// A session id's hash, for the per-day distinct counts (64 bits: collisions among a day's
/// sessions are vanishingly rare).
pub(crate) fn hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Ranked;
    use crate::unanswered::GroupKey;

    /// A report of every event of `lines` (each `"ts":…,"type":…` and its fields), all in one
    /// session.
    fn report(lines: &[&str]) -> Report {
        let mut builder = Builder::new(None, false);
        for (n, fields) in lines.iter().enumerate() {
            let json = format!(
                r#"{{"v":1,"id":"e{n}","session":"s","pack":"p","locale":"en","audience":"buyer","page":"/",{fields}}}"#
            );
            builder.add(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}")));
        }
        builder.finish().0
    }

    const NO_KNOWLEDGE: &str = r#""ts":"2026-12-05T10:00:00.000Z","type":"question","question":"q1","path":"no_knowledge","entries":[],"top":null,"runner_up":null,"kind":null,"thresholds":null"#;
    const LLM_ANSWERED: &str = r#""ts":"2026-12-05T10:00:02.000Z","type":"llm_fallback","question":"q1","outcome":"answered","passages":[],"cited":[],"ttft_ms":500"#;

    #[test]
    fn a_no_knowledge_question_can_be_answered_by_the_llm() {
        let r = report(&[NO_KNOWLEDGE]);
        assert_eq!(r.totals.no_answer_rate, Some(1.0));
        assert_eq!((r.totals.resolution.asked, r.totals.resolution.unresolved), (1, 1));
        let r = report(&[NO_KNOWLEDGE, LLM_ANSWERED]);
        assert_eq!(r.totals.no_answer_rate, Some(0.0));
        assert_eq!((r.totals.resolution.asked, r.totals.resolution.assumed), (1, 1));
    }

    #[test]
    fn the_encoder_tier_counts_what_it_read_and_what_it_answered() {
        let asked = |n: u32, path: &str, encoder: &str| {
            format!(
                r#""ts":"2026-12-05T10:00:0{n}.000Z","type":"question","question":"q{n}","path":"{path}","entries":[],"top":null,"runner_up":null,"kind":null,"thresholds":null{encoder}"#
            )
        };
        let lines = [
            asked(1, "answer", r#","encoder":true"#),
            asked(2, "clarify", r#","encoder":true"#),
            asked(3, "answer", r#","encoder":false"#),
            // An event from a widget before the field.
            asked(4, "answer", ""),
        ];
        let r = report(&lines.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!((r.totals.llm.encoder_read, r.totals.llm.encoder_answered), (2, 1));
    }

    #[test]
    fn precision_judges_only_answers_whose_top_entry_is_an_answer_entry() {
        let answer = |kind: &str, ts: &str| {
            format!(
                r#""ts":"{ts}","type":"question","question":"q","path":"answer","entries":["a"],"top":{{"entry":"a","score":5,"confidence":0.9}},"runner_up":null,"kind":"{kind}","thresholds":{{"answer":0.67,"clarify":0.3}}"#
            )
        };
        let won_over_small_talk = answer("smalltalk", "2026-12-05T10:00:00.000Z");
        let r = report(&[&won_over_small_talk]);
        assert_eq!(r.what_if.questions, 0);
        assert!(r.what_if.points.iter().all(|p| p.precision.is_none()));
        let knowledge = answer("answer", "2026-12-05T10:00:00.000Z");
        let r = report(&[&knowledge]);
        assert_eq!((r.what_if.questions, r.what_if.points[0].precision), (1, Some(1.0)));
    }

    #[test]
    fn a_day_without_questions_is_listed() {
        let r = report(&[NO_KNOWLEDGE, r#""ts":"2026-12-06T00:10:00.000Z","type":"handoff_clicked","reason":"asked""#]);
        let days: Vec<_> = r.days.iter().map(|d| (d.key.as_str(), d.sessions, d.questions, d.answer_rate)).collect();
        assert_eq!(days, [("2026-12-05", Some(1), 1, Some(0.0)), ("2026-12-06", Some(1), 0, None)]);
    }

    fn event(id: &str, session: &str, second: u32, kind: Kind) -> Event {
        Event {
            v: 1,
            id: id.into(),
            session: session.into(),
            ts: format!("2026-12-04T10:00:{second:02}.000Z"),
            pack: "p".into(),
            locale: "en".into(),
            audience: "buyer".into(),
            page: "/".into(),
            kind,
        }
    }

    fn question(id: &str, path: Path, top: Option<&str>, text: Option<&str>) -> Kind {
        Kind::Question {
            question: id.into(),
            path,
            entries: top.map(|t| vec![t.to_string()]).unwrap_or_default(),
            top: top.map(|t| Ranked { entry: Some(t.into()), score: 0.2, confidence: Some(0.2) }),
            runner_up: None,
            kind: Some("answer".into()),
            thresholds: None,
            text: text.map(str::to_string),
            encoder: false,
        }
    }

    #[test]
    fn questions_that_fell_back_are_grouped_and_the_llm_answers_counted_apart() {
        let mut b = Builder::new(None, false);
        b.add(event("1", "a", 1, question("q1", Path::Fallback, Some("track-order"), Some("Where is my parcel?"))));
        b.add(event(
            "2",
            "a",
            2,
            Kind::LlmFallback {
                question: "q1".into(),
                outcome: "answered".into(),
                passages: vec![],
                cited: vec![],
                error: None,
                ttft_ms: None,
            },
        ));
        b.add(event("3", "b", 3, question("q2", Path::Fallback, Some("parcel-late"), Some("where is my parcel"))));
        b.add(event("4", "b", 4, question("q3", Path::NoKnowledge, None, None)));
        b.add(event("5", "b", 5, question("q4", Path::Answer, Some("track-order"), Some("track my order"))));
        let (report, _) = b.finish();
        let u = &report.unanswered;
        assert_eq!(u.questions, 3, "the answered question is not a gap");
        let parcel = &u.groups[0];
        assert_eq!(parcel.key, GroupKey::Text("where is my parcel".into()));
        assert_eq!((parcel.questions, parcel.no_answer), (2, 1), "the LLM answered one of them");
        assert_eq!(u.groups[1].key, GroupKey::Unmatched);
        assert_eq!(report.totals.no_answer_rate, Some(2.0 / 4.0), "the same questions as the no-answer rate");
    }

    #[test]
    fn entries_to_look_at_are_viewed_enough_and_in_trouble_worst_first() {
        let entry = |name: &str, views: u64, helpful: u64, not_helpful: u64, fallback: u64| EntryFigures {
            entry: name.into(),
            views,
            helpful,
            not_helpful,
            helpful_rate: ratio(helpful, helpful + not_helpful),
            followed_by_fallback: fallback,
            ..Default::default()
        };
        let report = Report {
            entries: vec![
                entry("fine", 10, 5, 0, 0),
                entry("rarely-seen", 2, 0, 2, 0),
                entry("falls-back", 10, 0, 0, 4),
                entry("unhelpful", 5, 1, 4, 0),
            ],
            ..Default::default()
        };
        let names: Vec<&str> = report.entries_to_look_at().iter().map(|e| e.entry.as_str()).collect();
        assert_eq!(names, ["unhelpful", "falls-back"]);
        assert!((report.entries[3].trouble() - 0.8).abs() < 1e-9);
    }
}
