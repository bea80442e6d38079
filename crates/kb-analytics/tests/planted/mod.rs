//! An event stream with planted needs (`fixtures/gaps/needs.txt`), for the `kb gaps` tests of
//! this crate and of `kb-cli`. Each phrasing of a need is asked in sessions of its own and comes
//! to be a gap in one of the ways the widget logs (in turn, so that every need has a mix): it
//! fell back and the LLM answered or did not, the pack did not load, a person was asked for, or
//! an older pack answered it and the buyer asked again at once or rated the answer down. Around
//! them: conversations that went well, small talk, sessions without text, a duplicated event,
//! and a day before the period.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

/// The planted needs.
const NEEDS: &str = include_str!("../fixtures/gaps/needs.txt");
/// The period the tests ask for; the day before it has gaps too.
pub const FROM: &str = "2026-12-01";
/// See [`FROM`].
pub const TO: &str = "2026-12-02";
const BEFORE: &str = "2026-11-30";

/// One planted gap question.
#[derive(Clone, Debug)]
pub struct Plant {
    /// The need (`noise: …` for a noise question, each its own need).
    pub need: String,
    /// Its locale.
    pub locale: String,
    /// Its text.
    pub text: String,
    /// Its session.
    pub session: String,
    /// Its day.
    pub day: String,
}

impl Plant {
    /// Whether it was asked in the period.
    pub fn in_period(&self) -> bool {
        self.day.as_str() >= FROM && self.day.as_str() <= TO
    }

    /// Whether it is noise.
    pub fn is_noise(&self) -> bool {
        self.need.starts_with("noise")
    }
}

/// A need block of the fixture.
struct Need {
    name: String,
    locale: String,
    audience: String,
    shown: String,
    /// (text, sessions)
    lines: Vec<(String, usize)>,
}

fn needs() -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    for line in NEEDS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(header) = line.strip_prefix("== ") {
            let words: Vec<&str> = header.split_whitespace().collect();
            let shown = words[3].strip_prefix("shown=").expect("shown=<entry>");
            out.push(Need {
                name: words[0].into(),
                locale: words[1].into(),
                audience: words[2].into(),
                shown: shown.into(),
                lines: Vec::new(),
            });
            continue;
        }
        let (text, sessions) = match line.rsplit_once(" ×") {
            Some((t, n)) => (t.to_string(), n.parse().expect("×N")),
            None => (line.to_string(), 1),
        };
        out.last_mut().expect("a need header first").lines.push((text, sessions));
    }
    out
}

/// How a planted question came to be a gap.
#[derive(Clone, Copy, PartialEq)]
enum Route {
    Llm(&'static str),
    NoKnowledge,
    Handoff,
    Rephrased,
    RatedDown,
}

const ROUTES: [Route; 9] = [
    Route::Llm("answered"),
    Route::Llm("failed"),
    Route::Rephrased,
    Route::Llm("unsure"),
    Route::RatedDown,
    Route::NoKnowledge,
    Route::Llm("cached"),
    Route::Handoff,
    Route::Llm("no_endpoint"),
];

/// Writes the events, one file per day.
struct Stream {
    days: BTreeMap<String, String>,
    events: usize,
    questions: usize,
    sessions: usize,
}

struct Session<'a> {
    id: String,
    day: String,
    locale: &'a str,
    audience: &'a str,
    /// Seconds since midnight.
    clock: u32,
    text: bool,
}

impl Stream {
    fn session<'a>(&mut self, day: &str, locale: &'a str, audience: &'a str, text: bool) -> Session<'a> {
        self.sessions += 1;
        // Sessions a quarter of an hour apart, from 08:00.
        let clock = 8 * 3600 + (self.sessions as u32 % 60) * 900;
        Session { id: format!("s{}", self.sessions), day: day.into(), locale, audience, clock, text }
    }

    fn emit(&mut self, s: &mut Session, after: u32, fields: Value) {
        s.clock += after;
        self.events += 1;
        let (h, m, sec) = (s.clock / 3600, s.clock / 60 % 60, s.clock % 60);
        let mut event = json!({
            "v": 1, "id": format!("e{}", self.events), "session": s.id,
            "ts": format!("{}T{h:02}:{m:02}:{sec:02}.000Z", s.day), "pack": "older-pack",
            "locale": s.locale, "audience": s.audience, "page": "/product",
        });
        for (k, v) in fields.as_object().expect("fields").clone() {
            event[k] = v;
        }
        let _ = writeln!(self.days.entry(s.day.clone()).or_default(), "{event}");
    }

    /// A question event; returns its id.
    fn question(&mut self, s: &mut Session, after: u32, text: &str, path: &str, entry: Option<&str>) -> String {
        self.questions += 1;
        let id = format!("q{}", self.questions);
        let entries: Vec<&str> = entry.into_iter().collect();
        let top = entry.map_or(Value::Null, |e| json!({"entry": e, "score": 0.41, "confidence": 0.38}));
        let kind = match path {
            "no_knowledge" => Value::Null,
            "handoff" => json!("handoff"),
            "reply" => json!("smalltalk"),
            _ => json!("answer"),
        };
        let mut fields = json!({
            "type": "question", "question": id, "path": path, "entries": entries, "top": top,
            "runner_up": null, "kind": kind, "thresholds": {"answer": 0.62, "clarify": 0.3},
        });
        if s.text {
            fields["text"] = json!(text);
        }
        self.emit(s, after, fields);
        id
    }

    /// A planted question, asked in `s` the way `route` says; the next phrasing of a rephrased
    /// one is asked right after it, in the same session.
    fn gap(&mut self, s: &mut Session, text: &str, route: Route, shown: &str) {
        match route {
            Route::Llm(outcome) => {
                let q = self.question(s, 5, text, "fallback", None);
                let end =
                    json!({"type": "llm_fallback", "question": q, "outcome": outcome, "passages": [], "cited": []});
                self.emit(s, 6, end);
            }
            Route::NoKnowledge => {
                self.question(s, 5, text, "no_knowledge", None);
            }
            Route::Handoff => {
                self.question(s, 5, text, "handoff", Some("talk-to-a-person"));
                self.emit(s, 4, json!({"type": "handoff_clicked", "reason": "asked"}));
            }
            Route::Rephrased => {
                self.question(s, 5, text, "answer", Some(shown));
            }
            Route::RatedDown => {
                self.question(s, 5, text, "answer", Some(shown));
                self.emit(s, 12, json!({"type": "feedback", "entry": shown, "helpful": false, "reason": null}));
                self.emit(
                    s,
                    4,
                    json!({"type": "feedback", "entry": shown, "helpful": false, "reason": "not_my_question"}),
                );
            }
        }
    }
}

/// Conversations that went well, small talk, sessions without text and a question of
/// punctuation only: none is a gap with words.
fn background(stream: &mut Stream, day: &str) {
    let mut s = stream.session(day, "en", "buyer", true);
    stream.emit(&mut s, 0, json!({"type": "conversation_started", "trigger": "open"}));
    stream.question(&mut s, 3, "hi", "reply", Some("greeting"));
    stream.question(&mut s, 20, "how do i return an item", "answer", Some("return-policy"));
    stream.emit(
        &mut s,
        30,
        json!({"type": "resolution", "after": "answer", "entry": "return-policy", "answer": "yes"}),
    );
    // A second question three minutes after an answer is not a rephrase.
    stream.question(&mut s, 180, "and how long does the refund take", "answer", Some("refund-time"));
    stream.emit(&mut s, 10, json!({"type": "feedback", "entry": "refund-time", "helpful": true, "reason": null}));
    stream.question(&mut s, 200, "thanks!!", "reply", Some("thanks"));
    // Without text (the page does not send it), gaps are counted, not grouped.
    let mut s = stream.session(day, "en", "buyer", false);
    stream.gap(&mut s, "", Route::Llm("failed"), "track-order");
    let mut s = stream.session(day, "id", "buyer", false);
    stream.gap(&mut s, "", Route::NoKnowledge, "track-order");
    // Punctuation says that something was missing, not what.
    let mut s = stream.session(day, "en", "buyer", true);
    stream.gap(&mut s, "??", Route::Llm("unsure"), "track-order");
}

/// Writes the planted stream into `dir` (created), as the collector names its files, and
/// returns the planted gap questions.
pub fn plant(dir: &Path) -> Vec<Plant> {
    let mut stream = Stream { days: BTreeMap::new(), events: 0, questions: 0, sessions: 0 };
    let mut planted = Vec::new();
    let mut turn = 0;
    let days = [FROM, TO];
    for need in needs() {
        let noise = need.name == "noise";
        let lines = need.lines.len();
        let mut i = 0;
        while i < lines {
            let (text, sessions) = &need.lines[i];
            for n in 0..*sessions {
                let day = days[(turn + n) % 2];
                let mut s = stream.session(day, &need.locale, &need.audience, true);
                stream.emit(&mut s, 0, json!({"type": "conversation_started", "trigger": "open"}));
                let mut route = ROUTES[turn % ROUTES.len()];
                turn += 1;
                // Asked again at once: the next phrasing follows in the same session.
                let follows = route == Route::Rephrased && !noise && n + 1 == *sessions && i + 1 < lines;
                if route == Route::Rephrased && !follows {
                    route = Route::RatedDown;
                }
                let mut asked = vec![(text.clone(), route)];
                if follows {
                    i += 1;
                    let next = ROUTES[turn % ROUTES.len()];
                    turn += 1;
                    asked.push((
                        need.lines[i].0.clone(),
                        if next == Route::Rephrased { Route::Llm("answered") } else { next },
                    ));
                }
                for (text, route) in asked {
                    stream.gap(&mut s, &text, route, &need.shown);
                    let name = if noise { format!("noise: {text}") } else { need.name.clone() };
                    planted.push(Plant {
                        need: name,
                        locale: need.locale.clone(),
                        text,
                        session: s.id.clone(),
                        day: day.into(),
                    });
                }
            }
            i += 1;
        }
        // The day before the period: the need's first phrasing once more.
        if !noise {
            let (text, _) = &need.lines[0];
            let mut s = stream.session(BEFORE, &need.locale, &need.audience, true);
            stream.gap(&mut s, text, Route::Llm("failed"), &need.shown);
            planted.push(Plant {
                need: need.name.clone(),
                locale: need.locale.clone(),
                text: text.clone(),
                session: s.id.clone(),
                day: BEFORE.into(),
            });
        }
    }
    for day in days {
        background(&mut stream, day);
    }
    std::fs::create_dir_all(dir).expect("event folder");
    for (day, mut lines) in stream.days {
        if day == FROM {
            // A collector may receive an event twice: the day's first question again at the end.
            let first = lines.lines().find(|l| l.contains(r#""type":"question""#)).unwrap_or_default().to_string();
            lines.push_str(&first);
            lines.push('\n');
        }
        std::fs::write(dir.join(format!("events-{day}.jsonl")), lines).expect("event file");
    }
    planted
}
