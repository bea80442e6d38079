//! The one table of markets — the countries whose sample policies differ (return windows, cash
//! on delivery, payout schedules) — and the choice of an answer's or a flow step's text for the
//! market the page names in its `market` context key.
//!
//! A market is not a locale: an English page can serve the Thai market, so the two are separate
//! context keys. The knowledge writes the text that differs per market in `::: market=<code>`
//! blocks (`knowledge/FORMAT.md`); the compiler stores, beside the default text, one complete
//! text per market the entry or step varies for, and [`select`] picks one at run time.
//!
//! ```
//! use kb_core::market::{select, Market, Variant};
//!
//! let variants = [Variant { market: Market::Th, text: "Return within 7 days.".into() }];
//! let default = "Return within 15 days.";
//! assert_eq!(select(default, &variants, Market::from_code("TH")), "Return within 7 days.");
//! assert_eq!(select(default, &variants, Some(Market::Id)), default);
//! assert_eq!(select(default, &variants, None), default);
//! ```

use std::fmt;
use std::str::FromStr;

use crate::flow::Context;

/// The page-context key that names the market (`data-context='{"market":"th"}'`).
pub const CONTEXT_KEY: &str = "market";

/// A market the marketplace operates in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Market {
    /// Indonesia.
    Id,
    /// Malaysia.
    My,
    /// The Philippines.
    Ph,
    /// Singapore.
    Sg,
    /// Thailand.
    Th,
    /// Vietnam.
    Vn,
}

/// Every market with its code (ISO 3166-1 alpha-2, lowercase) and name, in the order of
/// [`Market::ALL`], which is also the byte that stands for each in a pack.
pub const MARKETS: [(Market, &str, &str); 6] = [
    (Market::Id, "id", "Indonesia"),
    (Market::My, "my", "Malaysia"),
    (Market::Ph, "ph", "the Philippines"),
    (Market::Sg, "sg", "Singapore"),
    (Market::Th, "th", "Thailand"),
    (Market::Vn, "vn", "Vietnam"),
];

impl Market {
    /// Every market, in table order.
    pub const ALL: [Market; 6] = [Market::Id, Market::My, Market::Ph, Market::Sg, Market::Th, Market::Vn];

    /// The lowercase country code used in the knowledge and the page context.
    pub fn code(self) -> &'static str {
        MARKETS[self as usize].1
    }

    /// The country's name in English.
    pub fn name(self) -> &'static str {
        MARKETS[self as usize].2
    }

    /// The market with this code (any case, surrounding space ignored).
    pub fn from_code(code: &str) -> Option<Market> {
        let code = code.trim();
        MARKETS.iter().find(|m| m.1.eq_ignore_ascii_case(code)).map(|m| m.0)
    }

    /// The market the page context names, if it names a known one.
    pub fn from_context(context: &Context) -> Option<Market> {
        context.get(CONTEXT_KEY).and_then(|code| Market::from_code(code))
    }

    /// The byte that stands for this market in the codec: its table position, which
    /// [`crate::format::schema`] pins.
    pub fn format_byte(self) -> u8 {
        self as u8
    }

    /// The market a [`Market::format_byte`] stands for.
    pub fn from_format_byte(byte: u8) -> Option<Market> {
        Market::ALL.get(usize::from(byte)).copied()
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error for a market code that is not in [`MARKETS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownMarket(pub String);

impl fmt::Display for UnknownMarket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<&str> = MARKETS.iter().map(|m| m.1).collect();
        write!(f, "unknown market `{}` (markets: {})", self.0, codes.join(", "))
    }
}

impl std::error::Error for UnknownMarket {}

impl FromStr for Market {
    type Err = UnknownMarket;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Market::from_code(s).ok_or_else(|| UnknownMarket(s.trim().to_string()))
    }
}

/// The complete text of an answer or a step message for one market.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The market it is for.
    pub market: Market,
    /// The whole text (shared parts included), in Markdown.
    pub text: String,
}

/// The text for `market`: its variant if there is one, else `default`.
pub fn select<'a>(default: &'a str, variants: &'a [Variant], market: Option<Market>) -> &'a str {
    market.and_then(|m| variants.iter().find(|v| v.market == m)).map_or(default, |v| v.text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order_with_unique_codes() {
        for (i, (market, code, _)) in MARKETS.iter().enumerate() {
            assert_eq!(*market as usize, i, "{code} is out of place");
            assert_eq!(Market::ALL[i], *market);
            assert_eq!(Market::from_code(code), Some(*market));
            assert_eq!(Market::from_format_byte(market.format_byte()), Some(*market));
        }
        let mut codes: Vec<&str> = MARKETS.iter().map(|m| m.1).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), MARKETS.len());
    }

    #[test]
    fn the_context_names_the_market_in_any_case_and_unknown_codes_are_none() {
        let context = Context::from([(CONTEXT_KEY.to_string(), " Th ".to_string())]);
        assert_eq!(Market::from_context(&context), Some(Market::Th));
        let context = Context::from([(CONTEXT_KEY.to_string(), "vi".to_string())]);
        assert_eq!(Market::from_context(&context), None, "vi is the Vietnamese language; Vietnam is vn");
        assert_eq!(Market::from_context(&Context::new()), None);
        assert_eq!(Market::from_format_byte(6), None);
    }

    #[test]
    fn unknown_codes_name_the_known_ones() {
        assert_eq!(
            "xx".parse::<Market>().unwrap_err().to_string(),
            "unknown market `xx` (markets: id, my, ph, sg, th, vn)"
        );
    }
}
