//! The index written by the compiler reads back exactly, and damaged bytes are an error, never a
//! panic — not at load time and not in any search afterwards.

use kb_compiler::builder::{build, BuildOptions};
use kb_compiler::knowledge::{Corpus, LocaleAnalysis, SourceEntry};
use kb_core::flow::{Action, Context, Flow, Step};
use kb_core::format::checksum;
use kb_core::market::{Variant, CONTEXT_KEY};
use kb_core::Locale;
use kb_core::{Audience, Entry, Index, Market, Query};
use proptest::prelude::*;

fn corpus() -> Corpus {
    let mut track = Entry::new(
        "track-order",
        "Track my order",
        Locale::En,
        "Open **Orders** and tap [Track](https://x.example/o).",
    );
    track.audience = Audience::Buyer;
    track.featured = true;
    let mut payout = Entry::new("payout-delayed", "Payout delayed", Locale::En, "Payouts run every Tuesday.");
    payout.audience = Audience::Seller;
    payout.variants.push(Variant { market: Market::Th, text: "Payouts run every Friday.".into() });
    let paket = Entry::new("track-order", "Lacak pesanan", Locale::Id, "Buka **Pesanan**.");
    let thai = Entry::new("track-order", "ติดตามพัสดุ", Locale::Th, "เปิดคำสั่งซื้อ");
    let step = Step {
        id: "when".into(),
        message: "Settlement runs on Tuesday.".into(),
        action: Some(Action::End),
        variants: vec![Variant { market: Market::Id, text: "Settlement runs on Wednesday.".into() }],
        ..Step::default()
    };
    let flow = Flow {
        id: "payout-delayed".into(),
        locale: Locale::En,
        title: "Payout delayed".into(),
        audience: Audience::Seller,
        start: "when".into(),
        steps: vec![step],
    };
    let mut corpus = Corpus {
        name: "test".into(),
        flows: vec![flow],
        entries: vec![
            SourceEntry {
                entry: track,
                questions: vec!["where is my parcel".into(), "track package".into(), "wheres my order".into()],
                replaces: vec![],
            },
            SourceEntry {
                entry: payout,
                questions: vec!["when do i get paid".into(), "payout late".into(), "money not in bank".into()],
                replaces: vec![],
            },
            SourceEntry {
                entry: paket,
                questions: vec!["paket saya dimana".into(), "lacak pengiriman".into(), "pesanan belum sampai".into()],
                replaces: vec![],
            },
            SourceEntry {
                entry: thai,
                questions: vec!["พัสดุอยู่ไหน".into(), "ติดตามพัสดุ".into(), "ของยังไม่มา".into()],
                replaces: vec![],
            },
        ],
        ..Corpus::default()
    };
    corpus.analysis.insert(
        Locale::En,
        LocaleAnalysis {
            stopwords: vec!["the".into()],
            synonyms: vec![vec!["parcel".into(), "package".into(), "pkg".into()]],
        },
    );
    corpus
}

fn bytes() -> Vec<u8> {
    build(&corpus(), &BuildOptions::default())
}

/// Rewrites the checksum so that damage reaches the section decoders.
fn reseal(mut b: Vec<u8>) -> Vec<u8> {
    if b.len() >= 20 {
        let sum = checksum(&b[20..]);
        b[12..20].copy_from_slice(&sum.to_le_bytes());
    }
    b
}

#[test]
fn every_entry_reads_back() {
    let index = Index::from_bytes(bytes()).unwrap();
    let c = corpus();
    assert_eq!(index.len(), c.entries.len());
    for source in &c.entries {
        let n = index.find(&source.entry.id, source.entry.locale).expect("entry is findable");
        assert_eq!(index.entry(n).unwrap(), source.entry);
        assert_eq!(index.entry_id(n).as_deref(), Some(source.entry.id.as_str()));
    }
    assert_eq!(index.entry_id(index.len() as u32), None);
    assert_eq!(index.featured(Locale::En, Audience::Buyer).len(), 1);
    assert!(index.featured(Locale::En, Audience::Seller).is_empty());
}

#[test]
fn market_variants_read_back_and_only_the_default_text_is_indexed() {
    let index = Index::from_bytes(bytes()).unwrap();
    let payout = index.entry(index.find("payout-delayed", Locale::En).unwrap()).unwrap();
    assert_eq!(payout.answer_for(Some(Market::Th)), "Payouts run every Friday.");
    assert_eq!(payout.answer_for(None), "Payouts run every Tuesday.");
    let hits = |q: &str| index.search(&Query::new(q, Locale::En)).hits.len();
    assert!(hits("tuesday") > 0, "the default text is indexed");
    assert_eq!(hits("friday"), 0, "a variant's words are not");

    let flow = index.flow("payout-delayed", Locale::En).unwrap();
    assert_eq!(flow, &corpus().flows[0]);
    let context = Context::from([(CONTEXT_KEY.to_string(), "id".to_string())]);
    assert_eq!(flow.view(&flow.start(&context), &context).message, "Settlement runs on Wednesday.");
}

#[test]
fn search_uses_analysis_from_the_index() {
    let index = Index::from_bytes(bytes()).unwrap();
    let top =
        |q: &str, l| index.search(&Query::new(q, l)).hits.first().and_then(|h| index.entry(h.entry)).map(|e| e.id);
    assert_eq!(top("pkg wher", Locale::En).as_deref(), Some("track-order"));
    assert_eq!(top("payuot late", Locale::En).as_deref(), Some("payout-delayed"));
    assert_eq!(top("paketku belum sampai", Locale::Id).as_deref(), Some("track-order"));
    assert_eq!(top("พัสดุของฉันอยู่ไหน", Locale::Th).as_deref(), Some("track-order"));
    let seller_view = index.search(&Query::new("where is my parcel", Locale::En).audience(Audience::Seller));
    assert!(seller_view.hits.iter().all(|h| index.entry(h.entry).unwrap().audience != Audience::Buyer));
}

#[test]
fn the_index_gives_its_analyzers_and_term_weights() {
    let index = Index::from_bytes(bytes()).unwrap();
    let en = index.analyzer(Locale::En).unwrap();
    assert_eq!(en.terms("the pkg"), ["parcel"], "stop words and synonyms come from the knowledge");
    let weight = |t: &str| index.term_weight(Locale::En, t);
    // BM25's idf over the two English entries: "late" is in one of them.
    assert!((weight("late") - 2f32.ln()).abs() < 1e-6, "{}", weight("late"));
    assert!(weight("late") < weight("giftwrap"), "a word the pack never saw is the most telling");
    assert_eq!(weight("giftwrap"), weight("unheard"));
    assert!(index.term_weight(Locale::Id, "late") > weight("late"), "weights are per locale");
}

#[test]
fn suggestions_follow_typing_including_finished_inflected_words() {
    let index = Index::from_bytes(bytes()).unwrap();
    let ids = |text: &str| -> Vec<String> {
        index.suggest(text, Locale::En, Audience::All, 3).into_iter().map(|n| index.entry(n).unwrap().id).collect()
    };
    assert_eq!(ids("trac").first().map(String::as_str), Some("track-order"));
    // "tracking" is stored as "track": a prefix search alone would find nothing.
    assert_eq!(ids("tracking").first().map(String::as_str), Some("track-order"));
    assert_eq!(ids("when do i get pai").first().map(String::as_str), Some("payout-delayed"));
    assert!(ids("zzzz").is_empty());
}

#[test]
fn the_asking_audience_is_filtered_and_boosted() {
    let entry = |id: &str, audience| {
        let mut e = Entry::new(id, "Vouchers", Locale::En, "Use a voucher at checkout.");
        e.audience = audience;
        SourceEntry {
            entry: e,
            questions: vec!["how do vouchers work".into(), "voucher code".into(), "apply a voucher".into()],
            replaces: vec![],
        }
    };
    // "a-everyone" sorts first, so without the boost it would win the tie.
    let corpus = Corpus {
        entries: vec![entry("a-everyone", Audience::All), entry("b-buyers", Audience::Buyer)],
        ..Corpus::default()
    };
    let index = Index::from_bytes(build(&corpus, &BuildOptions::default())).unwrap();
    let ids = |audience| -> Vec<String> {
        index
            .search(&Query::new("voucher code", Locale::En).audience(audience))
            .hits
            .iter()
            .map(|h| index.entry(h.entry).unwrap().id)
            .collect()
    };
    assert_eq!(ids(Audience::Buyer), vec!["b-buyers", "a-everyone"]);
    assert_eq!(ids(Audience::Seller), vec!["a-everyone"]);
    assert_eq!(ids(Audience::All), vec!["a-everyone", "b-buyers"]);
}

#[test]
fn same_corpus_same_bytes_and_version() {
    assert_eq!(bytes(), bytes());
    let version = Index::from_bytes(bytes()).unwrap().version();
    assert_eq!(version.len(), 16);
    assert_eq!(version, Index::from_bytes(bytes()).unwrap().version());
    let mut other = corpus();
    other.entries[0].entry.answer.push_str(" Or ask the courier.");
    let other = Index::from_bytes(build(&other, &BuildOptions::default())).unwrap();
    assert_ne!(other.version(), version, "different knowledge, different version");
}

#[test]
fn the_runner_up_is_rated_below_the_first() {
    let index = Index::from_bytes(bytes()).unwrap();
    let result = index.search(&Query::new("where is my parcel, payout late", Locale::En));
    assert!(result.hits.len() >= 2);
    let (first, second) = (result.confidence.value(), result.runner_up_confidence.value());
    assert!(second > 0.0 && second < first, "runner-up {second} vs first {first}");
    let alone = index.search(&Query::new("ติดตามพัสดุ", Locale::Th));
    assert_eq!(alone.hits.len(), 1);
    assert_eq!(alone.runner_up_confidence.value(), 0.0);
}

#[test]
fn every_truncation_is_an_error() {
    let b = bytes();
    for len in 0..b.len() {
        assert!(Index::from_bytes(b[..len].to_vec()).is_err(), "truncated at {len} bytes was accepted");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_are_an_error(noise in proptest::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(Index::from_bytes(noise).is_err());
    }

    // Damage behind a valid checksum reaches the section decoders: loading may succeed or
    // fail, but nothing panics, and neither do searches on whatever loaded.
    #[test]
    fn damaged_sections_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
                                    query in "[a-z ]{0,20}") {
        let mut b = bytes();
        for (at, value) in flips {
            let i = at.index(b.len() - 20) + 20;
            b[i] = value;
        }
        if let Ok(index) = Index::from_bytes(reseal(b)) {
            let _ = index.search(&Query::new(&query, Locale::En));
            let _ = index.suggest(&query, Locale::En, Audience::All, 3);
            for n in 0..index.len() as u32 {
                let _ = index.entry(n);
            }
        }
    }
}

#[test]
fn a_locale_pack_ranks_like_the_index_of_every_locale() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
    let (knowledge, _) = kb_compiler::knowledge::Knowledge::load(&root);
    let corpus = knowledge.corpus();
    let whole = Index::from_bytes(build(&corpus, &BuildOptions::default())).unwrap();
    let mut compared = 0;
    for locale in corpus.locales() {
        let part = corpus.for_locale(locale);
        let pack = Index::from_bytes(build(&part, &BuildOptions::default())).unwrap();
        assert_eq!(pack.len(), part.entries.len());
        let golden = &knowledge.golden[&locale];
        for q in golden.test.iter().chain(&golden.dev) {
            let query = Query::new(&q.text, locale).audience(q.audience).limit(5);
            let overrides = kb_core::decide::Overrides::default();
            let (a, b) = (whole.decide(&query, &overrides), pack.decide(&query, &overrides));
            let ids = |index: &Index, r: &kb_core::SearchResult| -> Vec<String> {
                r.hits.iter().filter_map(|h| index.entry_id(h.entry)).collect()
            };
            assert_eq!(ids(&pack, &b.result), ids(&whole, &a.result), "{locale:?}: {}", q.text);
            assert_eq!(b.decision(), a.decision(), "{locale:?}: {}", q.text);
            assert!((b.result.confidence.value() - a.result.confidence.value()).abs() < 1e-6, "{locale:?}: {}", q.text);
            compared += 1;
        }
    }
    assert!(compared > 1500, "only {compared} questions compared");
}
