//! The collector behind `kb collect`: an HTTP server (tiny_http) that takes the widget's event
//! batches, checks each against `analytics/events.schema.json`, and appends its events to daily
//! JSON-lines files (`events-YYYY-MM-DD.jsonl`, by each event's UTC date), syncing them to disk
//! before it answers: an acknowledged event survives a crash. A batch that is not JSON, of
//! another schema version, too large or not valid is refused with a 4xx and a reason, and
//! nothing of it is written. Cross-origin requests are answered for the configured origins.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::event::{date, millis, Batch, SCHEMA_VERSION};

/// The schema every batch is checked against.
pub const SCHEMA: &str = include_str!("../../../analytics/events.schema.json");
/// The largest batch accepted, in bytes (500 events of a few hundred bytes each fit).
pub const DEFAULT_MAX_BODY: usize = 512 * 1024;
/// How many recent event ids are remembered to drop a batch sent twice (a beacon whose answer
/// the page never saw).
const RECENT_IDS: usize = 100_000;

/// How the collector runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The folder the daily files go to.
    pub out: PathBuf,
    /// Origins allowed to send (`*`: any).
    pub origins: Vec<String>,
    /// The largest body accepted.
    pub max_body: usize,
}

/// Why a batch was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// Why, in words.
    pub reason: String,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refusal {
    Refusal { status, reason: reason.into() }
}

/// The part of the collector that does not touch the network: checks batches and writes them.
pub struct Sink {
    out: PathBuf,
    validator: jsonschema::Validator,
    recent: HashSet<String>,
    order: VecDeque<String>,
    /// Events the widgets reported dropped from their queues, in all.
    pub dropped: u64,
}

impl Sink {
    /// A sink writing into `out` (created if missing).
    ///
    /// # Errors
    /// The folder cannot be created.
    pub fn new(out: &Path) -> io::Result<Sink> {
        std::fs::create_dir_all(out)?;
        let schema: Value = serde_json::from_str(SCHEMA).map_err(io::Error::other)?;
        let validator = jsonschema::validator_for(&schema).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Sink { out: out.to_path_buf(), validator, recent: HashSet::new(), order: VecDeque::new(), dropped: 0 })
    }

    /// Checks a batch's body and appends its events, synced; returns how many were new.
    ///
    /// # Errors
    /// A [`Refusal`] (4xx) when the body is not a valid batch; a 500 when it cannot be written.
    pub fn accept(&mut self, body: &[u8]) -> Result<usize, Refusal> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| refuse(400, format!("the body is not JSON: {e}")))?;
        if let Some(v) = value.get("schema") {
            if v.as_u64() != Some(u64::from(SCHEMA_VERSION)) {
                return Err(refuse(400, format!("unknown schema version {v} (this collector reads {SCHEMA_VERSION})")));
            }
        }
        if let Some(error) = self.validator.iter_errors(&value).next() {
            return Err(refuse(
                400,
                format!("the batch does not match the schema at `{}`: {error}", error.instance_path),
            ));
        }
        let batch: Batch =
            serde_json::from_value(value).map_err(|e| refuse(400, format!("the batch cannot be read: {e}")))?;
        let mut lines: HashMap<String, String> = HashMap::new();
        let mut new = Vec::new();
        for event in &batch.events {
            if self.recent.contains(&event.id) || new.contains(&&event.id) {
                continue;
            }
            let day =
                millis(&event.ts).map(date).ok_or_else(|| refuse(400, format!("event {}: bad timestamp", event.id)))?;
            let line = serde_json::to_string(event).map_err(|e| refuse(500, e.to_string()))?;
            let text = lines.entry(day).or_default();
            text.push_str(&line);
            text.push('\n');
            new.push(&event.id);
        }
        for (day, text) in &lines {
            self.append(day, text).map_err(|e| refuse(500, format!("cannot write the events: {e}")))?;
        }
        let accepted = new.len();
        for id in new.into_iter().cloned() {
            self.remember(id);
        }
        self.dropped += batch.dropped;
        Ok(accepted)
    }

    fn append(&self, day: &str, text: &str) -> io::Result<()> {
        let path = self.out.join(format!("events-{day}.jsonl"));
        let mut file: File = OpenOptions::new().create(true).append(true).open(&path)?;
        file.write_all(text.as_bytes())?;
        file.sync_data()
    }

    fn remember(&mut self, id: String) {
        if self.order.len() >= RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.recent.remove(&old);
            }
        }
        self.recent.insert(id.clone());
        self.order.push_back(id);
    }
}

/// Runs the collector until the process ends; `ready(address)` is called once it listens.
///
/// # Errors
/// The address cannot be bound or the folder cannot be created.
pub fn serve(options: &Options, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let mut sink = Sink::new(&options.out)?;
    let server = Server::http(options.listen)
        .map_err(|e| io::Error::other(format!("cannot listen on {}: {e}", options.listen)))?;
    let address = server.server_addr().to_ip().unwrap_or(options.listen);
    ready(address);
    for request in server.incoming_requests() {
        let _ = handle(&mut sink, options, request);
    }
    Ok(())
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| Header::from_bytes("x-invalid", "1").expect("a valid header"))
}

fn handle(sink: &mut Sink, options: &Options, mut request: Request) -> io::Result<()> {
    let origin = request.headers().iter().find(|h| h.field.equiv("Origin")).map(|h| h.value.as_str().to_string());
    let allowed = match &origin {
        None => true,
        Some(o) => options.origins.iter().any(|a| a == "*" || a == o),
    };
    let cors = |mut response: Response<io::Cursor<Vec<u8>>>| {
        if let (Some(o), true) = (&origin, allowed) {
            response.add_header(header("Access-Control-Allow-Origin", o));
            response.add_header(header("Vary", "Origin"));
            response.add_header(header("Access-Control-Allow-Methods", "POST, OPTIONS"));
            response.add_header(header("Access-Control-Allow-Headers", "content-type"));
            response.add_header(header("Access-Control-Max-Age", "600"));
        }
        response
    };
    let text = |status: u16, body: String| cors(Response::from_string(body).with_status_code(status));
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let response = match (request.method(), path.as_str()) {
        (_, _) if !allowed => text(403, format!("origin {} is not allowed\n", origin.as_deref().unwrap_or_default())),
        (Method::Options, _) => text(204, String::new()),
        (Method::Get, "/health") => text(200, "ok\n".into()),
        (Method::Post, "/events" | "/") => {
            let mut body = Vec::new();
            let limit = options.max_body as u64 + 1;
            request.as_reader().take(limit).read_to_end(&mut body)?;
            if body.len() > options.max_body {
                text(413, format!("the batch is larger than {} bytes\n", options.max_body))
            } else {
                match sink.accept(&body) {
                    Ok(n) => text(200, format!("{{\"accepted\":{n}}}\n")),
                    Err(r) => {
                        eprintln!("kb collect: refused a batch ({}): {}", r.status, r.reason);
                        text(r.status, format!("{}\n", r.reason))
                    }
                }
            }
        }
        _ => text(404, "POST event batches to /events\n".into()),
    };
    request.respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(events: &str) -> String {
        format!(r#"{{"schema":1,"sent_at":"2026-12-04T10:00:00.000Z","dropped":0,"events":[{events}]}}"#)
    }

    fn event(id: &str, ts: &str) -> String {
        format!(
            r#"{{"v":1,"id":"{id}","session":"s1","ts":"{ts}","pack":"p","locale":"en","audience":"buyer","page":"/shop","type":"handoff_clicked","reason":"asked"}}"#
        )
    }

    #[test]
    fn valid_batches_are_written_by_day_once_and_bad_ones_refused_whole() {
        let dir = std::env::temp_dir().join(format!("kb-collect-{}", std::process::id()));
        let mut sink = Sink::new(&dir).unwrap();
        let two =
            batch(&format!("{},{}", event("a", "2026-12-04T23:59:59.000Z"), event("b", "2026-12-05T00:00:01.000Z")));
        assert_eq!(sink.accept(two.as_bytes()), Ok(2));
        assert_eq!(sink.accept(two.as_bytes()), Ok(0), "a batch sent twice is written once");
        let day = |d: &str| std::fs::read_to_string(dir.join(format!("events-{d}.jsonl"))).unwrap_or_default();
        assert_eq!(day("2026-12-04").lines().count(), 1);
        assert_eq!(day("2026-12-05").lines().count(), 1);
        let mut refused = |body: &str| sink.accept(body.as_bytes()).unwrap_err();
        assert!(refused("{not json").reason.starts_with("the body is not JSON"));
        let v2 = batch(&event("c", "2026-12-04T10:00:00Z")).replace("\"schema\":1", "\"schema\":2");
        assert!(refused(&v2).reason.starts_with("unknown schema version 2"));
        let wrong = batch(&format!(
            "{},{}",
            event("d", "2026-12-04T10:00:00.000Z"),
            event("e", "2026-12-04T10:00:00.000Z").replace("\"asked\"", "\"bored\"")
        ));
        let why = refused(&wrong);
        assert_eq!(why.status, 400);
        assert!(why.reason.contains("does not match the schema"), "{why:?}");
        assert_eq!(day("2026-12-04").lines().count(), 1, "nothing of a refused batch is written");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
