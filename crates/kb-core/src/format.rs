//! The index container: a small versioned binary format with a checksum, shared by the writer
//! (the knowledge compiler) and the reader ([`crate::Index`]).
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! magic "KBIX" | version u32 | section count u32 | checksum u64 (FNV-1a of all bytes after it)
//! section directory: count × (kind u32, offset u32, length u32)
//! section bytes …
//! ```
//!
//! Sections are byte ranges of one buffer, so reading needs no copy of the large parts (the term
//! dictionary, postings and tables are used in place).
//!
//! ```
//! use kb_core::format::{Container, SectionKind};
//!
//! let bytes = Container::encode(&[(SectionKind::Meta, b"{}".to_vec())]);
//! let container = Container::decode(&bytes).unwrap();
//! assert_eq!(&bytes[container.section(SectionKind::Meta).unwrap()], b"{}");
//! ```

use std::fmt;
use std::ops::Range;

/// The four bytes every index starts with.
pub const MAGIC: [u8; 4] = *b"KBIX";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 3;
const HEADER_LEN: usize = 4 + 4 + 4 + 8;
const DIRECTORY_ENTRY_LEN: usize = 12;

/// What a section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SectionKind {
    /// Analysis settings, ranking parameters, calibration, statistics ([`crate::codec`]).
    Meta = 1,
    /// An `fst::Map` from locale tag + term to the term's postings offset.
    Terms = 2,
    /// Postings lists: entry count, unit count, then per unit a varint `delta << 1 | has_count`
    /// and, when that bit is set, the term count (otherwise 1).
    Postings = 3,
    /// Fixed-size records, one per indexed unit (title, each question, body).
    Units = 4,
    /// Fixed-size records, one per entry.
    Entries = 5,
    /// Stored entries ([`crate::codec`], one after another), addressed by the entry records.
    Stored = 6,
    /// Guided flows ([`crate::codec`]).
    Flows = 7,
}

impl SectionKind {
    #[cfg(test)]
    const ALL: [SectionKind; 7] = [
        SectionKind::Meta,
        SectionKind::Terms,
        SectionKind::Postings,
        SectionKind::Units,
        SectionKind::Entries,
        SectionKind::Stored,
        SectionKind::Flows,
    ];
}

/// Why bytes could not be read as an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Fewer bytes than the header and directory need.
    Truncated,
    /// The bytes do not start with [`MAGIC`].
    BadMagic,
    /// A format version this build cannot read.
    UnsupportedVersion(u32),
    /// The checksum does not match: the file is damaged.
    ChecksumMismatch,
    /// A section points outside the file, or a required one is missing.
    BadSection(&'static str),
    /// A section's contents are malformed.
    Corrupt(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Truncated => f.write_str("index is truncated"),
            FormatError::BadMagic => f.write_str("not a knowledge index (bad magic bytes)"),
            FormatError::UnsupportedVersion(v) => {
                write!(f, "index format version {v} is not supported (this build reads {VERSION})")
            }
            FormatError::ChecksumMismatch => f.write_str("index checksum mismatch: the file is damaged"),
            FormatError::BadSection(what) => write!(f, "index section is invalid: {what}"),
            FormatError::Corrupt(what) => write!(f, "index is corrupt: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// FNV-1a, 64 bit: tiny, deterministic, enough to detect damage (not an integrity signature).
///
/// ```
/// assert_ne!(kb_core::format::checksum(b"a"), kb_core::format::checksum(b"b"));
/// ```
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Whether an `fst` term dictionary is whole: its footer's masked CRC32C (`fst` format version 3,
/// which is what `fst::MapBuilder` writes) matches its bytes.
///
/// `fst::raw::Fst::verify` checks the same, but with slice-by-16 tables that are 16 KiB of
/// incompressible data in the widget's wasm; this computes the checksum a byte at a time from a
/// 1 KiB table, which costs a millisecond on the largest packs. Walking an FST trusts its bytes,
/// so this must hold before any search.
///
/// ```
/// let fst = fst::Map::from_iter([("parcel", 1u64), ("refund", 2)]).unwrap().into_fst().into_inner();
/// assert!(kb_core::format::fst_checksum_holds(&fst));
/// let mut damaged = fst.clone();
/// damaged[9] ^= 1;
/// assert!(!kb_core::format::fst_checksum_holds(&damaged));
/// ```
pub fn fst_checksum_holds(fst: &[u8]) -> bool {
    if fst.len() < 8 + 4 || u64::from_le_bytes(fst[..8].try_into().expect("8 bytes")) < 3 {
        return false;
    }
    let (body, stored) = fst.split_at(fst.len() - 4);
    let crc = !body.iter().fold(!0u32, |crc, &b| CRC32C[((crc as u8) ^ b) as usize] ^ (crc >> 8));
    let masked = (crc.rotate_right(15)).wrapping_add(0xA282_EAD8);
    masked == u32::from_le_bytes(stored.try_into().expect("4 bytes"))
}

/// The CRC32C (Castagnoli, reflected polynomial 0x82F63B78) of each byte value.
const CRC32C: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut crc = n as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
            bit += 1;
        }
        table[n] = crc;
        n += 1;
    }
    table
};

/// A decoded section directory.
#[derive(Clone, Debug)]
pub struct Container {
    sections: Vec<(u32, Range<usize>)>,
}

impl Container {
    /// Writes sections into a complete index file.
    pub fn encode(sections: &[(SectionKind, Vec<u8>)]) -> Vec<u8> {
        let dir_len = sections.len() * DIRECTORY_ENTRY_LEN;
        let mut out = Vec::with_capacity(HEADER_LEN + dir_len + sections.iter().map(|s| s.1.len()).sum::<usize>());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        let mut offset = HEADER_LEN + dir_len;
        for (kind, bytes) in sections {
            out.extend_from_slice(&(*kind as u32).to_le_bytes());
            out.extend_from_slice(&(offset as u32).to_le_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            offset += bytes.len();
        }
        for (_, bytes) in sections {
            out.extend_from_slice(bytes);
        }
        let sum = checksum(&out[HEADER_LEN..]);
        out[12..20].copy_from_slice(&sum.to_le_bytes());
        out
    }

    /// Checks the header, version, checksum and directory of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Container, FormatError> {
        if bytes.len() < HEADER_LEN {
            return Err(if bytes.len() >= 4 && bytes[..4] != MAGIC {
                FormatError::BadMagic
            } else {
                FormatError::Truncated
            });
        }
        if bytes[..4] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let version = read_u32(bytes, 4);
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let count = read_u32(bytes, 8) as usize;
        let stored_sum = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let dir_end = count
            .checked_mul(DIRECTORY_ENTRY_LEN)
            .and_then(|n| n.checked_add(HEADER_LEN))
            .ok_or(FormatError::Truncated)?;
        if dir_end > bytes.len() {
            return Err(FormatError::Truncated);
        }
        if checksum(&bytes[HEADER_LEN..]) != stored_sum {
            return Err(FormatError::ChecksumMismatch);
        }
        let mut sections = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER_LEN + i * DIRECTORY_ENTRY_LEN;
            let kind = read_u32(bytes, at);
            let offset = read_u32(bytes, at + 4) as usize;
            let len = read_u32(bytes, at + 8) as usize;
            let end = offset.checked_add(len).ok_or(FormatError::BadSection("length overflows"))?;
            if offset < dir_end || end > bytes.len() {
                return Err(FormatError::BadSection("points outside the file"));
            }
            sections.push((kind, offset..end));
        }
        Ok(Container { sections })
    }

    /// The byte range of a section.
    pub fn section(&self, kind: SectionKind) -> Option<Range<usize>> {
        self.sections.iter().find(|(k, _)| *k == kind as u32).map(|(_, r)| r.clone())
    }
}

/// Reads a little-endian u32 at `at` (the caller has checked the bounds).
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Appends `value` as a LEB128 varint.
///
/// ```
/// let mut buf = Vec::new();
/// kb_core::format::write_varint(&mut buf, 300);
/// assert_eq!(kb_core::format::read_varint(&buf, &mut 0), Some(300));
/// ```
pub fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a LEB128 varint at `*pos`, advancing it; `None` if the bytes end or it overflows.
pub fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        value |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Size in bytes of one unit record: entry u32, token count u16, field u8, reserved u8.
pub const UNIT_RECORD_LEN: usize = 8;
/// Size in bytes of one entry record: stored offset u32, stored length u32, locale u8,
/// audience u8, flags u8, reserved u8, first unit u32, unit count u32, field lengths 3 × u16, pad u16.
pub const ENTRY_RECORD_LEN: usize = 28;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let sections: Vec<(SectionKind, Vec<u8>)> = SectionKind::ALL.iter().map(|k| (*k, vec![*k as u8; 3])).collect();
        Container::encode(&sections)
    }

    #[test]
    fn round_trip() {
        let bytes = sample();
        let c = Container::decode(&bytes).unwrap();
        assert_eq!(&bytes[c.section(SectionKind::Flows).unwrap()], &[7, 7, 7]);
    }

    #[test]
    fn damage_is_detected() {
        let mut bytes = sample();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(Container::decode(&bytes).unwrap_err(), FormatError::ChecksumMismatch);
        assert_eq!(Container::decode(&sample()[..10]).unwrap_err(), FormatError::Truncated);
        assert_eq!(Container::decode(b"PK\x03\x04 not an index at all").unwrap_err(), FormatError::BadMagic);
        // An index written by an older compiler (v1 postings) is refused, not misread.
        let mut v1 = sample();
        v1[4] = 1;
        assert_eq!(Container::decode(&v1).unwrap_err(), FormatError::UnsupportedVersion(1));
    }

    proptest::proptest! {
        // The same verdict as fst's own verify(), on whole dictionaries and on ones with a byte
        // changed anywhere (header, nodes, footer).
        #[test]
        fn fst_checksum_agrees_with_fst(
            keys in proptest::collection::btree_set("[a-z]{1,12}", 1..200),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let map = fst::Map::from_iter(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i as u64))).unwrap();
            let bytes = map.into_fst().into_inner();
            proptest::prop_assert!(fst_checksum_holds(&bytes));
            let mut damaged = bytes.clone();
            damaged[at.index(bytes.len())] ^= flip;
            let theirs = fst::raw::Fst::new(damaged.clone()).map(|f| f.verify().is_ok()).unwrap_or(false);
            proptest::prop_assert_eq!(fst_checksum_holds(&damaged), theirs);
            proptest::prop_assert!(!fst_checksum_holds(&bytes[..bytes.len() - 1]));
        }
    }
}
