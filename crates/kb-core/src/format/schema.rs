//! What the bytes of a pack mean: the format version, the section tags, and the one-byte codes
//! for locales, audiences, entry kinds, markets and fields that records and the codec store. Every such byte is
//! pinned by an assertion here, so that reordering an enum fails the build or the tests instead
//! of silently changing the meaning of packs already deployed.

use crate::entry::{Audience, EntryKind};
use crate::format::records::Field;
use crate::locale::Locale;
use crate::market::Market;

/// The four bytes every pack starts with.
pub const MAGIC: [u8; 4] = *b"KBIX";

/// The format version this crate reads and writes. Any change to a section's layout, to the
/// codec's encoding of a stored type or to a byte pinned below is a new version (4: entries
/// carry their kind and whether they hand off; 5: entries and flow steps carry their per-market
/// variants; 6: the confidence model reads two semantic features).
pub const VERSION: u32 = 6;

/// What a section holds; the discriminant is its tag in the section directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SectionKind {
    /// Analysis settings, ranking parameters, calibration, statistics ([`super::meta`]).
    Meta = 1,
    /// An `fst::Map` from locale tag + term to the term's postings offset ([`super::terms`]).
    Terms = 2,
    /// Postings lists ([`super::postings`]).
    Postings = 3,
    /// Fixed-size records, one per indexed unit: title, each question, body ([`super::records`]).
    Units = 4,
    /// Fixed-size records, one per entry ([`super::records`]).
    Entries = 5,
    /// Stored entries, one after another, addressed by the entry records ([`super::stored`]).
    Stored = 6,
    /// Guided flows ([`super::flows`]).
    Flows = 7,
}

impl SectionKind {
    /// Every section, in the order the compiler writes them.
    pub const ALL: [SectionKind; 7] = [
        SectionKind::Meta,
        SectionKind::Terms,
        SectionKind::Postings,
        SectionKind::Units,
        SectionKind::Entries,
        SectionKind::Stored,
        SectionKind::Flows,
    ];

    /// The tag written in the section directory.
    pub fn tag(self) -> u32 {
        self as u32
    }
}

/// The locale bytes of format 3 (entry records, the codec) and the term-dictionary prefixes.
pub const LOCALE_BYTES: [(Locale, u8, u8); 5] =
    [(Locale::En, 0, b'a'), (Locale::Id, 1, b'b'), (Locale::Es, 2, b'c'), (Locale::Th, 3, b'd'), (Locale::Vi, 4, b'e')];

/// The audience bytes of format 3.
pub const AUDIENCE_BYTES: [(Audience, u8); 3] = [(Audience::Buyer, 0), (Audience::Seller, 1), (Audience::All, 2)];

/// The entry kind bytes of format 4 (entry records, the codec).
pub const KIND_BYTES: [(EntryKind, u8); 4] =
    [(EntryKind::Answer, 0), (EntryKind::Handoff, 1), (EntryKind::SmallTalk, 2), (EntryKind::OutOfDomain, 3)];

/// The market bytes of format 5 (the codec's [`crate::market::Variant`]).
pub const MARKET_BYTES: [(Market, u8); 6] =
    [(Market::Id, 0), (Market::My, 1), (Market::Ph, 2), (Market::Sg, 3), (Market::Th, 4), (Market::Vn, 5)];

/// The field bytes of format 3 (unit records).
pub const FIELD_BYTES: [(Field, u8); 3] = [(Field::Title, 0), (Field::Question, 1), (Field::Body, 2)];

// The discriminants the bytes come from, checked when the crate compiles.
const _: () = {
    assert!(Locale::En as u8 == 0 && Locale::Id as u8 == 1 && Locale::Es as u8 == 2);
    assert!(Locale::Th as u8 == 3 && Locale::Vi as u8 == 4, "locale order is a format byte: bump VERSION");
    assert!(Field::Title as u8 == 0 && Field::Question as u8 == 1 && Field::Body as u8 == 2);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_audience_and_field_has_its_pinned_byte() {
        assert_eq!(LOCALE_BYTES.len(), Locale::ALL.len(), "a new locale needs its bytes pinned here");
        for (locale, byte, tag) in LOCALE_BYTES {
            assert_eq!(locale.format_byte(), byte, "{locale}");
            assert_eq!(locale.tag(), tag, "{locale}");
            assert_eq!(Locale::from_format_byte(byte), Some(locale));
        }
        for (audience, byte) in AUDIENCE_BYTES {
            assert_eq!(audience.to_byte(), byte, "{audience}");
            assert_eq!(Audience::from_byte(byte), audience);
        }
        for (kind, byte) in KIND_BYTES {
            assert_eq!(kind.to_byte(), byte, "{kind}");
            assert_eq!(EntryKind::from_byte(byte), Some(kind));
        }
        assert_eq!(MARKET_BYTES.len(), Market::ALL.len(), "a new market needs its byte pinned here");
        for (market, byte) in MARKET_BYTES {
            assert_eq!(market.format_byte(), byte, "{market}");
            assert_eq!(Market::from_format_byte(byte), Some(market));
        }
        for (field, byte) in FIELD_BYTES {
            assert_eq!(field as u8, byte);
            assert_eq!(Field::from_byte(byte), field);
        }
    }

    #[test]
    fn section_tags_are_distinct_and_stable() {
        let tags: Vec<u32> = SectionKind::ALL.iter().map(|k| k.tag()).collect();
        assert_eq!(tags, vec![1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(VERSION, 6);
        assert_eq!(&MAGIC, b"KBIX");
    }
}
