//! The `Meta` section: the knowledge base's name, each locale's analysis settings and
//! statistics, the ranking parameters and the confidence model, in the [`super::codec`]
//! encoding.
//!
//! ```
//! use kb_core::format::codec::{Decode, Encode};
//! use kb_core::format::meta::Meta;
//!
//! let meta = Meta { name: "kb".into(), locales: vec![], ranking: Default::default(), calibration: Default::default() };
//! assert_eq!(Meta::from_bytes(&meta.to_bytes()), Ok(meta));
//! ```

use crate::confidence::{Calibration, FEATURE_COUNT};
use crate::locale::Locale;
use crate::ranking::Ranking;

/// Per-locale analysis settings and statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct LocaleMeta {
    /// The locale.
    pub locale: Locale,
    /// Stop words.
    pub stopwords: Vec<String>,
    /// Synonym pairs (member terms → canonical terms).
    pub synonyms: Vec<(Vec<String>, Vec<String>)>,
    /// Number of entries in this locale.
    pub entries: u32,
    /// Average token count per field over this locale's entries.
    pub avg_field_len: [f32; 3],
}

/// The pack's metadata section.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// Name of the knowledge base (free text).
    pub name: String,
    /// Per-locale analysis and statistics.
    pub locales: Vec<LocaleMeta>,
    /// Ranking parameters.
    pub ranking: Ranking,
    /// The confidence model and decision thresholds.
    pub calibration: Calibration,
}

crate::record! {
    Ranking { k1, field_weight, field_b, centroid_share, fuzzy_weight, prefix_weight, audience_boost }
    Calibration { weights, bias, answer_threshold, clarify_threshold, min_margin, source }
    LocaleMeta { locale, stopwords, synonyms, entries, avg_field_len }
    Meta { name, locales, ranking, calibration }
}

// The weights are a fixed-size array: a change of feature count must change the format version.
const _: () = assert!(FEATURE_COUNT == 12, "Calibration::weights changed size: bump format::VERSION");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::codec::{Decode, Encode};

    #[test]
    fn meta_round_trips() {
        let meta = Meta {
            name: "kb".into(),
            locales: vec![LocaleMeta {
                locale: Locale::Es,
                stopwords: vec!["de".into(), "la".into()],
                synonyms: vec![(vec!["paquete".into()], vec!["pedido".into()])],
                entries: 122,
                avg_field_len: [1.5, 40.25, 80.0],
            }],
            ranking: Ranking::default(),
            calibration: Calibration::default(),
        };
        assert_eq!(Meta::from_bytes(&meta.to_bytes()), Ok(meta));
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_are_an_error_or_a_meta_that_round_trips(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(meta) = Meta::from_bytes(&bytes) {
                // NaN weights do not compare equal: compare the bytes they encode to.
                proptest::prop_assert_eq!(Meta::from_bytes(&meta.to_bytes()).map(|m| m.to_bytes()), Ok(meta.to_bytes()));
            }
        }
    }
}
