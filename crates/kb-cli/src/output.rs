//! Writing to the terminal: stdout lines that end the program quietly on a closed pipe
//! (`kb search … | head`), and progress bars on stderr (hidden when stderr is not a terminal).

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

/// Prints a line to standard output; a closed pipe ends the program quietly instead of
/// panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// A bar counting `total` items of work called `what`.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {per_sec} {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// A bar counting bytes read of `total`.
pub fn bytes_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// Writes `bytes` to `path`, creating its folder.
///
/// # Errors
/// The folder or the file cannot be written.
pub fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), crate::Failure> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| crate::Failure(format!("cannot create {}: {e}", crate::shown(parent))))?;
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| crate::Failure(format!("cannot write {}: {e}", crate::shown(path))))
}
