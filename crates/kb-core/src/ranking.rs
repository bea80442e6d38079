//! Ranking parameters: how field-aware BM25F, the centroid cosine, typo and prefix matches and
//! the asker's audience weigh in a hit's score. Stored in the pack's metadata, so every reader
//! ranks alike.

/// Ranking parameters, stored in the index so that every reader ranks alike.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranking {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25F weight per field (title, question, body).
    pub field_weight: [f32; 3],
    /// BM25F length normalisation per field.
    pub field_b: [f32; 3],
    /// Share of the score from the cosine to the entry's centroid (the mean of its normalised
    /// title and question vectors); the rest comes from entry-level BM25F.
    pub centroid_share: f32,
    /// Weight of a term reached by one typo, relative to an exact match (two typos: squared).
    pub fuzzy_weight: f32,
    /// Weight of a term reached by prefix completion.
    pub prefix_weight: f32,
    /// Score factor for entries written for exactly the asking audience (buyer or seller) over
    /// entries for everyone, when the page says who is asking.
    pub audience_boost: f32,
}

impl Default for Ranking {
    fn default() -> Ranking {
        Ranking {
            k1: 1.2,
            field_weight: [2.0, 1.0, 0.25],
            field_b: [0.3, 0.5, 0.75],
            centroid_share: 0.4,
            fuzzy_weight: 0.7,
            prefix_weight: 0.85,
            audience_boost: AUDIENCE_BOOST,
        }
    }
}

/// The default [`Ranking::audience_boost`]: enough to order a buyer-only and an everyone entry
/// that match alike, too little to lift a weaker match over a clearly better one.
pub const AUDIENCE_BOOST: f32 = 1.08;
