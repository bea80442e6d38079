//! The encoder tier's own wasm module. The widget's wasm is compiled for size and carries the
//! retrieval core; this one carries only [`kb_encoder`], compiled for speed and with wasm SIMD,
//! and runs in a Web Worker (`public/encoder-worker.js`) so that a question being read never
//! blocks the page. The widget fetches nothing of it until the first question the pack and the
//! static tier would clarify or hand to the LLM.
//!
//! Two calls cross the boundary: [`EncoderSession::new`] over the encoder file's bytes, and
//! [`EncoderSession::embed`] from a question to its vector (what `kb_core::Query::meaning`
//! takes on the widget's side).

use wasm_bindgen::prelude::*;

/// A loaded encoder file.
#[wasm_bindgen]
pub struct EncoderSession(kb_encoder::Encoder);

#[wasm_bindgen]
impl EncoderSession {
    /// Reads an encoder file (`encoder.kben`, inflated).
    ///
    /// # Errors
    /// What is wrong with the bytes, as a JS `Error`.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>) -> Result<EncoderSession, JsError> {
        kb_encoder::Encoder::from_bytes(bytes).map(EncoderSession).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The question's meaning: a unit vector (a `Float32Array` in JS).
    pub fn embed(&self, question: &str) -> Vec<f32> {
        self.0.embed(question)
    }

    /// How many pieces the vocabulary holds.
    #[wasm_bindgen(getter)]
    pub fn pieces(&self) -> usize {
        self.0.piece_count()
    }
}
