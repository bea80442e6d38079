// Endurance: 10,000 questions in a row in one session, with the LLM endpoint and the analytics
// collector down the whole time. A benchmark, not a test: it prints figures and a Markdown
// table, and exits 1 only when it cannot measure or a reply does not come.
//
//   node bench/endurance.mjs [--questions 10000] [--services off] [--json FILE]
//   (checkpoints 100, 1,000, 10,000, …, and the total)
//
// In headless Chromium on the English pack, questions are asked through MarketAssist.ask, one
// after another, each awaited until its reply is in the DOM; one in 25 is out of scope, so it
// goes for the (unreachable) LLM and then to a person. At 100, 1,000 and 10,000 questions (and
// 20,000 and 30,000 when asked for more, and the total) it records the wasm linear memory, the
// JS heap, the shadow DOM size, and what the widget keeps in sessionStorage (the conversation)
// and localStorage (the analytics queue).
import { writeFileSync } from "node:fs";
import { startServers, launch, hostPage, openWidget } from "../tests/e2e/harness.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const TOTAL = Number(args.questions ?? 10000);
const CHECKPOINTS = [100, 1000, 10000, 20000, 30000].filter((n) => n < TOTAL).concat(TOTAL);
const log = (m) => process.stderr.write(`endurance: ${m}\n`);

const IN_SCOPE = [
  "how do i track my order", "what is your return policy", "how do i reset my password",
  "can i pay cash on delivery", "how do i cancel my order", "my voucher is not working",
];
const OUT_OF_SCOPE = ["what time is it in new york", "recommend a good pizza recipe", "which planet is the largest"];

/** Runs before any page script: keeps a handle on the wasm module's memory. */
function captureWasmMemory() {
  const keep = (result) => {
    const instance = result.instance ?? result;
    if (instance?.exports?.memory) window.__wasmMemory = instance.exports.memory;
    return result;
  };
  const streaming = WebAssembly.instantiateStreaming;
  const plain = WebAssembly.instantiate;
  WebAssembly.instantiateStreaming = (...a) => streaming.apply(WebAssembly, a).then(keep);
  WebAssembly.instantiate = (...a) => plain.apply(WebAssembly, a).then(keep);
}

/** Asks `questions` in the page, each awaited until a newer bot message has settled. */
function askAll(page, questions) {
  return page.evaluate(async (questions) => {
    const root = document.querySelector("#market-assist").shadowRoot;
    const settled = (before) => {
      const last = [...root.querySelectorAll(".ma-bot")].at(-1);
      return last && last !== before && last.getAttribute("aria-busy") !== "true" && !root.querySelector(".ma-typing");
    };
    for (const q of questions) {
      const before = [...root.querySelectorAll(".ma-bot")].at(-1);
      MarketAssist.ask(q);
      const started = performance.now();
      while (!settled(before)) {
        if (performance.now() - started > 15000) throw new Error(`no reply to ${JSON.stringify(q)}`);
        await new Promise((ok) => setTimeout(ok, 1));
      }
    }
  }, questions);
}

function measure(page) {
  return page.evaluate(() => {
    const bytes = (storage) => {
      try {
        let n = 0;
        for (let i = 0; i < storage.length; i++) n += storage.key(i).length + (storage.getItem(storage.key(i)) ?? "").length;
        return n * 2;
      } catch {
        return null;
      }
    };
    return {
      wasm: window.__wasmMemory?.buffer.byteLength ?? null,
      jsHeap: performance.memory?.usedJSHeapSize ?? null,
      nodes: document.querySelector("#market-assist").shadowRoot.querySelectorAll("*").length,
      session: bytes(sessionStorage),
      local: bytes(localStorage),
    };
  });
}

const servers = await startServers();
const browser = await launch();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(captureWasmMemory);
  // Port 9 (discard) on localhost refuses connections: both services are down for the session.
  const data = { locale: "en", endpoint: "http://127.0.0.1:9/v1/chat/completions", collect: "http://127.0.0.1:9/collect", "collect-text": "redacted", "first-byte-timeout": 500 };
  // --services off: no endpoint and no collector, to tell their share of the memory apart.
  if (args.services === "off") for (const k of ["endpoint", "collect", "collect-text"]) delete data[k];
  await page.goto(servers.page("/endurance", hostPage(servers.cdnUrl, { data })));
  await openWidget(page);
  const rows = [];
  let asked = 0;
  const started = Date.now();
  for (const checkpoint of CHECKPOINTS) {
    const batch = [];
    for (let i = asked; i < checkpoint; i++) batch.push(i % 25 === 24 ? OUT_OF_SCOPE[i % 3] : IN_SCOPE[i % IN_SCOPE.length]);
    for (let at = 0; at < batch.length; at += 500) await askAll(page, batch.slice(at, at + 500));
    asked = checkpoint;
    // Let the browser collect garbage before reading the heap (the figure is what is kept).
    await page.evaluate(() => new Promise((ok) => setTimeout(ok, 500)));
    const m = { questions: checkpoint, ...(await measure(page)), seconds: (Date.now() - started) / 1000 };
    rows.push(m);
    log(JSON.stringify(m));
  }
  if (errors.length) log(`page errors: ${errors.join("; ")}`);
  const mib = (b) => (b == null ? "—" : `${(b / 1048576).toFixed(1)} MiB`);
  const kib = (b) => (b == null ? "—" : `${(b / 1024).toFixed(0)} KiB`);
  console.log("| questions | wasm memory | JS heap | shadow DOM nodes | sessionStorage | localStorage | elapsed |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.questions.toLocaleString("en")} | ${mib(r.wasm)} | ${mib(r.jsHeap)} | ${r.nodes.toLocaleString("en")} | ${kib(r.session)} | ${kib(r.local)} | ${r.seconds.toFixed(0)} s |`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ rows, errors }, null, 2));
  await context.close();
} finally {
  await browser.close();
  servers.close();
}
