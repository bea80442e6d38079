// Hostile input through every channel the widget renders, odd input, and a host page whose
// storage throws. Each XSS test installs a trap that records any payload that runs, and walks
// the shadow root for what must never be there (see tests/support/xss-payloads.mjs).
// Prints one line per channel ("xss channel …: tried N, executed N") that the README's
// Hardening table quotes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { newPage, hostPage, embedTag, openWidget, ask, widget, useBrowser, ROOT } from "./harness.mjs";
import { answerIds, done, unexpected } from "./support.mjs";
import { PAYLOADS, installTrap, findUnsafe, seededRandom } from "../support/xss-payloads.mjs";
import { startServer } from "../support/llm-fault-server.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

/** A fresh page with the execution trap installed before any script runs. */
async function trappedPage(path, data = {}, prepare = async () => {}) {
  const [page, errors] = await newPage(browser);
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await page.addInitScript(installTrap);
  await prepare(page);
  await page.goto(servers.page(path, hostPage(servers.cdnUrl, { data: { locale: "en", ...data } })));
  return { page, errors, dialogs, found: { shadow: [], light: [] } };
}

/**
 * Walks the widget and the host page now, adding what it finds to `s.found`. The page keeps
 * its newest 100 messages, so long runs walk after every batch.
 */
async function walk(s) {
  // Give anything that would run late (onload, a focus, a refresh) the chance to.
  await s.page.waitForTimeout(200);
  const v = await s.page.evaluate(([find]) => {
    const findUnsafe = new Function(`return (${find})`)();
    const root = document.querySelector("#market-assist").shadowRoot;
    const light = [...document.querySelectorAll("img, iframe, object, embed, svg, video, form, base, meta[http-equiv]")].map((e) => e.tagName);
    return { shadow: findUnsafe(root), light };
  }, [findUnsafe.toString()]);
  s.found.shadow.push(...v.shadow);
  s.found.light.push(...v.light);
}

/** What the trap caught and what every walk found. */
async function verdict(s) {
  await walk(s);
  const hits = await s.page.evaluate(() => window.__xssHits);
  return { hits, dialogs: s.dialogs, ...s.found };
}

/** Starts a new conversation (the walk before it keeps what the old one showed). */
async function newConversation(s) {
  await walk(s);
  await widget(s.page, '.ma-header .ma-icon[aria-label="New conversation"]').click();
  await s.page.waitForFunction(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-user").length === 0);
}

/** Payload batches small enough that no message of a batch leaves the page. */
const BATCH = 20;

function assertClean(channel, v, tried) {
  console.log(`xss channel ${channel}: tried ${tried}, executed ${v.hits.length + v.dialogs.length}`);
  assert.deepEqual(v.hits, [], `${channel}: payloads ran`);
  assert.deepEqual(v.dialogs, [], `${channel}: dialogs opened`);
  assert.deepEqual(v.shadow, [], `${channel}: unsafe markup in the widget`);
  assert.deepEqual(v.light, [], `${channel}: markup reached the host page`);
}

/** One line for front matter: no newline, no `|` (the link separator), no `#` comment start. */
const oneLine = (p) => p.replace(/[\r\n]+/g, " ").replace(/\|/g, "/").replace(/(^|\s)#/g, "$1n#");

/** A word no other entry shares, so that asking it finds exactly one entry. */
function uniqueWord(n) {
  const random = seededRandom((n * 2654435761) % 4294967296);
  const consonants = "bcdfghjklmnprstvz";
  return Array.from({ length: 8 }, () => consonants[random(consonants.length) - 1]).join("");
}

/**
 * A knowledge folder with one entry per payload (in its title, questions, link label and body:
 * as text, in a list, in bold and as a link label) and a flow whose every step message and
 * choice is a payload; compiled with the real `kb build`. Returns the gzipped pack.
 */
function hostilePack() {
  const dir = mkdtempSync(join(tmpdir(), "ma-xss-"));
  mkdirSync(join(dir, "entries", "en"), { recursive: true });
  mkdirSync(join(dir, "flows", "en"), { recursive: true });
  PAYLOADS.forEach((p, i) => {
    const n = i + 1;
    const l = oneLine(p);
    writeFileSync(
      join(dir, "entries", "en", `xss-${n}.md`),
      `---\nid: xss-${n}\ntitle: Payload ${n} ${l}\nlocale: en\naudience: all\nquestions:\n  - ${uniqueWord(n)} ${l}\n  - ${uniqueWord(n)} payload\n  - ${uniqueWord(n)}\n` +
        `links:\n  - Link ${l} | https://demo-market.example/p${n}\n---\nPayload ${n}: ${p}\n\n- ${l}\n\n**${l}** and [${l}](https://demo-market.example/q${n})\n`,
    );
  });
  const steps = PAYLOADS.map((p, i) => {
    const next = i + 1 < PAYLOADS.length ? `- ${oneLine(PAYLOADS[i + 1])} -> s${i + 2}` : "=> handoff";
    return `## s${i + 1}\nStep ${i + 1}: ${oneLine(p)}\n${next}\n`;
  });
  writeFileSync(join(dir, "flows", "en", "xss-flow.md"), `---\nid: xss-flow\nlocale: en\ntitle: Payload flow ${oneLine(PAYLOADS[0])}\naudience: all\nstart: s1\n---\n\n${steps.join("\n")}`);
  const out = join(dir, "xss.idx");
  execFileSync(join(ROOT, "target", "release", "kb"), ["build", "--knowledge", dir, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
  return gzipSync(readFileSync(out));
}

test("the trap and the walk catch what they look for (else the corpus tests would prove nothing)", async () => {
  const s = await trappedPage("/xss-self-test");
  await s.page.evaluate(() => {
    const root = document.querySelector("#market-assist").shadowRoot;
    const bad = document.createElement("div");
    bad.innerHTML = '<img src=x onerror="top.__xss(\'self\')"><a href="javascript:void 0">x</a><iframe srcdoc="x"></iframe><form action="/x"></form>';
    root.appendChild(bad);
  });
  const v = await verdict(s);
  assert.deepEqual(v.hits, ["self"]);
  for (const expected of ["<img>", "onerror on <img>", 'href="javascript:void 0" on <a>', "<iframe>", "srcdoc on <iframe>", "<form> from text"]) {
    assert.ok(v.shadow.includes(expected), `the walk reports ${expected}: ${JSON.stringify(v.shadow)}`);
  }
  await done(s.page);
});

test(`XSS corpus as user questions: ${PAYLOADS.length} payloads typed, none runs, each shown as the text typed`, async () => {
  const s = await trappedPage("/xss-questions");
  await openWidget(s.page);
  for (let at = 0; at < PAYLOADS.length; at += BATCH) {
    const batch = PAYLOADS.slice(at, at + BATCH);
    for (const payload of batch) await ask(s.page, payload);
    // The composer trims what is typed; the rest is kept exactly, as text.
    assert.deepEqual(await widget(s.page, ".ma-user").allTextContents(), batch.map((p) => p.trim()));
    await newConversation(s);
  }
  assertClean("questions", await verdict(s), PAYLOADS.length);
  assert.deepEqual(unexpected(s.errors), []);
  await done(s.page);
});

test(`XSS corpus in knowledge: ${PAYLOADS.length} entries (title, questions, links, body) and a flow of as many steps and choices`, async () => {
  const pack = hostilePack();
  // The hostile pack has no semantic tier beside it (it is served from memory).
  const s = await trappedPage("/xss-knowledge", { pack: `${servers.cdnUrl}xss.idx.gz`, semantic: "off" }, (page) =>
    page.route("**/xss.idx.gz", (route) => route.fulfill({ status: 200, body: pack, headers: { "access-control-allow-origin": "*" } })),
  );
  await openWidget(s.page);
  for (let at = 0; at < PAYLOADS.length; at += BATCH) {
    const numbers = PAYLOADS.slice(at, at + BATCH).map((_, i) => at + i + 1);
    for (const n of numbers) await ask(s.page, uniqueWord(n));
    assert.deepEqual(await answerIds(s.page), numbers.map((n) => `xss-${n}`), "every hostile entry is shown");
    await newConversation(s);
  }
  // The flow: every step's message and the choice leading on are payloads.
  await s.page.evaluate(() => MarketAssist.startFlow("xss-flow"));
  for (let n = 1; n < PAYLOADS.length; n++) {
    const step = widget(s.page, ".ma-step").last();
    await step.filter({ hasText: `Step ${n}:` }).waitFor();
    await step.locator(".ma-chip").first().click();
    if (n % BATCH === 0) await walk(s);
  }
  await widget(s.page, ".ma-step").last().filter({ hasText: `Step ${PAYLOADS.length}:` }).waitFor();
  assertClean("knowledge", await verdict(s), PAYLOADS.length * 2);
  assert.deepEqual(unexpected(s.errors), []);
  await done(s.page);
});

test(`XSS corpus from the LLM: ${PAYLOADS.length} streamed replies, cut at random byte boundaries`, async () => {
  const fault = await startServer({ port: 0 });
  try {
    const s = await trappedPage("/xss-llm", {
      endpoint: `http://127.0.0.1:${fault.port}/xss/v1/chat/completions`,
      // Every question goes to the model, and the session cap does not stop the corpus.
      "answer-threshold": 1,
      "clarify-threshold": 1,
      "max-fallbacks": PAYLOADS.length + 5,
    });
    await openWidget(s.page);
    let replies = 0;
    for (let at = 0; at < PAYLOADS.length; at += BATCH) {
      const count = Math.min(BATCH, PAYLOADS.length - at);
      for (let k = 1; k <= count; k++) {
        await ask(s.page, `how do I track my order ${uniqueWord(at + k)}`);
        await s.page.waitForFunction((k) => {
          const ais = document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-ai");
          return ais.length === k && ais[k - 1].getAttribute("aria-busy") === "false";
        }, k);
      }
      // The replies arrived: each shows the text around its payload.
      const texts = await widget(s.page, ".ma-ai").allTextContents();
      replies += texts.filter((t) => t.includes("Here is what I found")).length;
      await newConversation(s);
    }
    const recorded = (await (await fetch(`http://127.0.0.1:${fault.port}/__requests`)).json()).filter((r) => r.method === "POST");
    assert.equal(recorded.length, PAYLOADS.length, "one request per payload");
    assert.equal(replies, PAYLOADS.length, "every reply was shown");
    assertClean("LLM stream", await verdict(s), PAYLOADS.length);
    assert.deepEqual(unexpected(s.errors), []);
    await done(s.page);
  } finally {
    await fault.close();
  }
});

test("odd input: blank, 100,000 characters, emoji and ZWJ, RTL and mixed scripts, control characters, the wrong language: a clear reply each time", async () => {
  const [page, errors] = await newPage(browser);
  await page.goto(servers.page("/odd", hostPage(servers.cdnUrl, { data: { locale: "en" } })));
  await openWidget(page);
  const bots = () => widget(page, ".ma-bot").count();
  // Blank input sends nothing: no message, no reply, no error.
  const before = await bots();
  for (const blank of ["", "   ", "\n\t \n"]) {
    await widget(page, ".ma-input").fill(blank);
    await widget(page, ".ma-input").press("Enter");
  }
  await page.waitForTimeout(200);
  assert.equal(await widget(page, ".ma-user").count(), 0);
  assert.equal(await bots(), before);
  // A pasted page: cut, with a visible note, and answered at once.
  const started = Date.now();
  await page.evaluate(() => MarketAssist.ask("where is my parcel ".repeat(5300)));
  await widget(page, ".ma-answer").first().waitFor();
  assert.ok(Date.now() - started < 5000, `100,000 characters answered in ${Date.now() - started} ms`);
  const user = await widget(page, ".ma-user").last().textContent();
  assert.ok(user.length <= 2000, `the question shown is cut (${user.length} characters)`);
  assert.match((await widget(page, ".ma-bot").allTextContents()).join("\n"), /only its first 2000 characters/, "a visible note says so");
  // Every other odd message gets a reply message of its own, with text in it.
  const odd = [
    "👩‍👩‍👧‍👦🧑🏽‍💻🏳️‍🌈❤️‍🔥",
    "where is my 📦 parcel 🚚??",
    "‏أين طلبي؟ where is my order",
    "\u202ewhere is my order\u202c",
    "wh\u200bere is m\u200dy par\u00adcel",
    "\u0007\u001b[31mrefund\u0000 please\u007f",
    "Z̷̡̛a̸͝l̴g̵o̶ refund",
    "我的包裹在哪里",
    "คืนเงินยังไม่ได้รับ",
  ];
  for (const text of odd) {
    const reply = await ask(page, text);
    const said = (await reply.textContent()).trim();
    assert.ok(said.length > 10, `${JSON.stringify(text)} got a reply with words: ${JSON.stringify(said)}`);
  }
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("storage that throws (private mode, quota exceeded, a host that replaces sessionStorage): the widget answers, keeps going, and throws nothing into the host page", async () => {
  const variants = {
    "every call throws": () => {
      for (const m of ["getItem", "setItem", "removeItem", "clear", "key"]) {
        Storage.prototype[m] = () => { throw new DOMException("The operation is insecure.", "SecurityError"); };
      }
    },
    "quota exceeded": () => {
      Storage.prototype.setItem = () => { throw new DOMException("Quota exceeded", "QuotaExceededError"); };
    },
    "getters throw": () => {
      for (const name of ["sessionStorage", "localStorage"]) {
        Object.defineProperty(window, name, { get() { throw new DOMException("Access is denied", "SecurityError"); } });
      }
    },
  };
  for (const [name, breakStorage] of Object.entries(variants)) {
    const [page, errors] = await newPage(browser);
    await page.addInitScript(breakStorage);
    const url = servers.page(`/storage-${name.replace(/\W+/g, "-")}`, hostPage(servers.cdnUrl, { data: { locale: "en", collect: `${servers.cdnUrl}__collect`, "collect-text": "redacted" } }));
    await page.goto(url);
    await openWidget(page);
    await ask(page, "how do i track my order");
    await widget(page, '.ma-answer[data-entry="track-order"]').waitFor();
    await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
    await widget(page, ".ma-step").first().waitFor();
    await widget(page, '.ma-header .ma-icon[aria-label="New conversation"]').click();
    await ask(page, "do coins ever expire");
    await widget(page, '.ma-answer[data-entry="coins-rewards"]').waitFor();
    // The collector URL 404s here; only that request may show in the console.
    assert.deepEqual(unexpected(errors).filter((e) => !/Failed to load resource/.test(e)), [], name);
    await done(page);
  }
});

test("embed.js included five times, and once more under a second URL: one widget, one wasm download", async () => {
  const [page, errors] = await newPage(browser);
  const wasm = [];
  page.on("request", (r) => { if (r.url().endsWith(".wasm")) wasm.push(r.url()); });
  const second = embedTag(servers.cdnUrl).replace("embed.js", "embed.js?v=2");
  const tags = embedTag(servers.cdnUrl).repeat(4) + second;
  const html = hostPage(servers.cdnUrl, { data: { locale: "en" } }).replace("</body>", `${tags}</body>`);
  assert.equal(html.split("embed.js").length - 1, 6);
  await page.goto(servers.page("/six", html));
  await openWidget(page);
  await ask(page, "wher is my parcel??");
  await page.waitForTimeout(300);
  assert.equal(await page.locator("#market-assist").count(), 1);
  assert.equal(await page.evaluate(() => document.querySelectorAll("[data-market-assist]").length), 1);
  assert.equal(await widget(page, ".ma-launcher").count(), 1);
  assert.equal(await widget(page, ".ma-answer").count(), 1);
  assert.equal(wasm.length, 1, `one wasm download: ${wasm}`);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});
