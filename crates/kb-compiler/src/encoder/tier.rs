//! The encoder tier's head in each locale's semantic file: the entries' titles and questions run
//! through the encoder ([`kb_encoder`], the same code the widget runs), centred on their mean,
//! and a softmax head trained on them ([`crate::semantic::head`]); then, on the development
//! questions the static tiers would not answer, the fusion weight that ranks the most of them
//! first; and one confidence model, learnt from every development question the encoder reads,
//! its thresholds set on those it will decide.

use kb_core::format::semantic::{EncoderHead, SemanticParts};
use kb_core::semantic::SemanticTable;
use kb_core::{Index, Locale};
use kb_encoder::Encoder;

use crate::calibrate::{fit_apart, Targets};
use crate::dataset::LabeledQuery;
use crate::eval::{in_force, report, run_encoded, run_tiered, Outcome};
use crate::knowledge::Corpus;
use crate::semantic::{asked_by, head, SemanticError};

/// The fusion weights tried for the encoder tier (it is only asked when the rest is unsure, so
/// that none of them leaves the ranking lexical).
const FUSION_GRID: [f32; 9] = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// The sentence vectors of `texts` as the widget's encoder makes them, on every core;
/// `progress(done)` is called as they finish.
pub fn embed_all(encoder: &Encoder, texts: &[&str], progress: impl Fn(usize) + Sync) -> Vec<Vec<f32>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(texts.len().max(1));
    let chunk = texts.len().div_ceil(threads).max(1);
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let jobs: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                let (done, progress) = (&done, &progress);
                scope.spawn(move || {
                    part.iter()
                        .map(|t| {
                            let v = encoder.embed(t);
                            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                            v
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter().flat_map(|j| j.join().expect("an embedding thread panicked")).collect()
    })
}

/// Adds the encoder head to `parts` (fusion 0 and the static calibration until [`fit_heads`]).
pub fn add_head(encoder: &Encoder, corpus: &Corpus, parts: &mut SemanticParts, progress: impl Fn(usize) + Sync) {
    let entries = asked_by(corpus, parts.meta.locale);
    let texts: Vec<&str> = entries.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    let classes: Vec<usize> = entries.iter().enumerate().flat_map(|(c, (_, t))| t.iter().map(move |_| c)).collect();
    let vectors = embed_all(encoder, &texts, progress);
    let dims = encoder.meta().hidden as usize;
    let mut centre = vec![0.0f32; dims];
    for v in &vectors {
        centre.iter_mut().zip(v).for_each(|(c, x)| *c += x / vectors.len() as f32);
    }
    let examples: Vec<(Vec<f32>, usize)> = vectors.iter().map(|v| centred(v, &centre)).zip(classes).collect();
    let (rows, bias) = head::train(&examples, entries.len(), dims);
    let head = EncoderHead { fusion: 0.0, calibration: parts.meta.calibration.clone(), centre, bias };
    parts.encoder = Some((head, rows));
}

/// `v` less `centre`, at unit length (as [`SemanticTable::encoder_probabilities`] reads it).
fn centred(v: &[f32], centre: &[f32]) -> Vec<f32> {
    let mut out: Vec<f32> = v.iter().zip(centre).map(|(x, c)| x - c).collect();
    let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    out.iter_mut().for_each(|x| *x /= norm);
    out
}

/// Fits each locale's encoder fusion weight, then one confidence model on every locale's
/// development questions that reach the encoder tier; `meanings` are the questions' vectors.
///
/// # Errors
/// A file does not read back, or does not fit the pack.
pub fn fit_heads(
    pack: &[u8],
    all: &mut [SemanticParts],
    dev: &[(Locale, LabeledQuery)],
    meanings: &[Vec<f32>],
) -> Result<(), SemanticError> {
    let mut index = Index::from_bytes(pack.to_vec()).map_err(SemanticError::Format)?;
    let attach_all = |all: &[SemanticParts], index: &mut Index| -> Result<(), SemanticError> {
        for parts in all {
            let bytes = kb_core::format::semantic::write(parts).map_err(SemanticError::Write)?;
            let table = SemanticTable::from_bytes(bytes).map_err(SemanticError::Format)?;
            index.attach_semantic(table).map_err(SemanticError::Attach)?;
        }
        Ok(())
    };
    for i in 0..all.len() {
        let locale = all[i].meta.locale;
        let (questions, vectors): (Vec<_>, Vec<_>) =
            dev.iter().zip(meanings).filter(|((l, _), _)| *l == locale).map(|(q, m)| (q.clone(), m.clone())).unzip();
        if questions.is_empty() {
            continue;
        }
        let mut best = (f64::NEG_INFINITY, FUSION_GRID[0]);
        for fusion in FUSION_GRID {
            if let Some((head, _)) = all[i].encoder.as_mut() {
                head.fusion = fusion;
            }
            attach_all(&all[i..=i], &mut index)?;
            let outcomes = run_tiered(&index, &questions, Some(&vectors), |_, _| {});
            let first = report(&outcomes, in_force(&index)).top1;
            if first > best.0 {
                best = (first, fusion);
            }
        }
        if let Some((head, _)) = all[i].encoder.as_mut() {
            head.fusion = best.1;
        }
    }
    attach_all(all, &mut index)?;
    // The model learns from every development question read by the encoder: the few the static
    // tiers leave unsure (a fifth of them) gave one that swung from answer ≥ 0.77 to ≥ 0.97
    // between two builds of the same knowledge. Its thresholds are set on those few, which are
    // the ones it decides: set on all, they answered a fifth of CLINC150's out-of-scope questions.
    let escalated: Vec<Outcome> =
        run_tiered(&index, dev, Some(meanings), |_, _| {}).into_iter().filter(|o| o.escalated).collect();
    let calibration = fit_apart(&run_encoded(&index, dev, meanings), &escalated, Targets::default());
    for parts in all.iter_mut() {
        if let Some((head, _)) = parts.encoder.as_mut() {
            head.calibration = calibration.clone();
        }
    }
    Ok(())
}
