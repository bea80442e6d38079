//! Loading and validating a `knowledge/` folder (format: `knowledge/FORMAT.md`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use kb_core::analysis::{fold, Analyzer};
use kb_core::entry::{Audience, Entry, EntryKind, Link};
use kb_core::flow::Flow;
use kb_core::Locale;

use crate::dataset::{read_queries, LabeledQuery};
use crate::flows::parse_flow;
use crate::frontmatter::{split, Field, Value};
use crate::markets;
use crate::Diagnostic;

/// An entry with the questions it is asked by (questions are indexed, not stored).
#[derive(Clone, Debug, PartialEq)]
pub struct SourceEntry {
    /// The stored part.
    pub entry: Entry,
    /// The ways people ask for it.
    pub questions: Vec<String>,
    /// Ids of entries it took the place of (`replaces:`): `kb verify` accepts that an entry
    /// answered by the last release is gone when one of the new release's entries names it here.
    pub replaces: Vec<String>,
}

/// Stop words and synonym groups of one locale.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocaleAnalysis {
    /// Stop words.
    pub stopwords: Vec<String>,
    /// Synonym groups; the first member is canonical.
    pub synonyms: Vec<Vec<String>>,
}

impl LocaleAnalysis {
    /// The analyzer these settings describe.
    pub fn analyzer(&self, locale: Locale) -> Analyzer {
        let mut a = Analyzer::new(locale);
        a.add_stopwords(self.stopwords.iter().map(String::as_str));
        for group in &self.synonyms {
            a.add_synonym_group(group);
        }
        a
    }
}

/// Everything the index is built from.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// A name for reports.
    pub name: String,
    /// The entries.
    pub entries: Vec<SourceEntry>,
    /// Per-locale analysis settings.
    pub analysis: BTreeMap<Locale, LocaleAnalysis>,
    /// Guided flows.
    pub flows: Vec<Flow>,
}

impl Corpus {
    /// The locales that have entries, in order.
    pub fn locales(&self) -> Vec<Locale> {
        let mut locales: Vec<Locale> = self.entries.iter().map(|e| e.entry.locale).collect();
        locales.sort();
        locales.dedup();
        locales
    }

    /// The part of the corpus in `locale`: its entries, flows and analysis settings. Ranking
    /// statistics are kept per locale, so an index of this part ranks a question in `locale`
    /// exactly as the index of the whole corpus does — at a fraction of the download.
    ///
    /// ```
    /// use kb_compiler::knowledge::{Corpus, SourceEntry};
    /// use kb_core::{Entry, Locale};
    /// let entry = |id: &str, l| SourceEntry { entry: Entry::new(id, "Title", l, "Answer."), questions: vec![], replaces: vec![] };
    /// let corpus = Corpus { entries: vec![entry("a", Locale::En), entry("a", Locale::Id)], ..Corpus::default() };
    /// assert_eq!(corpus.locales(), vec![Locale::En, Locale::Id]);
    /// assert_eq!(corpus.for_locale(Locale::Id).entries.len(), 1);
    /// ```
    pub fn for_locale(&self, locale: Locale) -> Corpus {
        Corpus {
            name: format!("{} ({})", self.name, locale.code()),
            entries: self.entries.iter().filter(|e| e.entry.locale == locale).cloned().collect(),
            analysis: self.analysis.iter().filter(|(l, _)| **l == locale).map(|(l, a)| (*l, a.clone())).collect(),
            flows: self.flows.iter().filter(|f| f.locale == locale).cloned().collect(),
        }
    }
}

/// A golden question set split by purpose.
#[derive(Clone, Debug, Default)]
pub struct GoldenSet {
    /// Verification questions (never used for fitting).
    pub test: Vec<LabeledQuery>,
    /// Calibration questions.
    pub dev: Vec<LabeledQuery>,
}

/// A loaded `knowledge/` folder.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// Entries, all locales.
    pub entries: Vec<SourceEntry>,
    /// Flows, all locales.
    pub flows: Vec<Flow>,
    /// Analysis settings per locale.
    pub analysis: BTreeMap<Locale, LocaleAnalysis>,
    /// Golden sets per locale.
    pub golden: BTreeMap<Locale, GoldenSet>,
}

/// Where each entry came from, for cross-reference diagnostics.
struct Origin {
    path: PathBuf,
    related_line: usize,
    flow_line: usize,
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else { return out };
    for e in read.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn text<'a>(fields: &'a BTreeMap<String, Field>, key: &str) -> Option<(&'a str, usize)> {
    match fields.get(key) {
        Some(Field { value: Value::Text(t), line }) => Some((t.as_str(), *line)),
        _ => None,
    }
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub use kb_core::markdown::is_safe_url;

const ENTRY_KEYS: [&str; 14] = [
    "id",
    "title",
    "locale",
    "audience",
    "tags",
    "questions",
    "links",
    "related",
    "featured",
    "flow",
    "answer",
    "kind",
    "markets",
    "replaces",
];

/// The line that ends an entry's body when the answer should be followed by the offer of a
/// person (the same terminal action a flow step writes).
const HANDOFF_LINE: &str = "=> handoff";

/// How a draft's answer starts until someone writes it (`kb gaps` writes `TODO: write the
/// answer.`): `kb lint` and `kb build` refuse such an entry.
pub const DRAFT_MARK: &str = "TODO";

/// Where an entry file sits: the knowledge, or the built-in system entries (which must say
/// their `kind`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Folder {
    Entries,
    System,
}

/// Parses one entry file of the knowledge folder (`entries/…`) with the parser `kb lint` and
/// `kb build` use; problems go to `diags`, and an entry with errors is `None` (warnings keep
/// it). The fuzz target `entry_parser` reads files through it.
///
/// ```
/// let doc = "---\nid: track-order\ntitle: Track my order\nlocale: en\naudience: buyer\n\
///            questions:\n  - where is my order\n---\nOpen **Orders**.\n";
/// let mut diags = Vec::new();
/// let entry = kb_compiler::knowledge::parse_entry_file("track-order.md".as_ref(), doc, &mut diags);
/// assert_eq!(entry.unwrap().entry.id, "track-order");
/// // Warnings keep the entry: one question is too few for good matching.
/// assert!(diags[0].message.starts_with("weak entry"));
/// ```
pub fn parse_entry_file(path: &Path, doc: &str, diags: &mut Vec<Diagnostic>) -> Option<SourceEntry> {
    parse_entry(path, doc, Folder::Entries, diags).map(|(entry, _)| entry)
}

/// Parses one entry file; problems go to `diags`.
fn parse_entry(path: &Path, doc: &str, folder: Folder, diags: &mut Vec<Diagnostic>) -> Option<(SourceEntry, Origin)> {
    let (fields, body, body_line) = match split(doc) {
        Ok(parts) => parts,
        Err(e) => {
            diags.push(Diagnostic::error(path, e.line, e.message));
            return None;
        }
    };
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let required = |key: &str, diags: &mut Vec<Diagnostic>| match text(&fields, key) {
        Some((t, line)) => Some((t.to_string(), line)),
        None => {
            diags.push(Diagnostic::error(path, 1, format!("missing field `{key}`")));
            None
        }
    };
    let id = required("id", diags);
    let title = required("title", diags);
    let locale = required("locale", diags);
    let audience = required("audience", diags);
    for (key, f) in &fields {
        if !ENTRY_KEYS.contains(&key.as_str()) {
            diags.push(Diagnostic::warning(path, f.line, format!("unknown field `{key}` is ignored")));
        }
    }
    if let Some((id, line)) = &id {
        if !is_valid_id(id) {
            diags.push(Diagnostic::error(path, *line, format!("invalid id `{id}` (use a-z, 0-9 and -)")));
        }
    }
    let locale = locale.and_then(|(l, line)| match l.parse::<Locale>() {
        Ok(l) => Some(l),
        Err(e) => {
            diags.push(Diagnostic::error(path, line, e.to_string()));
            None
        }
    });
    let audience = audience.and_then(|(a, line)| match a.parse::<Audience>() {
        Ok(a) => Some(a),
        Err(e) => {
            diags.push(Diagnostic::error(path, line, e));
            None
        }
    });
    let questions: Vec<(usize, String)> = fields.get("questions").map(|f| f.value.items()).unwrap_or_default();
    if questions.is_empty() {
        diags.push(Diagnostic::error(
            path,
            fields.get("questions").map_or(1, |f| f.line),
            "an entry needs `questions`",
        ));
    } else if questions.len() < 3 {
        diags.push(Diagnostic::warning(
            path,
            fields["questions"].line,
            format!("weak entry: only {} question(s); give at least 3 ways people ask it", questions.len()),
        ));
    }
    let kind = match (text(&fields, "kind"), folder) {
        (None, Folder::Entries) => EntryKind::Answer,
        (None, Folder::System) => {
            diags.push(Diagnostic::error(path, 1, "a system entry needs `kind` (handoff, smalltalk or out-of-domain)"));
            EntryKind::Answer
        }
        (Some((k, line)), _) => match k.parse::<EntryKind>() {
            Ok(EntryKind::Answer) if folder == Folder::System => {
                diags.push(Diagnostic::error(path, line, "an answer belongs in entries/, not system/"));
                EntryKind::Answer
            }
            Ok(k) if k.is_system() && folder == Folder::Entries => {
                diags.push(Diagnostic::error(path, line, format!("a `{k}` entry belongs in system/, not entries/")));
                k
            }
            Ok(k) => k,
            Err(e) => {
                diags.push(Diagnostic::error(path, line, e));
                EntryKind::Answer
            }
        },
    };
    // Only the end is trimmed before the lines are numbered, so that they keep the file's.
    let (body, handoff) = match body.trim_end().strip_suffix(HANDOFF_LINE) {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    // The draft error is the one error an entry still loads with.
    let mut draft = 0;
    let markets = markets::declared(path, fields.get("markets"), diags);
    let lines: Vec<markets::Line<'_>> = body.lines().enumerate().map(|(i, l)| (body_line + i, l)).collect();
    let resolved = markets::resolve(path, &lines, &markets, diags);
    if let Some(r) = &resolved {
        markets::check_used(path, fields.get("markets").map_or(1, |f| f.line), &markets, r.groups, diags);
        if r.default.is_empty() {
            diags.push(Diagnostic::error(path, body_line, "empty answer: write the answer below the front matter"));
        } else if r.default.trim_start().starts_with(DRAFT_MARK) {
            // A draft (`kb gaps --out` writes them) still loads, so that its questions are checked
            // against the other entries, but the knowledge cannot be built until it is answered.
            let line = body_line + body.lines().take_while(|l| l.trim().is_empty()).count();
            diags.push(Diagnostic::error(path, line, "draft entry: write its answer (it starts with TODO)"));
            draft = 1;
        }
        for v in r.variants.iter().filter(|v| v.text.is_empty()) {
            diags.push(Diagnostic::error(path, body_line, format!("the answer for market `{}` is empty", v.market)));
        }
    }
    crate::budget::check_answer(path, body_line, body, diags);
    let mut links = Vec::new();
    for (line, raw) in fields.get("links").map(|f| f.value.items()).unwrap_or_default() {
        match raw.split_once('|') {
            Some((label, url)) if is_safe_url(url) && !label.trim().is_empty() => {
                links.push(Link { label: label.trim().to_string(), url: url.trim().to_string() })
            }
            _ => {
                diags.push(Diagnostic::error(
                    path,
                    line,
                    format!("link `{raw}` must be `Label | https://…` (http, https or mailto)"),
                ));
            }
        }
    }
    let featured = match text(&fields, "featured") {
        None => false,
        Some(("true", _)) => true,
        Some(("false", _)) => false,
        Some((other, line)) => {
            diags.push(Diagnostic::error(path, line, format!("`featured` must be true or false, not `{other}`")));
            false
        }
    };
    let resolved = resolved?;
    // Every problem above is an error in `diags`; the entry is kept only if there was none.
    if diags.iter().filter(|d| d.is_error()).count() > errors_before + draft {
        return None;
    }
    let (id, _) = id?;
    let entry = Entry {
        id,
        title: title?.0,
        locale: locale?,
        audience: audience?,
        tags: fields.get("tags").map(|f| f.value.items().into_iter().map(|i| i.1).collect()).unwrap_or_default(),
        answer: resolved.default,
        links,
        related: fields.get("related").map(|f| f.value.items().into_iter().map(|i| i.1).collect()).unwrap_or_default(),
        featured,
        flow: text(&fields, "flow").map(|(f, _)| f.to_string()),
        kind,
        handoff,
        variants: resolved.variants,
    };
    let origin = Origin {
        path: path.to_path_buf(),
        related_line: fields.get("related").map_or(1, |f| f.line),
        flow_line: fields.get("flow").map_or(1, |f| f.line),
    };
    let replaces =
        fields.get("replaces").map(|f| f.value.items().into_iter().map(|i| i.1).collect()).unwrap_or_default();
    let source = SourceEntry { entry, questions: questions.into_iter().map(|q| q.1).collect(), replaces };
    // Keep the question lines for the duplicate check.
    Some((source, origin))
}

fn question_lines(doc: &str) -> Vec<(usize, String)> {
    split(doc).ok().and_then(|(f, _, _)| f.get("questions").map(|q| q.value.items())).unwrap_or_default()
}

/// A knowledge file's text. A file that cannot be read, or is not UTF-8, is an error at the line
/// where the bad bytes start (an editor that saved one paragraph in another encoding).
fn read_text(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(path, 0, format!("cannot read: {e}")));
            return None;
        }
    };
    String::from_utf8(bytes)
        .map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            let column = 1 + valid.iter().rev().take_while(|&&b| b != b'\n').count();
            diags.push(Diagnostic::error(
                path,
                line,
                format!("not valid UTF-8 at byte {column} of this line: save the file as UTF-8"),
            ));
        })
        .ok()
}

fn parse_analysis(dir: &Path, diags: &mut Vec<Diagnostic>) -> BTreeMap<Locale, LocaleAnalysis> {
    let mut out = BTreeMap::new();
    let Ok(read) = std::fs::read_dir(dir) else { return out };
    let mut dirs: Vec<PathBuf> = read.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for d in dirs {
        let name = d.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let Ok(locale) = name.parse::<Locale>() else {
            diags.push(Diagnostic::error(
                &d,
                0,
                format!("unknown locale folder `{name}` (supported: en, id, es, th, vi)"),
            ));
            continue;
        };
        let mut analysis = LocaleAnalysis::default();
        let stop = d.join("stopwords.txt");
        if let Some(s) = stop.exists().then(|| read_text(&stop, diags)).flatten() {
            analysis.stopwords = s
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .flat_map(|l| l.split_whitespace())
                .map(str::to_string)
                .collect();
        }
        let syn = d.join("synonyms.txt");
        if let Some(s) = syn.exists().then(|| read_text(&syn, diags)).flatten() {
            for (i, line) in s.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let members: Vec<String> =
                    line.split('=').map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect();
                if members.len() < 2 {
                    diags.push(Diagnostic::error(
                        &syn,
                        i + 1,
                        "a synonym group needs at least two terms separated by `=`",
                    ));
                } else {
                    analysis.synonyms.push(members);
                }
            }
        }
        out.insert(locale, analysis);
    }
    out
}

impl Knowledge {
    /// Loads and validates a knowledge folder. The knowledge is usable if no diagnostic is an
    /// error.
    pub fn load(root: &Path) -> (Knowledge, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        if !root.is_dir() {
            diags.push(Diagnostic::error(root, 0, "knowledge folder not found"));
            return (Knowledge::default(), diags);
        }
        let analysis = parse_analysis(&root.join("locales"), &mut diags);
        let mut entries: Vec<SourceEntry> = Vec::new();
        let mut origins: Vec<Origin> = Vec::new();
        let mut seen_ids: HashMap<(Locale, String), PathBuf> = HashMap::new();
        let mut seen_questions: HashMap<(Locale, String), (PathBuf, String)> = HashMap::new();
        let entry_files = files(&root.join("entries"), "md").into_iter().map(|p| (p, Folder::Entries));
        let system_files = files(&root.join("system"), "md").into_iter().map(|p| (p, Folder::System));
        for (path, folder) in entry_files.chain(system_files) {
            let Some(doc) = read_text(&path, &mut diags) else { continue };
            let Some((source, origin)) = parse_entry(&path, &doc, folder, &mut diags) else { continue };
            let key = (source.entry.locale, source.entry.id.clone());
            if let Some(first) = seen_ids.get(&key) {
                diags.push(Diagnostic::error(
                    &path,
                    2,
                    format!("duplicate id `{}` (also in {})", key.1, first.display()),
                ));
                continue;
            }
            seen_ids.insert(key, path.clone());
            for (line, q) in question_lines(&doc) {
                let normal = fold(&q).split_whitespace().collect::<Vec<_>>().join(" ");
                let qkey = (source.entry.locale, normal);
                match seen_questions.get(&qkey) {
                    Some((other, id)) if *id != source.entry.id => diags.push(Diagnostic::error(
                        &path,
                        line,
                        format!("question `{q}` is also asked in entry `{id}` ({})", other.display()),
                    )),
                    Some(_) => diags.push(Diagnostic::warning(&path, line, format!("question `{q}` is listed twice"))),
                    None => {
                        seen_questions.insert(qkey, (path.clone(), source.entry.id.clone()));
                    }
                }
            }
            entries.push(source);
            origins.push(origin);
        }
        let mut flows = Vec::new();
        for path in files(&root.join("flows"), "md") {
            if let Some(doc) = read_text(&path, &mut diags) {
                flows.extend(parse_flow(&path, &doc, &mut diags));
            }
        }
        cross_check(&entries, &origins, &flows, &mut diags);
        crate::flows::check_targets(&flows, &entries, root, &mut diags);
        let golden = load_golden(&root.join("golden"), &entries, &mut diags);
        diags.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        (Knowledge { entries, flows, analysis, golden }, diags)
    }

    /// The corpus to build an index from.
    pub fn corpus(&self) -> Corpus {
        Corpus {
            name: "knowledge".to_string(),
            entries: self.entries.clone(),
            analysis: self.analysis.clone(),
            flows: self.flows.clone(),
        }
    }

    /// All development questions, with their locales.
    pub fn dev_queries(&self) -> Vec<(Locale, LabeledQuery)> {
        self.golden.iter().flat_map(|(l, g)| g.dev.iter().map(move |q| (*l, q.clone()))).collect()
    }
}

fn cross_check(entries: &[SourceEntry], origins: &[Origin], flows: &[Flow], diags: &mut Vec<Diagnostic>) {
    for (source, origin) in entries.iter().zip(origins) {
        let e = &source.entry;
        for r in &e.related {
            if !entries.iter().any(|o| o.entry.locale == e.locale && &o.entry.id == r) {
                diags.push(Diagnostic::error(
                    &origin.path,
                    origin.related_line,
                    format!("related entry `{r}` does not exist in locale {}", e.locale),
                ));
            }
        }
        if let Some(flow) = &e.flow {
            if !flows.iter().any(|f| &f.id == flow && (f.locale == e.locale || f.locale == Locale::En)) {
                diags.push(Diagnostic::error(&origin.path, origin.flow_line, format!("flow `{flow}` does not exist")));
            }
        }
    }
}

/// Questions that differ only in case, accents, punctuation or spacing have the same key.
fn question_key(text: &str) -> String {
    fold(text)
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn load_golden(dir: &Path, entries: &[SourceEntry], diags: &mut Vec<Diagnostic>) -> BTreeMap<Locale, GoldenSet> {
    let mut out: BTreeMap<Locale, GoldenSet> = BTreeMap::new();
    let asked: HashMap<(Locale, String), &str> = entries
        .iter()
        .flat_map(|e| e.questions.iter().map(move |q| ((e.entry.locale, question_key(q)), e.entry.id.as_str())))
        .collect();
    for path in files(dir, "jsonl") {
        let locale_name = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
        let Ok(locale) = locale_name.parse::<Locale>() else {
            diags.push(Diagnostic::error(
                &path,
                0,
                format!("golden files go in golden/<locale>/, not `{locale_name}`"),
            ));
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let queries = match read_queries(&path) {
            Ok(q) => q,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        for q in &queries {
            if let Some(id) = asked.get(&(locale, question_key(&q.text))) {
                diags.push(Diagnostic::error(
                    &path,
                    q.line,
                    format!("golden question `{}` is also a question of entry `{id}`: it would test nothing", q.text),
                ));
            }
            if let Some(id) = &q.expected {
                if !entries.iter().any(|e| e.entry.locale == locale && &e.entry.id == id) {
                    diags.push(Diagnostic::error(
                        &path,
                        q.line,
                        format!("expected entry `{id}` does not exist in locale {locale}"),
                    ));
                }
            }
        }
        let set = out.entry(locale).or_default();
        if name.ends_with(".dev.jsonl") {
            set.dev.extend(queries);
        } else if name.ends_with(".test.jsonl") {
            set.test.extend(queries);
        } else {
            diags.push(Diagnostic::warning(&path, 0, "golden file names end in .test.jsonl or .dev.jsonl; ignored"));
        }
    }
    out
}
