//! Helpers shared by the integration tests.

/// Splits `bytes` at the given positions (taken modulo the length, sorted, deduplicated), the
/// way a network may cut a stream into reads.
pub fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut prev = 0;
    for cut in cuts {
        pieces.push(&bytes[prev..cut]);
        prev = cut;
    }
    pieces.push(&bytes[prev..]);
    pieces
}
