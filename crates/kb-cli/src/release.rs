//! `kb release`: builds an immutable release folder of content-hashed packs with its manifest,
//! stages it in the channel manifest, and moves the channel between releases (set the
//! candidate's share, promote, roll back). The formats are `docs/releases.md`; their reader and
//! writer are `kb_compiler::release`.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};
use kb_compiler::builder::{build as build_pack, BuildOptions};
use kb_compiler::dataset::LabeledQuery;
use kb_compiler::eval::Report;
use kb_compiler::knowledge::Corpus;
use kb_compiler::release::{
    sha256_hex, Channel, GoldenMetrics, PackFile, ReleaseManifest, Rollback, Thresholds, TierFile, Tiers, ALL_LOCALES,
    CHANNEL_FILE, SCHEMA, SOURCE_DIR,
};
use kb_core::{Index, Locale};
use kb_encoder::Encoder;

use crate::knowledge::{build_calibrated, golden_reports, gzip_best, load_checked};
use crate::semantic::{attach, build_files, SemanticArgs};
use crate::{out, shown, Failure, Outcome};

/// `kb release`.
#[derive(Args)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    command: ReleaseCommand,
}

#[derive(Subcommand)]
enum ReleaseCommand {
    /// Build a release folder from the knowledge and stage it (stable if it is the first).
    // `--version` names the release here, not kb's own version.
    #[command(disable_version_flag = true)]
    Build(BuildArgs),
    /// Set the share of sessions (0–100) that get the candidate.
    SetShare {
        /// The percentage.
        share: u8,
        #[command(flatten)]
        channel: ChannelArgs,
    },
    /// Make the candidate the stable release.
    Promote(ChannelArgs),
    /// Drop the candidate, or with none, make the previous stable release stable again.
    Rollback(ChannelArgs),
    /// Print which releases the channel serves.
    Status(ChannelArgs),
}

/// `kb release build`.
#[derive(Args)]
struct BuildArgs {
    /// The knowledge folder.
    #[arg(long, default_value = "knowledge")]
    knowledge: PathBuf,
    /// The folder of releases (the channel manifest is its `manifest.json`).
    #[arg(long, default_value = "releases")]
    out: PathBuf,
    /// The release's version (default: the build date and the packs' hash).
    #[arg(long)]
    version: Option<String>,
    #[command(flatten)]
    semantic: SemanticArgs,
}

/// Where the channel manifest is.
#[derive(Args)]
struct ChannelArgs {
    /// The folder of releases.
    #[arg(long, default_value = "releases")]
    releases: PathBuf,
}

impl ChannelArgs {
    fn path(&self) -> PathBuf {
        self.releases.join(CHANNEL_FILE)
    }

    fn read(&self) -> Result<Channel, Failure> {
        if !self.path().exists() {
            return Err(Failure(format!(
                "{} has no channel manifest: `kb release build --out {}` writes one",
                shown(&self.releases),
                shown(&self.releases)
            )));
        }
        Ok(Channel::read(&self.path())?)
    }
}

/// `kb release …`.
pub fn release(args: &ReleaseArgs) -> Outcome {
    match &args.command {
        ReleaseCommand::Build(a) => build(a),
        ReleaseCommand::SetShare { share, channel } => {
            let mut manifest = channel.read()?;
            let old = manifest.set_share(*share)?;
            manifest.write(&channel.path())?;
            let version = manifest.candidate.as_ref().map_or("", |c| c.release.version.as_str());
            out!("kb: candidate {version}: share {old}% → {share}% of sessions");
            Ok(())
        }
        ReleaseCommand::Promote(channel) => {
            let mut manifest = channel.read()?;
            let old = manifest.stable.version.clone();
            manifest.promote()?;
            manifest.write(&channel.path())?;
            out!("kb: {} is stable (was {old}; `kb release rollback` goes back)", manifest.stable.version);
            Ok(())
        }
        ReleaseCommand::Rollback(channel) => {
            let mut manifest = channel.read()?;
            let done = manifest.rollback(&channel.releases)?;
            manifest.write(&channel.path())?;
            match done {
                Rollback::DroppedCandidate(v) => {
                    out!("kb: dropped candidate {v}: every session gets {}", manifest.stable.version)
                }
                Rollback::RestoredStable { from, to } => out!("kb: {to} is stable again (was {from})"),
            }
            Ok(())
        }
        ReleaseCommand::Status(channel) => {
            let manifest = channel.read()?;
            out!("stable     {}", manifest.stable.version);
            match &manifest.candidate {
                Some(c) => out!("candidate  {} at {}% of sessions", c.release.version, c.share),
                None => out!("candidate  none"),
            }
            out!(
                "history    {}",
                if manifest.history.is_empty() { "none".into() } else { manifest.history.join(", ") }
            );
            Ok(())
        }
    }
}

/// A pack as served: its gzip bytes and its description.
struct BuiltPack {
    key: String,
    gz: Vec<u8>,
    file: PackFile,
}

fn pack(key: &str, inflated: &[u8]) -> Result<BuiltPack, Failure> {
    let index =
        Index::from_bytes(inflated.to_vec()).map_err(|e| Failure(format!("fresh pack does not read back: {e}")))?;
    let gz = gzip_best(inflated);
    let locale = (key != ALL_LOCALES).then_some(key);
    let file = PackFile::describe(locale, &gz, inflated, &index);
    Ok(BuiltPack { key: key.to_string(), gz, file })
}

fn metrics(r: &Report) -> GoldenMetrics {
    GoldenMetrics {
        questions: r.in_scope + r.out_of_scope,
        top1: r.top1,
        coverage: r.coverage,
        precision: r.precision,
        oos_routed: r.oos_routed,
    }
}

/// `kb release build`.
fn build(args: &BuildArgs) -> Outcome {
    let knowledge = load_checked(&args.knowledge)?;
    let corpus = knowledge.corpus();
    let dev = knowledge.dev_queries();
    let bytes = build_calibrated(&corpus, &dev)?;
    let index = Index::from_bytes(bytes.clone()).map_err(|e| Failure(e.to_string()))?;
    let mut packs = vec![pack(ALL_LOCALES, &bytes)?];
    // Every locale's pack shares the whole pack's calibration, as `kb build --per-locale` does.
    let options = BuildOptions { calibration: index.calibration().clone(), ..BuildOptions::default() };
    for locale in corpus.locales() {
        packs.push(pack(locale.code(), &build_pack(&corpus.for_locale(locale), &options))?);
    }
    let (index, tiers, encoder) = with_tiers(index, &bytes, &corpus, &dev, &args.semantic)?;
    let (reports, _) = golden_reports(&index, encoder.as_ref(), &knowledge);
    let built_at = build_time()?;
    let version = match &args.version {
        Some(v) => checked_version(v)?,
        None => {
            let hashes: String = packs.iter().map(|p| p.file.sha256.as_str()).collect();
            format!("{}-{}", built_at[..10].replace('-', ""), &sha256_hex(hashes.as_bytes())[..8])
        }
    };
    let c = index.calibration();
    let manifest = ReleaseManifest {
        schema: SCHEMA,
        version: version.clone(),
        built_at,
        source_commit: source_commit(&args.knowledge),
        thresholds: Thresholds { answer: c.answer_threshold, clarify: c.clarify_threshold, source: c.source.clone() },
        packs: packs.iter().map(|p| (p.key.clone(), p.file.clone())).collect(),
        tiers: tiers.manifest(),
        golden: reports.iter().map(|(code, r)| (code.clone(), metrics(r))).collect(),
    };

    let folder = args.out.join(&version);
    if folder.exists() {
        let existing = ReleaseManifest::read(&folder)?;
        if existing.packs == manifest.packs && existing.tiers == manifest.tiers {
            out!("kb: release {version} is already built from this knowledge (unchanged)");
            return Ok(());
        }
        return Err(Failure(format!(
            "{} exists with other packs: a release is immutable, give another --version",
            shown(&folder)
        )));
    }
    let served = packs.iter().map(|p| (&p.file.file, &p.gz)).chain(tiers.served());
    write_release(&args.out, &folder, &manifest, served, &args.knowledge)?;
    print_release(&folder, &manifest);
    stage(&args.out, &manifest)
}

/// A semantic tier's file as served: its gzip bytes and its description.
struct BuiltTier {
    gz: Vec<u8>,
    file: TierFile,
}

impl BuiltTier {
    /// `inflated`, gzipped and named `<stem>.<hash>.<extension>.gz`.
    fn new(stem: &str, extension: &str, inflated: &[u8]) -> BuiltTier {
        let gz = gzip_best(inflated);
        let file = TierFile::describe(stem, extension, &gz, inflated);
        BuiltTier { gz, file }
    }
}

/// A release's semantic tiers as built: each locale's file, and the encoder's.
#[derive(Default)]
struct BuiltTiers {
    semantic: Vec<(String, BuiltTier)>,
    encoder: Option<BuiltTier>,
}

impl BuiltTiers {
    /// What the manifest says of them.
    fn manifest(&self) -> Tiers {
        Tiers {
            semantic: self.semantic.iter().map(|(code, t)| (code.clone(), t.file.clone())).collect(),
            encoder: self.encoder.as_ref().map(|t| t.file.clone()),
        }
    }

    /// Their file names and gzip bytes.
    fn served(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.semantic.iter().map(|(_, t)| t).chain(&self.encoder).map(|t| (&t.file.file, &t.gz))
    }
}

/// The semantic tiers of the release whose all-locales pack is `pack` (as `kb build` builds
/// them, `--semantic` choosing which), with `index` carrying them: the golden scores in the
/// manifest are the fused engine's, as the widget runs it.
fn with_tiers(
    mut index: Index,
    pack: &[u8],
    corpus: &Corpus,
    dev: &[(Locale, LabeledQuery)],
    semantic: &SemanticArgs,
) -> Result<(Index, BuiltTiers, Option<Encoder>), Failure> {
    let Some(table) = semantic.table()? else { return Ok((index, BuiltTiers::default(), None)) };
    let encoder = semantic.encoder(&table)?;
    let files = build_files(pack, corpus, dev, &table, encoder.as_ref())?;
    attach(&mut index, &files)?;
    let tiers = BuiltTiers {
        semantic: files
            .iter()
            .map(|(locale, f)| (locale.code().to_string(), BuiltTier::new(&format!("kb.{}", locale.code()), "sem", f)))
            .collect(),
        encoder: encoder.as_ref().map(|e| BuiltTier::new("encoder", "kben", e.bytes())),
    };
    Ok((index, tiers, encoder))
}

/// A version is a folder name and part of URLs: letters, digits, `.`, `-` and `_`.
fn checked_version(v: &str) -> Result<String, Failure> {
    let fine = !v.is_empty()
        && !v.starts_with('.')
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if fine {
        Ok(v.to_string())
    } else {
        Err(Failure(format!("`{v}` is not a release version: use letters, digits, '.', '-' and '_'")))
    }
}

/// Now, or `SOURCE_DATE_EPOCH` (reproducible builds), as `YYYY-MM-DDTHH:MM:SSZ`.
fn build_time() -> Result<String, Failure> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s.trim().parse::<i64>().map_err(|_| Failure(format!("SOURCE_DATE_EPOCH `{s}` is not a number")))?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    };
    let time = chrono::DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| Failure(format!("{seconds} is not a time a release can be built at")))?;
    Ok(time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The knowledge folder's git commit, `-dirty` when it has uncommitted changes; `None` outside
/// a repository or without git.
fn source_commit(knowledge: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        let output = Command::new("git").arg("-C").arg(knowledge).args(args).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--", "."]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{commit}-dirty") } else { commit })
}

/// Writes the release into a temporary folder beside its place, then renames it there: a
/// failed build leaves no half release behind.
fn write_release<'a>(
    releases: &Path,
    folder: &Path,
    manifest: &ReleaseManifest,
    served: impl Iterator<Item = (&'a String, &'a Vec<u8>)>,
    knowledge: &Path,
) -> Outcome {
    let temporary = releases.join(format!(".{}.tmp-{}", manifest.version, std::process::id()));
    let written = (|| -> Outcome {
        std::fs::create_dir_all(&temporary)
            .map_err(|e| Failure(format!("cannot create {}: {e}", shown(&temporary))))?;
        for (name, gz) in served {
            let path = temporary.join(name);
            std::fs::write(&path, gz).map_err(|e| Failure(format!("cannot write {}: {e}", shown(&path))))?;
        }
        copy_tree(knowledge, &temporary.join(SOURCE_DIR))?;
        manifest.write(&temporary)?;
        std::fs::rename(&temporary, folder).map_err(|e| Failure(format!("cannot create {}: {e}", shown(folder))))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&temporary);
    }
    written
}

/// Copies the folder `from` to `to`, without hidden files (an editor's swap file, `.git`).
fn copy_tree(from: &Path, to: &Path) -> Outcome {
    std::fs::create_dir_all(to).map_err(|e| Failure(format!("cannot create {}: {e}", shown(to))))?;
    let entries = std::fs::read_dir(from).map_err(|e| Failure(format!("cannot read {}: {e}", shown(from))))?;
    for entry in entries {
        let entry = entry.map_err(|e| Failure(format!("cannot read {}: {e}", shown(from))))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(|e| Failure(format!("cannot copy {}: {e}", shown(&source))))?;
        }
    }
    Ok(())
}

fn print_release(folder: &Path, manifest: &ReleaseManifest) {
    out!("kb: wrote release {} ({})", manifest.version, shown(folder));
    for (key, p) in &manifest.packs {
        out!("  {key:<4} {:<34} {:>9} bytes  {:>4} entries  {:>3} flows", p.file, p.bytes, p.entries, p.flows);
    }
    for (key, t) in &manifest.tiers.semantic {
        out!("  {key:<4} {:<34} {:>9} bytes  semantic tier", t.file, t.bytes);
    }
    if let Some(t) = &manifest.tiers.encoder {
        out!("  {:<4} {:<34} {:>9} bytes  encoder tier", "", t.file, t.bytes);
    }
    if let Some(all) = manifest.golden.get(ALL_LOCALES) {
        out!(
            "  golden: top-1 {:.3}  coverage {:.3}  precision {:.3}  out-of-scope routed {:.3} ({} questions)",
            all.top1,
            all.coverage,
            all.precision,
            all.oos_routed,
            all.questions
        );
    }
}

/// Puts the new release in the channel: stable when there is no channel yet, else the
/// candidate at share 0 (nobody gets it until `kb release set-share`).
fn stage(releases: &Path, manifest: &ReleaseManifest) -> Outcome {
    let path = releases.join(CHANNEL_FILE);
    if !path.exists() {
        Channel::new(manifest.reference()).write(&path)?;
        out!("kb: {} is stable (the channel's first release)", manifest.version);
        return Ok(());
    }
    let mut channel = Channel::read(&path)?;
    if channel.stable.packs == manifest.packs {
        out!("kb: note: {} has the same packs as the stable release {}", manifest.version, channel.stable.version);
    }
    let replaced = channel.stage(manifest.reference());
    channel.write(&path)?;
    if let Some(old) = replaced {
        out!("kb: replaced candidate {} ({}% of sessions)", old.release.version, old.share);
    }
    out!(
        "kb: {} is the candidate at 0% of sessions; next: `kb verify --candidate {} --baseline {}`, then `kb release set-share N`",
        manifest.version,
        shown(&releases.join(&manifest.version)),
        shown(&releases.join(&channel.stable.version))
    );
    Ok(())
}
