//! The `Units` and `Entries` sections: fixed-size records, so that the reader finds record `n`
//! at `n × LEN` without decoding anything before it.
//!
//! A unit is one indexed text of an entry (its title, one of its questions, its body); its
//! number is what postings lists point to. An entry record says where the entry's stored data is
//! and carries what search filters and normalises by.
//!
//! ```
//! use kb_core::format::records::{EntryRecord, Field, UnitRecord};
//! use kb_core::{Audience, EntryKind, Locale};
//!
//! let mut bytes = Vec::new();
//! UnitRecord { entry: 7, len: 4, field: Field::Question }.write(&mut bytes);
//! assert_eq!(UnitRecord::read(&bytes), Some(UnitRecord { entry: 7, len: 4, field: Field::Question }));
//!
//! let record = EntryRecord {
//!     stored: (0, 120), locale: Locale::Th, audience: Audience::Seller, featured: true,
//!     kind: EntryKind::Answer, units: (0, 12), field_len: [3, 40, 90],
//! };
//! let mut bytes = Vec::new();
//! record.write(&mut bytes);
//! assert_eq!(EntryRecord::read(&bytes), Some(record));
//! ```

use crate::entry::{Audience, EntryKind};
use crate::locale::Locale;

/// Which part of an entry a unit of text comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The entry title.
    Title = 0,
    /// One of the ways users ask the question.
    Question = 1,
    /// The answer body.
    Body = 2,
}

impl Field {
    /// All fields in storage order.
    pub const ALL: [Field; 3] = [Field::Title, Field::Question, Field::Body];

    /// The field a unit record's byte stands for (unknown bytes read as the body, the field
    /// that weighs least).
    pub fn from_byte(b: u8) -> Field {
        match b {
            0 => Field::Title,
            1 => Field::Question,
            _ => Field::Body,
        }
    }
}

/// Size in bytes of one unit record: entry u32, token count u16, field u8, reserved u8.
pub const UNIT_RECORD_LEN: usize = 8;

/// Size in bytes of one entry record: stored offset u32, stored length u32, locale u8,
/// audience u8, flags u8 (bit 0 featured), kind u8, first unit u32, unit count u32, field
/// lengths 3 × u16, pad u16.
pub const ENTRY_RECORD_LEN: usize = 28;

/// One indexed text of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitRecord {
    /// The entry's number.
    pub entry: u32,
    /// How many terms the text has.
    pub len: u16,
    /// Where in the entry it comes from.
    pub field: Field,
}

impl UnitRecord {
    /// Appends the record's [`UNIT_RECORD_LEN`] bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.entry.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&[self.field as u8, 0]);
    }

    /// Reads a record from the start of `bytes`; `None` if fewer than [`UNIT_RECORD_LEN`].
    pub fn read(bytes: &[u8]) -> Option<UnitRecord> {
        bytes.get(..UNIT_RECORD_LEN).map(UnitRecord::from_bytes)
    }

    /// Reads a record from `b`, which holds at least [`UNIT_RECORD_LEN`] bytes (the reader
    /// checked the table's length once: records are then read in place, on every search).
    pub(crate) fn from_bytes(b: &[u8]) -> UnitRecord {
        UnitRecord {
            entry: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            len: u16::from_le_bytes([b[4], b[5]]),
            field: Field::from_byte(b[6]),
        }
    }
}

/// Where an entry's stored data is, its filters and its field lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRecord {
    /// Offset and length of the entry in the `Stored` section.
    pub stored: (u32, u32),
    /// The entry's locale.
    pub locale: Locale,
    /// Who may see it.
    pub audience: Audience,
    /// Shown as a starter suggestion.
    pub featured: bool,
    /// What the entry is for.
    pub kind: EntryKind,
    /// The entry's first unit and how many it has.
    pub units: (u32, u32),
    /// Term count per field (title, questions, body), for BM25F length normalisation.
    pub field_len: [u16; 3],
}

impl EntryRecord {
    /// Appends the record's [`ENTRY_RECORD_LEN`] bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.stored.0.to_le_bytes());
        out.extend_from_slice(&self.stored.1.to_le_bytes());
        out.extend_from_slice(&[
            self.locale.format_byte(),
            self.audience.to_byte(),
            u8::from(self.featured),
            self.kind.to_byte(),
        ]);
        out.extend_from_slice(&self.units.0.to_le_bytes());
        out.extend_from_slice(&self.units.1.to_le_bytes());
        for l in self.field_len {
            out.extend_from_slice(&l.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }

    /// Reads a record from the start of `bytes`; `None` if fewer than [`ENTRY_RECORD_LEN`] or
    /// the locale or kind byte is unknown.
    pub fn read(bytes: &[u8]) -> Option<EntryRecord> {
        let b: &[u8; ENTRY_RECORD_LEN] = bytes.get(..ENTRY_RECORD_LEN)?.try_into().ok()?;
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Some(EntryRecord {
            stored: (u32_at(0), u32_at(4)),
            locale: Locale::from_format_byte(b[8])?,
            audience: Audience::from_byte(b[9]),
            featured: b[10] & 1 == 1,
            kind: EntryKind::from_byte(b[11])?,
            units: (u32_at(12), u32_at(16)),
            field_len: [u16_at(20), u16_at(22), u16_at(24)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_their_documented_sizes_and_short_input_is_none() {
        let mut out = Vec::new();
        UnitRecord { entry: 1, len: 2, field: Field::Body }.write(&mut out);
        assert_eq!(out.len(), UNIT_RECORD_LEN);
        assert_eq!(UnitRecord::read(&out[..UNIT_RECORD_LEN - 1]), None);
        let mut out = Vec::new();
        let record = EntryRecord {
            stored: (1, 2),
            locale: Locale::Vi,
            audience: Audience::All,
            featured: false,
            kind: EntryKind::SmallTalk,
            units: (3, 4),
            field_len: [5, 6, 7],
        };
        record.write(&mut out);
        assert_eq!(out.len(), ENTRY_RECORD_LEN);
        assert_eq!(EntryRecord::read(&out[..ENTRY_RECORD_LEN - 1]), None);
        out[8] = 9;
        assert_eq!(EntryRecord::read(&out), None, "an unknown locale byte is not read as some locale");
    }
}
