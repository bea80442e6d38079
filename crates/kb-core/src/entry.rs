//! What an answer entry is once compiled: the stored part of the knowledge that the widget shows.

use std::fmt;
use std::str::FromStr;

use crate::locale::Locale;
use crate::market::{self, Market, Variant};

/// Who an entry is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "lowercase"))]
pub enum Audience {
    /// People buying on the marketplace.
    Buyer,
    /// People selling on it.
    Seller,
    /// Everyone.
    #[default]
    All,
}

impl Audience {
    /// Whether an entry for `self` may be shown to someone who is `viewer`.
    ///
    /// ```
    /// use kb_core::Audience;
    /// assert!(Audience::All.serves(Audience::Seller));
    /// assert!(!Audience::Buyer.serves(Audience::Seller));
    /// ```
    pub fn serves(self, viewer: Audience) -> bool {
        self == Audience::All || viewer == Audience::All || self == viewer
    }

    /// The lowercase name used in front matter and the embed configuration.
    pub fn name(self) -> &'static str {
        match self {
            Audience::Buyer => "buyer",
            Audience::Seller => "seller",
            Audience::All => "all",
        }
    }

    pub(crate) fn from_byte(b: u8) -> Audience {
        match b {
            0 => Audience::Buyer,
            1 => Audience::Seller,
            _ => Audience::All,
        }
    }

    /// The byte stored in entry records.
    pub fn to_byte(self) -> u8 {
        match self {
            Audience::Buyer => 0,
            Audience::Seller => 1,
            Audience::All => 2,
        }
    }
}

impl FromStr for Audience {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "buyer" => Ok(Audience::Buyer),
            "seller" => Ok(Audience::Seller),
            "all" => Ok(Audience::All),
            other => Err(format!("unknown audience `{other}` (expected buyer, seller or all)")),
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an entry is for. Knowledge entries answer questions; the built-in system entries
/// (`knowledge/system/`) recognise what is not a question for the knowledge: a request for a
/// person, small talk, and questions outside the marketplace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "kebab-case"))]
pub enum EntryKind {
    /// An answer from the knowledge.
    #[default]
    Answer,
    /// The user asks for a person: the widget hands off.
    Handoff,
    /// Greetings, thanks, goodbyes, "are you a bot": a short local reply.
    SmallTalk,
    /// A question outside the marketplace (weather, news, jobs): an honest local decline.
    OutOfDomain,
}

impl EntryKind {
    /// Every kind, in the order of their bytes.
    pub const ALL: [EntryKind; 4] =
        [EntryKind::Answer, EntryKind::Handoff, EntryKind::SmallTalk, EntryKind::OutOfDomain];

    /// The name used in front matter (`kind: small-talk`).
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Answer => "answer",
            EntryKind::Handoff => "handoff",
            EntryKind::SmallTalk => "smalltalk",
            EntryKind::OutOfDomain => "out-of-domain",
        }
    }

    /// True for the built-in system kinds (everything but an answer).
    pub fn is_system(self) -> bool {
        self != EntryKind::Answer
    }

    /// The byte stored in entry records and the codec.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// The kind a byte stands for.
    pub fn from_byte(b: u8) -> Option<EntryKind> {
        EntryKind::ALL.get(usize::from(b)).copied()
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        EntryKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown kind `{s}` (expected answer, handoff, smalltalk or out-of-domain)"))
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A labelled link shown under an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The text shown.
    pub label: String,
    /// An http(s) or mailto URL (the compiler rejects anything else).
    pub url: String,
}

/// One stored answer entry.
///
/// ```
/// use kb_core::{Entry, Audience, Locale};
/// let e = Entry::new("track-order", "Track my order", Locale::En, "Open **Orders**.");
/// assert_eq!(e.audience, Audience::All);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Stable id, shared by the translations of the entry.
    pub id: String,
    /// Short title.
    pub title: String,
    /// The entry's locale.
    pub locale: Locale,
    /// Who it is for.
    pub audience: Audience,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The answer, in Markdown: the default text, shown where no variant is for the page's
    /// market (and the text that is indexed).
    pub answer: String,
    /// Links shown under the answer.
    pub links: Vec<Link>,
    /// Ids of related entries.
    pub related: Vec<String>,
    /// Shown as a starter suggestion.
    pub featured: bool,
    /// The guided flow this entry offers.
    pub flow: Option<String>,
    /// What the entry is for.
    pub kind: EntryKind,
    /// After the answer, offer a person (`=> handoff` at the end of the body).
    pub handoff: bool,
    /// The whole answer for each market whose policy differs from the default.
    pub variants: Vec<Variant>,
}

impl Entry {
    /// An entry with the required fields and defaults for the rest.
    pub fn new(id: &str, title: &str, locale: Locale, answer: &str) -> Entry {
        Entry {
            id: id.to_string(),
            title: title.to_string(),
            locale,
            audience: Audience::All,
            tags: Vec::new(),
            answer: answer.to_string(),
            links: Vec::new(),
            related: Vec::new(),
            featured: false,
            flow: None,
            kind: EntryKind::Answer,
            handoff: false,
            variants: Vec::new(),
        }
    }

    /// The answer for a page of `market`: that market's variant, else the default.
    ///
    /// ```
    /// use kb_core::{market::Variant, Entry, Locale, Market};
    /// let mut e = Entry::new("return-policy", "Return policy", Locale::En, "Within **15 days**.");
    /// e.variants.push(Variant { market: Market::Th, text: "Within **7 days**.".into() });
    /// assert_eq!(e.answer_for(Some(Market::Th)), "Within **7 days**.");
    /// assert_eq!(e.answer_for(Some(Market::Id)), "Within **15 days**.");
    /// ```
    pub fn answer_for(&self, market: Option<Market>) -> &str {
        market::select(&self.answer, &self.variants, market)
    }
}
