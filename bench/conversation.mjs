// A long conversation: how the widget holds up as messages pile up. A benchmark, not a test: it
// prints figures and a Markdown table and exits 0 unless it cannot measure.
//
//   node bench/conversation.mjs [--to 1000] [--repeat 5] [--json FILE]
//   MA_DIST=/other/dist node bench/conversation.mjs      (measure another build, e.g. an older commit)
//
// In headless Chromium, on the English pack, the conversation is grown by asking questions the
// widget answers locally (two messages each). At 10, 100 and 1,000 messages (up to --to) it
// measures, median of --repeat runs, inside the page:
//   - one more local answer: Enter → the answer's article is in the DOM and painted;
//   - one streamed LLM reply: Enter → the reply's last token is painted, against the fault server
//     streaming 10 tokens 20 ms apart (so 180 ms of it is the server's own pacing);
// and the conversation's DOM size (shadow-root nodes) at each point.
import { writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startServers, launch, hostPage, openWidget, ROOT, DIST } from "../tests/e2e/harness.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const TO = Number(args.to ?? 1000);
const REPEAT = Number(args.repeat ?? 5);
const CHECKPOINTS = [10, 100, 1000].filter((n) => n <= TO);
const log = (m) => process.stderr.write(`conversation: ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const QUESTIONS = [
  "how do i track my order", "what is your return policy", "how do i reset my password",
  "can i pay cash on delivery", "how do i cancel my order", "my voucher is not working",
];

async function faultServer() {
  const child = spawn(process.execPath, [join(ROOT, "tests", "support", "llm-fault-server.mjs"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((ok, fail) => {
    child.stdout.on("data", (d) => { const m = /listening (\d+)/.exec(String(d)); if (m) ok(Number(m[1])); });
    child.on("exit", () => fail(new Error("fault server exited")));
  });
  return { child, url: `http://127.0.0.1:${port}/drip/v1/chat/completions?interval=20` };
}

/** Runs in the page: types `text`, presses Enter, resolves with ms until `done(root)` holds and a frame painted. */
function timedAsk(page, text, kind) {
  return page.evaluate(
    ([text, kind]) =>
      new Promise((resolve) => {
        const root = document.querySelector("#market-assist").shadowRoot;
        // The newest bot message before: the reply is a newer one (the page keeps only the
        // newest messages, so counting them would stop at the cap).
        const before = [...root.querySelectorAll(".ma-bot")].at(-1);
        const done = () => {
          const last = [...root.querySelectorAll(".ma-bot")].at(-1);
          if (!last || last === before) return false;
          return kind === "answer" ? last.matches(".ma-answer") : last.matches(".ma-ai") && last.getAttribute("aria-busy") === "false";
        };
        const input = root.querySelector(".ma-input");
        input.value = text;
        input.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
        const started = performance.now();
        const observer = new MutationObserver(() => {
          if (done()) {
            observer.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - started));
          }
        });
        observer.observe(root, { childList: true, subtree: true, attributes: true });
        input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, composed: true }));
      }),
    [text, kind],
  );
}

/** Messages in the page (the widget keeps the newest 100 there). */
const inPage = (page) => page.evaluate(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-msg").length);
const domNodes = (page) => page.evaluate(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll("*").length);

const servers = await startServers();
const llm = await faultServer();
const browser = await launch();
const rows = [];
try {
  log(`measuring ${DIST}`);
  const context = await browser.newContext();
  const page = await context.newPage();
  const url = servers.page("/long", hostPage(servers.cdnUrl, { data: { pack: "kb.{locale}.idx.gz", endpoint: llm.url, "max-fallbacks": 1000 } }));
  await page.goto(url);
  await openWidget(page);
  let asked = 0;
  // The greeting, then a question and its reply per ask.
  const messageCount = () => 1 + 2 * asked;
  for (const checkpoint of CHECKPOINTS) {
    while (messageCount() < checkpoint) {
      await timedAsk(page, QUESTIONS[asked++ % QUESTIONS.length], "answer");
    }
    const at = messageCount();
    const shown = await inPage(page);
    const answers = [];
    const streams = [];
    for (let i = 0; i < REPEAT; i++) {
      answers.push(await timedAsk(page, QUESTIONS[asked++ % QUESTIONS.length], "answer"));
      streams.push(await timedAsk(page, `tell me about the moon landing number ${asked++}`, "stream"));
    }
    const row = { messages: at, inPage: shown, answerMs: median(answers), streamMs: median(streams), domNodes: await domNodes(page) };
    log(`${at} messages (${row.inPage} in the page): answer ${row.answerMs.toFixed(1)} ms, streamed reply ${row.streamMs.toFixed(1)} ms, ${row.domNodes} nodes`);
    rows.push(row);
  }
} finally {
  await browser.close();
  servers.close();
  llm.child.kill();
}
console.log("| messages (in the page) | one more local answer | one streamed reply (10 tokens, 180 ms of pacing) | shadow DOM nodes |");
console.log("|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.messages} (${r.inPage}) | ${r.answerMs.toFixed(1)} ms | ${r.streamMs.toFixed(1)} ms | ${r.domNodes} |`);
if (args.json) writeFileSync(args.json, JSON.stringify({ dist: DIST, rows }, null, 2));
