//! Reading event files as the collector writes them: JSON lines, one event per line, in daily
//! files (`events-YYYY-MM-DD.jsonl`). A folder is read file by file in name order (so, by day),
//! each file line by line: nothing but the current line is held, whatever the files' size. A line
//! that is not an event is counted and named, never fatal.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::event::{Event, SCHEMA_VERSION};

/// The event files of `inputs`: a folder gives its `*.jsonl` files in name order, a file itself.
///
/// # Errors
/// A path that does not exist or a folder that cannot be listed.
pub fn files(inputs: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            found.sort();
            out.extend(found);
        } else if input.is_file() {
            out.push(input.clone());
        } else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such file or folder", input.display()),
            ));
        }
    }
    Ok(out)
}

/// What reading found besides the events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Events read.
    pub events: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines that were not events of this schema: `file:line: why`, the first 20.
    pub bad_lines: Vec<String>,
    /// How many such lines in all.
    pub bad: u64,
}

/// Reads every event of `files` in order, handing each to `each`; `progress(bytes)` is called
/// after every 64 KiB read.
///
/// # Errors
/// A file that cannot be opened or read (a bad line is not an error).
pub fn read(files: &[PathBuf], mut each: impl FnMut(Event), mut progress: impl FnMut(u64)) -> io::Result<ReadStats> {
    let mut stats = ReadStats::default();
    let mut since = 0u64;
    for path in files {
        let mut reader = BufReader::with_capacity(1 << 16, open(path)?);
        let mut line = String::new();
        let mut number = 0usize;
        loop {
            line.clear();
            let n = reader.read_line(&mut line)?;
            if n == 0 {
                break;
            }
            number += 1;
            stats.bytes += n as u64;
            since += n as u64;
            if since >= 1 << 16 {
                progress(stats.bytes);
                since = 0;
            }
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<Event>(text) {
                Ok(event) if event.v == SCHEMA_VERSION => {
                    stats.events += 1;
                    each(event);
                }
                Ok(event) => bad(
                    &mut stats,
                    path,
                    number,
                    format!("schema version {} (this build reads {SCHEMA_VERSION})", event.v),
                ),
                Err(e) => bad(&mut stats, path, number, e.to_string()),
            }
        }
    }
    progress(stats.bytes);
    Ok(stats)
}

fn open(path: &Path) -> io::Result<File> {
    File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn bad(stats: &mut ReadStats, path: &Path, line: usize, why: String) {
    stats.bad += 1;
    if stats.bad_lines.len() < 20 {
        stats.bad_lines.push(format!("{}:{line}: {why}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_read_in_name_order_and_bad_lines_are_named_not_fatal() {
        let dir = std::env::temp_dir().join(format!("kb-analytics-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let event = |id: &str| {
            format!(
                r#"{{"v":1,"id":"{id}","session":"s","ts":"2026-12-04T10:00:00.000Z","pack":"p","locale":"en","audience":"all","page":"/","type":"handoff_clicked","reason":"asked"}}"#
            )
        };
        std::fs::write(dir.join("events-2026-12-05.jsonl"), format!("{}\n", event("b"))).unwrap();
        std::fs::write(
            dir.join("events-2026-12-04.jsonl"),
            format!("{}\nnot json\n\n{}\n", event("a"), event("a2").replace("\"v\":1", "\"v\":9")),
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let mut ids = Vec::new();
        let stats = read(&files(std::slice::from_ref(&dir)).unwrap(), |e| ids.push(e.id), |_| {}).unwrap();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!((stats.events, stats.bad), (2, 2));
        assert!(
            stats.bad_lines[0].ends_with("events-2026-12-04.jsonl:2: expected ident at line 1 column 2"),
            "{:?}",
            stats.bad_lines
        );
        assert!(stats.bad_lines[1].contains("schema version 9"));
        assert!(files(&[dir.join("missing")]).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
