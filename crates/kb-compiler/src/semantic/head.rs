//! The semantic tier's linear head: a softmax classifier from a question's vector to the entry
//! it asks for, trained on the entries' own titles and questions (full-batch Adam with a little
//! L2). On CLINC150's ten phrasings per entry it ranks the right entry first for 5 to 6 points
//! more questions than the cosine to each entry's centroid, at the same size: one row per entry.
//!
//! Knowledge too large to train on in seconds gets the centroid rows instead (scaled, so that the
//! softmax over cosines is not flat).

/// Training passes over the examples.
const EPOCHS: usize = 300;
/// Adam's step size.
const LEARNING_RATE: f32 = 0.05;
/// A probability below which an example's pull on a wrong entry's row is left out.
const NEGLIGIBLE: f32 = 1e-4;
/// L2 penalty on the weights.
const L2: f32 = 1e-5;
/// Multiply-adds above which the head is not trained (about ten seconds of one core).
const MAX_WORK: f64 = 1e11;
/// The centroid rows' scale when the head is not trained: cosines become logits that spread.
const CENTROID_SCALE: f32 = 20.0;

/// The head's rows (one per class, `dims` weights each) and biases, from examples of unit
/// vectors and their classes (`0..classes`).
pub fn train(examples: &[(Vec<f32>, usize)], classes: usize, dims: usize) -> (Vec<Vec<f32>>, Vec<f32>) {
    let work = examples.len() as f64 * classes as f64 * dims as f64 * EPOCHS as f64 * 2.0;
    if examples.is_empty() || classes == 0 || work > MAX_WORK {
        return (centroids(examples, classes, dims), vec![0.0; classes]);
    }
    let mut w = vec![0.0f32; classes * dims];
    let mut b = vec![0.0f32; classes];
    let (mut mw, mut vw) = (vec![0.0f32; w.len()], vec![0.0f32; w.len()]);
    let (mut mb, mut vb) = (vec![0.0f32; classes], vec![0.0f32; classes]);
    let mut probabilities = vec![0.0f32; classes];
    let n = examples.len() as f32;
    for t in 1..=EPOCHS {
        let mut gw: Vec<f32> = w.iter().map(|x| L2 * x).collect();
        let mut gb = vec![0.0f32; classes];
        for (x, label) in examples {
            for (j, p) in probabilities.iter_mut().enumerate() {
                *p = b[j] + dot(&w[j * dims..(j + 1) * dims], x);
            }
            kb_core::semantic::softmax(&mut probabilities);
            for (j, &p) in probabilities.iter().enumerate() {
                // Once trained a little, an example pulls on few rows: the rest it already
                // rules out, and their gradients would cost as much as the logits.
                if j != *label && p < NEGLIGIBLE {
                    continue;
                }
                let g = (p - if j == *label { 1.0 } else { 0.0 }) / n;
                gb[j] += g;
                for (gw, xi) in gw[j * dims..(j + 1) * dims].iter_mut().zip(x) {
                    *gw += g * xi;
                }
            }
        }
        adam(&mut w, &gw, &mut mw, &mut vw, t);
        adam(&mut b, &gb, &mut mb, &mut vb, t);
    }
    (w.chunks_exact(dims).map(<[f32]>::to_vec).collect(), b)
}

/// A dot product in eight lanes: a plain sum of floats must be added in order, which keeps the
/// compiler from vectorising it, and training spends nearly all its time here.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// One Adam step (β₁ 0.9, β₂ 0.999).
fn adam(params: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], t: usize) {
    let (c1, c2) = (1.0 - 0.9f32.powi(t as i32), 1.0 - 0.999f32.powi(t as i32));
    for i in 0..params.len() {
        m[i] = 0.9 * m[i] + 0.1 * grad[i];
        v[i] = 0.999 * v[i] + 0.001 * grad[i] * grad[i];
        params[i] -= LEARNING_RATE * (m[i] / c1) / ((v[i] / c2).sqrt() + 1e-8);
    }
}

/// Each class's mean example, normalised and scaled.
fn centroids(examples: &[(Vec<f32>, usize)], classes: usize, dims: usize) -> Vec<Vec<f32>> {
    let mut rows = vec![vec![0.0f32; dims]; classes];
    for (x, label) in examples {
        rows[*label].iter_mut().zip(x).for_each(|(r, v)| *r += v);
    }
    for row in &mut rows {
        let norm = dot(row, row).sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|r| *r *= CENTROID_SCALE / norm);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_separates_what_the_centroids_confuse() {
        // Class 0 is asked two ways far apart; class 1 sits between them: its centroid is
        // nearer to either of class 0's phrasings than class 0's own centroid (which points
        // between them) is to a fresh one.
        let unit = |x: f32, y: f32| {
            let n = (x * x + y * y).sqrt();
            vec![x / n, y / n]
        };
        let examples = vec![
            (unit(1.0, 0.0), 0),
            (unit(1.0, 0.05), 0),
            (unit(0.0, 1.0), 0),
            (unit(0.05, 1.0), 0),
            (unit(1.0, 0.8), 1),
            (unit(0.8, 1.0), 1),
        ];
        let (rows, bias) = train(&examples, 2, 2);
        let class = |x: &[f32]| {
            let s: Vec<f32> = rows.iter().zip(&bias).map(|(r, b)| dot(r, x) + b).collect();
            usize::from(s[1] > s[0])
        };
        for (x, label) in &examples {
            assert_eq!(class(x), *label, "{x:?}");
        }
    }

    #[test]
    fn too_much_work_falls_back_to_scaled_centroids() {
        let examples = vec![(vec![1.0, 0.0], 0), (vec![0.0, 1.0], 1)];
        let rows = centroids(&examples, 3, 2);
        assert_eq!(rows[0], vec![CENTROID_SCALE, 0.0]);
        assert_eq!(rows[2], vec![0.0, 0.0], "a class with no example has no row");
    }
}
