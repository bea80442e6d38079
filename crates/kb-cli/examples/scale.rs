//! Scale benchmark: build time, index size and query latency for generated knowledge bases of
//! 100, 1k, 10k and 100k entries. Run: `cargo run --release -p kb-cli --example scale [MAX]`.
//!
//! The corpus is synthetic (Zipf-distributed words from a generated vocabulary, 5 questions and
//! a 40-word answer per entry); queries are entry questions with one word dropped and one typo,
//! so they exercise the fuzzy path as real chat input does.

use std::io::Write;
use std::time::Instant;

use kb_compiler::builder::{build, BuildOptions};
use kb_compiler::knowledge::{Corpus, SourceEntry};
use kb_core::Locale;
use kb_core::{Entry, Index, Query};

/// A small deterministic generator (xorshift), so every run measures the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A Zipf-like index in 0..n: small indexes are much more frequent.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

fn vocabulary(size: usize, rng: &mut Rng) -> Vec<String> {
    const SYLLABLES: [&str; 16] =
        ["ka", "ro", "mi", "te", "su", "la", "po", "ne", "di", "va", "shi", "gor", "ban", "tel", "mu", "ri"];
    (0..size).map(|_| (0..2 + rng.next() % 3).map(|_| SYLLABLES[(rng.next() % 16) as usize]).collect()).collect()
}

fn sentence(words: usize, vocab: &[String], rng: &mut Rng) -> String {
    (0..words).map(|_| vocab[rng.zipf(vocab.len())].as_str()).collect::<Vec<_>>().join(" ")
}

fn corpus(entries: usize, vocab: &[String], rng: &mut Rng) -> Corpus {
    Corpus {
        name: format!("synthetic-{entries}"),
        entries: (0..entries)
            .map(|i| SourceEntry {
                entry: Entry::new(&format!("e{i}"), &sentence(4, vocab, rng), Locale::En, &sentence(40, vocab, rng)),
                questions: (0..5).map(|_| sentence(6, vocab, rng)).collect(),
                replaces: Vec::new(),
            })
            .collect(),
        ..Corpus::default()
    }
}

fn gzip_len(bytes: &[u8]) -> usize {
    use flate2::{write::GzEncoder, Compression};
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map_or(0, |v| v.len())
}

fn main() {
    let max: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let vocab = vocabulary(20_000, &mut rng);
    println!("| entries | build | index | index gzip | query p50 | query p99 |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in [100usize, 1_000, 10_000, 100_000].into_iter().filter(|&n| n <= max) {
        eprintln!("scale: generating and building {n} entries…");
        let corpus = corpus(n, &vocab, &mut rng);
        let started = Instant::now();
        let bytes = build(&corpus, &BuildOptions::default());
        let build_time = started.elapsed();
        let gz = gzip_len(&bytes);
        let index = Index::from_bytes(bytes.clone()).expect("a fresh index reads back");
        let queries: Vec<String> = (0..1000)
            .map(|_| {
                let e = &corpus.entries[(rng.next() as usize) % n];
                let q = &e.questions[(rng.next() as usize) % e.questions.len()];
                let mut words: Vec<String> = q.split(' ').map(str::to_string).collect();
                words.remove((rng.next() as usize) % words.len());
                if let Some(w) = words.first_mut() {
                    w.push('x');
                }
                words.join(" ")
            })
            .collect();
        let mut times: Vec<f64> = queries
            .iter()
            .map(|q| {
                let t = Instant::now();
                let r = index.search(&Query::new(q, Locale::En));
                std::hint::black_box(r);
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "| {n} | {:.2} s | {:.1} MB | {:.1} MB | {:.0} µs | {:.0} µs |",
            build_time.as_secs_f64(),
            bytes.len() as f64 / 1e6,
            gz as f64 / 1e6,
            times[times.len() / 2],
            times[times.len() * 99 / 100]
        );
    }
}
