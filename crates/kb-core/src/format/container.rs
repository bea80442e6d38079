//! The pack's container: header (magic, version, checksum) and the section directory,
//! written by [`Container::encode`] and checked by [`Container::decode`].
//!
//! ```
//! use kb_core::format::{Container, SectionKind};
//!
//! let bytes = Container::encode(&[(SectionKind::Meta, b"meta".to_vec())]);
//! let container = Container::decode(&bytes).unwrap();
//! assert_eq!(&bytes[container.section(SectionKind::Meta).unwrap()], b"meta");
//! ```

use std::fmt;
use std::ops::Range;

use super::schema::{SectionKind, MAGIC, VERSION};

const HEADER_LEN: usize = 4 + 4 + 4 + 8;
const DIRECTORY_ENTRY_LEN: usize = 12;

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

/// A decoded section directory.
#[derive(Clone, Debug)]
pub struct Container {
    sections: Vec<(u32, Range<usize>)>,
    checksum: u64,
}

impl Container {
    /// Writes sections into a complete index file.
    pub fn encode(sections: &[(SectionKind, Vec<u8>)]) -> Vec<u8> {
        let tagged: Vec<(u32, &[u8])> = sections.iter().map(|(k, b)| (k.tag(), b.as_slice())).collect();
        Container::encode_file(MAGIC, VERSION, &tagged)
    }

    /// Writes tagged sections into a file of another kind that shares this layout (the
    /// semantic tier's, [`super::semantic`]).
    pub fn encode_file(magic: [u8; 4], version: u32, sections: &[(u32, &[u8])]) -> Vec<u8> {
        let dir_len = sections.len() * DIRECTORY_ENTRY_LEN;
        let mut out = Vec::with_capacity(HEADER_LEN + dir_len + sections.iter().map(|s| s.1.len()).sum::<usize>());
        out.extend_from_slice(&magic);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        let mut offset = HEADER_LEN + dir_len;
        for (tag, bytes) in sections {
            out.extend_from_slice(&tag.to_le_bytes());
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
        Container::decode_file(MAGIC, VERSION, bytes)
    }

    /// Checks a file of another kind written by [`Container::encode_file`].
    pub fn decode_file(magic: [u8; 4], expected_version: u32, bytes: &[u8]) -> Result<Container, FormatError> {
        if bytes.len() < HEADER_LEN {
            return Err(if bytes.len() >= 4 && bytes[..4] != magic {
                FormatError::BadMagic
            } else {
                FormatError::Truncated
            });
        }
        if bytes[..4] != magic {
            return Err(FormatError::BadMagic);
        }
        let version = read_u32(bytes, 4);
        if version != expected_version {
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
        Ok(Container { sections, checksum: stored_sum })
    }

    /// The checksum of everything after the header: two packs with the same one hold the same
    /// knowledge (events name the pack they were answered from by it).
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// The byte range of a section.
    pub fn section(&self, kind: SectionKind) -> Option<Range<usize>> {
        self.tagged(kind.tag())
    }

    /// The byte range of the section with this tag.
    pub fn tagged(&self, tag: u32) -> Option<Range<usize>> {
        self.sections.iter().find(|(k, _)| *k == tag).map(|(_, r)| r.clone())
    }
}

/// Reads a little-endian u32 at `at` (the caller has checked the bounds).
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let sections: Vec<(SectionKind, Vec<u8>)> =
            SectionKind::ALL.iter().map(|k| (*k, vec![k.tag() as u8; 3])).collect();
        Container::encode(&sections)
    }

    #[test]
    fn round_trip() {
        let bytes = sample();
        let c = Container::decode(&bytes).unwrap();
        assert_eq!(&bytes[c.section(SectionKind::Flows).unwrap()], &[7, 7, 7]);
        assert_eq!(c.checksum(), checksum(&bytes[HEADER_LEN..]));
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
}
