//! Component tests in headless Chromium (`cargo test --target wasm32-unknown-unknown`).
