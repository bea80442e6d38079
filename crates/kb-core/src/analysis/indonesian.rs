//! Indonesian stemmer after the Snowball algorithm (Tala, 2003): particles, possessive pronouns,
//! then first- and second-order prefixes and derivational suffixes, never leaving fewer than two
//! vowels' worth of stem.

fn vowels(s: &str) -> usize {
    s.chars().filter(|c| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')).count()
}

fn strip_suffix<'a>(word: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes.iter().find_map(|s| word.strip_suffix(s).filter(|rest| vowels(rest) >= 2))
}

fn is_vowel(c: Option<char>) -> bool {
    matches!(c, Some('a' | 'e' | 'i' | 'o' | 'u'))
}

/// Removes a first-order prefix, restoring the consonant that nasal prefixes swallow
/// (`menulis` → `tulis`, `memilih` → `pilih`, `mengirim` → `kirim`). The kind tells which suffixes
/// may follow: 1 = me-/di-/ter-, 2 = pe-, 3 = ke-.
fn first_order_prefix(w: &str) -> Option<(String, u8)> {
    for (nasal, kind) in [("meng", 1u8), ("peng", 2)] {
        if let Some(rest) = w.strip_prefix(nasal) {
            return match rest.chars().next() {
                Some('g' | 'h' | 'k' | 'q') => Some((rest.to_string(), kind)),
                c if is_vowel(c) => Some((format!("k{rest}"), kind)),
                _ => None,
            };
        }
    }
    for (nasal, kind) in [("meny", 1u8), ("peny", 2)] {
        if let Some(rest) = w.strip_prefix(nasal) {
            return is_vowel(rest.chars().next()).then(|| (format!("s{rest}"), kind));
        }
    }
    for (nasal, kind) in [("mem", 1u8), ("pem", 2)] {
        if let Some(rest) = w.strip_prefix(nasal) {
            return match rest.chars().next() {
                Some('b' | 'f' | 'p' | 'v') => Some((rest.to_string(), kind)),
                c if is_vowel(c) => Some((format!("p{rest}"), kind)),
                _ => None,
            };
        }
    }
    for (nasal, kind) in [("men", 1u8), ("pen", 2)] {
        if let Some(rest) = w.strip_prefix(nasal) {
            return match rest.chars().next() {
                Some('c' | 'd' | 'j' | 's' | 't' | 'z') => Some((rest.to_string(), kind)),
                c if is_vowel(c) => Some((format!("t{rest}"), kind)),
                _ => None,
            };
        }
    }
    if let Some(rest) = w.strip_prefix("me").or_else(|| w.strip_prefix("pe")) {
        let kind = if w.starts_with('m') { 1 } else { 2 };
        return matches!(rest.chars().next(), Some('l' | 'm' | 'n' | 'r' | 'w' | 'y'))
            .then(|| (rest.to_string(), kind));
    }
    for (prefix, kind) in [("di", 1u8), ("ter", 1), ("ke", 3)] {
        if let Some(rest) = w.strip_prefix(prefix) {
            return Some((rest.to_string(), kind));
        }
    }
    None
}

/// Stems one folded, lowercase Indonesian word.
pub(crate) fn stem(word: &str) -> String {
    let mut w = word.to_string();
    if let Some(rest) = strip_suffix(&w, &["kah", "lah", "pun"]) {
        w = rest.to_string();
    }
    if let Some(rest) = strip_suffix(&w, &["nya", "ku", "mu"]) {
        w = rest.to_string();
    }
    // First-order prefixes; which suffixes may follow depends on the prefix removed.
    let mut prefix_kind = 0u8;
    if let Some((rest, kind)) = first_order_prefix(&w) {
        if vowels(&rest) >= 2 {
            w = rest;
            prefix_kind = kind;
        }
    }
    if prefix_kind == 0 || prefix_kind == 2 {
        for (prefix, kind) in [("ber", 4u8), ("per", 5)] {
            if let Some(rest) = w.strip_prefix(prefix) {
                if vowels(rest) >= 2 && !is_vowel(rest.chars().next()) {
                    w = rest.to_string();
                    prefix_kind = kind;
                    break;
                }
            }
        }
    }
    let suffixes: &[&str] = match prefix_kind {
        3 => &["kan", "an"],
        4 | 5 => &["an", "i"],
        _ => &["kan", "an", "i"],
    };
    if let Some(rest) = strip_suffix(&w, suffixes) {
        w = rest.to_string();
    }
    w
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn common_marketplace_words() {
        assert_eq!(stem("pengiriman"), "kirim");
        assert_eq!(stem("dikirim"), "kirim");
        assert_eq!(stem("mengirimkan"), "kirim");
        assert_eq!(stem("pembayaran"), "bayar");
        assert_eq!(stem("membayar"), "bayar");
        assert_eq!(stem("pesanannya"), "pesan");
        assert_eq!(stem("paket"), "paket");
    }
}
