//! The `Terms` section: an `fst::Map` whose keys are a locale's tag byte followed by an analysed
//! term, and whose values are the offset of the term's list in the `Postings` section. The
//! compiler builds it with `fst::MapBuilder` from [`key`]s; the reader checks its checksum with
//! [`fst_checksum_holds`] before any search walks it.

use crate::locale::Locale;

/// The dictionary key of `term` in `locale`: its tag byte, then the term's bytes.
///
/// ```
/// use kb_core::{format::terms::key, Locale};
/// assert_eq!(key(Locale::Es, "pedido"), b"cpedido".to_vec());
/// ```
pub fn key(locale: Locale, term: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(term.len() + 1);
    k.push(locale.tag());
    k.extend_from_slice(term.as_bytes());
    k
}

/// The locale and term of a dictionary key, or `None` for a key no compiler writes.
pub fn split_key(key: &[u8]) -> Option<(Locale, &str)> {
    let (&tag, term) = key.split_first()?;
    Some((Locale::from_term_tag(tag)?, std::str::from_utf8(term).ok()?))
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
/// assert!(kb_core::format::terms::fst_checksum_holds(&fst));
/// let mut damaged = fst.clone();
/// damaged[9] ^= 1;
/// assert!(!kb_core::format::terms::fst_checksum_holds(&damaged));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_back_into_locale_and_term() {
        for locale in Locale::ALL {
            let k = key(locale, "đơn hàng");
            assert_eq!(split_key(&k), Some((locale, "đơn hàng")));
        }
        assert_eq!(split_key(b""), None);
        assert_eq!(split_key(b"zterm"), None);
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
