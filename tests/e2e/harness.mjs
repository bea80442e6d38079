// Shared set-up for the browser tests: the built widget (dist/) served from one origin like a
// CDN, host pages served from another, and headless Chromium kept on 127.0.0.1.
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";
import { serve } from "../support/static-server.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The built widget: dist/, or another build (MA_DIST) to measure an older commit side by side. */
export const DIST = process.env.MA_DIST || join(ROOT, "dist");
export const OUTPUT = join(ROOT, "tests", "e2e", "output");

/** The name in dist/ of a widget file as built (`market-assist_bg.wasm` → its hashed name). */
export function asset(name) {
  const assets = join(DIST, "assets.json");
  if (!existsSync(assets)) throw new Error("dist/ is not built: run scripts/build.sh first");
  const hashed = JSON.parse(readFileSync(assets, "utf8"))[name];
  if (!hashed) throw new Error(`dist/assets.json does not name ${name}`);
  return hashed;
}

/** Starts the CDN server for dist/ and a host server whose pages are registered by path. */
export async function startServers() {
  if (![asset("market-assist_bg.wasm"), "kb.idx", "kb.idx.gz", "kb.en.idx.gz"].every((f) => existsSync(join(DIST, f)))) {
    throw new Error("dist/ is not built: run scripts/build.sh first");
  }
  const cdn = await serve(DIST);
  const pages = new Map();
  const host = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const page = pages.get(path);
    res.writeHead(page ? 200 : 404, { "content-type": "text/html; charset=utf-8", ...page?.headers });
    res.end(page?.html ?? "not found");
  });
  await new Promise((ok) => host.listen(0, "127.0.0.1", ok));
  const cdnUrl = `http://127.0.0.1:${cdn.address().port}/`;
  const hostUrl = `http://127.0.0.1:${host.address().port}`;
  return {
    cdnUrl,
    hostUrl,
    /** Registers a host page, sent with `headers` (e.g. a Content-Security-Policy); returns its URL. */
    page(path, html, headers = {}) {
      pages.set(path, { html, headers });
      return hostUrl + path;
    },
    close() {
      cdn.close();
      host.close();
    },
  };
}

/** The one script tag a page owner writes. */
export function embedTag(cdnUrl, data = {}) {
  // The tests were written for the pack and the static tier: the encoder tier (the widget's
  // default) is asked for by the tests of it, with `semantic: undefined` (no attribute).
  const attrs = Object.entries({ semantic: "static", ...data })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` data-${k}="${String(v).replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`)
    .join("");
  return `<script src="${cdnUrl}embed.js" async${attrs}></script>`;
}

/** A plain host page around `body`, with the embed tag. */
export function hostPage(cdnUrl, { data = {}, head = "", body = "<main><h1>Shop</h1><p>Welcome.</p></main>", lang = "en" } = {}) {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Host</title>${head}</head><body>${body}${embedTag(cdnUrl, data)}</body></html>`;
}

/** Headless Chromium that only talks to 127.0.0.1. */
export async function launch() {
  const scratch = mkdtempSync(join(tmpdir(), "ma-e2e-"));
  process.env.TMPDIR = scratch;
  mkdirSync(OUTPUT, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
      "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ],
  });
}

/** A page that fails the test on uncaught errors; returns [page, errors]. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  return [page, errors];
}

/** Locator inside the widget's (open) shadow root; Playwright's CSS pierces it. */
export function widget(page, selector) {
  return page.locator(`#market-assist ${selector}`);
}

/** Opens the panel and waits until the knowledge pack is loaded. */
export async function openWidget(page) {
  await widget(page, ".ma-launcher").click();
  await widget(page, ".ma-panel").waitFor();
  await page.waitForFunction(() => {
    const root = document.querySelector("#market-assist")?.shadowRoot;
    return root && root.querySelector(".ma-input") && !root.querySelector(".ma-note[role=status]");
  });
}

/** Types a question and presses Enter; resolves with the new bot message's locator. */
export async function ask(page, text) {
  const before = await widget(page, ".ma-bot").count();
  await widget(page, ".ma-input").fill(text);
  await widget(page, ".ma-input").press("Enter");
  await page.waitForFunction((n) => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-bot").length > n, before);
  return widget(page, ".ma-bot").last();
}

/** Starts the servers and Chromium before a test file's tests and stops them after;
 *  `ready(servers, browser)` receives them once they are up. */
export function useBrowser(ready) {
  let servers, browser;
  before(async () => {
    servers = await startServers();
    browser = await launch();
    ready(servers, browser);
  });
  after(async () => {
    await browser?.close();
    servers?.close();
  });
}
