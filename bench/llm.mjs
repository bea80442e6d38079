// LLM fallback figures. A benchmark, not a test: it prints figures and exits 0.
//
//   node bench/llm.mjs [--requests N] [--shared] [--port P]
//
// 1. Routing: for every golden test question of every locale (knowledge/golden/<l>/*.test.jsonl),
//    the engine's decision (Answer / Clarify / Fallback) on the index built from knowledge/ —
//    the share of questions that would reach the LLM — split in scope / out of scope.
//    Decisions come from `kb search --index bench/out/knowledge.idx --locale <l> --json`, one
//    process per question (≈ 7 ms each): it is the same kb-core code as the widget and, unlike
//    bench/kb-wasm (English only), honours the locale. They are cross-checked against the
//    aggregates of `kb eval --knowledge knowledge --json` and, for English, against the wasm engine
//    in bench/out/kb-wasm when `bench/run.sh` has built it.
// 2. Model server: starts its own `scripts/llm-server.sh` on a free port and stops it at the end.
//    With --shared it uses the server already answering on 127.0.0.1:8765 (or --port P) instead
//    and starts one only if nothing answers there. Not the default: llama-cpp-python's server
//    interrupts the running stream whenever another request arrives (`interrupt_requests`,
//    default true), so sharing it cuts this benchmark's replies short and cuts other people's
//    (e2e tests, the demo) — and queues behind them, which inflates time to first token.
//    An interrupted reply (stream ends without a finish_reason, or the connection drops) is
//    retried up to twice and counted.
//    Sends N (default 10) streamed chat completions shaped like the widget's fallback request
//    (crates/llm-fallback/src/request.rs: DEFAULT_SYSTEM_PROMPT, "## Context", the top 3 passages,
//    the question; max_tokens 400, temperature 0.2) for English golden questions that fall back,
//    after one warm-up request. Measures time to first token (first non-empty content delta)
//    and tokens/s (content deltas per second after the first one; and completion_tokens/s when
//    the server sends a usage chunk for `stream_options: {include_usage: true}`).
import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import { createServer } from "node:net";
import { readFileSync, readdirSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "out");
const KB = join(ROOT, "target", "release", "kb");
const INDEX = join(OUT, "knowledge.idx");
const run = promisify(execFile);
const log = (msg) => process.stderr.write(`llm: ${msg}\n`);
const sleep = (t) => new Promise((ok) => setTimeout(ok, t));

const args = { requests: 10, port: 8765, shared: false, guard: 30, "passage-chars": null, "prompt-from": null };
const USAGE = "usage: node bench/llm.mjs [--requests N] [--guard N] [--passage-chars N] [--prompt-from REV] [--shared] [--port P]";
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].replace(/^--/, "");
  if (name === "shared") { args.shared = true; continue; }
  if (!(name in args) || i + 1 >= process.argv.length) {
    console.error(USAGE);
    process.exit(2);
  }
  args[name] = name === "prompt-from" ? process.argv[++i] : Number(process.argv[++i]);
}

const median = (xs) => percentile(xs, 0.5);
function percentile(xs, p) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const r = (s.length - 1) * p;
  const lo = Math.floor(r);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (r - lo);
}
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : "—");
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");

// ---------------------------------------------------------------------------------------------
// Knowledge: golden questions and entries

function readJsonl(file) {
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function golden() {
  const dir = join(ROOT, "knowledge", "golden");
  return readdirSync(dir).sort().map((locale) => ({
    locale,
    questions: readdirSync(join(dir, locale)).filter((f) => f.endsWith(".test.jsonl")).sort()
      .flatMap((f) => readJsonl(join(dir, locale, f)).map((q) => ({ ...q, file: f }))),
  }));
}

/** id → {title, text} of a locale's entries; text ≈ kb_core::markdown::plain_text of the body. */
function entries(locale) {
  const dir = join(ROOT, "knowledge", "entries", locale);
  const map = new Map();
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".md"))) {
    const src = readFileSync(join(dir, f), "utf8");
    const m = src.match(/^---\n([\s\S]*?)\n---\n?([\s\S]*)$/);
    if (!m) continue;
    const field = (k) => m[1].match(new RegExp(`^${k}:\\s*(.*)$`, "m"))?.[1].trim();
    // A body ending in "=> handoff" offers a person after the answer: not part of the passage.
    map.set(field("id"), { title: field("title") ?? "", text: plainText(m[2].replace(/\n=> handoff\s*$/, "")) });
  }
  return map;
}

function plainText(md) {
  return md
    .split(/\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.replace(/^(#{1,6}\s+|[-*]\s+|\d+[.)]\s+)/, ""))
    .map((l) => l.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/\*\*|__|\*|`/g, ""))
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// 1. Routing shares

async function buildIndex() {
  if (!existsSync(KB)) throw new Error(`${KB} is missing: cargo build --release -p kb-cli`);
  mkdirSync(OUT, { recursive: true });
  const { stderr } = await run(KB, ["build", "--knowledge", join(ROOT, "knowledge"), "--out", INDEX], { cwd: ROOT });
  log(stderr.trim().split("\n").filter((l) => l.startsWith("kb: wrote")).join(" ") || "index built");
}

/** kb-core's decision for a question (`Index::decide`, what the widget does): the path, the
 * entries it shows or sends (the passages, for a fallback) and the ranking it came from. */
async function decide(text, locale, audience = "all") {
  const args = ["search", text, "--index", INDEX, "--locale", locale, "--audience", audience, "--limit", "10", "--json"];
  const { stdout } = await run(KB, args, { maxBuffer: 1 << 24 });
  const r = JSON.parse(stdout);
  return { path: r.path, entries: r.entries, confidence: r.confidence, ids: r.hits.map((h) => h.id) };
}

async function routing() {
  await buildIndex();
  const sets = golden();
  const rows = [];
  const jobs = sets.flatMap((s) => s.questions.map((q) => ({ ...q, locale: s.locale })));
  let next = 0;
  const started = Date.now();
  // Two workers: the machine has 2 cores.
  await Promise.all([0, 1].map(async () => {
    while (next < jobs.length) {
      const q = jobs[next++];
      rows.push({ ...q, ...(await decide(q.text, q.locale, q.audience)) });
    }
  }));
  log(`${rows.length} golden test questions routed with kb search in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { sets, rows };
}

function routingTable(rows) {
  const locales = [...new Set(rows.map((r) => r.locale))];
  const lines = [
    "| locale | scope | questions | answer | clarify | local reply (small talk, decline) | handoff | fallback (→ LLM) | top-1 correct (any path) | answered correctly |",
    "|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const add = (label, scope, rs) => {
    const n = rs.length;
    const c = (p) => rs.filter((r) => r.path === p).length;
    const top1 = scope === "out of scope" ? "—" : pct(rs.filter((r) => r.ids[0] === r.expected).length, n);
    const right = scope === "out of scope" ? "—" : pct(rs.filter((r) => r.path === "answer" && r.ids[0] === r.expected).length, n);
    lines.push(`| ${label} | ${scope} | ${n} | ${pct(c("answer"), n)} | ${pct(c("clarify"), n)} | ${pct(c("reply"), n)} | ${pct(c("handoff"), n)} | ${pct(c("fallback"), n)} | ${top1} | ${right} |`);
  };
  for (const l of [...locales, "all"]) {
    const rs = l === "all" ? rows : rows.filter((r) => r.locale === l);
    const label = l === "all" ? "**all**" : l;
    add(label, "in scope", rs.filter((r) => r.expected !== null));
    add(label, "out of scope", rs.filter((r) => r.expected === null));
    add(label, "together", rs);
  }
  return lines.join("\n");
}

/** Compares the per-question answers with `kb eval --knowledge knowledge --json`. */
async function crossCheck(rows) {
  const notes = [];
  try {
    const { stdout } = await run(KB, ["eval", "--knowledge", join(ROOT, "knowledge"), "--json"], { cwd: ROOT, maxBuffer: 1 << 26 });
    const ev = JSON.parse(stdout);
    const diffs = [];
    for (const [locale, r] of Object.entries(ev.locales)) {
      const mine = rows.filter((x) => x.locale === locale);
      const inScope = mine.filter((x) => x.expected !== null);
      const oos = mine.filter((x) => x.expected === null);
      const right = Math.round(r.coverage * r.in_scope);
      const oosAnswered = Math.round((1 - r.oos_routed) * r.out_of_scope);
      const answered = r.precision > 0 ? Math.round(right / r.precision) : 0;
      const got = {
        in_scope: inScope.length, out_of_scope: oos.length,
        top1: Math.round(r.top1 * r.in_scope) === inScope.filter((x) => x.ids[0] === x.expected).length,
        right: right === inScope.filter((x) => x.path === "answer" && x.ids[0] === x.expected).length,
        oos: oosAnswered === oos.filter((x) => x.path === "answer").length,
        answered: answered === mine.filter((x) => x.path === "answer").length,
      };
      if (got.in_scope !== r.in_scope || got.out_of_scope !== r.out_of_scope || !got.top1 || !got.right || !got.oos || !got.answered) diffs.push(`${locale} ${JSON.stringify(got)}`);
    }
    notes.push(diffs.length
      ? `**Cross-check with \`kb eval --knowledge knowledge --json\` FAILED for: ${diffs.join("; ")}.**`
      : `Cross-check: the per-question results reproduce \`kb eval --knowledge knowledge --json\` for every locale (question counts, top-1, correct answers, out-of-scope answered, answers in all).`);
  } catch (e) {
    notes.push(`**Cross-check with kb eval could not run: ${e.message.split("\n")[0]}**`);
  }
  const wasm = join(OUT, "kb-wasm", "kb_wasm.js");
  if (existsSync(wasm)) {
    try {
      const { Engine } = createRequire(import.meta.url)(wasm);
      const engine = new Engine(new Uint8Array(readFileSync(INDEX)));
      const en = rows.filter((r) => r.locale === "en");
      const agree = en.filter((r) => {
        const w = JSON.parse(engine.search(r.text, r.audience));
        return w.path === r.path && w.ids[0] === r.ids[0];
      }).length;
      const stale = statSync(wasm).mtimeMs < newestSource(join(ROOT, "crates", "kb-core", "src"));
      notes.push(`English cross-check with the wasm engine (bench/out/kb-wasm${stale ? ", built before the last kb-core change" : ""}): ${agree}/${en.length} decisions and top hits agree${agree === en.length ? "" : " — **they differ**"}.`);
    } catch (e) {
      notes.push(`The wasm engine in bench/out/kb-wasm could not be used: ${e.message}`);
    }
  }
  return notes;
}

function newestSource(dir) {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    t = Math.max(t, f.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// 2. Model server

/** request.rs as it is, or at git revision `--prompt-from` (to measure an earlier prompt). */
const REQUEST_RS = args["prompt-from"]
  ? execFileSync("git", ["show", `${args["prompt-from"]}:crates/llm-fallback/src/request.rs`], { cwd: ROOT, encoding: "utf8" })
  : readFileSync(join(ROOT, "crates", "llm-fallback", "src", "request.rs"), "utf8");
const DEFAULT_SYSTEM_PROMPT = readSystemPrompt(REQUEST_RS);
/** The widget's passage budget in characters: `RequestConfig::default().passage_chars`. */
const PASSAGE_CHARS = args["passage-chars"] ?? Number(/passage_chars: (\d+),/.exec(REQUEST_RS)?.[1] ?? NaN);
/** The languages' names the widget puts in the prompt (kb-core's locale table). */
const LANGUAGE = Object.fromEntries(
  [...readFileSync(join(ROOT, "crates", "kb-core", "src", "locale.rs"), "utf8").matchAll(/code: "(\w+)",\s*name: "([^"]+)"/g)].map((m) => [m[1], m[2]]),
);

/** The system prompt as request.rs composes it (DEFAULT_SYSTEM_PROMPT, then GROUNDING_RULES),
 *  read from crates/llm-fallback/src/request.rs so that it cannot drift. */
function readSystemPrompt(src) {
  const literal = (name) => {
    const m = src.match(new RegExp(`pub const ${name}: &str = "\\\\\n([\\s\\S]*?)";\n`));
    if (!m) throw new Error(`${name} not found in request.rs`);
    // Rust string continuation: a backslash at the end of a line eats the newline and the indent.
    return m[1].replace(/\\\n\s*/g, "").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  };
  return `${literal("DEFAULT_SYSTEM_PROMPT").trim()}\n${literal("GROUNDING_RULES")}`;
}

const truncate = (s, max) => ([...s].length <= max ? s : [...s].slice(0, max - 1).join("").replace(/\s+\S*$/, "") + "…");

/** The body ChatRequest::build makes for a first question (no history), with usage requested. */
function chatBody(question, passages, locale) {
  let system = `${DEFAULT_SYSTEM_PROMPT.trim()}\n\n## Context\nReply language: ${LANGUAGE[locale]} (locale ${locale}).\n\n## Passages\n`;
  for (const p of passages.slice(0, 3)) system += `\n[${p.id}] ${p.title.split(/\s+/).join(" ")}\n${truncate(p.text.trim(), PASSAGE_CHARS)}\n`;
  if (!passages.length) system += "\n(no passages: you cannot answer from the knowledge base)\n";
  return {
    stream: true,
    messages: [{ role: "system", content: system }, { role: "user", content: question }],
    max_tokens: 400,
    temperature: 0.2,
    stream_options: { include_usage: true },
  };
}

async function listening(base) {
  try {
    const r = await fetch(`${base}/v1/models`, { signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    }).on("error", fail);
  });
}

async function startServer() {
  const shared = `http://127.0.0.1:${args.port}`;
  if (args.shared && (await listening(shared))) return { base: shared, ours: false, stop() {} };
  const port = await freePort();
  log(`starting scripts/llm-server.sh ${port}${args.shared ? ` (nothing answers on ${args.port})` : ""}`);
  const child = spawn(join(ROOT, "scripts", "llm-server.sh"), [String(port)], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  process.on("exit", () => child.kill("SIGTERM"));
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while (!(await listening(base))) {
    if (child.exitCode !== null) throw new Error(`llm-server.sh exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() - started > 180_000) { child.kill("SIGTERM"); throw new Error("the LLM server did not answer /v1/models within 180 s"); }
    await sleep(500);
  }
  log(`server up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { base, ours: true, startup: (Date.now() - started) / 1000, stop: () => child.kill("SIGTERM") };
}

/** One streamed completion: time to first token, content deltas, usage. */
async function complete(base, body) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(180_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const headers = performance.now() - t0;
  const decoder = new TextDecoder();
  let ttfb = NaN;
  let buffer = "";
  let first = NaN;
  let last = NaN;
  let deltas = 0;
  let text = "";
  let usage = null;
  let finish = null;
  for await (const chunk of res.body) {
    if (!Number.isFinite(ttfb) && chunk.length) ttfb = performance.now() - t0;
    buffer += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i).replace(/\r$/, "");
      buffer = buffer.slice(i + 1);
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") continue;
      const ev = JSON.parse(data);
      if (ev.usage) usage = ev.usage;
      const choice = ev.choices?.[0];
      if (choice?.finish_reason) finish = choice.finish_reason;
      const piece = choice?.delta?.content;
      if (piece) {
        const now = performance.now();
        if (!deltas) first = now;
        last = now;
        deltas++;
        text += piece;
      }
    }
  }
  const end = performance.now();
  const streamS = (last - first) / 1000;
  return {
    headers_ms: headers,
    ttfb_ms: ttfb,
    ttft_ms: first - t0,
    total_ms: end - t0,
    deltas,
    deltas_per_s: deltas > 1 && streamS > 0 ? (deltas - 1) / streamS : NaN,
    completion_tokens: usage?.completion_tokens ?? null,
    prompt_tokens: usage?.prompt_tokens ?? null,
    tokens_per_s: usage?.completion_tokens > 1 && streamS > 0 ? (usage.completion_tokens - 1) / streamS : NaN,
    finish,
    chars: text.length,
    text,
  };
}

async function tokenCount(base, text) {
  try {
    const r = await fetch(`${base}/extras/tokenize/count`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: text }) });
    return r.ok ? (await r.json()).count : null;
  } catch {
    return null;
  }
}

async function llmFigures(rows, n) {
  // English questions the widget would send to the model, spread evenly over the fallbacks
  // (in scope first: that is the traffic the fallback exists for), plus one warm-up.
  const fb = rows.filter((r) => r.locale === "en" && r.path === "fallback").sort((a, b) => (a.expected === null) - (b.expected === null) || a.file.localeCompare(b.file));
  if (fb.length < n + 1) throw new Error(`only ${fb.length} English golden questions fall back`);
  const step = fb.length / (n + 1);
  const picked = Array.from({ length: n + 1 }, (_, i) => fb[Math.floor(i * step)]);
  const en = entries("en");
  const bodies = picked.map((q) => chatBody(q.text, q.entries.filter((id) => en.has(id)).map((id) => ({ id, ...en.get(id) })), "en"));

  const server = await startServer();
  const out = { server: server.base, ours: server.ours, startup_s: server.startup ?? null, requests: [] };
  try {
    const models = await (await fetch(`${server.base}/v1/models`)).json();
    out.model = models.data?.[0]?.id?.split("/").pop() ?? "?";
    out.interrupted = 0;
    for (let i = 0; i < bodies.length; i++) {
      let r;
      for (let attempt = 0; ; attempt++) {
        try {
          r = await complete(server.base, bodies[i]);
          if (r.finish) break;
          r.error = "stream ended without a finish_reason (interrupted)";
        } catch (e) {
          r = { error: e.message };
        }
        out.interrupted++;
        log(`request ${i}: ${r.error}${attempt < 2 ? ", retrying" : ", giving up"}`);
        if (attempt >= 2) throw new Error(`request ${i} failed 3 times: ${r.error}`);
        await sleep(2000);
      }
      const promptTokens = await tokenCount(server.base, bodies[i].messages.map((m) => m.content).join("\n"));
      const row = { question: picked[i].text, in_scope: picked[i].expected !== null, prompt_chars: bodies[i].messages[0].content.length + picked[i].text.length, prompt_tokens_approx: promptTokens, ...r };
      log(`${i ? `request ${i}/${n}` : "warm-up"}: TTFT ${f1(r.ttft_ms)} ms, ${r.deltas} deltas, ${f1(r.deltas_per_s)} deltas/s, ${promptTokens ?? "?"} prompt tokens, finish ${r.finish} — ${picked[i].text}`);
      if (i) out.requests.push(row);
      else out.warmup = row;
    }
    // Reference: the same server with a minimal prompt, to show how much of the time to first
    // token is the widget's prompt.
    const q = picked[1].text;
    const mini = await complete(server.base, { stream: true, messages: [{ role: "user", content: q }], max_tokens: 20, temperature: 0.2 });
    out.minimal = { ...mini, prompt_tokens_approx: await tokenCount(server.base, q) };
    if (args.guard > 0) out.grounding = await guardFigures(rows, args.guard, server);
  } finally {
    server.stop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Grounding: what the model makes of questions the knowledge cannot answer

/** `llm_fallback::guard::check` in JS: "grounded" when the reply cites a passage it was given
 * and holds no placeholder such as [Company Name]; else "uncited" or "placeholder". */
export function guardVerdict(reply, ids) {
  const known = ids.map((i) => i.toLowerCase());
  const brackets = [...reply.matchAll(/\[([^\]\n]*)\](?!\()/g)].map((m) => m[1].trim());
  const isCite = (b) => b.split(/[,;]/).every((part) => known.includes(part.trim().toLowerCase()));
  const placeholder = brackets.some((b) => !isCite(b) && /^(?=.*\p{L})[\p{L}\p{N} _-]{2,40}$/u.test(b) && !["email", "phone", "card", "redacted"].includes(b.toLowerCase()));
  if (placeholder) return "placeholder";
  return brackets.some(isCite) ? "grounded" : "uncited";
}

async function guardFigures(rows, n, server) {
  // Out-of-scope golden test questions that reach the model, every locale, spread evenly.
  const fb = rows.filter((r) => r.expected === null && r.path === "fallback");
  const step = Math.max(1, fb.length / n);
  const picked = Array.from({ length: Math.min(n, fb.length) }, (_, i) => fb[Math.floor(i * step)]);
  const cache = {};
  const out = [];
  for (const q of picked) {
    const known = (cache[q.locale] ??= entries(q.locale));
    const passages = q.entries.filter((id) => known.has(id)).map((id) => ({ id, ...known.get(id) }));
    let r;
    try { r = await complete(server.base, chatBody(q.text, passages, q.locale)); } catch (e) { r = { error: e.message, text: "" }; }
    const verdict = r.text?.trim() ? guardVerdict(r.text, passages.map((p) => p.id)) : "empty";
    log(`guard ${out.length + 1}/${picked.length} [${q.locale}] ${verdict}: ${q.text} → ${JSON.stringify((r.text ?? "").slice(0, 90))}`);
    out.push({ locale: q.locale, question: q.text, passages: passages.map((p) => p.id), verdict, ttft_ms: r.ttft_ms, reply: r.text ?? "" });
  }
  return { questions: fb.length, asked: out };
}

function guardTable(g) {
  const n = g.asked.length;
  const count = (v) => g.asked.filter((x) => x.verdict === v).length;
  const replies = n - count("empty");
  const cites = count("grounded");
  return [
    "| of the replies to out-of-scope questions | share |",
    "|:---|---:|",
    `| cite a passage they were given, no placeholder (shown as an answer) | ${pct(cites, replies)} |`,
    `| cite nothing they were given | ${pct(count("uncited"), replies)} |`,
    `| hold a placeholder such as [Company Name] | ${pct(count("placeholder"), replies)} |`,
    `| **shown as answers without a citation, without the guard (every reply is shown)** | **${pct(replies - cites, replies)}** |`,
    `| **shown as answers without a citation, with the guard** | **${pct(0, replies)}** |`,
  ].join("\n") + `\n\n${n} of the ${g.questions} out-of-scope golden test questions that take the fallback path, every locale, asked once each (${count("empty")} empty or failed).`;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const load0 = loadavg()[0];
  const { rows } = await routing();
  const checks = await crossCheck(rows);
  const llm = await llmFigures(rows, args.requests);
  const load1 = loadavg()[0];
  const grounding = llm.grounding;

  const rq = llm.requests;
  const usage = rq.filter((r) => r.completion_tokens !== null);
  const FIRST_BYTE_MS = 20000; // llm_fallback::policy::Timeouts::default().first_byte_ms
  const TOTAL_MS = 30000; // and total_ms
  const llmTable = [
    "| metric | median | p90 | min – max |",
    "|:---|---:|---:|---:|",
    `| time to first token (ms) | ${f1(median(rq.map((r) => r.ttft_ms)))} | ${f1(percentile(rq.map((r) => r.ttft_ms), 0.9))} | ${f1(Math.min(...rq.map((r) => r.ttft_ms)))} – ${f1(Math.max(...rq.map((r) => r.ttft_ms)))} |`,
    `| time to first body byte (ms; the widget's first-byte timeout is ${FIRST_BYTE_MS}) | ${f1(median(rq.map((r) => r.ttfb_ms)))} | ${f1(percentile(rq.map((r) => r.ttfb_ms), 0.9))} | ${f1(Math.min(...rq.map((r) => r.ttfb_ms)))} – ${f1(Math.max(...rq.map((r) => r.ttfb_ms)))} |`,
    `| content deltas per second after the first | ${f1(median(rq.map((r) => r.deltas_per_s)))} | ${f1(percentile(rq.map((r) => r.deltas_per_s), 0.9))} | ${f1(Math.min(...rq.map((r) => r.deltas_per_s)))} – ${f1(Math.max(...rq.map((r) => r.deltas_per_s)))} |`,
    usage.length
      ? `| completion_tokens per second (usage chunk) | ${f1(median(usage.map((r) => r.tokens_per_s)))} | ${f1(percentile(usage.map((r) => r.tokens_per_s), 0.9))} | ${f1(Math.min(...usage.map((r) => r.tokens_per_s)))} – ${f1(Math.max(...usage.map((r) => r.tokens_per_s)))} |`
      : "| completion_tokens per second (usage chunk) | not sent by the server | | |",
    `| whole reply (ms) | ${f1(median(rq.map((r) => r.total_ms)))} | ${f1(percentile(rq.map((r) => r.total_ms), 0.9))} | ${f1(Math.min(...rq.map((r) => r.total_ms)))} – ${f1(Math.max(...rq.map((r) => r.total_ms)))} |`,
    `| content deltas per reply | ${f1(median(rq.map((r) => r.deltas)))} | ${f1(percentile(rq.map((r) => r.deltas), 0.9))} | ${Math.min(...rq.map((r) => r.deltas))} – ${Math.max(...rq.map((r) => r.deltas))} |`,
    `| prompt size (tokens of the message texts, /extras/tokenize/count; chars) | ${f1(median(rq.map((r) => r.prompt_tokens_approx)))} tok; ${f1(median(rq.map((r) => r.prompt_chars)))} ch | | ${Math.min(...rq.map((r) => r.prompt_tokens_approx))} – ${Math.max(...rq.map((r) => r.prompt_tokens_approx))} tok |`,
  ].join("\n");
  const late = rq.filter((r) => !(r.ttfb_ms < FIRST_BYTE_MS)).length;
  const long = rq.filter((r) => !(r.total_ms < TOTAL_MS)).length;
  const finishes = {};
  for (const r of rq) finishes[r.finish] = (finishes[r.finish] || 0) + 1;

  const warn = [];
  if (late) warn.push(`**${late} of ${rq.length} replies sent their first byte after ${FIRST_BYTE_MS} ms: the widget (default first-byte timeout ${FIRST_BYTE_MS} ms) would have given up on them.**`);
  if (long) warn.push(`**${long} of ${rq.length} replies took longer than the widget's total timeout (${TOTAL_MS} ms).**`);
  const text = [
    "### Routing of the golden test questions (kb-core decision, each asked on its page's audience)",
    "",
    routingTable(rows),
    "",
    ...checks.flatMap((c) => [c, ""]),
    `### Model server: ${llm.model} at ${llm.server} (${llm.ours ? `started by this run, up after ${f1(llm.startup_s)} s` : "already running, shared with others"})`,
    "",
    llmTable,
    "",
    `${rq.length} streamed requests after 1 warm-up (TTFT ${f1(llm.warmup.ttft_ms)} ms), sequential; English golden questions that fall back (${rq.filter((r) => r.in_scope).length} in scope, ${rq.filter((r) => !r.in_scope).length} out of scope), system prompt${args["prompt-from"] ? ` of ${args["prompt-from"]}` : ""} + the passages the widget sends (cut to ${PASSAGE_CHARS} characters). Finish reasons: ${Object.entries(finishes).map(([k, v]) => `${v} ${k}`).join(", ")}. Usage chunk: ${usage.length ? "sent" : "not sent (the server ignores stream_options)"}. Interrupted replies retried: ${llm.interrupted}. Response headers after ${f1(median(rq.map((r) => r.headers_ms)))} ms (median). For reference, the question alone (${llm.minimal.prompt_tokens_approx} tokens, no system prompt or passages): first token after ${f1(llm.minimal.ttft_ms)} ms. Load average ${load0.toFixed(2)} before, ${load1.toFixed(2)} after (2 shared cores). Node ${process.version}.`,
    ...warn.flatMap((w) => ["", w]),
    ...(grounding ? ["", `### Grounding (system prompt${args["prompt-from"] ? ` of ${args["prompt-from"]}` : ""}, passages cut to ${PASSAGE_CHARS} characters)`, "", guardTable(grounding)] : []),
  ].join("\n");
  process.stdout.write(text + "\n");
  writeFileSync(join(OUT, "llm.json"), JSON.stringify({ node: process.version, loadavg: [load0, load1], routing: rows, llm }, null, 2) + "\n");
  log(`wrote ${join(OUT, "llm.json")}`);
}

try {
  await main();
} catch (e) {
  console.error(`llm: could not measure: ${e.stack || e}`);
  process.exit(1);
}
