// Staged knowledge releases in the browser (docs/releases.md), against a static server with a
// deployment's cache headers: `kb release build` writes two releases of the bundled knowledge
// (the second with one answer reworded, to tell them apart), embed.js reads the channel
// manifest (data-manifest), a candidate at share 30 reaches about 30% of fresh sessions and a
// session keeps its release across reloads; promote and rollback take effect on the next load; a
// candidate pack with a bad checksum or cut short is refused and the last good pack answers; and
// after one visit the widget answers offline, and a manifest that hangs does not hold it back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, truncateSync } from "node:fs";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIST, ROOT, asset, launch, hostPage, openWidget, ask, widget, newPage } from "./harness.mjs";
import { serve } from "../support/static-server.mjs";
import { before, after } from "node:test";

const KB = ["release", "debug"].map((p) => join(ROOT, "target", p, "kb")).find(existsSync);
const site = mkdtempSync(join(tmpdir(), "ma-releases-"));
const releases = join(site, "releases");
const kb = (...args) => execFileSync(KB, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const channel = () => JSON.parse(readFileSync(join(releases, "manifest.json"), "utf8"));
const writeChannel = (c) => writeFileSync(join(releases, "manifest.json"), JSON.stringify(c, null, 2));

/** The bundled knowledge with the tracking answer's first words changed: "r2 says: …". */
function reworded() {
  const dir = join(site, "knowledge-r2");
  cpSync(join(ROOT, "knowledge"), dir, { recursive: true });
  const entry = join(dir, "entries", "en", "track-order.md");
  const [front, ...body] = readFileSync(entry, "utf8").split("\n---\n");
  writeFileSync(entry, `${front}\n---\nRelease two says: ${body.join("\n---\n")}`);
  return dir;
}

let cdn, host, browser, pageUrl;
const pages = new Map();
before(async () => {
  assert.ok(KB, "kb is not built: run cargo build --release -p kb-cli");
  const widgetFiles = ["market-assist.js", "market-assist_bg.wasm", "widget.css", "encoder-client.js", "encoder-worker.js", "encoder_worker.js", "encoder_worker_bg.wasm"];
  for (const f of ["embed.js", "collect.js", ...widgetFiles.map(asset)]) cpSync(join(DIST, f), join(site, f));
  mkdirSync(releases);
  // Lexical releases: one with its semantic tier is built by the test of it.
  kb("release", "build", "--knowledge", join(ROOT, "knowledge"), "--out", releases, "--version", "r1", "--semantic", "off");
  kb("release", "build", "--knowledge", reworded(), "--out", releases, "--version", "r2", "--semantic", "off");
  cdn = await serve(site, 0, { cache: "deployed" });
  const base = `http://127.0.0.1:${cdn.address().port}/`;
  const { createServer } = await import("node:http");
  host = createServer((req, res) => {
    const html = pages.get(new URL(req.url, "http://x").pathname);
    // The host page may come from the browser's cache: a shop's pages usually do.
    res.writeHead(html ? 200 : 404, { "content-type": "text/html; charset=utf-8", "cache-control": "max-age=600" });
    res.end(html ?? "not found");
  });
  await new Promise((ok) => host.listen(0, "127.0.0.1", ok));
  const at = (path, data) => {
    pages.set(path, hostPage(base, { data: { manifest: `${base}releases/manifest.json`, ...data } }));
    return `http://127.0.0.1:${host.address().port}${path}`;
  };
  // Events queue up in localStorage: the collector is not there.
  pageUrl = {
    idle: at("/shop", { collect: "http://127.0.0.1:9/collect" }),
    manual: at("/count", { load: "open" }),
    // The widget's default tiers (the harness asks for the static tier alone).
    encoder: at("/encoder", { semantic: undefined }),
  };
  browser = await launch();
});
after(async () => {
  await browser?.close();
  cdn?.close();
  host?.close();
});

/** MarketAssist.version() once the widget answers from a pack. */
async function versionOnceLoaded(page) {
  await page.waitForFunction(() => window.MarketAssist?.version().knowledge);
  return page.evaluate(() => window.MarketAssist.version());
}

async function trackingAnswer(page) {
  await openWidget(page);
  const reply = await ask(page, "where is my order");
  return reply.innerText();
}

test("a candidate at share 30 reaches about 30% of fresh sessions, and a session keeps its release", async () => {
  kb("release", "set-share", "30", "--releases", releases);
  let candidates = 0;
  const SESSIONS = 200;
  for (let i = 0; i < SESSIONS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageUrl.manual);
    // data-load="open": only the manifest is read, the bucket chosen.
    await page.waitForFunction(() => window.MarketAssist?.version().channel);
    if ((await page.evaluate(() => window.MarketAssist.version().channel)) === "candidate") candidates++;
    await context.close();
  }
  // Binomial(200, 0.3): the standard deviation is 6.5 sessions; 4 of them (±26) fail 1 run in 15,000.
  assert.ok(Math.abs(candidates - 60) <= 26, `${candidates} of ${SESSIONS} sessions got the candidate`);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pageUrl.idle);
  const first = await versionOnceLoaded(page);
  assert.equal(first.knowledge, first.channel === "candidate" ? "r2" : "r1", JSON.stringify(first));
  assert.equal(first.widget, "0.1.0");
  for (let i = 0; i < 4; i++) {
    await page.reload();
    assert.deepEqual(await versionOnceLoaded(page), first, "the release changed on reload");
  }
  await context.close();
});

test("promote and rollback take effect on the next load", async () => {
  const c = channel();
  c.candidate.share = 0;
  writeChannel(c);
  const [page] = await newPage(browser);
  await page.goto(pageUrl.idle);
  assert.equal((await versionOnceLoaded(page)).knowledge, "r1");
  assert.doesNotMatch(await trackingAnswer(page), /Release two says/);

  kb("release", "promote", "--releases", releases);
  await page.reload();
  assert.deepEqual(await versionOnceLoaded(page), { widget: "0.1.0", knowledge: "r2", channel: "stable" });
  assert.match(await trackingAnswer(page), /Release two says/);

  kb("release", "rollback", "--releases", releases);
  await page.reload();
  assert.equal((await versionOnceLoaded(page)).knowledge, "r1");
  assert.doesNotMatch(await trackingAnswer(page), /Release two says/);
  await page.context().close();
});

/** A copy of release r2 as `version` whose English pack is damaged by `damage(path)`; it is made
 *  the candidate for every session. */
function damagedCandidate(version, damage) {
  cpSync(join(releases, "r2"), join(releases, version), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(releases, version, "manifest.json"), "utf8"));
  manifest.version = version;
  const pack = manifest.packs.en;
  damage(join(releases, version, pack.file), pack);
  writeFileSync(join(releases, version, "manifest.json"), JSON.stringify(manifest));
  const c = channel();
  c.candidate = { version, base: `${version}/`, packs: manifest.packs, share: 100 };
  writeChannel(c);
}

for (const [name, damage, why] of [
  ["a bad checksum", (file) => { const b = readFileSync(file); b[b.length >> 1] ^= 1; writeFileSync(file, b); }, /checksum mismatch/],
  // Cut short after its checksum was taken (an upload that stopped halfway, then hashed).
  ["a pack cut short", (file, pack) => {
    truncateSync(file, pack.bytes >> 1);
    pack.sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
    pack.bytes >>= 1;
  }, /cut short or damaged/],
]) {
  test(`a candidate with ${name} is refused and the last good pack answers`, async () => {
    const [page, errors] = await newPage(browser);
    await page.goto(pageUrl.idle);
    assert.equal((await versionOnceLoaded(page)).knowledge, "r1");
    damagedCandidate(`bad-${name.length}`, damage);
    await page.reload();
    const version = await versionOnceLoaded(page);
    assert.deepEqual(version, { widget: "0.1.0", knowledge: "r1", channel: "candidate" });
    assert.ok(errors.some((e) => why.test(e)), errors.join("\n"));
    assert.match(await trackingAnswer(page), /order/i);
    assert.ok((await widget(page, ".ma-answer").count()) > 0);
    // Its analytics events name the release that answered.
    const queued = () => page.evaluate(() => JSON.parse(localStorage.getItem("market-assist:events:v1") || '{"events":[]}').events);
    let questions = [];
    for (let i = 0; i < 50 && !questions.length; i++) {
      questions = (await queued()).filter((e) => e.type === "question");
      if (!questions.length) await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.ok(questions.length > 0 && questions.every((e) => e.pack === "r1"), JSON.stringify(await queued()));
    kb("release", "rollback", "--releases", releases);
    await page.context().close();
  });
}

test("a release with its semantic tier: the widget attaches the manifest's file, and refuses a damaged one", async () => {
  kb("release", "build", "--knowledge", join(ROOT, "knowledge"), "--out", releases, "--version", "r3", "--semantic", "static");
  const built = JSON.parse(readFileSync(join(releases, "r3", "manifest.json"), "utf8"));
  const file = built.semantic.en.file;
  const use = (version, manifest) => {
    const c = channel();
    c.candidate = { version, base: `${version}/`, packs: manifest.packs, semantic: manifest.semantic, share: 100 };
    writeChannel(c);
  };
  use("r3", built);
  const [page, errors] = await newPage(browser);
  const lines = [];
  page.on("console", (m) => lines.push(m.text()));
  await page.goto(pageUrl.idle);
  assert.equal((await versionOnceLoaded(page)).knowledge, "r3");
  await openWidget(page);
  for (let i = 0; i < 100 && !lines.some((l) => l.includes("semantic tier attached")); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(lines.some((l) => l.includes("semantic tier attached") && l.includes(`/releases/r3/${file})`)), lines.join("\n"));
  // Meaning, not words: the semantic tier's own example, answered from the release.
  await ask(page, "can I pay when the courier hands it to me");
  await widget(page, '.ma-answer[data-entry="cash-on-delivery"]').waitFor({ timeout: 5000 });
  assert.deepEqual(errors.filter((e) => !/favicon/i.test(e)), []);
  await page.context().close();

  // A copy whose semantic file was changed after its checksum was taken.
  cpSync(join(releases, "r3"), join(releases, "r3-bad"), { recursive: true });
  const sem = join(releases, "r3-bad", file);
  const bytes = readFileSync(sem);
  bytes[bytes.length >> 1] ^= 1;
  writeFileSync(sem, bytes);
  use("r3-bad", built);
  const [bad] = await newPage(browser);
  const said = [];
  bad.on("console", (m) => said.push(m.text()));
  await bad.goto(pageUrl.idle);
  assert.equal((await versionOnceLoaded(bad)).knowledge, "r3-bad");
  for (let i = 0; i < 100 && !said.some((l) => l.includes("semantic tier") && l.includes("checksum mismatch")); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(said.some((l) => l.includes(file) && /checksum mismatch.*answering without it/.test(l)), said.join("\n"));
  assert.ok(!said.some((l) => l.includes("semantic tier attached")), said.join("\n"));
  assert.match(await trackingAnswer(bad), /order/i);
  kb("release", "rollback", "--releases", releases);
  await bad.context().close();
});

/** A release folder assembled from dist/'s English pack, semantic file and encoder (what
 *  scripts/build.sh built with `--semantic encoder`), described as `kb release build` describes
 *  files; `tamper` may change the manifest after. */
function encoderRelease(version, tamper = () => {}) {
  const dir = join(releases, version);
  mkdirSync(dir, { recursive: true });
  const describe = (name) => {
    const bytes = readFileSync(join(DIST, name));
    cpSync(join(DIST, name), join(dir, name));
    const inflated = gunzipSync(bytes).length;
    return { file: name, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), inflated_bytes: inflated };
  };
  const manifest = { version, base: `${version}/`, packs: { en: { ...describe("kb.en.idx.gz"), entries: 0, flows: 0 } }, semantic: { en: describe("kb.en.sem.gz") }, encoder: describe("encoder.kben.gz") };
  tamper(manifest);
  const c = channel();
  c.candidate = { ...manifest, share: 100 };
  writeChannel(c);
}

/** A fresh browser context on the encoder page, open once release `version` answers, with its
 *  console lines collected. */
async function onRelease(version) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const lines = [];
  page.on("console", (m) => lines.push(m.text()));
  await page.goto(pageUrl.encoder);
  assert.equal((await versionOnceLoaded(page)).knowledge, version);
  await openWidget(page);
  return { context, page, lines };
}

test("a release with the encoder tier: the worker loads the manifest's file, checked against its checksum", async () => {
  encoderRelease("r4");
  const { context, page, lines } = await onRelease("r4");
  for (let i = 0; i < 100 && !lines.some((l) => l.includes("semantic tier attached")); i++) await new Promise((ok) => setTimeout(ok, 100));
  await ask(page, "somebody is pretending to be your staff on whatsapp");
  await widget(page, '.ma-clarify .ma-chip[data-entry="phishing-scam"]').first().waitFor({ timeout: 60000 });
  assert.ok(lines.some((l) => l.includes("encoder tier loaded") && l.includes("/releases/r4/encoder.kben.gz")), lines.join("\n"));
  await context.close();

  // The manifest's checksum is not the file's: the worker refuses it, the chat goes on.
  encoderRelease("r4-bad", (m) => (m.encoder.sha256 = "0".repeat(64)));
  const { context: other, page: bad, lines: said } = await onRelease("r4-bad");
  await ask(bad, "somebody is pretending to be your staff on whatsapp");
  assert.ok(said.some((l) => /encoder tier .*checksum mismatch.*answering without it/.test(l)), said.join("\n"));
  assert.equal(await widget(bad, '.ma-clarify .ma-chip[data-entry="phishing-scam"]').count(), 0);
  kb("release", "rollback", "--releases", releases);
  await other.close();
});

test("after one visit the widget answers offline", async () => {
  const [page] = await newPage(browser);
  await page.goto(pageUrl.idle);
  const online = await versionOnceLoaded(page);
  await page.context().setOffline(true);
  // A new visit (a reload would revalidate the page itself, which offline cannot).
  await page.goto("about:blank");
  await page.goto(pageUrl.idle);
  assert.deepEqual(await versionOnceLoaded(page), online);
  const text = await trackingAnswer(page);
  assert.ok((await widget(page, ".ma-answer").count()) > 0, text);
  await page.context().close();
});

test("a channel manifest that hangs does not hold the widget back: the last one read serves", async () => {
  const [page] = await newPage(browser);
  await page.goto(pageUrl.idle);
  const before = await versionOnceLoaded(page);
  await page.route("**/releases/manifest.json", () => {}); // never answered
  await page.reload();
  const started = Date.now();
  assert.deepEqual(await versionOnceLoaded(page), before);
  // Without a time limit the widget would wait for the manifest for ever (and this would time out).
  assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
  await page.context().close();
});

test("a damaged channel manifest, with a damaged one kept from before, is named in the console and the widget still opens", async () => {
  const [page, errors] = await newPage(browser);
  await page.route("**/releases/manifest.json", (route) => route.fulfill({ status: 200, contentType: "application/json", body: "{not json" }));
  const url = `http://127.0.0.1:${cdn.address().port}/releases/manifest.json`;
  await page.addInitScript((u) => localStorage.setItem("market-assist:manifest:v1", JSON.stringify({ url: u, text: '{"stable": null}' })), url);
  await page.goto(pageUrl.idle);
  await widget(page, ".ma-launcher").click();
  await widget(page, ".ma-panel").waitFor();
  assert.ok(errors.some((e) => /release manifest .*manifest\.json/.test(e)), errors.join("\n"));
  assert.equal(await page.evaluate(() => window.MarketAssist.version().channel), null);
  await page.context().close();
});
