//! 4-bit blocks ([`kb_core::format::encoder`]): decoding them and multiplying activations by a
//! matrix stored in them. A matrix row is expanded to `f32` once and then met by every token's
//! row, so the cost of unpacking is shared by the whole question.

use kb_core::format::encoder::{Q4_BLOCK, Q4_WEIGHTS};

/// An IEEE half-precision number's value.
///
/// ```
/// use kb_encoder::q4::f16_to_f32;
/// assert_eq!(f16_to_f32(0x3C00), 1.0);
/// assert_eq!(f16_to_f32(0xC000), -2.0);
/// assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
/// ```
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exponent = u32::from((h >> 10) & 0x1F);
    let mantissa = u32::from(h & 0x3FF);
    // Built from bits: `powi` is a library call in wasm, and this runs once per 32 weights.
    let bits = match exponent {
        0 => {
            let value = mantissa as f32 * SUBNORMAL_STEP;
            return if sign == 0 { value } else { -value };
        }
        31 => sign | 0x7F80_0000 | (mantissa << 13),
        e => sign | ((e + 127 - 15) << 23) | (mantissa << 13),
    };
    f32::from_bits(bits)
}

/// The value of a half-precision subnormal's last mantissa bit, 2⁻²⁴.
const SUBNORMAL_STEP: f32 = 1.0 / 16_777_216.0;

/// Expands the 4-bit `blocks` of one row into `out` (32 weights per block).
pub fn dequantize(blocks: &[u8], out: &mut [f32]) {
    for (block, out) in blocks.chunks_exact(Q4_BLOCK).zip(out.chunks_exact_mut(Q4_WEIGHTS)) {
        let scale = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
        let (low, high) = out.split_at_mut(Q4_WEIGHTS / 2);
        for ((&b, lo), hi) in block[2..].iter().zip(low).zip(high) {
            *lo = (f32::from(b & 0x0F) - 8.0) * scale;
            *hi = (f32::from(b >> 4) - 8.0) * scale;
        }
    }
}

/// `y[t] = W · x[t] + bias` for each of the `x.len() / inputs` rows of `x`, with `W`
/// (`bias.len()` rows of `inputs` weights) in 4-bit blocks.
pub fn matmul(weights: &[u8], bias: &[f32], x: &[f32], inputs: usize, y: &mut [f32]) {
    let outputs = bias.len();
    let row_bytes = inputs / Q4_WEIGHTS * Q4_BLOCK;
    let mut row = vec![0.0f32; inputs];
    for (o, blocks) in weights.chunks_exact(row_bytes).take(outputs).enumerate() {
        dequantize(blocks, &mut row);
        for (t, xt) in x.chunks_exact(inputs).enumerate() {
            y[t * outputs + o] = dot(&row, xt) + bias[o];
        }
    }
}

/// A dot product in eight lanes, which the compiler turns into vector instructions.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (a, b) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            lanes[k] += a[k] * b[k];
        }
    }
    let tail: f32 = a.chunks_exact(8).remainder().iter().zip(b.chunks_exact(8).remainder()).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_half_matches_the_half_crate() {
        for h in 0..=u16::MAX {
            let (ours, theirs) = (f16_to_f32(h), half::f16::from_bits(h).to_f32());
            assert!(
                ours.to_bits() == theirs.to_bits() || (ours.is_nan() && theirs.is_nan()),
                "{h:#06x}: {ours} vs {theirs}"
            );
        }
    }

    #[test]
    fn blocks_decode_nibbles_low_then_high() {
        let mut block = vec![0x00, 0x3C]; // scale 1.0
        block.extend((0..16u8).map(|j| (j & 0x0F) | ((15 - j) << 4)));
        let mut out = [0.0; 32];
        dequantize(&block, &mut out);
        assert_eq!(out[0], -8.0);
        assert_eq!(out[15], 7.0);
        assert_eq!(out[16], 7.0);
        assert_eq!(out[31], -8.0);
    }

    #[test]
    fn matmul_matches_the_dequantized_product() {
        let mut weights = Vec::new();
        for r in 0..3u8 {
            weights.extend([0x00, 0x38]); // scale 0.5
            weights.extend((0..16u8).map(|j| j.wrapping_mul(r + 3)));
        }
        let x: Vec<f32> = (0..64).map(|i| (i as f32 - 30.0) / 10.0).collect();
        let bias = [0.5, -1.0, 2.0];
        let mut y = [0.0; 6];
        matmul(&weights, &bias, &x, 32, &mut y);
        for t in 0..2 {
            for o in 0..3 {
                let mut row = [0.0; 32];
                dequantize(&weights[o * 18..(o + 1) * 18], &mut row);
                let want: f32 = row.iter().zip(&x[t * 32..]).map(|(w, v)| w * v).sum::<f32>() + bias[o];
                assert!((y[t * 3 + o] - want).abs() < 1e-4, "{} vs {want}", y[t * 3 + o]);
            }
        }
    }
}
