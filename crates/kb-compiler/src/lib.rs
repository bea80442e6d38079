//! The knowledge compiler: the build-time room. It reads `knowledge/` (Markdown entries with
//! front matter, guided flows, synonym and stop-word lists, golden question sets) or a neutral
//! JSON-lines dataset, validates everything with `file:line` diagnostics, fits the confidence
//! model on a development set, and writes the binary index that `kb-core` reads. It never panics
//! on bad input: every problem becomes a [`Diagnostic`].
//!
//! ```no_run
//! use kb_compiler::{knowledge::Knowledge, builder::build};
//!
//! let (knowledge, diagnostics) = Knowledge::load("knowledge".as_ref());
//! assert!(!diagnostics.iter().any(|d| d.is_error()));
//! let bytes = build(&knowledge.corpus(), &Default::default());
//! std::fs::write("kb.idx", bytes).unwrap();
//! ```

#![warn(missing_docs)]

pub mod budget;
pub mod builder;
pub mod calibrate;
pub mod dataset;
pub mod diff;
pub mod encoder;
pub mod eval;
pub mod flows;
pub mod frontmatter;
pub mod knowledge;
pub mod markets;
pub mod release;
pub mod semantic;
pub mod verify;

use std::fmt;
use std::path::PathBuf;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The knowledge can still be built, but an entry is weak.
    Warning,
    /// The knowledge cannot be built.
    Error,
}

/// One problem found in the knowledge, at a file and 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the problem concerns the whole file).
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// An error.
    pub fn error(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic { path: path.into(), line, severity: Severity::Error, message: message.into() }
    }

    /// A warning.
    pub fn warning(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic { path: path.into(), line, severity: Severity::Warning, message: message.into() }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line: error: message`, the format editors and CI logs understand.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}:{}: {kind}: {}", self.path.display(), self.line.max(1), self.message)
    }
}
