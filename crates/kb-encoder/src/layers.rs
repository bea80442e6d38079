//! The BERT forward pass: embeddings, then per layer self-attention and the feed-forward
//! network, each added back and layer-normalised (post-norm, as XLM-R does), then the mean of
//! the token rows. Activations stay in `f32`; only the stored weights are 4-bit.

use super::q4::{dequantize, dot, matmul};
use super::Encoder;
use kb_core::format::encoder::q4_len;

/// The mean of the last layer's rows for the piece numbers `ids` (marks included).
pub(crate) fn forward(encoder: &Encoder, ids: &[u32]) -> Vec<f32> {
    let meta = encoder.meta();
    let (h, ff, heads) = (meta.hidden as usize, meta.intermediate as usize, meta.heads as usize);
    let t = ids.len();
    let dense = &encoder.dense;
    let layout = &encoder.layout;
    let mut x = vec![0.0f32; t * h];
    let token_type = &dense[layout.token_type.clone()];
    for (row, (&id, position)) in x.chunks_exact_mut(h).zip(ids.iter().zip(0..)) {
        dequantize(encoder.word(id), row);
        let position = &dense[layout.positions.start + position * h..][..h];
        for ((v, p), k) in row.iter_mut().zip(position).zip(token_type) {
            *v += p + k;
        }
    }
    let norm = layout.norm.start;
    layer_norm(&mut x, None, &dense[norm..norm + h], &dense[norm + h..norm + 2 * h], meta.eps);

    let (mut q, mut k, mut v) = (vec![0.0; t * h], vec![0.0; t * h], vec![0.0; t * h]);
    let (mut context, mut out, mut inner) = (vec![0.0; t * h], vec![0.0; t * h], vec![0.0; t * ff]);
    let square = h * q4_len(h);
    let mut matrices = encoder.matrices();
    for &start in &layout.layers {
        let vector = |at: usize, len: usize| &dense[start + at..start + at + len];
        let mut take = |bytes: usize| {
            let (m, rest) = matrices.split_at(bytes);
            matrices = rest;
            m
        };
        let (wq, wk, wv, wo) = (take(square), take(square), take(square), take(square));
        let (w_in, w_out) = (take(ff * q4_len(h)), take(h * q4_len(ff)));
        matmul(wq, vector(0, h), &x, h, &mut q);
        matmul(wk, vector(h, h), &x, h, &mut k);
        matmul(wv, vector(2 * h, h), &x, h, &mut v);
        attention(&q, &k, &v, t, h, heads, &mut context);
        matmul(wo, vector(3 * h, h), &context, h, &mut out);
        layer_norm(&mut x, Some(&out), vector(4 * h, h), vector(5 * h, h), meta.eps);
        matmul(w_in, vector(6 * h, ff), &x, h, &mut inner);
        inner.iter_mut().for_each(|a| *a = gelu(*a));
        matmul(w_out, vector(6 * h + ff, h), &inner, ff, &mut out);
        layer_norm(&mut x, Some(&out), vector(7 * h + ff, h), vector(8 * h + ff, h), meta.eps);
    }
    let mut mean = vec![0.0f32; h];
    for row in x.chunks_exact(h) {
        mean.iter_mut().zip(row).for_each(|(m, r)| *m += r);
    }
    mean.iter_mut().for_each(|m| *m /= t as f32);
    mean
}

/// Scaled dot-product attention of every token over all of them, head by head.
fn attention(q: &[f32], k: &[f32], v: &[f32], t: usize, h: usize, heads: usize, context: &mut [f32]) {
    let d = h / heads;
    let scale = 1.0 / (d as f32).sqrt();
    let mut weights = vec![0.0f32; t];
    for head in 0..heads {
        let part = head * d..(head + 1) * d;
        for i in 0..t {
            let qi = &q[i * h..][part.clone()];
            for (j, w) in weights.iter_mut().enumerate() {
                *w = dot(qi, &k[j * h..][part.clone()]) * scale;
            }
            let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for w in weights.iter_mut() {
                *w = (*w - max).exp();
                sum += *w;
            }
            let out = &mut context[i * h..][part.clone()];
            out.iter_mut().for_each(|o| *o = 0.0);
            for (j, w) in weights.iter().enumerate() {
                let vj = &v[j * h..][part.clone()];
                out.iter_mut().zip(vj).for_each(|(o, x)| *o += w / sum * x);
            }
        }
    }
}

/// `x = LayerNorm(x + residual)` row by row.
fn layer_norm(x: &mut [f32], residual: Option<&[f32]>, weight: &[f32], bias: &[f32], eps: f32) {
    let h = weight.len();
    for (t, row) in x.chunks_exact_mut(h).enumerate() {
        if let Some(r) = residual {
            row.iter_mut().zip(&r[t * h..]).for_each(|(a, b)| *a += b);
        }
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|a| (a - mean) * (a - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((a, w), b) in row.iter_mut().zip(weight).zip(bias) {
            *a = (*a - mean) * inv * w + b;
        }
    }
}

/// The exact GELU, `x·Φ(x)`, with an erf accurate to 1.5e-7 (Abramowitz and Stegun 7.1.26).
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

fn erf(x: f32) -> f32 {
    let sign = x.signum();
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    sign * (1.0 - poly * (-a * a).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [(0.0, 0.0), (0.5, 0.520_499_9), (1.0, 0.842_700_8), (-2.0, -0.995_322_3), (4.0, 0.999_999_98)]
        {
            assert!((erf(x) - want).abs() < 2e-6, "erf({x}) = {} not {want}", erf(x));
        }
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-5);
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let mut x = vec![1.0, 2.0, 3.0, 6.0];
        layer_norm(&mut x, Some(&[1.0, 1.0, 1.0, 0.0]), &[1.0, 1.0], &[0.0, 0.5], 0.0);
        assert_eq!(x, vec![-1.0, 1.5, -1.0, 1.5]);
    }
}
