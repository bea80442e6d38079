//! The binary encoding of the pack's structured sections (metadata, stored entries, flows) and
//! of the widget's saved conversation.
//!
//! The widget decodes these on every page load. Read as JSON they cost its wasm a JSON parser
//! instantiated for every type (about 13 kB of the gzipped shell); this encoding costs a few
//! hundred bytes of code. Integers are LEB128 varints, `f32`s four little-endian bytes, `bool`s
//! and enum tags one byte, strings and lists a varint length and their items. A record's fields
//! are written in declaration order with no names, so changing a stored type means a new
//! [`crate::format::VERSION`].
//!
//! ```
//! use kb_core::format::codec::{Decode, Encode};
//! use kb_core::{Entry, Locale};
//!
//! let entry = Entry::new("track-order", "Track my order", Locale::En, "Open **Orders**.");
//! let bytes = entry.to_bytes();
//! assert_eq!(Entry::from_bytes(&bytes), Ok(entry));
//! assert!(Entry::from_bytes(&bytes[..bytes.len() - 1]).is_err());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::entry::{Audience, EntryKind};
use crate::locale::Locale;
use crate::market::Market;

/// Why bytes could not be decoded: what was being read when they ran out or made no sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over encoded bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the first byte.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(DecodeError(what))?;
        let taken = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(taken)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        read_varint(self.bytes, &mut self.pos).ok_or(DecodeError(what))
    }

    /// A length that the remaining bytes can hold (every item takes at least one byte), so that
    /// damaged input cannot make a reader allocate more than the input's size.
    fn len(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.varint(what)?;
        usize::try_from(n).ok().filter(|&n| n <= self.bytes.len() - self.pos).ok_or(DecodeError(what))
    }
}

/// A value that can be written in this encoding.
pub trait Encode {
    /// Appends the value's bytes to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// The value's bytes.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// A value that can be read back from this encoding.
pub trait Decode: Sized {
    /// Reads one value at the reader's position.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Reads a value that must span all of `bytes`.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let value = Self::decode(&mut r)?;
        if r.pos != bytes.len() {
            return Err(DecodeError("trailing bytes"));
        }
        Ok(value)
    }
}

impl Encode for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        write_varint(out, u64::from(*self));
    }
}

impl Decode for u32 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        u32::try_from(r.varint("integer")?).map_err(|_| DecodeError("integer"))
    }
}

impl Encode for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        write_varint(out, *self);
    }
}

impl Decode for u64 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.varint("integer")
    }
}

impl Encode for f32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Decode for f32 {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(f32::from_le_bytes(r.take(4, "number")?.try_into().expect("4 bytes")))
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.byte("flag")? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError("flag")),
        }
    }
}

impl Encode for String {
    fn encode(&self, out: &mut Vec<u8>) {
        write_varint(out, self.len() as u64);
        out.extend_from_slice(self.as_bytes());
    }
}

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.len("text")?;
        let bytes = r.take(n, "text")?;
        std::str::from_utf8(bytes).map(str::to_string).map_err(|_| DecodeError("text"))
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        write_varint(out, self.len() as u64);
        for item in self {
            item.encode(out);
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.len("list")?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(T::decode(r)?);
        }
        Ok(items)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.is_some().encode(out);
        if let Some(value) = self {
            value.encode(out);
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(if bool::decode(r)? { Some(T::decode(r)?) } else { None })
    }
}

impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    fn encode(&self, out: &mut Vec<u8>) {
        write_varint(out, self.len() as u64);
        for pair in self {
            pair.encode(out);
        }
    }
}

impl<K: Decode + Ord, V: Decode> Decode for BTreeMap<K, V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        // Inserted one by one: collecting would link in a sort for pairs that come sorted.
        let mut map = BTreeMap::new();
        for _ in 0..r.len("map")? {
            let (k, v) = <(K, V)>::decode(r)?;
            map.insert(k, v);
        }
        Ok(map)
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok((A::decode(r)?, B::decode(r)?))
    }
}

impl<const N: usize> Encode for [f32; N] {
    fn encode(&self, out: &mut Vec<u8>) {
        for x in self {
            x.encode(out);
        }
    }
}

impl<const N: usize> Decode for [f32; N] {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut values = [0.0; N];
        for x in &mut values {
            *x = f32::decode(r)?;
        }
        Ok(values)
    }
}

impl Encode for Locale {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.format_byte());
    }
}

impl Decode for Locale {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Locale::from_format_byte(r.byte("locale")?).ok_or(DecodeError("locale"))
    }
}

impl Encode for Market {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.format_byte());
    }
}

impl Decode for Market {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Market::from_format_byte(r.byte("market")?).ok_or(DecodeError("market"))
    }
}

impl Encode for Audience {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.to_byte());
    }
}

impl Decode for Audience {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let b = r.byte("audience")?;
        if b > Audience::All.to_byte() {
            return Err(DecodeError("audience"));
        }
        Ok(Audience::from_byte(b))
    }
}

impl Encode for EntryKind {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.to_byte());
    }
}

impl Decode for EntryKind {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        EntryKind::from_byte(r.byte("entry kind")?).ok_or(DecodeError("entry kind"))
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}

/// Implements [`Encode`] and [`Decode`]
/// for structs as their fields in the order listed: `encode` writes them in that order, and the
/// struct literal that decodes them evaluates its fields in the order written.
///
/// ```
/// use kb_core::format::codec::{Decode, Encode};
///
/// #[derive(Debug, PartialEq)]
/// struct Choice { id: String, title: String }
/// kb_core::record! { Choice { id, title } }
///
/// let c = Choice { id: "refund-status".into(), title: "Check refund status".into() };
/// assert_eq!(Choice::from_bytes(&c.to_bytes()), Ok(c));
/// ```
#[macro_export]
macro_rules! record {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {$(
        impl $crate::format::codec::Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                $($crate::format::codec::Encode::encode(&self.$field, out);)*
            }
        }

        impl $crate::format::codec::Decode for $ty {
            fn decode(r: &mut $crate::format::codec::Reader<'_>) -> Result<Self, $crate::format::codec::DecodeError> {
                Ok($ty { $($field: $crate::format::codec::Decode::decode(r)?),* })
            }
        }
    )*};
}

/// Appends `value` as a LEB128 varint.
///
/// ```
/// let mut buf = Vec::new();
/// kb_core::format::codec::write_varint(&mut buf, 300);
/// assert_eq!(kb_core::format::codec::read_varint(&buf, &mut 0), Some(300));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_tags_are_errors() {
        assert_eq!(Locale::from_bytes(&[9]), Err(DecodeError("locale")));
        assert_eq!(Market::from_bytes(&[6]), Err(DecodeError("market")));
        assert_eq!(Audience::from_bytes(&[3]), Err(DecodeError("audience")));
        assert_eq!(bool::from_bytes(&[2]), Err(DecodeError("flag")));
        assert_eq!(EntryKind::from_bytes(&[4]), Err(DecodeError("entry kind")));
        assert_eq!(String::from_bytes(&[2, 0xff, 0xfe]), Err(DecodeError("text")));
        // A list claiming more items than there are bytes fails before allocating for them.
        assert_eq!(Vec::<u32>::from_bytes(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Err(DecodeError("list")));
    }
}
