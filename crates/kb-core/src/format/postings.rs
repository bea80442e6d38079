//! The `Postings` section: for each term, the units that hold it, one list after another; the
//! term dictionary maps a term to the offset of its list.
//!
//! A list is a varint entry count (how many distinct entries hold the term), a varint unit
//! count, then per unit, in increasing unit order, a varint `delta << 1 | has_count` and, when
//! that bit is set, the term's count in the unit (otherwise 1). A unit (a title, one question)
//! almost never repeats a term, so the flag halves the lists.
//!
//! ```
//! use kb_core::format::postings::{write_list, Postings};
//!
//! let mut section = Vec::new();
//! let offset = write_list(&mut section, 2, &[(3, 1), (4, 2), (9, 1)]);
//! let list = Postings::read(&section, offset, 10).unwrap();
//! assert_eq!((list.entry_df, list.len), (2, 3));
//! assert_eq!(list.collect::<Vec<_>>(), vec![(3, 1), (4, 2), (9, 1)]);
//! ```

use super::codec::{read_varint, write_varint};

/// Appends the list of `units` — `(unit, count)` pairs in increasing unit order — held by
/// `entry_df` distinct entries; returns its offset in `section`.
pub fn write_list(section: &mut Vec<u8>, entry_df: u32, units: &[(u32, u32)]) -> u64 {
    let offset = section.len() as u64;
    write_varint(section, u64::from(entry_df));
    write_varint(section, units.len() as u64);
    let mut prev = 0u32;
    for &(unit, count) in units {
        write_varint(section, (u64::from(unit - prev) << 1) | u64::from(count > 1));
        if count > 1 {
            write_varint(section, u64::from(count));
        }
        prev = unit;
    }
    offset
}

/// A postings list, decoded as it is iterated: (unit, term count) pairs by unit. Damage found
/// while iterating just ends the list; [`crate::Index::from_bytes`] iterates every list once on
/// load, so a search never meets it.
#[derive(Clone)]
pub struct Postings<'a> {
    /// How many distinct entries contain the term.
    pub entry_df: u32,
    /// How many units contain the term.
    pub len: usize,
    data: &'a [u8],
    pos: usize,
    unit: u64,
    left: usize,
    units_total: u64,
}

impl<'a> Postings<'a> {
    /// The list at `offset` in the postings `section` of a pack with `units_total` units;
    /// `None` if its header is damaged.
    pub fn read(section: &'a [u8], offset: u64, units_total: u32) -> Option<Postings<'a>> {
        let mut pos = usize::try_from(offset).ok()?;
        let entry_df = u32::try_from(read_varint(section, &mut pos)?).ok()?;
        let len = usize::try_from(read_varint(section, &mut pos)?).ok()?;
        Some(Postings { entry_df, len, data: section, pos, unit: 0, left: len, units_total: u64::from(units_total) })
    }

    /// How many entries hold the term whose list starts at `offset`, without decoding the list
    /// (typo and prefix candidates are ranked by it, most of them never scored).
    pub fn entry_df(section: &[u8], offset: u64) -> Option<u32> {
        read_varint(section, &mut usize::try_from(offset).ok()?).and_then(|v| u32::try_from(v).ok())
    }
}

impl Iterator for Postings<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let decoded = (|| {
            let step = read_varint(self.data, &mut self.pos)?;
            self.unit = self.unit.checked_add(step >> 1)?;
            let count = if step & 1 == 1 { u32::try_from(read_varint(self.data, &mut self.pos)?).ok()? } else { 1 };
            (self.unit < self.units_total).then_some((self.unit as u32, count))
        })();
        if decoded.is_none() {
            self.left = 0;
        }
        decoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn lists_round_trip(raw in proptest::collection::btree_map(0u32..5000, 1u32..300, 0..100), df in 0u32..100) {
            let units: Vec<(u32, u32)> = raw.into_iter().collect();
            let mut section = vec![0xff; 3];
            let offset = write_list(&mut section, df, &units);
            let list = Postings::read(&section, offset, 5000).unwrap();
            proptest::prop_assert_eq!(Postings::entry_df(&section, offset), Some(df));
            proptest::prop_assert_eq!(list.len, units.len());
            proptest::prop_assert_eq!(list.collect::<Vec<_>>(), units);
        }

        #[test]
        fn damaged_lists_end_early_and_never_point_past_the_units(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            if let Some(list) = Postings::read(&bytes, 0, 100) {
                let len = list.len;
                let read: Vec<(u32, u32)> = list.collect();
                proptest::prop_assert!(read.len() <= len);
                proptest::prop_assert!(read.iter().all(|&(u, _)| u < 100));
            }
        }
    }
}
