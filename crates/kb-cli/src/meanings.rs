//! The encoder tier's sentence vectors, kept on disk between runs: the encoder reads some 25
//! questions a second a core, so `kb build`, `kb eval` and `kb verify` on knowledge that has not
//! changed would otherwise spend minutes reading the same questions again.
//!
//! One file per encoder (named by its SHA-256, so a different pruning never reads another's
//! vectors) in `$KB_MEANING_CACHE`, else `~/.cache/market-assist/meanings`; `KB_MEANING_CACHE=off`
//! turns the cache off. The file is `KBMV1\n`, the dimensions (u32 LE), then records of the text's
//! length (u32 LE), its UTF-8 and its vector (f32 LE). New vectors are appended; a record cut
//! short (a run stopped while writing) is ignored, and a file that does not start right is
//! replaced.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use kb_compiler::encoder::tier::embed_all;
use kb_compiler::release::sha256_hex;
use kb_encoder::Encoder;

use crate::output::bar;
use crate::shown;

const MAGIC: &[u8; 6] = b"KBMV1\n";

/// The sentence vectors of `texts`, from the cache where it has them; the rest are read by the
/// encoder (with a progress bar labelled `what`) and added to it.
pub fn embed_cached(encoder: &Encoder, texts: &[&str], what: &str) -> Vec<Vec<f32>> {
    let dims = encoder.meta().hidden as usize;
    let path = cache_path(encoder);
    let mut known = path.as_ref().map(|p| read(p, dims)).unwrap_or_default();
    let mut missing: Vec<&str> = texts.iter().copied().filter(|t| !known.contains_key(*t)).collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let progress = bar(missing.len() as u64, &format!("{what}: encoder"));
        let vectors = embed_all(encoder, &missing, |done| progress.set_position(done as u64));
        progress.finish_and_clear();
        if let Some(path) = &path {
            if let Err(e) = append(path, dims, &missing, &vectors) {
                eprintln!("kb: warning: could not keep the sentence vectors in {}: {e}", shown(path));
            }
        }
        known.extend(missing.into_iter().map(str::to_owned).zip(vectors));
    }
    texts.iter().map(|t| known[*t].clone()).collect()
}

/// The cache file of `encoder`, or `None` when the cache is off.
fn cache_path(encoder: &Encoder) -> Option<PathBuf> {
    let folder = match std::env::var_os("KB_MEANING_CACHE") {
        Some(v) if v == "off" => return None,
        Some(v) => PathBuf::from(v),
        None => std::env::var_os("HOME").map(PathBuf::from)?.join(".cache/market-assist/meanings"),
    };
    Some(folder.join(format!("{}.kbmv", &sha256_hex(encoder.bytes())[..16])))
}

/// The whole records of the file at `path` (none when it is missing or not a cache of `dims`).
fn read(path: &Path, dims: usize) -> HashMap<String, Vec<f32>> {
    let mut known = HashMap::new();
    let Ok(bytes) = std::fs::read(path) else { return known };
    if !header_holds(&bytes, dims) {
        return known;
    }
    let mut at = 10;
    while let Some(len) = u32_at(&bytes, at) {
        let text = at + 4..at + 4 + len;
        let vector = text.end..text.end + 4 * dims;
        let next = vector.end;
        let (Some(text), Some(vector)) = (bytes.get(text), bytes.get(vector)) else { break };
        let Ok(text) = std::str::from_utf8(text) else { break };
        let vector = vector.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        known.insert(text.to_owned(), vector);
        at = next;
    }
    known
}

/// Whether `bytes` start with the header of a cache of `dims`-dimensional vectors.
fn header_holds(bytes: &[u8], dims: usize) -> bool {
    bytes.len() >= 10 && &bytes[..6] == MAGIC && u32_at(bytes, 6) == Some(dims)
}

/// Whether the file at `path` starts with that header (only the header is read).
fn starts_right(path: &Path, dims: usize) -> bool {
    let mut header = [0u8; 10];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)).is_ok() && header_holds(&header, dims)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// Appends records to the file at `path`, starting it (or replacing one that is not a cache of
/// `dims`) first.
fn append(path: &Path, dims: usize, texts: &[&str], vectors: &[Vec<f32>]) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let whole = starts_right(path, dims);
    let mut out = Vec::new();
    if !whole {
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(dims as u32).to_le_bytes());
    }
    for (text, vector) in texts.iter().zip(vectors) {
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        vector.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(whole).write(true).truncate(!whole).open(path)?;
    file.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_and_a_cut_record_or_a_foreign_file_is_ignored() {
        let dir = std::env::temp_dir().join(format!("kb-meanings-{}", std::process::id()));
        let path = dir.join("x.kbmv");
        append(&path, 2, &["parcel", "money back"], &[vec![1.0, 0.5], vec![-1.0, 2.0]]).unwrap();
        append(&path, 2, &["où"], &[vec![0.25, 0.0]]).unwrap();
        let known = read(&path, 2);
        assert_eq!(known.len(), 3);
        assert_eq!(known["money back"], vec![-1.0, 2.0]);
        assert_eq!(known["où"], vec![0.25, 0.0]);
        assert!(read(&path, 3).is_empty(), "a cache of other dimensions is not read");

        // A run stopped while writing: the cut record is dropped, the whole ones kept.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(read(&path, 2).len(), 2);

        // A file that is not a cache is replaced, not appended to.
        std::fs::write(&path, b"not a cache").unwrap();
        assert!(read(&path, 2).is_empty());
        append(&path, 2, &["a"], &[vec![3.0, 4.0]]).unwrap();
        assert_eq!(read(&path, 2).len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
