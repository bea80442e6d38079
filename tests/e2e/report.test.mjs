// `kb report --html`: a realistic synthetic week and a half of widget events (every event type,
// several sessions a day, flows walked and abandoned, feedback both ways, LLM calls with their
// first-token times and failures, question texts on some fallbacks, a <script> and an
// <img onerror> planted in them) goes through target/release/kb, and the page it writes is opened
// from a file:// URL in headless Chromium: no console error, no request at all, every chart drawn
// with the threshold in force marked, text from events shown as text. Needs only the release kb
// and Chromium (not dist/). Screenshots: tests/e2e/output/report.png and the committed
// docs/screenshots/report.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launch, newPage, ROOT, OUTPUT } from "./harness.mjs";
import { shrink } from "./png.mjs";

const KB = join(ROOT, "target", "release", "kb");
const HOSTILE = "<img src=x onerror=alert(1)>";
const SCRIPT = "<script>alert(2)</script>";
const FROM = "2026-12-01";
const TO = "2026-12-05";

/** A small deterministic PRNG (mulberry32), so the page and its screenshot are the same every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENTRIES = [
  "track-order", "cancel-order", "refund-timeline", "change-delivery-address", "card-charged-twice",
  "return-policy", "damaged-parcel", "add-bank-account", "commission-rates", "create-listing",
];
const FLOWS = {
  "where-is-my-order": { steps: ["status", "shipped", "late", "contact-courier"], end: "contact-courier" },
  "request-refund-return": { steps: ["reason", "damaged", "photos", "refund-opened"], end: "refund-opened" },
  "account-locked": { steps: ["cause", "wrong-password", "reset"], end: "reset" },
};
const THRESHOLDS = { answer: 0.67, clarify: 0.35 };
// What people typed when the knowledge fell short (pages with data-collect-text="redacted" send
// it); the same need comes back with other case and punctuation.
const UNANSWERED = [
  "Can I pay with crypto?", "can i pay with crypto", "Do you ship to Mars?", "Where is my parcel [phone]",
  `my voucher ${SCRIPT} does not work`, `refund ${HOSTILE} please`,
];

/**
 * Sessions from `firstDay` for `days` days, `perDay(day)` a day; returns
 * { events, periodSessions } where periodSessions counts the sessions inside [FROM, TO].
 */
function generate() {
  const rnd = random(20261205);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const between = (a, b) => a + rnd() * (b - a);
  const events = [];
  let n = 0;
  let periodSessions = 0;
  const start = Date.parse("2026-11-26T00:00:00Z");
  for (let day = 0; day < 10; day++) {
    const inPeriod = day >= 5;
    const sessions = inPeriod ? 12 + Math.floor(rnd() * 5) : 9 + Math.floor(rnd() * 4);
    for (let s = 0; s < sessions; s++) {
      if (inPeriod) periodSessions++;
      const session = `s${day}-${s}-${Math.floor(rnd() * 1e9).toString(36)}`;
      const locale = rnd() < 0.55 ? "en" : pick(["es", "id", "th", "vi"]);
      const audience = rnd() < 0.65 ? "buyer" : pick(["seller", "all"]);
      let t = start + day * 86_400_000 + Math.floor(between(8, 20) * 3_600_000);
      const emit = (type, fields) => {
        t += Math.floor(between(3_000, 90_000));
        events.push({
          v: 1, id: `e${++n}`, session, ts: new Date(t).toISOString(), pack: "2026.12.0", locale, audience,
          page: pick(["/", "/orders", "/help", "/seller/centre"]), type, ...fields,
        });
        return events[events.length - 1];
      };
      const question = (path, entry, confidence, kind = "answer", text = undefined) => {
        const ranked = [entry, pick(ENTRIES)];
        return emit("question", {
          question: `q${n + 1}`, path, entries: path === "reply" ? [] : ranked.slice(0, path === "clarify" ? 2 : 1),
          top: { entry, score: confidence * 0.9, confidence }, runner_up: { entry: ranked[1], score: confidence * 0.6 },
          kind, thresholds: THRESHOLDS, ...(text === undefined ? {} : { text }),
        });
      };
      emit("conversation_started", { trigger: pick(["open", "open", "new", "ask", "flow"]) });
      // Scripted sessions make sure every case is there: a flow walked to its end, one left,
      // thumbs both ways, an LLM failure (its error text echoing HTML), a person asked for.
      const script = s === 0 ? "flow-done" : s === 1 ? "flow-left" : s === 2 ? "llm-failed" : s === 3 ? "handoff" : "random";
      const turns = script === "random" ? 1 + Math.floor(rnd() * 4) : 1;
      for (let turn = 0; turn < turns; turn++) {
        const r = rnd();
        const kind = script !== "random" ? script
          : r < 0.45 ? "answer" : r < 0.55 ? "clarify" : r < 0.7 ? "fallback" : r < 0.76 ? "reply" : r < 0.84 ? "starter" : r < 0.92 ? "flow-done" : "flow-left";
        const entry = pick(ENTRIES);
        if (kind === "answer") {
          question("answer", entry, between(0.67, 0.99));
          if (rnd() < 0.6) {
            const helpful = rnd() < (entry === "refund-timeline" ? 0.2 : 0.75);
            emit("feedback", { entry, helpful, reason: null });
            if (!helpful && rnd() < 0.7) emit("feedback", { entry, helpful: false, reason: pick(["not_my_question", "unclear", "wrong"]) });
          }
          if (rnd() < 0.5) emit("resolution", { after: "answer", entry, answer: pick(["yes", "yes", "no", "none"]) });
        } else if (kind === "clarify") {
          question("clarify", entry, between(0.35, 0.67));
          if (rnd() < 0.7) emit("suggestion_taken", { entry, source: "did_you_mean" });
        } else if (kind === "fallback" || kind === "llm-failed") {
          // Two in three fallbacks carry their text; the planted markup is always among them.
          const text = kind === "llm-failed" ? UNANSWERED[day % 2 === 0 ? 4 : 5] : rnd() < 0.67 ? pick(UNANSWERED) : undefined;
          const q = question("fallback", entry, between(0.02, 0.35), "answer", text);
          const outcome = kind === "llm-failed" ? "failed" : pick(["answered", "answered", "answered", "unsure", "cached", "failed"]);
          const failed = outcome === "failed";
          emit("llm_fallback", {
            question: q.question, outcome, passages: [entry], cited: outcome === "answered" ? [entry] : [],
            error: failed ? (rnd() < 0.5 ? `HTTP 502 from the endpoint: ${HOSTILE}` : "no response in time") : null,
            ttft_ms: failed || outcome === "cached" ? null : Math.round(between(350, 2400)),
          });
          if (failed) emit("handoff_clicked", { reason: "ai_failed" });
        } else if (kind === "handoff") {
          question("handoff", "talk-to-a-person", 0.92, "handoff");
          emit("handoff_clicked", { reason: "asked" });
        } else if (kind === "reply") {
          question("reply", "smalltalk-thanks", 0.9, "smalltalk");
        } else if (kind === "starter") {
          emit("suggestion_taken", { entry, source: "starter" });
          if (rnd() < 0.5) emit("feedback", { entry, helpful: rnd() < 0.7, reason: null });
        } else {
          const name = script === "flow-done" ? "where-is-my-order" : script === "flow-left" ? "request-refund-return" : pick(Object.keys(FLOWS));
          const flow = FLOWS[name];
          // Every step shown is reached, the first one too; a flow is left at a step it reached.
          emit("flow_started", { flow: name, step: flow.steps[0] });
          const stop = kind === "flow-left" ? 1 + Math.floor(rnd() * (flow.steps.length - 1)) : flow.steps.length;
          for (const step of flow.steps.slice(0, stop)) emit("flow_step", { flow: name, step });
          if (kind === "flow-left") emit("flow_abandoned", { flow: name, step: flow.steps[stop - 1] });
          else {
            emit("flow_finished", { flow: name, step: flow.end });
            emit("resolution", { after: "flow", flow: name, answer: pick(["yes", "no", "none"]) });
          }
        }
      }
    }
  }
  // A collector may receive an event twice: the report counts it once.
  events.push({ ...events[events.length - 1] });
  return { events, periodSessions };
}

/** Writes the events as the collector does: one JSON-lines file a day. */
function writeEvents(dir, events) {
  const days = new Map();
  for (const e of events) {
    const day = e.ts.slice(0, 10);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(JSON.stringify(e));
  }
  for (const [day, lines] of days) writeFileSync(join(dir, `events-${day}.jsonl`), lines.join("\n") + "\n");
  return days.size;
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("kb report --html writes one self-contained page that a browser shows without a request or an error", async () => {
  assert.ok(existsSync(KB), "target/release/kb is not built: cargo build --release -p kb-cli");
  const dir = mkdtempSync(join(tmpdir(), "kb-report-"));
  const { events, periodSessions } = generate();
  assert.ok(events.length > 300, `a few hundred events (${events.length})`);
  const types = new Set(events.map((e) => e.type));
  assert.equal(types.size, 11, `every event type: ${[...types].join(", ")}`);
  assert.ok(writeEvents(dir, events) >= 10);
  const out = join(dir, "out", "report.html");
  const run = spawnSync(KB, ["report", dir, "--from", FROM, "--to", TO, "--html", out], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /kb report: wrote .*report\.html/);
  // The terminal summary stays short: one line per subject.
  const lines = run.stdout.trimEnd().split("\n");
  assert.ok(lines.length <= 10 && lines.every((l) => l.length <= 160), run.stdout);
  assert.match(run.stdout, /^ {2}unanswered {2}.*"can i pay with crypto" ×\d/im, "the top unanswered, grouped");
  const html = readFileSync(out, "utf8");
  assert.doesNotMatch(html, /<script/i, "the planted script is not markup");
  assert.doesNotMatch(html, /https?:\/\//i, "no URL of any kind");

  // JavaScript on, as a person opens it: planted markup that got through would run, or be
  // blocked by the page's Content-Security-Policy with a console error.
  const [page, errors] = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  const requests = [];
  const failed = [];
  const dialogs = [];
  page.on("request", (r) => { if (r.url() !== pathToFileURL(out).href) requests.push(r.url()); });
  page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(pathToFileURL(out).href, { waitUntil: "load" });

  assert.deepEqual(errors, [], "no console error");
  assert.deepEqual(failed, [], "no failed request");
  assert.deepEqual(requests, [], "the page loads nothing");
  assert.deepEqual(dialogs, [], "no planted script ran");
  assert.match(await page.title(), /Assistant report · 1 Dec – 5 Dec 2026/);

  // The headline figures, against what was generated.
  const card = (label) =>
    page.locator(".card").filter({ has: page.locator(".label", { hasText: new RegExp(`^${label}$`) }) }).locator(".value").textContent();
  assert.equal(await card("Sessions"), String(periodSessions));
  assert.match(await card("Answered locally"), /^\d+\.\d%$/);
  assert.equal(await page.locator(".card .delta").count(), 6, "every card has its change against the period before");

  // Every chart is an SVG with drawn shapes, and a legend.
  for (const id of ["trend", "funnel", "histogram", "whatif"]) {
    const svg = page.locator(`#chart-${id} svg`);
    assert.equal(await svg.count(), 1, `${id}: one <svg>`);
    const shapes = await svg.locator("polyline, line, path, rect, polygon, circle").count();
    assert.ok(shapes > 10, `${id}: ${shapes} shapes drawn`);
    const box = await svg.boundingBox();
    assert.ok(box && box.width > 400 && box.height > 150, `${id}: laid out (${JSON.stringify(box)})`);
    assert.ok((await page.locator(`#${id} .legend li`).count()) >= 3, `${id}: a legend`);
  }
  // The trend and the what-if are lines; the what-if has its three curves (answered locally,
  // fallback, precision), each a polyline of its 21 thresholds or runs of it.
  assert.ok((await page.locator("#chart-trend svg polyline").count()) >= 2, "trend lines");
  const curves = await page.locator("#chart-whatif svg polyline").evaluateAll((lines) =>
    lines.map((l) => l.getAttribute("points").trim().split(/\s+/).length).filter((n) => n > 10));
  assert.ok(curves.length >= 3, `three what-if curves: ${JSON.stringify(curves)}`);
  // The threshold in force is marked on the histogram and the curve: a dashed red line and its label.
  for (const id of ["histogram", "whatif"]) {
    const svg = page.locator(`#chart-${id} svg`);
    assert.match(await svg.textContent(), /in force 0\.67/, `${id}: the threshold's label`);
    const marks = await svg.locator("[stroke]").evaluateAll((els) =>
      els.filter((e) => /^#dc2626$/i.test(e.getAttribute("stroke"))).length);
    assert.ok(marks >= 2, `${id}: the dashed threshold line (${marks} segments)`);
  }
  const funnel = await page.locator("#chart-funnel svg").textContent();
  for (const text of ["where-is-my-order", "request-refund-return", "Started", "Finished", "left here"]) {
    assert.ok(funnel.includes(text), `the funnel shows ${text}`);
  }

  // Text from events is shown as text, never as markup.
  assert.equal(await page.locator("img, script").count(), 0, "the planted texts made no element");
  assert.ok((await page.locator("#llm").textContent()).includes(HOSTILE), "an error text shown as text");
  assert.ok((await page.locator("#entries tbody tr").count()) >= 1, "entries to look at");

  // The top unanswered questions: the same need in other case and punctuation is one row, the
  // planted markup is a question like any other.
  const rows = await page.locator("#unanswered tbody tr td:first-child").allTextContents();
  assert.ok(rows.length >= 4, rows.join(" | "));
  assert.equal(rows.filter((r) => /pay with crypto/i.test(r)).length, 1, "one row for one need");
  assert.ok(rows.includes(`my voucher ${SCRIPT} does not work`), `the script as text: ${rows.join(" | ")}`);
  assert.ok(rows.includes(`refund ${HOSTILE} please`), "the image tag as text");

  copyFileSync(out, join(OUTPUT, "report.html"));
  const shot = join(OUTPUT, "report.png");
  await page.screenshot({ path: shot, fullPage: true });
  // The committed copy, with a palette: a third of the size, the same to the eye.
  const docs = join(ROOT, "docs", "screenshots");
  mkdirSync(docs, { recursive: true });
  shrink(shot, join(docs, "report.png"));
  const size = statSync(join(docs, "report.png")).size;
  assert.ok(size < 300_000, `docs/screenshots/report.png is ${size} bytes`);
  await page.context().close();
  rmSync(dir, { recursive: true, force: true });
});

test("kb report --html renders an empty or nearly empty period with notes instead of charts", async () => {
  assert.ok(existsSync(KB), "target/release/kb is not built: cargo build --release -p kb-cli");
  const dir = mkdtempSync(join(tmpdir(), "kb-report-empty-"));
  // No events at all: a whole page that says so.
  const none = join(dir, "none");
  mkdirSync(none);
  writeFileSync(join(none, "events-2026-12-04.jsonl"), "");
  execFileSync(KB, ["report", none, "--html", join(dir, "none.html")], { stdio: "ignore" });
  const [blank, blankErrors] = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  await blank.goto(pathToFileURL(join(dir, "none.html")).href);
  assert.deepEqual(blankErrors, []);
  assert.match(await blank.title(), /no events/);
  assert.equal(await blank.locator("svg").count(), 0);
  assert.match(await blank.locator("#trend").textContent(), /No events in this period/);
  await blank.context().close();

  const base = { v: 1, session: "only", pack: "p", locale: "en", audience: "buyer", page: "/" };
  writeEvents(dir, [
    { ...base, id: "a", ts: "2026-12-04T10:00:00.000Z", type: "conversation_started", trigger: "open" },
    { ...base, id: "b", ts: "2026-12-04T10:00:05.000Z", type: "question", question: "q1", path: "reply", entries: [], top: null, runner_up: null, kind: "smalltalk", thresholds: THRESHOLDS },
  ]);
  const out = join(dir, "empty.html");
  execFileSync(KB, ["report", dir, "--html", out], { stdio: "ignore" });
  const [page, errors] = await newPage(browser, { viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  await page.goto(pathToFileURL(out).href);
  assert.deepEqual(errors, []);
  assert.equal(await page.locator("svg").count(), 0);
  for (const text of ["Only one day", "No guided flow", "no confidence to show", "No LLM calls", "No question fell back"]) {
    assert.ok((await page.locator("main").textContent()).includes(text), text);
  }
  await page.context().close();
  rmSync(dir, { recursive: true, force: true });
});
