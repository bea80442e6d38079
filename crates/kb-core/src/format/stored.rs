//! The `Stored` section: every entry as the widget shows it (id, title, answer, links, …, and
//! the answer's per-market variants), one after another in the [`super::codec`] encoding; each
//! entry record holds its offset and length. The id comes first, so [`entry_id`] reads it
//! without decoding the rest. A [`Variant`] (market byte, text) is encoded here for the flows'
//! steps too.
//!
//! ```
//! use kb_core::format::codec::{Decode, Encode};
//! use kb_core::{Entry, Locale};
//!
//! let entry = Entry::new("track-order", "Track my order", Locale::En, "Open **Orders**.");
//! let bytes = entry.to_bytes();
//! assert_eq!(kb_core::format::stored::entry_id(&bytes).unwrap(), "track-order");
//! assert_eq!(Entry::from_bytes(&bytes), Ok(entry));
//! ```

use super::codec::{Decode, DecodeError, Reader};
use crate::entry::{Entry, Link};
use crate::market::Variant;

crate::record! {
    Link { label, url }
    Variant { market, text }
    Entry { id, title, locale, audience, tags, answer, links, related, featured, flow, kind, handoff, variants }
}

/// Reads only the id of an encoded [`Entry`] (its first field).
pub fn entry_id(bytes: &[u8]) -> Result<String, DecodeError> {
    String::decode(&mut Reader::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Audience;
    use crate::format::codec::Encode;
    use crate::locale::Locale;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn entries_round_trip(
            id in "[a-z-]{1,12}", title in "\\PC{0,20}", answer in "\\PC{0,60}", locale in 0usize..5, audience in 0u8..3,
            tags in proptest::collection::vec("\\PC{0,8}", 0..3), related in proptest::collection::vec("[a-z-]{1,8}", 0..3),
            links in proptest::collection::vec(("\\PC{0,8}", "https://[a-z]{1,8}\\.example"), 0..3),
            featured: bool, flow in proptest::option::of("[a-z-]{1,8}"), kind in 0u8..4, handoff: bool,
            variants in proptest::collection::vec((0u8..6, "\\PC{0,20}"), 0..3),
        ) {
            let entry = Entry {
                id, title, answer, tags, related, featured, flow, handoff,
                kind: crate::entry::EntryKind::from_byte(kind).unwrap(),
                locale: Locale::ALL[locale],
                audience: Audience::from_byte(audience),
                links: links.into_iter().map(|(label, url)| Link { label, url }).collect(),
                variants: variants
                    .into_iter()
                    .map(|(m, text)| Variant { market: crate::market::Market::from_format_byte(m).unwrap(), text })
                    .collect(),
            };
            let bytes = entry.to_bytes();
            prop_assert_eq!(entry_id(&bytes), Ok(entry.id.clone()));
            prop_assert_eq!(Entry::from_bytes(&bytes), Ok(entry));
        }

        #[test]
        fn random_bytes_are_an_error_or_an_entry_that_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(entry) = Entry::from_bytes(&bytes) {
                prop_assert_eq!(Entry::from_bytes(&entry.to_bytes()), Ok(entry));
            }
        }
    }
}
