//! The support team's view of the assistant. The widget sends events (`docs/events.md`) to a
//! collector ([`collect`], `kb collect`), which checks each batch against the schema
//! (`analytics/events.schema.json`) and appends the events to daily JSON-lines files. `kb report`
//! streams those files ([`read`]) into figures ([`report`], defined in `docs/metrics.md`; the top
//! unanswered questions in [`unanswered`]), charts them in one self-contained HTML page ([`html`])
//! and writes one row per session;
//! `kb gaps` groups the questions the knowledge did not answer into needs, each with a draft
//! entry or the entry that should grow ([`gaps`]). Native only: nothing here reaches the widget.

pub mod collect;
pub mod event;
pub mod gaps;
pub mod html;
pub mod read;
pub mod report;
pub mod session;
pub mod unanswered;

pub use event::{Batch, Event, Kind};
pub use report::{Builder, Report, SessionRow, Window};
