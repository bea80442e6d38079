//! The one table of knowledge locales: for each, its code, its name (as an LLM prompt and a
//! human read it), how its text is analysed and the bytes that stand for it in a pack.
//!
//! Adding a locale is a row here plus its knowledge files (`knowledge/locales/<code>/`,
//! entries, golden sets) and its UI strings in the widget (`src/i18n.rs`, looked up by code;
//! a test fails until they exist). Everything else reads this table.
//!
//! ```
//! use kb_core::Locale;
//!
//! let vi = Locale::from_tag("vi-VN").unwrap();
//! assert_eq!((vi.code(), vi.name()), ("vi", "Vietnamese"));
//! assert_eq!(Locale::ALL.len(), kb_core::locale::LOCALES.len());
//! ```

use std::fmt;
use std::str::FromStr;

/// A knowledge locale. Each has its own analysis; the index keeps their terms apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
pub enum Locale {
    /// English.
    En,
    /// Indonesian.
    Id,
    /// Spanish.
    Es,
    /// Thai (segmented into character bigrams).
    Th,
    /// Vietnamese (syllables, also paired into bigrams).
    Vi,
}

/// How a locale's words are reduced to a common form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stemmer {
    /// Snowball English.
    English,
    /// Snowball Spanish.
    Spanish,
    /// The Indonesian stemmer after Tala (2003).
    Indonesian,
    /// Words are kept as they are.
    None,
}

/// How a locale's text is split into words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Words are separated by spaces.
    Spaced,
    /// Written without spaces between words: runs of letters become character bigrams.
    Unspaced,
    /// Spaces separate syllables, and most words are two of them: each pair of neighbouring
    /// syllables is a term too, so that "đơn hàng" (order) is not just "đơn" and "hàng".
    Syllabic,
}

/// One row of the locale table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocaleInfo {
    /// The locale.
    pub locale: Locale,
    /// The BCP 47 language code.
    pub code: &'static str,
    /// The language's name in English (what the LLM is told to reply in).
    pub name: &'static str,
    /// How words are stemmed.
    pub stemmer: Stemmer,
    /// How text is split into words.
    pub script: Script,
}

/// Every supported locale, in the order of [`Locale::ALL`] (which is also the pack's byte for
/// each: see [`Locale::format_byte`]).
pub const LOCALES: [LocaleInfo; 5] = [
    LocaleInfo { locale: Locale::En, code: "en", name: "English", stemmer: Stemmer::English, script: Script::Spaced },
    LocaleInfo {
        locale: Locale::Id,
        code: "id",
        name: "Indonesian (Bahasa Indonesia)",
        stemmer: Stemmer::Indonesian,
        script: Script::Spaced,
    },
    LocaleInfo { locale: Locale::Es, code: "es", name: "Spanish", stemmer: Stemmer::Spanish, script: Script::Spaced },
    LocaleInfo { locale: Locale::Th, code: "th", name: "Thai", stemmer: Stemmer::None, script: Script::Unspaced },
    LocaleInfo { locale: Locale::Vi, code: "vi", name: "Vietnamese", stemmer: Stemmer::None, script: Script::Syllabic },
];

impl Locale {
    /// Every supported locale, in table order.
    pub const ALL: [Locale; 5] = [Locale::En, Locale::Id, Locale::Es, Locale::Th, Locale::Vi];

    /// This locale's row of [`LOCALES`].
    pub fn info(self) -> &'static LocaleInfo {
        &LOCALES[self as usize]
    }

    /// The BCP 47 language code.
    ///
    /// ```
    /// assert_eq!(kb_core::Locale::Es.code(), "es");
    /// ```
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// The language's name in English.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The byte that stands for this locale in entry records and the codec. It is the table
    /// position, which [`crate::format::schema`] pins: reordering the table changes the format.
    pub fn format_byte(self) -> u8 {
        self as u8
    }

    /// The locale a [`Locale::format_byte`] stands for.
    pub fn from_format_byte(byte: u8) -> Option<Locale> {
        Locale::ALL.get(usize::from(byte)).copied()
    }

    /// The byte that prefixes this locale's terms in the term dictionary.
    pub fn tag(self) -> u8 {
        b'a' + self.format_byte()
    }

    /// The locale whose terms a dictionary key starting with `tag` belongs to.
    pub fn from_term_tag(tag: u8) -> Option<Locale> {
        tag.checked_sub(b'a').and_then(Locale::from_format_byte)
    }

    /// The locale for a language tag such as `es-MX` or `th`, if supported.
    ///
    /// ```
    /// use kb_core::Locale;
    /// assert_eq!(Locale::from_tag("es-MX"), Some(Locale::Es));
    /// assert_eq!(Locale::from_tag("fr"), None);
    /// ```
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag.split(['-', '_']).next().unwrap_or("");
        LOCALES.iter().find(|l| l.code.eq_ignore_ascii_case(lang)).map(|l| l.locale)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error for a locale tag the project has no analysis for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLocale(pub String);

impl fmt::Display for UnknownLocale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<&str> = LOCALES.iter().map(|l| l.code).collect();
        write!(f, "unknown locale `{}` (supported: {})", self.0, codes.join(", "))
    }
}

impl std::error::Error for UnknownLocale {}

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Locale::from_tag(s).ok_or_else(|| UnknownLocale(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order_with_unique_codes() {
        for (i, row) in LOCALES.iter().enumerate() {
            assert_eq!(row.locale as usize, i, "{} is out of place", row.code);
            assert_eq!(Locale::ALL[i], row.locale);
            assert_eq!(Locale::from_tag(row.code), Some(row.locale));
            assert_eq!(Locale::from_term_tag(row.locale.tag()), Some(row.locale));
        }
        let mut codes: Vec<&str> = LOCALES.iter().map(|l| l.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), LOCALES.len());
    }

    #[test]
    fn unknown_tags_name_the_supported_ones() {
        let e = "fr".parse::<Locale>().unwrap_err();
        assert_eq!(e.to_string(), "unknown locale `fr` (supported: en, id, es, th, vi)");
        assert_eq!(Locale::from_term_tag(b'a' - 1), None);
        assert_eq!(Locale::from_format_byte(5), None);
    }
}
