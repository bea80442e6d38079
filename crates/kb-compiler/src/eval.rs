//! Running labelled questions through an index and scoring the answers, with the metrics of
//! `docs/datasets.md`: top-1, MRR@10, and — under a confidence threshold —
//! precision, coverage and the share of out-of-scope questions routed away.

use std::collections::BTreeMap;
use std::time::Instant;

use kb_core::confidence::{Calibration, Decision, Features};
use kb_core::decide::{Overrides, Path, Reply};
use kb_core::{EntryKind, Index, Locale, Query};
use serde::Serialize;

use crate::dataset::LabeledQuery;

/// What happened to one question.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The question's locale (whose calibration decides it).
    pub locale: Locale,
    /// The expected entry id (`None`: out of scope).
    pub expected: Option<String>,
    /// Ids of the top 10 hits of the ranking the decision was taken from (the knowledge alone
    /// when a system entry ranked first but did not win).
    pub ranked: Vec<String>,
    /// The confidence features of that ranking.
    pub features: Features,
    /// The kind of the system entry that won the message (a handoff, small talk, an off-topic
    /// decline; it is `ranked`'s first), under the index's calibration; `None` for a question.
    pub system: Option<EntryKind>,
    /// Search time in microseconds (the encoder's own time not included: its vectors come
    /// ready).
    pub micros: f64,
    /// The encoder tier decided it: the static tiers would have clarified or fallen back.
    pub escalated: bool,
}

impl Outcome {
    /// True if the top hit is the expected entry.
    pub fn correct(&self) -> bool {
        self.expected.is_some() && self.ranked.first() == self.expected.as_ref()
    }

    /// True if `calibration` answers it locally with a knowledge entry (a system entry's
    /// reply is not an answer: it hands off or declines).
    pub fn answered(&self, calibration: &Calibration) -> bool {
        self.system.is_none() && !self.ranked.is_empty() && calibration.decide(&self.features) == Decision::Answer
    }
}

/// Runs every query; `progress(done, total)` is called every 500 queries.
pub fn run(index: &Index, queries: &[(Locale, LabeledQuery)], progress: impl FnMut(usize, usize)) -> Vec<Outcome> {
    run_tiered(index, queries, None, progress)
}

/// Runs every query as the widget does with the encoder tier: a question the static tiers would
/// not answer, or not surely ([`Index::rereads`]), is decided again with its sentence vector
/// (`meanings`, one per query; `None`: no encoder tier).
pub fn run_tiered(
    index: &Index,
    queries: &[(Locale, LabeledQuery)],
    meanings: Option<&[Vec<f32>]>,
    progress: impl FnMut(usize, usize),
) -> Vec<Outcome> {
    run_escalating(index, queries, meanings, |locale, reply| index.rereads(locale, reply), progress)
}

/// Runs every query through the encoder tier, whatever the static tiers decide (what its
/// confidence model is fitted on: every development question, not only the few that reach it).
pub fn run_encoded(index: &Index, queries: &[(Locale, LabeledQuery)], meanings: &[Vec<f32>]) -> Vec<Outcome> {
    run_escalating(index, queries, Some(meanings), |_, _| true, |_, _| {})
}

fn run_escalating(
    index: &Index,
    queries: &[(Locale, LabeledQuery)],
    meanings: Option<&[Vec<f32>]>,
    escalates: impl Fn(Locale, &Reply) -> bool,
    mut progress: impl FnMut(usize, usize),
) -> Vec<Outcome> {
    let mut out = Vec::with_capacity(queries.len());
    for (i, (locale, q)) in queries.iter().enumerate() {
        let query = Query::new(&q.text, *locale).audience(q.audience).limit(10);
        let started = Instant::now();
        let mut reply = index.decide(&query, &Overrides::default());
        let meaning = meanings.map(|m| m[i].as_slice()).filter(|_| escalates(*locale, &reply));
        if let Some(meaning) = meaning {
            reply = index.decide(&query.clone().meaning(meaning), &Overrides::default());
        }
        let micros = started.elapsed().as_secs_f64() * 1e6;
        let ranked = reply.result.hits.iter().take(10).filter_map(|h| index.entry_id(h.entry)).collect();
        let system = match reply.path {
            Path::Handoff(n) | Path::Reply(n) => Some(index.kind(n)),
            _ => None,
        };
        out.push(Outcome {
            locale: *locale,
            expected: q.expected.clone(),
            ranked,
            features: reply.result.features,
            system,
            micros,
            escalated: meaning.is_some(),
        });
        if (i + 1) % 500 == 0 {
            progress(i + 1, queries.len());
        }
    }
    out
}

/// The scores of a run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    /// Share of in-scope questions whose top hit is right (no threshold).
    pub top1: f64,
    /// Mean reciprocal rank of the right entry within the top 10, in-scope questions.
    pub mrr10: f64,
    /// The answer threshold applied.
    pub threshold: f64,
    /// Right local answers / all local answers.
    pub precision: f64,
    /// Right local answers / in-scope questions.
    pub coverage: f64,
    /// Out-of-scope questions not answered locally / out-of-scope questions.
    pub oos_routed: f64,
    /// Out-of-scope questions a system entry replied to locally (declined, small talk, handoff)
    /// / out-of-scope questions: no LLM call.
    pub oos_declined: f64,
    /// Out-of-scope questions that fell back to the LLM / out-of-scope questions.
    pub oos_to_llm: f64,
    /// Median search latency, µs.
    pub p50_us: f64,
    /// 99th-percentile search latency, µs.
    pub p99_us: f64,
    /// Questions the encoder tier decided / all questions.
    pub escalated: f64,
    /// Questions the encoder tier answered locally / questions it decided: LLM calls saved.
    pub escalated_answered: f64,
    /// In-scope questions.
    pub in_scope: usize,
    /// Out-of-scope questions.
    pub out_of_scope: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The calibration each outcome was decided under: the encoder tier's for an escalated one,
/// else its locale's ([`Index::calibration_for`], the semantic tier's where one is attached).
pub fn in_force<'a>(index: &'a Index) -> impl Fn(&Outcome) -> &'a Calibration + 'a {
    move |o: &Outcome| {
        let encoder = index.semantic(o.locale).and_then(|t| t.encoder_head()).filter(|_| o.escalated);
        encoder.map_or_else(|| index.calibration_for(o.locale), |head| &head.calibration)
    }
}

/// Scores outcomes, each under the calibration it was decided with (`calibration_of`, usually
/// [`in_force`]). The threshold reported is the first outcome's.
pub fn report<'a>(outcomes: &[Outcome], calibration_of: impl Fn(&Outcome) -> &'a Calibration) -> Report {
    let in_scope: Vec<&Outcome> = outcomes.iter().filter(|o| o.expected.is_some()).collect();
    let oos = outcomes.len() - in_scope.len();
    let top1 = in_scope.iter().filter(|o| o.correct()).count();
    let mrr: f64 = in_scope
        .iter()
        .map(|o| o.ranked.iter().position(|id| Some(id) == o.expected.as_ref()).map_or(0.0, |r| 1.0 / (r + 1) as f64))
        .sum();
    let answered: Vec<&Outcome> = outcomes.iter().filter(|o| o.answered(calibration_of(o))).collect();
    let escalated = outcomes.iter().filter(|o| o.escalated).count();
    let escalated_answered = answered.iter().filter(|o| o.escalated).count();
    let right = answered.iter().filter(|o| o.correct()).count();
    let oos_answered = answered.iter().filter(|o| o.expected.is_none()).count();
    let out_of_scope = || outcomes.iter().filter(|o| o.expected.is_none());
    let oos_declined = out_of_scope().filter(|o| o.system.is_some()).count();
    let falls_back = |o: &&Outcome| o.ranked.is_empty() || calibration_of(o).decide(&o.features) == Decision::Fallback;
    let oos_to_llm = out_of_scope().filter(|o| o.system.is_none()).filter(falls_back).count();
    let mut times: Vec<f64> = outcomes.iter().map(|o| o.micros).collect();
    times.sort_by(f64::total_cmp);
    Report {
        top1: ratio(top1, in_scope.len()),
        mrr10: if in_scope.is_empty() { 0.0 } else { mrr / in_scope.len() as f64 },
        threshold: outcomes.first().map_or(0.0, |o| calibration_of(o).answer_threshold as f64),
        precision: ratio(right, answered.len()),
        coverage: ratio(right, in_scope.len()),
        oos_routed: ratio(oos - oos_answered, oos),
        oos_declined: ratio(oos_declined, oos),
        oos_to_llm: ratio(oos_to_llm, oos),
        p50_us: percentile(&times, 0.5),
        p99_us: percentile(&times, 0.99),
        escalated: ratio(escalated, outcomes.len()),
        escalated_answered: ratio(escalated_answered, escalated),
        in_scope: in_scope.len(),
        out_of_scope: oos,
    }
}

/// Which entries steal each other's questions: (expected, got instead, count), most first.
/// Out-of-scope questions answered with confidence appear with expected `None`.
pub fn confusions<'a>(
    outcomes: &[Outcome],
    calibration_of: impl Fn(&Outcome) -> &'a Calibration,
) -> Vec<(Option<String>, String, usize)> {
    let mut counts: BTreeMap<(Option<String>, String), usize> = BTreeMap::new();
    for o in outcomes {
        let Some(top) = o.ranked.first() else { continue };
        if (o.expected.is_some() && !o.correct()) || (o.expected.is_none() && o.answered(calibration_of(o))) {
            *counts.entry((o.expected.clone(), top.clone())).or_default() += 1;
        }
    }
    let mut v: Vec<_> = counts.into_iter().map(|((e, g), n)| (e, g, n)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    v
}
