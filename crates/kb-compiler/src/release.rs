//! Knowledge releases (`docs/releases.md`): the release manifest of one immutable folder of
//! content-hashed packs (and their semantic tiers' files), the channel manifest that says which
//! release buyers get (stable, and a candidate for a share of sessions), the moves between them (stage, set the share, promote,
//! roll back), and reading a release's pack back with its size and checksum checked. Writers
//! and readers sit side by side; every manifest is written atomically.
//!
//! ```
//! use kb_compiler::release::{Channel, ReleaseRef};
//! use std::collections::BTreeMap;
//!
//! let release = |v: &str| ReleaseRef {
//!     version: v.into(),
//!     base: format!("{v}/"),
//!     packs: BTreeMap::new(),
//!     tiers: Default::default(),
//! };
//! let mut channel = Channel::new(release("r1"));
//! channel.stage(release("r2"));
//! channel.set_share(30).unwrap();
//! channel.promote().unwrap();
//! assert_eq!(channel.stable.version, "r2");
//! assert_eq!(channel.history, ["r1"]);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use kb_core::format::FormatError;
use kb_core::Index;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifests' schema version this build writes and reads.
pub const SCHEMA: u32 = 1;

/// The channel manifest's file name, in the releases folder.
pub const CHANNEL_FILE: &str = "manifest.json";

/// The release manifest's file name, in a release folder.
pub const RELEASE_FILE: &str = "manifest.json";

/// The folder of a release that holds the knowledge it was built from.
pub const SOURCE_DIR: &str = "source";

/// The key of the pack that holds every locale.
pub const ALL_LOCALES: &str = "all";

/// One pack file of a release, as served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackFile {
    /// Its file name in the release folder (content-hashed).
    pub file: String,
    /// Its size as served (gzip).
    pub bytes: u64,
    /// The SHA-256 of the served bytes, in hex.
    pub sha256: String,
    /// Its size once inflated: a reader refuses a pack that inflates past it.
    pub inflated_bytes: u64,
    /// Entries in it.
    pub entries: usize,
    /// Guided flows in it.
    pub flows: usize,
}

impl PackFile {
    /// Describes the gzip bytes `gz` of a pack (`inflated` before compression) holding `index`,
    /// named for `locale` (`None`: the all-locales pack).
    pub fn describe(locale: Option<&str>, gz: &[u8], inflated: &[u8], index: &Index) -> PackFile {
        let stem = locale.map_or_else(|| "kb".to_string(), |code| format!("kb.{code}"));
        let TierFile { file, bytes, sha256, inflated_bytes } = TierFile::describe(&stem, "idx", gz, inflated);
        PackFile { file, bytes, sha256, inflated_bytes, entries: index.len(), flows: index.flows().len() }
    }
}

/// A semantic tier's file of a release (a locale's `kb.<locale>.sem`, or the encoder), as served:
/// gzip, content-hashed, checked like a pack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierFile {
    /// Its file name in the release folder (content-hashed).
    pub file: String,
    /// Its size as served (gzip).
    pub bytes: u64,
    /// The SHA-256 of the served bytes, in hex.
    pub sha256: String,
    /// Its size once inflated: a reader refuses a file that inflates past it.
    pub inflated_bytes: u64,
}

impl TierFile {
    /// Describes the gzip bytes `gz` (`inflated` before compression) of a file named
    /// `<stem>.<hash>.<extension>.gz`.
    ///
    /// ```
    /// use kb_compiler::release::TierFile;
    /// let file = TierFile::describe("kb.en", "sem", b"gzip bytes", b"inflated bytes");
    /// assert!(file.file.starts_with("kb.en.") && file.file.ends_with(".sem.gz"));
    /// assert_eq!((file.bytes, file.inflated_bytes), (10, 14));
    /// ```
    pub fn describe(stem: &str, extension: &str, gz: &[u8], inflated: &[u8]) -> TierFile {
        let sha256 = sha256_hex(gz);
        // 16 hex digits (64 bits) tell builds apart; the full hash is what is checked.
        TierFile {
            file: format!("{stem}.{}.{extension}.gz", &sha256[..16]),
            bytes: gz.len() as u64,
            sha256,
            inflated_bytes: inflated.len() as u64,
        }
    }
}

/// The semantic tiers' files of a release: none for a lexical release.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tiers {
    /// Each locale's semantic file, by locale code (they go with the all-locales pack too).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub semantic: BTreeMap<String, TierFile>,
    /// The encoder tier's file, one for every locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder: Option<TierFile>,
}

/// The thresholds a release was built with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Confidence at or above which the top entry is answered.
    pub answer: f32,
    /// Confidence at or above which choices are offered.
    pub clarify: f32,
    /// Where they came from.
    pub source: String,
}

/// A release's scores on its own golden test questions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoldenMetrics {
    /// Test questions asked.
    pub questions: usize,
    /// Share of in-scope questions whose top entry is right.
    pub top1: f64,
    /// Share of in-scope questions answered locally.
    pub coverage: f64,
    /// Share of local answers that are right.
    pub precision: f64,
    /// Share of out-of-scope questions not answered locally.
    pub oos_routed: f64,
}

/// The manifest of one release folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleaseManifest {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The release's version (its folder's name).
    pub version: String,
    /// When it was built (UTC, ISO 8601).
    pub built_at: String,
    /// The knowledge's git commit, when it is in a repository (`-dirty` when it had changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_commit: Option<String>,
    /// The thresholds it was built with.
    pub thresholds: Thresholds,
    /// Its packs by locale code, and [`ALL_LOCALES`].
    pub packs: BTreeMap<String, PackFile>,
    /// Its semantic tiers' files.
    #[serde(default, flatten)]
    pub tiers: Tiers,
    /// Its golden-set scores by locale code, and [`ALL_LOCALES`].
    pub golden: BTreeMap<String, GoldenMetrics>,
}

impl ReleaseManifest {
    /// Reads the manifest of the release folder `dir`.
    pub fn read(dir: &Path) -> Result<ReleaseManifest, ReleaseError> {
        read_json(&dir.join(RELEASE_FILE))
    }

    /// Writes it into the release folder `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), ReleaseError> {
        write_json(&dir.join(RELEASE_FILE), self)
    }

    /// What the channel manifest says of this release.
    pub fn reference(&self) -> ReleaseRef {
        ReleaseRef {
            version: self.version.clone(),
            base: format!("{}/", self.version),
            packs: self.packs.clone(),
            tiers: self.tiers.clone(),
        }
    }
}

/// A release as the channel manifest names it: enough for the widget to fetch its packs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRef {
    /// The release's version.
    pub version: String,
    /// Its folder, relative to the channel manifest.
    pub base: String,
    /// Its packs (as in its release manifest).
    pub packs: BTreeMap<String, PackFile>,
    /// Its semantic tiers' files (as in its release manifest).
    #[serde(default, flatten)]
    pub tiers: Tiers,
}

/// The release a share of sessions gets before it is promoted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The release.
    #[serde(flatten)]
    pub release: ReleaseRef,
    /// Percentage of sessions (0–100) that get it.
    pub share: u8,
}

/// The channel manifest: which release buyers get.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The release most sessions get.
    pub stable: ReleaseRef,
    /// A release being tried on a share of sessions.
    #[serde(default)]
    pub candidate: Option<Candidate>,
    /// Earlier stable versions, newest first: where a rollback goes.
    #[serde(default)]
    pub history: Vec<String>,
}

impl Channel {
    /// A channel with one stable release.
    pub fn new(stable: ReleaseRef) -> Channel {
        Channel { schema: SCHEMA, stable, candidate: None, history: Vec::new() }
    }

    /// Reads the channel manifest at `path`.
    pub fn read(path: &Path) -> Result<Channel, ReleaseError> {
        read_json(path)
    }

    /// Writes it to `path`, atomically.
    pub fn write(&self, path: &Path) -> Result<(), ReleaseError> {
        write_json(path, self)
    }

    /// Makes `release` the candidate at share 0 (replacing any earlier candidate, which is
    /// returned).
    pub fn stage(&mut self, release: ReleaseRef) -> Option<Candidate> {
        self.candidate.replace(Candidate { release, share: 0 })
    }

    /// Sets the candidate's share; returns the old one.
    pub fn set_share(&mut self, share: u8) -> Result<u8, ReleaseError> {
        if share > 100 {
            return Err(ReleaseError::Share(share));
        }
        let candidate = self.candidate.as_mut().ok_or(ReleaseError::NoCandidate)?;
        Ok(std::mem::replace(&mut candidate.share, share))
    }

    /// Makes the candidate stable; the old stable goes to the front of the history.
    pub fn promote(&mut self) -> Result<(), ReleaseError> {
        let candidate = self.candidate.take().ok_or(ReleaseError::NoCandidate)?;
        let old = std::mem::replace(&mut self.stable, candidate.release);
        self.history.insert(0, old.version);
        Ok(())
    }

    /// Rolls back one step: drops the candidate if there is one (returning it), else makes the
    /// newest release of the history stable again, read from `releases` (the folder of the
    /// release folders).
    pub fn rollback(&mut self, releases: &Path) -> Result<Rollback, ReleaseError> {
        if let Some(candidate) = self.candidate.take() {
            return Ok(Rollback::DroppedCandidate(candidate.release.version));
        }
        let previous = self.history.first().ok_or(ReleaseError::NoHistory)?;
        let manifest = ReleaseManifest::read(&releases.join(previous))?;
        let bad = std::mem::replace(&mut self.stable, manifest.reference());
        self.history.remove(0);
        Ok(Rollback::RestoredStable { from: bad.version, to: self.stable.version.clone() })
    }
}

/// What a rollback did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollback {
    /// The candidate (this version) was dropped: every session gets the stable release again.
    DroppedCandidate(String),
    /// The stable release went back from one version to the one before.
    RestoredStable {
        /// The version that was stable.
        from: String,
        /// The version that is stable now.
        to: String,
    },
}

/// Reads the pack `pack` of the release folder `dir`, checking its size and checksum against
/// the manifest, inflating it no further than its manifest says, and parsing it.
pub fn open_pack(dir: &Path, pack: &PackFile) -> Result<Index, ReleaseError> {
    let path = dir.join(&pack.file);
    let bytes = read_checked(&path, pack.bytes, &pack.sha256, pack.inflated_bytes)?;
    Index::from_bytes(bytes).map_err(|e| ReleaseError::Pack(path, e))
}

/// Reads the semantic tier's file `file` of the release folder `dir`, checked as [`open_pack`]
/// checks a pack; returns it inflated.
pub fn open_tier_file(dir: &Path, file: &TierFile) -> Result<Vec<u8>, ReleaseError> {
    read_checked(&dir.join(&file.file), file.bytes, &file.sha256, file.inflated_bytes)
}

/// The gzip file at `path`, inflated, if it is `bytes` long with SHA-256 `sha256` and inflates
/// to exactly `inflated` bytes.
fn read_checked(path: &Path, bytes: u64, sha256: &str, inflated: u64) -> Result<Vec<u8>, ReleaseError> {
    let gz = std::fs::read(path).map_err(|e| ReleaseError::Io(path.to_path_buf(), e))?;
    let found = sha256_hex(&gz);
    if gz.len() as u64 != bytes || found != sha256 {
        return Err(ReleaseError::Checksum { path: path.to_path_buf(), expected: sha256.to_string(), found });
    }
    let mut out = Vec::new();
    // One byte past the limit tells "too big" from "exactly the size".
    flate2::read::GzDecoder::new(&gz[..])
        .take(inflated + 1)
        .read_to_end(&mut out)
        .map_err(|e| ReleaseError::Io(path.to_path_buf(), e))?;
    if out.len() as u64 != inflated {
        return Err(ReleaseError::Inflated { path: path.to_path_buf(), expected: inflated, found: out.len() as u64 });
    }
    Ok(out)
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that a
/// reader (a CDN origin, a widget fetching the manifest) sees the old file or the new one, never
/// half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    let temporary = dir.join(name);
    let written = std::fs::File::create(&temporary).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReleaseError> {
    let text = std::fs::read(path).map_err(|e| ReleaseError::Io(path.to_path_buf(), e))?;
    // The schema first, so that a newer manifest is named as such, not as a missing field.
    let schema = serde_json::from_slice::<serde_json::Value>(&text)
        .map_err(|e| ReleaseError::Json(path.to_path_buf(), e))?
        .get("schema")
        .and_then(|s| s.as_u64());
    if schema != Some(u64::from(SCHEMA)) {
        return Err(ReleaseError::Schema(path.to_path_buf(), schema));
    }
    serde_json::from_slice(&text).map_err(|e| ReleaseError::Json(path.to_path_buf(), e))
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), ReleaseError> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| ReleaseError::Json(path.to_path_buf(), e))?;
    text.push(b'\n');
    write_atomic(path, &text).map_err(|e| ReleaseError::Io(path.to_path_buf(), e))
}

/// Why a release or channel operation failed.
#[derive(Debug)]
pub enum ReleaseError {
    /// A file could not be read or written.
    Io(PathBuf, io::Error),
    /// A manifest is not the JSON it should be.
    Json(PathBuf, serde_json::Error),
    /// A manifest has another schema version (or none).
    Schema(PathBuf, Option<u64>),
    /// A pack's bytes are not the ones its manifest names.
    Checksum {
        /// The pack.
        path: PathBuf,
        /// The manifest's SHA-256.
        expected: String,
        /// The file's.
        found: String,
    },
    /// A pack inflates to another size than its manifest says.
    Inflated {
        /// The pack.
        path: PathBuf,
        /// The manifest's size.
        expected: u64,
        /// What it inflated to (at most one byte past `expected`).
        found: u64,
    },
    /// A pack's bytes do not read as a pack.
    Pack(PathBuf, FormatError),
    /// The operation needs a candidate and there is none.
    NoCandidate,
    /// A rollback with no candidate and no earlier stable release.
    NoHistory,
    /// A share above 100.
    Share(u8),
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ReleaseError::Json(p, e) => write!(f, "{}: not a release manifest: {e}", p.display()),
            ReleaseError::Schema(p, Some(v)) => {
                write!(f, "{}: manifest schema {v}, this kb reads schema {SCHEMA}", p.display())
            }
            ReleaseError::Schema(p, None) => write!(f, "{}: not a release manifest (no schema)", p.display()),
            ReleaseError::Checksum { path, expected, found } => {
                write!(f, "{}: checksum mismatch: the manifest says {expected}, the file is {found}", path.display())
            }
            ReleaseError::Inflated { path, expected, found } if found > expected => {
                write!(f, "{}: inflates past the {expected} bytes its manifest says", path.display())
            }
            ReleaseError::Inflated { path, expected, found } => {
                write!(f, "{}: inflates to {found} bytes, its manifest says {expected}", path.display())
            }
            ReleaseError::Pack(p, e) => write!(f, "{}: not a knowledge pack: {e}", p.display()),
            ReleaseError::NoCandidate => write!(f, "there is no candidate release (kb release build stages one)"),
            ReleaseError::NoHistory => write!(f, "nothing to roll back to: no candidate and no earlier stable release"),
            ReleaseError::Share(n) => write!(f, "a share is a percentage from 0 to 100, not {n}"),
        }
    }
}

impl std::error::Error for ReleaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReleaseError::Io(_, e) => Some(e),
            ReleaseError::Json(_, e) => Some(e),
            ReleaseError::Pack(_, e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(version: &str) -> ReleaseRef {
        ReleaseRef {
            version: version.into(),
            base: format!("{version}/"),
            packs: BTreeMap::new(),
            tiers: Tiers::default(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kb-release-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn tier_files_travel_in_both_manifests_and_older_manifests_read_without_them() {
        let dir = scratch("tiers");
        let gz = |text: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let (sem, enc) = (gz(b"semantic table"), gz(b"encoder file"));
        let tiers = Tiers {
            semantic: BTreeMap::from([("en".to_string(), TierFile::describe("kb.en", "sem", &sem, b"semantic table"))]),
            encoder: Some(TierFile::describe("encoder", "kben", &enc, b"encoder file")),
        };
        std::fs::write(dir.join(&tiers.semantic["en"].file), &sem).unwrap();
        std::fs::write(dir.join(&tiers.encoder.as_ref().unwrap().file), &enc).unwrap();
        let manifest = ReleaseManifest {
            schema: SCHEMA,
            version: "r1".into(),
            built_at: "2026-12-07T00:00:00Z".into(),
            source_commit: None,
            thresholds: Thresholds { answer: 0.6, clarify: 0.3, source: "test".into() },
            packs: BTreeMap::new(),
            tiers: tiers.clone(),
            golden: BTreeMap::new(),
        };
        manifest.write(&dir).unwrap();
        let read = ReleaseManifest::read(&dir).unwrap();
        assert_eq!(read, manifest);
        assert_eq!(open_tier_file(&dir, &read.tiers.semantic["en"]).unwrap(), b"semantic table");
        assert_eq!(open_tier_file(&dir, read.tiers.encoder.as_ref().unwrap()).unwrap(), b"encoder file");

        // The channel names them for the widget, for the stable release and the candidate.
        let mut channel = Channel::new(release("r0"));
        channel.stage(manifest.reference());
        let path = dir.join("channel.json");
        channel.write(&path).unwrap();
        assert_eq!(Channel::read(&path).unwrap().candidate.unwrap().release.tiers, tiers);
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(json["candidate"]["semantic"]["en"]["sha256"].is_string(), "{json}");
        assert!(json["stable"].get("semantic").is_none(), "a lexical release lists no tiers: {json}");

        // A damaged file is refused like a damaged pack.
        std::fs::write(dir.join(&tiers.semantic["en"].file), gz(b"semantic tablE")).unwrap();
        assert!(matches!(open_tier_file(&dir, &tiers.semantic["en"]), Err(ReleaseError::Checksum { .. })));
    }

    #[test]
    fn a_share_needs_a_candidate_and_a_percentage() {
        let mut channel = Channel::new(release("r1"));
        assert!(matches!(channel.set_share(10), Err(ReleaseError::NoCandidate)));
        channel.stage(release("r2"));
        assert!(matches!(channel.set_share(101), Err(ReleaseError::Share(101))));
        assert_eq!(channel.set_share(30).unwrap(), 0);
        assert_eq!(channel.candidate.as_ref().unwrap().share, 30);
    }

    #[test]
    fn rollback_drops_the_candidate_first_then_walks_the_history_back() {
        let dir = scratch("rollback");
        let manifest = |version: &str| ReleaseManifest {
            schema: SCHEMA,
            version: version.into(),
            built_at: "2026-12-06T00:00:00Z".into(),
            source_commit: None,
            thresholds: Thresholds { answer: 0.6, clarify: 0.3, source: "test".into() },
            packs: BTreeMap::new(),
            tiers: Tiers::default(),
            golden: BTreeMap::new(),
        };
        for v in ["r1", "r2"] {
            std::fs::create_dir_all(dir.join(v)).unwrap();
            manifest(v).write(&dir.join(v)).unwrap();
        }
        let mut channel = Channel::new(release("r1"));
        channel.stage(release("r2"));
        channel.promote().unwrap();
        channel.stage(release("r3"));
        assert_eq!(channel.rollback(&dir).unwrap(), Rollback::DroppedCandidate("r3".into()));
        assert_eq!(channel.rollback(&dir).unwrap(), Rollback::RestoredStable { from: "r2".into(), to: "r1".into() });
        assert_eq!(channel.stable, manifest("r1").reference());
        assert!(matches!(channel.rollback(&dir), Err(ReleaseError::NoHistory)));
    }

    #[test]
    fn a_manifest_round_trips_and_another_schema_is_named() {
        let dir = scratch("schema");
        let path = dir.join(CHANNEL_FILE);
        let mut channel = Channel::new(release("r1"));
        channel.stage(release("r2"));
        channel.write(&path).unwrap();
        assert_eq!(Channel::read(&path).unwrap(), channel);
        // No temporary file is left beside it.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::write(&path, r#"{"schema": 2, "stable": {}}"#).unwrap();
        let e = Channel::read(&path).unwrap_err();
        assert!(e.to_string().contains("manifest schema 2, this kb reads schema 1"), "{e}");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(Channel::read(&path), Err(ReleaseError::Json(..))));
    }

    #[test]
    fn a_pack_is_refused_unless_its_bytes_are_the_manifests() {
        use flate2::{write::GzEncoder, Compression};
        let dir = scratch("pack");
        let corpus = crate::knowledge::Corpus {
            entries: vec![crate::knowledge::SourceEntry {
                entry: kb_core::Entry::new("track-order", "Track my order", kb_core::Locale::En, "Open Orders."),
                questions: vec!["where is my order".into()],
                replaces: Vec::new(),
            }],
            ..Default::default()
        };
        let inflated = crate::builder::build(&corpus, &Default::default());
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&inflated).unwrap();
        let gz = gz.finish().unwrap();
        let index = Index::from_bytes(inflated.clone()).unwrap();
        let pack = PackFile::describe(Some("en"), &gz, &inflated, &index);
        assert!(pack.file.starts_with("kb.en.") && pack.file.ends_with(".idx.gz") && pack.file.len() == 29);
        std::fs::write(dir.join(&pack.file), &gz).unwrap();
        assert_eq!(open_pack(&dir, &pack).unwrap().len(), 1);

        let mut flipped = gz.clone();
        flipped[gz.len() / 2] ^= 1;
        std::fs::write(dir.join(&pack.file), &flipped).unwrap();
        let e = open_pack(&dir, &pack).unwrap_err();
        assert!(e.to_string().contains("checksum mismatch"), "{e}");

        std::fs::write(dir.join(&pack.file), &gz).unwrap();
        let smaller = PackFile { inflated_bytes: pack.inflated_bytes - 1, ..pack.clone() };
        let e = open_pack(&dir, &smaller).unwrap_err();
        assert!(e.to_string().contains("inflates past"), "{e}");
    }
}
