// The widget as a host page sees it: cross-origin embed, lazy loading, real questions from the
// knowledge base, "did you mean", starters and as-you-type suggestions, the JS API, persistence
// across reloads, the composer's keys, and untrusted text never becoming HTML.
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";
import { newPage, hostPage, embedTag, openWidget, ask, widget, useBrowser, asset, DIST } from "./harness.mjs";
import { entryField, featuredIds, inShadow, answerIds, waitForAnswer, waitForBotCount, done, unexpected, kbSearch, clarifyChoices } from "./support.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

/** Opens a fresh host page (own browser context) and returns [page, errors, requests]. */
async function visit(path, options = {}, contextOptions = {}) {
  const [page, errors] = await newPage(browser, contextOptions);
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const url = servers.page(path, options.html ?? hostPage(servers.cdnUrl, options));
  await page.goto(url);
  return [page, errors, requests];
}

const wasmRequested = (requests) => requests.filter((u) => u.endsWith(asset("market-assist_bg.wasm"))).length;

test("embeds cross-origin: host page on one origin, script, wasm, css and pack from the CDN", async () => {
  const [page, errors, requests] = await visit("/cross");
  await openWidget(page);
  const hostOrigin = new URL(page.url()).origin;
  const cdnOrigin = new URL(servers.cdnUrl).origin;
  assert.notEqual(hostOrigin, cdnOrigin);
  for (const file of ["embed.js", ...["market-assist.js", "market-assist_bg.wasm", "widget.css"].map(asset), "kb.idx.gz"]) {
    const hit = requests.find((u) => new URL(u).pathname === `/${file}`);
    assert.ok(hit, `${file} was requested`);
    assert.equal(new URL(hit).origin, cdnOrigin, `${file} comes from the CDN origin`);
  }
  // One host element with an open shadow root; the panel lives inside it, not in the light DOM.
  assert.equal(await page.locator("#market-assist").count(), 1);
  assert.equal(await page.evaluate(() => document.querySelectorAll(".ma-panel").length), 0);
  assert.equal(await inShadow(page, (r) => r.querySelectorAll(".ma-panel").length), 1);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("the pack loads as a gzip file (the default kb.idx.gz) and as kb.idx sent with Content-Encoding", async () => {
  for (const [pack, encoded] of [[undefined, false], ["kb.idx", true]]) {
    const [page, errors] = await visit(`/pack-${encoded}`, { data: pack ? { pack } : {} });
    const response = page.waitForResponse((r) => /\/kb\.idx(\.gz)?$/.test(new URL(r.url()).pathname));
    await openWidget(page);
    const r = await response;
    assert.equal(new URL(r.url()).pathname, encoded ? "/kb.idx" : "/kb.idx.gz");
    assert.equal(r.headers()["content-encoding"] ?? null, encoded ? "gzip" : null);
    // Playwright hands over the body as the page received it: gzip bytes the widget inflates
    // itself, or the index the browser already inflated.
    const magic = [...(await r.body()).subarray(0, 4)];
    assert.deepEqual(magic.slice(0, encoded ? 4 : 2), encoded ? [0x4b, 0x42, 0x49, 0x58] : [0x1f, 0x8b]);
    await ask(page, "how do I track my order");
    await waitForAnswer(page, "track-order");
    assert.deepEqual(unexpected(errors), []);
    await done(page);
  }
});

test("data-pack with {locale} loads only the page language's pack, and another after setContext({locale})", async () => {
  const [page, errors, requests] = await visit("/pack-locale", { lang: "id", data: { pack: "kb.{locale}.idx.gz" } });
  await openWidget(page);
  const packs = () => requests.map((u) => new URL(u).pathname).filter((p) => /^\/kb[^/]*\.idx/.test(p));
  assert.deepEqual(packs(), ["/kb.id.idx.gz"]);
  const title = (reply) => reply.locator(".ma-answer-title").textContent();
  let reply = await ask(page, "paket saya di mana sekarang");
  assert.equal(await reply.getAttribute("data-entry"), "track-order");
  assert.equal(await title(reply), entryField("id", "track-order", "title"));
  await page.evaluate(() => MarketAssist.setContext({ locale: "es" }));
  reply = await ask(page, "dónde está mi paquete");
  assert.equal(await reply.getAttribute("data-entry"), "track-order");
  assert.equal(await title(reply), entryField("es", "track-order", "title"));
  assert.deepEqual(packs(), ["/kb.id.idx.gz", "/kb.es.idx.gz"]);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("the launcher is drawn before the wasm loads, and a click before load opens the panel after it", async () => {
  const [page, errors] = await newPage(browser);
  let release;
  const gate = new Promise((ok) => (release = ok));
  await page.route(`**/${asset("market-assist_bg.wasm")}`, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(servers.page("/early", hostPage(servers.cdnUrl)));
  const launcher = widget(page, ".ma-launcher");
  await launcher.waitFor({ state: "visible" });
  const box = await launcher.boundingBox();
  assert.equal(Math.round(box.width), 60);
  assert.equal(Math.round(box.height), 60);
  // Bottom-right corner, 20 px from the edges.
  const vp = page.viewportSize();
  assert.equal(Math.round(vp.width - box.x - box.width), 20);
  assert.equal(Math.round(vp.height - box.y - box.height), 20);
  assert.equal(await launcher.getAttribute("aria-label"), "Open help chat");
  // Still the placeholder: the wasm app has not mounted.
  assert.equal(await inShadow(page, (r) => !!r.querySelector(".ma-root")), false);
  await launcher.click();
  assert.equal(await inShadow(page, (r) => !!r.querySelector(".ma-panel")), false);
  release();
  await widget(page, ".ma-panel").waitFor();
  await widget(page, ".ma-input").waitFor();
  assert.equal(await widget(page, ".ma-launcher").count(), 1, "placeholder replaced, not duplicated");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("a bundle that cannot load: the launcher says so in the page's language and offers the handoff; a later click retries", async () => {
  const [page, errors] = await newPage(browser);
  let broken = true;
  await page.route(`**/${asset("market-assist_bg.wasm")}`, (route) => (broken ? route.fulfill({ status: 503, body: "down" }) : route.continue()));
  const handoff = "https://help.demo-market.example/contact";
  await page.goto(servers.page("/unavailable", hostPage(servers.cdnUrl, { lang: "es", data: { "handoff-url": handoff, load: "open" } })));
  await widget(page, ".ma-launcher").click();
  const notice = widget(page, ".ma-unavailable[role=alert]");
  await notice.waitFor();
  assert.equal(await notice.locator("p").textContent(), "La ayuda no está disponible ahora. Inténtalo de nuevo en un momento.");
  const link = notice.locator("a");
  assert.equal(await link.getAttribute("href"), handoff);
  assert.equal(await link.getAttribute("rel"), "noopener");
  assert.equal(await link.textContent(), "Hablar con una persona");
  // The notice sits above the launcher, inside the viewport.
  const [n, l] = [await notice.boundingBox(), await widget(page, ".ma-launcher").boundingBox()];
  assert.ok(n.y + n.height <= l.y && n.x >= 0, `notice ${JSON.stringify(n)} above launcher ${JSON.stringify(l)}`);
  // The CDN is back: the next click loads the widget, opens it, and the notice goes.
  broken = false;
  await widget(page, ".ma-launcher").click();
  await widget(page, ".ma-panel").waitFor();
  assert.equal(await widget(page, ".ma-unavailable").count(), 0);
  assert.equal(await widget(page, ".ma-launcher").count(), 1);
  const unrelated = unexpected(errors).filter((e) => !/could not load the widget|503|Failed to load resource|WebAssembly/.test(e));
  assert.deepEqual(unrelated, []);
  await done(page);
});

const GOLDEN = [
  ["wher is my parcel??", "track-order"],
  ["how do i print the shipping label", "print-shipping-label"],
  ["forgot my pasword how do i get back in", "reset-password"],
  ["my payment keeps failing at checkout", "payment-failed"],
  ["courier told me they lost my parcel, do i get my money back", "parcel-lost"],
  ["do coins ever expire", "coins-rewards"],
  ["i want to start selling on demo market", "seller-registration"],
];

test("real questions get the expected answers", async () => {
  const [page, errors] = await visit("/golden");
  await openWidget(page);
  for (const [question, id] of GOLDEN) {
    const reply = await ask(page, question);
    const got = await reply.getAttribute("data-entry");
    // On a miss, say what the index itself decides, to tell a knowledge change from a widget bug.
    const why = () => { const r = kbSearch(question); return `kb search: ${r.decision} ${r.confidence.toFixed(2)} ${r.hits.slice(0, 3).map((h) => h.id)}`; };
    assert.equal(got, id, got === id ? "" : `"${question}" → ${id}; widget showed ${got ?? (await reply.getAttribute("class"))}; ${why()}`);
    assert.equal(await reply.locator(".ma-answer-title").textContent(), entryField("en", id, "title"));
  }
  // The user's words are shown as their own bubbles, in order.
  const users = await widget(page, ".ma-user").allTextContents();
  assert.deepEqual(users, GOLDEN.map(([q]) => q));
  // Markdown in an answer is rendered (bold, list, vetted links open in a new tab).
  const track = widget(page, '.ma-answer[data-entry="track-order"]');
  assert.ok((await track.locator("strong").count()) > 0);
  assert.ok((await track.locator("ol > li").count()) >= 2);
  for (const rel of await track.locator("a").evaluateAll((as) => as.map((a) => a.rel + "|" + a.target))) {
    assert.equal(rel, "noopener noreferrer|_blank");
  }
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("locale: data-locale=id answers an Indonesian question in Indonesian", async () => {
  const [page, errors] = await visit("/id", { data: { locale: "id" } });
  await openWidget(page);
  assert.equal(await widget(page, ".ma-input").getAttribute("placeholder"), "Tulis pertanyaan…");
  assert.equal(await widget(page, ".ma-root").getAttribute("lang"), "id");
  const reply = await ask(page, "kata kurir paketku hilang, duitku balik ga");
  assert.equal(await reply.getAttribute("data-entry"), "parcel-lost");
  assert.equal(await reply.locator(".ma-answer-title").textContent(), entryField("id", "parcel-lost", "title"));
  assert.equal(await reply.locator(".ma-fb").first().getAttribute("aria-label"), "Membantu");
  const reply2 = await ask(page, "udh transfer sejam lalu statusnya masih belum bayar");
  assert.equal(await reply2.getAttribute("data-entry"), "payment-pending");
  assert.equal(await reply2.locator(".ma-answer-title").textContent(), entryField("id", "payment-pending", "title"));
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("locale: without data-locale the page's <html lang=th> picks Thai", async () => {
  const [page, errors] = await visit("/th", { lang: "th" });
  await openWidget(page);
  const reply = await ask(page, "พัสดุของฉันอยู่ที่ไหน");
  assert.equal(await reply.getAttribute("data-entry"), "track-order");
  assert.equal(await reply.locator(".ma-answer-title").textContent(), entryField("th", "track-order", "title"));
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

/** Asserts the newest bot message is a "did you mean" with exactly `expected` choices. */
async function assertClarify(page, reply, expected) {
  assert.match(await reply.getAttribute("class"), /\bma-clarify\b/, "a clarify message, not an answer");
  assert.equal(await reply.locator("p").first().textContent(), "Did you mean one of these?");
  const ids = await reply.locator(".ma-chip[data-entry]").evaluateAll((b) => b.map((x) => x.dataset.entry));
  assert.deepEqual(ids, expected);
  assert.deepEqual(await reply.locator(".ma-chip[data-entry]").allTextContents(), expected.map((id) => entryField("en", id, "title")));
  assert.equal(await reply.locator(".ma-chip.ma-quiet").textContent(), "None of these");
}

test('"did you mean" for a query the index puts in the clarify band (default calibration)', async () => {
  // Which query lands in the clarify band depends on the knowledge and its calibration, so ask
  // the index (kb CLI on the same dist/kb.idx) for one, then check the widget agrees exactly.
  const candidates = ["refund", "voucher", "account", "seller", "payment", "order", "return", "cancel", "problem with order",
    "how to open a seller acount", "how to make a demo market acount", "tracking hasnt moved since friday", "i made a shop, how do i put items up for sale now"];
  let query, result;
  for (const q of candidates) {
    const r = kbSearch(q);
    if (r.decision === "Clarify" && clarifyChoices(r).length >= 2) { query = q; result = r; break; }
  }
  assert.ok(query, "one of the candidate queries is in the clarify band (else the calibration leaves no clarify band)");
  const [page, errors] = await visit("/clarify-default");
  await openWidget(page);
  const reply = await ask(page, query);
  await assertClarify(page, reply, clarifyChoices(result));
  assert.equal(await widget(page, ".ma-answer").count(), 0, "no answer guessed");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test('"did you mean" for the one-word query "refund" (page-set thresholds); picking one answers it, "none" hands off', async () => {
  // data-answer-threshold / data-clarify-threshold are the page owner's knobs; with a strict
  // answer threshold a bare "refund" must be clarified, with the index's own candidates.
  const expected = clarifyChoices(kbSearch("refund"));
  assert.ok(expected.length >= 2 && expected.includes("refund-status"), `index candidates for "refund": ${expected}`);
  const [page, errors] = await visit("/clarify", { data: { "answer-threshold": 0.95, "clarify-threshold": 0.05 } });
  await openWidget(page);
  await page.evaluate(() => {
    window.handoffs = [];
    MarketAssist.on("handoff", (d) => handoffs.push(d));
  });
  const reply = await ask(page, "refund");
  await assertClarify(page, reply, expected);
  assert.equal(await widget(page, ".ma-answer").count(), 0, "no answer guessed");
  const pick = expected[1];
  await reply.locator(`.ma-chip[data-entry="${pick}"]`).click();
  await waitForAnswer(page, pick);
  assert.equal(await widget(page, ".ma-user").last().textContent(), entryField("en", pick, "title"));
  // Asked again: "None of these" offers a person.
  const again = await ask(page, "refund");
  await again.locator(".ma-chip.ma-quiet").click();
  await widget(page, ".ma-handoff").waitFor();
  assert.equal(await widget(page, ".ma-user").last().textContent(), "refund");
  assert.equal(await page.evaluate(() => handoffs.length), 1);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("starter suggestions are the featured entries and go away once the chat starts", async () => {
  const [page, errors] = await visit("/starters");
  await openWidget(page);
  const featured = featuredIds("en");
  const chips = widget(page, ".ma-starters .ma-chip");
  const ids = await chips.evaluateAll((b) => b.map((x) => x.dataset.entry));
  assert.ok(ids.length >= 1 && ids.length <= 4, `1–4 starters, got ${ids}`);
  for (const id of ids) assert.ok(featured.includes(id), `${id} is featured`);
  const titles = await chips.allTextContents();
  assert.deepEqual(titles, ids.map((id) => entryField("en", id, "title")));
  await chips.first().click();
  await waitForAnswer(page, ids[0]);
  assert.equal(await widget(page, ".ma-starters").count(), 0, "starters hidden after the first question");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("as-you-type suggestions follow the draft; picking one answers and clears the composer", async () => {
  const [page, errors] = await visit("/suggest");
  await openWidget(page);
  const input = widget(page, ".ma-input");
  const suggested = () => widget(page, ".ma-suggest .ma-chip").evaluateAll((b) => b.map((x) => x.dataset.entry));
  await input.fill("re");
  assert.equal(await widget(page, ".ma-suggest").count(), 0, "nothing under 3 characters");
  await input.fill("vouch");
  await widget(page, ".ma-suggest").waitFor();
  assert.ok((await suggested()).includes("use-voucher"), `vouch → ${await suggested()}`);
  await input.fill("print lab");
  await page.waitForFunction(() =>
    document.querySelector("#market-assist").shadowRoot.querySelector('.ma-suggest .ma-chip[data-entry="print-shipping-label"]'));
  assert.equal((await suggested())[0], "print-shipping-label");
  await widget(page, '.ma-suggest .ma-chip[data-entry="print-shipping-label"]').click();
  await waitForAnswer(page, "print-shipping-label");
  assert.equal(await input.inputValue(), "");
  assert.equal(await widget(page, ".ma-suggest").count(), 0);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

// Known bug (crates/kb-core): as-you-type completion uses the raw last word as a prefix of the
// *stemmed* term dictionary, so a complete inflected word ("tracking", "refunds", "cancelled",
// "vouchers") matches nothing and the suggestions vanish while typing. Fails until fixed.
test("as-you-type suggestions do not vanish when the last word is complete and inflected", async () => {
  const [page] = await visit("/suggest-inflected");
  await openWidget(page);
  const input = widget(page, ".ma-input");
  const cases = [["tracking", "track-order"], ["refunds", "refund-status"], ["cancelled", "cancel-order"], ["vouchers", "use-voucher"]];
  const missing = [];
  for (const [draft, id] of cases) {
    await input.fill(draft);
    const ok = await page
      .waitForFunction(
        (e) => document.querySelector("#market-assist").shadowRoot.querySelector(`.ma-suggest .ma-chip[data-entry="${e}"]`),
        id,
        { timeout: 1000 },
      )
      .then(() => true, () => false);
    if (!ok) missing.push(`"${draft}" should suggest ${id}`);
  }
  await done(page);
  assert.deepEqual(missing, []);
});

test("JS API: calls made before the bundle loads are queued and run after load (data-load=open)", async () => {
  const [page, errors, requests] = await visit("/queued", { data: { load: "open" } });
  await page.waitForFunction(() => window.MarketAssist && window.MarketAssist.__embedded);
  await page.waitForTimeout(400); // longer than the idle fallback: nothing may load by itself
  assert.equal(wasmRequested(requests), 0, "no wasm before it is needed");
  await page.evaluate(() => {
    window.log = [];
    MarketAssist.on("open", () => log.push("open"));
    MarketAssist.on("answer", (d) => log.push(`answer:${d.id}`));
    MarketAssist.ask("how do i print the shipping label");
  });
  await waitForAnswer(page, "print-shipping-label");
  assert.equal(wasmRequested(requests), 1);
  assert.equal(await widget(page, ".ma-panel").count(), 1, "ask() opens the panel");
  assert.deepEqual(await widget(page, ".ma-user").allTextContents(), ["how do i print the shipping label"]);
  assert.deepEqual(await page.evaluate(() => log), ["open", "answer:print-shipping-label"]);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("JS API: a stub snippet's queue (window.MarketAssist = {q: [...]}) runs once the script arrives", async () => {
  const html = hostPage(servers.cdnUrl, {
    data: { load: "open" },
    head: `<script>window.MarketAssist = { q: [["setContext", [{ audience: "buyer" }]], ["ask", ["do coins ever expire"]]] };</script>`,
  });
  const [page, errors] = await visit("/stub", { html });
  await waitForAnswer(page, "coins-rewards");
  assert.equal(await page.evaluate(() => MarketAssist.__embedded), true);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("JS API: on() returns an unsubscribe that works; events fire to listeners and as window CustomEvents", async () => {
  const [page, errors] = await visit("/events");
  await page.waitForFunction(() => window.MarketAssist);
  await page.evaluate(() => {
    window.log = [];
    window.offA = MarketAssist.on("answer", (d) => log.push(["A", d.id, d.confidence]));
    MarketAssist.on("answer", (d) => log.push(["B", d.id]));
    for (const name of ["open", "close", "feedback", "handoff"]) MarketAssist.on(name, (d) => log.push([name, d]));
    window.addEventListener("market-assist:answer", (e) => log.push(["window", e.detail.id]));
  });
  await page.evaluate(() => MarketAssist.open());
  await widget(page, ".ma-panel").waitFor();
  await page.waitForFunction(() => !document.querySelector("#market-assist").shadowRoot.querySelector(".ma-note[role=status]"));
  await ask(page, "wher is my parcel??");
  let log = await page.evaluate(() => log);
  assert.deepEqual(log[0], ["open", {}]);
  const a = log.find((e) => e[0] === "A");
  assert.equal(a[1], "track-order");
  assert.ok(a[2] > 0.5 && a[2] <= 1, `confidence ${a[2]}`);
  assert.equal(Math.round(a[2] * 1000) / 1000, a[2], `confidence ${a[2]} has at most three decimals`);
  assert.ok(log.some((e) => e[0] === "B" && e[1] === "track-order"));
  assert.ok(log.some((e) => e[0] === "window" && e[1] === "track-order"));

  // Unsubscribe A: B and the window event still fire, A does not.
  assert.equal(await page.evaluate(() => typeof offA), "function");
  await page.evaluate(() => { offA(); log.length = 0; });
  await ask(page, "do coins ever expire");
  log = await page.evaluate(() => log);
  assert.ok(!log.some((e) => e[0] === "A"), "unsubscribed listener not called");
  assert.ok(log.some((e) => e[0] === "B" && e[1] === "coins-rewards"));
  assert.ok(log.some((e) => e[0] === "window" && e[1] === "coins-rewards"));

  // Feedback.
  await page.evaluate(() => { log.length = 0; });
  await widget(page, '.ma-answer[data-entry="coins-rewards"] .ma-fb').first().click();
  await widget(page, '.ma-answer[data-entry="coins-rewards"] .ma-thanks').waitFor();
  assert.deepEqual(await page.evaluate(() => log), [["feedback", { id: "coins-rewards", helpful: true }]]);

  // Out of scope (no system entry declines it) with no LLM endpoint: a handoff with the
  // conversation's summary (the questions asked, the entries shown).
  await page.evaluate(() => { log.length = 0; });
  const outOfScope = "do you sell spare parts for a 1998 toyota corolla";
  await ask(page, outOfScope);
  await widget(page, ".ma-handoff").waitFor();
  const [[, handoff]] = await page.evaluate(() => log.filter((e) => e[0] === "handoff"));
  assert.equal(handoff.questions.at(-1), outOfScope);
  assert.deepEqual(handoff.entries.slice(-1), ["coins-rewards"], "the last entry shown");
  assert.equal(handoff.flow, null);
  assert.match(handoff.summary, new RegExp(`^Questions: .*${outOfScope}\\. Shown: .*coins-rewards\\.$`));
  assert.equal(await widget(page, ".ma-answer").count(), 2, "no local answer for an out-of-scope question");

  // close / toggle.
  await page.evaluate(() => { log.length = 0; MarketAssist.close(); });
  await widget(page, ".ma-panel").waitFor({ state: "detached" });
  await page.evaluate(() => MarketAssist.toggle());
  await widget(page, ".ma-panel").waitFor();
  assert.deepEqual(await page.evaluate(() => log.map((e) => e[0])), ["close", "open"]);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("including the script tag twice gives one widget", async () => {
  const html = hostPage(servers.cdnUrl).replace("</body>", `${embedTag(servers.cdnUrl)}</body>`);
  assert.equal(html.split("embed.js").length - 1, 2);
  const [page, errors, requests] = await visit("/twice", { html });
  await openWidget(page);
  await ask(page, "wher is my parcel??");
  assert.equal(await page.locator("#market-assist").count(), 1);
  assert.equal(await widget(page, ".ma-launcher").count(), 1);
  assert.equal(await widget(page, ".ma-panel").count(), 1);
  assert.equal(await widget(page, ".ma-answer").count(), 1);
  assert.equal(wasmRequested(requests), 1);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("the conversation survives a reload; 'new conversation' clears it for good", async () => {
  const [page, errors] = await visit("/persist");
  await openWidget(page);
  await ask(page, "wher is my parcel??");
  await ask(page, "do coins ever expire");
  await page.reload();
  await openWidget(page);
  assert.deepEqual(await answerIds(page), ["track-order", "coins-rewards"]);
  assert.deepEqual(await widget(page, ".ma-user").allTextContents(), ["wher is my parcel??", "do coins ever expire"]);
  assert.equal(await widget(page, ".ma-starters").count(), 0);
  // New conversation: only the greeting is left, starters are back, and it stays cleared.
  await widget(page, '.ma-header .ma-icon[aria-label="New conversation"]').click();
  await page.waitForFunction(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-answer").length === 0);
  assert.equal(await widget(page, ".ma-user").count(), 0);
  assert.equal(await widget(page, ".ma-bot").count(), 1);
  assert.match(await widget(page, ".ma-bot").textContent(), /^Hi! Ask me anything/);
  await widget(page, ".ma-starters").waitFor();
  await page.reload();
  await openWidget(page);
  assert.equal(await widget(page, ".ma-answer").count(), 0);
  assert.equal(await widget(page, ".ma-user").count(), 0);
  assert.equal(await widget(page, ".ma-bot").count(), 1);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("Enter sends; Shift+Enter inserts a newline", async () => {
  const [page, errors] = await visit("/keys");
  await openWidget(page);
  const input = widget(page, ".ma-input");
  await input.focus();
  await page.keyboard.type("line one");
  await page.keyboard.press("Shift+Enter");
  await page.keyboard.type("line two");
  assert.equal(await input.inputValue(), "line one\nline two");
  assert.equal(await widget(page, ".ma-user").count(), 0, "Shift+Enter did not send");
  const bots = await widget(page, ".ma-bot").count();
  await page.keyboard.press("Enter");
  await waitForBotCount(page, bots);
  assert.equal(await widget(page, ".ma-user").count(), 1);
  assert.equal(await widget(page, ".ma-user").textContent(), "line one\nline two");
  assert.equal(await input.inputValue(), "", "composer cleared");
  // Enter on an empty (whitespace) draft sends nothing.
  await page.keyboard.type("   ");
  await page.keyboard.press("Enter");
  await page.waitForTimeout(200);
  assert.equal(await widget(page, ".ma-user").count(), 1);
  // The send button sends too.
  await input.fill("do coins ever expire");
  await widget(page, ".ma-send").click();
  await waitForAnswer(page, "coins-rewards");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("untrusted text is never HTML", async () => {
  const [page, errors] = await visit("/xss");
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await openWidget(page);
  const evil = "<img src=x onerror=alert(1)>**hi**";
  await ask(page, evil);
  await page.evaluate(() => MarketAssist.ask('<script>alert(2)</script><a href="javascript:alert(3)">x</a>'));
  await page.waitForFunction(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-user").length === 2);
  await page.waitForTimeout(300);
  const found = await inShadow(page, (r) => ({
    img: r.querySelectorAll("img").length,
    script: r.querySelectorAll("script").length,
    js: [...r.querySelectorAll("a")].filter((a) => a.href.startsWith("javascript:")).length,
    strongInUser: r.querySelectorAll(".ma-user strong, .ma-user *").length,
    users: [...r.querySelectorAll(".ma-user")].map((u) => u.textContent),
  }));
  assert.equal(found.img, 0, "no <img> in the shadow root");
  assert.equal(await page.locator("img").count(), 0, "no <img> anywhere");
  assert.equal(found.script, 0);
  assert.equal(found.js, 0);
  assert.equal(found.strongInUser, 0, "user text is not Markdown either");
  assert.deepEqual(found.users, [evil, '<script>alert(2)</script><a href="javascript:alert(3)">x</a>']);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

/** A copy of `bytes` with the byte at `at` set to `value` (or to `value(old)`). */
function withByte(bytes, at, value) {
  const copy = Buffer.from(bytes);
  copy[at] = typeof value === "function" ? value(copy[at]) : value;
  return copy;
}

test("a pack that is a gzip bomb, cut short, a gzipped page, from a future version or damaged: stopped early, the console names the cause, the chat still replies", async () => {
  const real = readFileSync(join(DIST, "kb.en.idx.gz"));
  const packs = {
    // A pack's magic, then 200 MB of zeros, in 200 kB: inflating stops at the cap instead of
    // filling the memory (zeros alone stop at the first chunk: not a pack).
    "bomb.idx.gz": [gzipSync(Buffer.concat([Buffer.from("KBIX"), Buffer.alloc(200 << 20)]), { level: 9 }), /the pack inflates to more than \d+ MB/],
    "zeros.idx.gz": [gzipSync(Buffer.alloc(200 << 20), { level: 9 }), /the gzip file is not a knowledge pack/],
    "cut.idx.gz": [real.subarray(0, real.length >> 1), /the pack is cut short or damaged/],
    "page.idx.gz": [gzipSync(Buffer.from("<!doctype html><title>Not found</title>")), /the gzip file is not a knowledge pack/],
    // A pack from a future build (format version 99), and one with a byte flipped in its body.
    "future.idx.gz": [gzipSync(withByte(readFileSync(join(DIST, "kb.en.idx")), 4, 99)), /format version 99 is not supported/],
    "flipped.idx.gz": [gzipSync(withByte(readFileSync(join(DIST, "kb.en.idx")), 5000, (b) => b ^ 0xff)), /damaged/],
  };
  for (const [name, [body, cause]] of Object.entries(packs)) {
    const [page, errors] = await newPage(browser);
    await page.route(`**/${name}`, (route) => route.fulfill({ status: 200, body, headers: { "access-control-allow-origin": "*" } }));
    await page.goto(servers.page(`/bad-${name}`, hostPage(servers.cdnUrl, { data: { pack: `${servers.cdnUrl}${name}`, load: "open" } })));
    await widget(page, ".ma-launcher").click();
    await widget(page, ".ma-input").waitFor();
    const reported = await (async () => {
      for (let i = 0; i < 100; i++) {
        const hit = errors.find((e) => e.includes(`knowledge pack ${servers.cdnUrl}${name}`));
        if (hit) return hit;
        await new Promise((ok) => setTimeout(ok, 100));
      }
      return null;
    })();
    assert.ok(reported && cause.test(reported), `${name}: ${reported}`);
    assert.ok(!/Failed to fetch/.test(reported), `${name}: the network is not blamed: ${reported}`);
    // The widget is not blank: a question still gets a reply (no endpoint here: a person).
    await ask(page, "where is my parcel");
    await widget(page, ".ma-handoff").last().waitFor();
    assert.deepEqual(unexpected(errors).filter((e) => !e.includes("knowledge pack")), [], name);
    await done(page);
  }
});
