//! Benchmark-only: kb-core compiled to WebAssembly behind a tiny wasm-bindgen API, so
//! `bench/peers.mjs` can measure our engine in the same Node runtime as the JS search libraries.
//!
//! ```js
//! const { Engine } = require("./out/kb-wasm/kb_wasm.js");
//! const engine = new Engine(fs.readFileSync("out/kb.idx"));
//! JSON.parse(engine.search("how do i stop my order"));
//! // → {"ids": ["cancel_order", …], "confidence": 0.97, "decision": "Answer"}
//! engine.attachSemantic(fs.readFileSync("out/kb-static.en.sem")); // the static tier, fused
//! ```

use kb_core::decide::Overrides;
use kb_core::semantic::SemanticTable;
use kb_core::Locale;
use kb_core::{Audience, Index, Query};
use wasm_bindgen::prelude::*;

/// A loaded index.
#[wasm_bindgen]
pub struct Engine {
    index: Index,
}

#[wasm_bindgen]
impl Engine {
    /// Reads an index written by `kb build` / `kb eval … --out FILE`.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Engine, JsError> {
        let index = Index::from_bytes(bytes.to_vec()).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Engine { index })
    }

    /// Attaches a semantic file written beside the index (`kb eval --semantic static --out`):
    /// searches then fuse its static tier with BM25F, as the widget does.
    #[wasm_bindgen(js_name = attachSemantic)]
    pub fn attach_semantic(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let table = SemanticTable::from_bytes(bytes.to_vec()).map_err(|e| JsError::new(&e.to_string()))?;
        self.index.attach_semantic(table).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Number of entries in the index.
    pub fn entries(&self) -> usize {
        self.index.len()
    }

    /// The calibrated answer threshold stored in the index.
    #[wasm_bindgen(js_name = answerThreshold)]
    pub fn answer_threshold(&self) -> f32 {
        self.index.calibration().answer_threshold
    }

    /// Searches like `kb eval` does (English, 10 hits; everyone's entries unless `audience` is
    /// "buyer" or "seller") and returns JSON:
    /// `{"ids": [top-10 entry ids], "confidence": number, "decision": "Answer" | "Clarify" | "Fallback",
    /// "path": "answer" | "clarify" | "fallback" | "handoff" | "reply"}`.
    pub fn search(&self, text: &str, audience: Option<String>) -> Result<String, JsError> {
        let audience: Audience = audience.as_deref().unwrap_or("all").parse().map_err(|e: String| JsError::new(&e))?;
        let query = Query::new(text, Locale::En).audience(audience).limit(10);
        let reply = self.index.decide(&query, &Overrides::default());
        let ids: Vec<String> = reply.result.hits.iter().take(10).filter_map(|h| self.index.entry_id(h.entry)).collect();
        Ok(serde_json::json!({"ids": ids, "confidence": reply.result.confidence.value(), "decision": reply.decision(), "path": reply.path.name()})
            .to_string())
    }
}
