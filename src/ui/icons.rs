//! The widget's icons: SVG paths on a 24 × 24 grid (Material Symbols shapes, Apache-2.0), drawn
//! in the current text colour. Icons, not emoji: emoji fonts are missing on many desktops.

use leptos::prelude::*;

/// A speech bubble (the closed launcher; `embed.js` draws the same one before the wasm loads).
pub const BUBBLE: &str = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
/// A chevron pointing down (the open launcher: collapse).
pub const CHEVRON_DOWN: &str = "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z";
/// A circular arrow (new conversation).
pub const NEW_CHAT: &str = "M12 5V2L8 6l4 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z";
/// A cross (close).
pub const CLOSE: &str = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
/// A paper plane (send).
pub const SEND: &str = "M3 20V4l19 8z";
/// A square (stop the reply).
pub const STOP: &str = "M6 6h12v12H6z";
/// A thumbs-up outline; the thumbs-down is the same path, rotated by CSS (`.ma-fb-down`).
pub const THUMB_UP: &str = concat!(
    "M9 21h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2c0-1.1-.9-2-2-2h-6.31l.95-4.57",
    ".03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.58 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2zm0-12 4.34-4.34",
    "L12 10h9v2l-3 7H9V9zM1 9h4v12H1z"
);

/// An icon of `size` pixels, hidden from screen readers (its button carries the label).
#[component]
pub fn Icon(path: &'static str, size: u32) -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width=size height=size aria-hidden="true">
            <path fill="currentColor" d=path/>
        </svg>
    }
}
