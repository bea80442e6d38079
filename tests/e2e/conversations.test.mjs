// Conversations that end well: asking for a person (in every knowledge language) hands off
// with a summary; small talk and off-topic questions get a local reply with starters and no LLM
// call; an LLM reply that is not grounded is shown as "not sure"; after a thumbs-down there is a
// way forward; "None of these" carries the question; and the rough edges a new user hit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { newPage, hostPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { waitForAnswer, waitForBotCount, inShadow, done, unexpected } from "./support.mjs";
import { startServer } from "../support/llm-fault-server.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

const HANDOFF = "https://help.demo-market.example/contact?about={summary}";
const UNSURE = "I'm not sure about this one, so I won't guess.";

/** A fresh host page recording widget events in window.log and the LLM requests made. */
async function visit(path, { data = {}, lang = "en", viewport } = {}) {
  const [page, errors] = await newPage(browser, viewport ? { viewport, hasTouch: true, isMobile: true } : {});
  await page.addInitScript(() => {
    window.log = [];
    const arm = () => {
      if (!window.MarketAssist?.__embedded) return setTimeout(arm, 10);
      for (const n of ["answer", "handoff", "fallback", "feedback", "flow"]) window.MarketAssist.on(n, (d) => window.log.push([n, d]));
    };
    arm();
  });
  const llm = [];
  page.on("request", (r) => { if (r.url().includes("/chat/completions")) llm.push(r.url()); });
  const attrs = { "handoff-url": HANDOFF, pack: "kb.{locale}.idx.gz", locale: lang, ...data };
  await page.goto(servers.page(path, hostPage(servers.cdnUrl, { data: attrs, lang })));
  return { page, errors, llm };
}

const events = (page, name) => page.evaluate((n) => window.log.filter((e) => e[0] === n).map((e) => e[1]), name);

test("asking for a person hands off in en, id, es, th and vi, with the question in the summary and the URL", async () => {
  const asks = {
    en: ["talk to a human", "i want to speak to a real person", "can i talk to an agent please"],
    id: ["mau bicara dengan cs manusia", "sambungkan ke agen dong"],
    es: ["quiero hablar con un agente", "pásame con una persona real"],
    th: ["ขอคุยกับเจ้าหน้าที่หน่อยค่ะ", "อยากคุยกับคนจริงๆ"],
    vi: ["cho mình gặp nhân viên hỗ trợ", "muon noi chuyen voi nguoi that"],
  };
  for (const [lang, questions] of Object.entries(asks)) {
    const { page, errors, llm } = await visit(`/handoff-${lang}`, { lang, data: { endpoint: "http://127.0.0.1:9/v1/chat/completions" } });
    await openWidget(page);
    for (const q of questions) {
      const before = await widget(page, ".ma-handoff").count();
      await ask(page, q);
      await page.waitForFunction((n) => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-handoff").length > n, before);
      const link = widget(page, ".ma-handoff a.ma-primary").last();
      const href = decodeURIComponent(await link.getAttribute("href"));
      assert.ok(href.startsWith("https://help.demo-market.example/contact?about=Questions: "), `${lang}: ${href}`);
      assert.ok(href.includes(q), `${lang}: the URL carries "${q}": ${href}`);
    }
    const handoffs = await events(page, "handoff");
    assert.equal(handoffs.length, questions.length, `${lang}: one handoff per request`);
    assert.deepEqual(handoffs.map((h) => h.questions.at(-1)), questions, `${lang}: each carries its question`);
    assert.equal(await widget(page, ".ma-answer").count(), 0, `${lang}: no article answers a request for a person`);
    assert.deepEqual(llm, [], `${lang}: no LLM call`);
    assert.deepEqual(unexpected(errors), []);
    await done(page);
  }
});

test("small talk and off-topic questions get a local reply with starters, and no LLM call", async () => {
  const { page, errors, llm } = await visit("/smalltalk", { data: { endpoint: "http://127.0.0.1:9/v1/chat/completions" } });
  await openWidget(page);
  for (const [q, entry] of [["hi", "greeting"], ["thanks a lot!", "thanks"], ["what's the weather tomorrow", "weather"], ["can i get a job at demo market", "jobs-at-demo-market"], ["what is the meaning of life", "general-knowledge"]]) {
    const n = await widget(page, ".ma-bot").count();
    await ask(page, q);
    await waitForBotCount(page, n);
    const reply = widget(page, ".ma-bot").last();
    assert.equal(await reply.getAttribute("data-entry"), entry, `"${q}" is answered by ${entry}`);
    assert.ok(await reply.evaluate((el) => el.classList.contains("ma-reply")), `"${q}": a local reply, not an answer`);
    const starters = await reply.locator(".ma-chip[data-entry]").count();
    assert.ok(starters >= 1 && starters <= 4, `"${q}": ${starters} starter suggestions`);
  }
  // A starter under the reply answers its entry.
  const chip = widget(page, ".ma-reply .ma-chip[data-entry]").last();
  const id = await chip.getAttribute("data-entry");
  await chip.click();
  await waitForAnswer(page, id);
  // A greeting in front of a real question is the question.
  await ask(page, "hi, where is my parcel");
  await waitForAnswer(page, "track-order");
  await page.waitForTimeout(200);
  assert.deepEqual(llm, [], "no LLM call for any of them");
  assert.deepEqual(await events(page, "fallback"), []);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("an LLM reply with a placeholder or no citation is shown as not sure, with related articles and a person", async () => {
  const fault = await startServer({ port: 0 });
  try {
    const endpoint = `http://127.0.0.1:${fault.port}/placeholder/v1/chat/completions`;
    const { page, errors } = await visit("/guard", { data: { endpoint, "first-byte-timeout": 3000, "total-timeout": 8000 } });
    await openWidget(page);
    await ask(page, "my parcel arrived but the courier was rude, who do i tell");
    await page.waitForFunction(() => {
      const ai = [...document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-ai")].pop();
      return ai && ai.getAttribute("aria-busy") === "false";
    });
    const ai = widget(page, ".ma-ai").last();
    assert.ok((await ai.textContent()).includes(UNSURE), "not shown as an answer");
    assert.ok(!(await ai.textContent()).includes("[Company Name]"), "the invented placeholder is not shown");
    assert.equal(await ai.locator(".ma-fine", { hasText: "AI-generated" }).count(), 0, "no AI-answer note");
    assert.ok((await ai.locator(".ma-chip[data-entry]").count()) >= 1, "the passages sent, as related articles");
    assert.match(await ai.locator("a.ma-primary").getAttribute("href"), /^https:\/\/help\.demo-market\.example\/contact\?about=/);
    // Not kept in the answer cache: asked again, it goes to the model again.
    const requests = async () => (await (await fetch(`http://127.0.0.1:${fault.port}/__requests`)).json()).filter((r) => r.method === "POST").length;
    assert.equal(await requests(), 1);
    await ask(page, "my parcel arrived but the courier was rude, who do i tell");
    await page.waitForFunction(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-ai").length === 2);
    await page.waitForFunction(() => [...document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-ai")].pop().getAttribute("aria-busy") === "false");
    assert.equal(await requests(), 2, "an unsure reply is not cached");
    assert.deepEqual(unexpected(errors), []);
    await done(page);
  } finally {
    await fault.close();
  }
});

test("a slow reply says so in words after a few seconds, with Stop and a person", async () => {
  const fault = await startServer({ port: 0 });
  try {
    const endpoint = `http://127.0.0.1:${fault.port}/slowstart/v1/chat/completions?delay=6000&cite=first`;
    const { page, errors } = await visit("/slow", { data: { endpoint, "first-byte-timeout": 20000, "total-timeout": 30000 } });
    await openWidget(page);
    await ask(page, "my parcel arrived but the courier was rude, who do i tell");
    await widget(page, ".ma-typing").waitFor();
    assert.equal(await widget(page, ".ma-still").count(), 0, "dots first");
    await widget(page, ".ma-still").waitFor({ timeout: 6000 });
    assert.equal(await widget(page, ".ma-still p").textContent(), "Still looking…");
    assert.equal(await widget(page, ".ma-still a.ma-primary").count(), 1, "a person in reach");
    await widget(page, ".ma-still button", { hasText: "Stop" }).click();
    await widget(page, ".ma-still").waitFor({ state: "detached" });
    assert.ok((await widget(page, ".ma-ai").last().textContent()).includes("Stopped."));
    assert.deepEqual(unexpected(errors), []);
    await done(page);
  } finally {
    await fault.close();
  }
});

test("after a thumbs-down: what was wrong, related articles and a person; None of these hands the question over", async () => {
  const { page, errors } = await visit("/missing");
  await openWidget(page);
  await ask(page, "how long does a refund take");
  const answer = await waitForAnswer(page, "refund-time");
  await answer.locator(".ma-fb-down").click();
  const missing = widget(page, ".ma-missing");
  await missing.waitFor();
  assert.equal(await missing.locator("strong").textContent(), "What was wrong with it?");
  assert.deepEqual(await missing.locator("[data-reason]").evaluateAll((els) => els.map((e) => e.dataset.reason)), ["not_my_question", "unclear", "wrong"], "a reason to pick");
  const related = await missing.locator(".ma-chip[data-entry]").evaluateAll((els) => els.map((e) => e.dataset.entry));
  assert.ok(related.length >= 1, "the entry's related articles");
  assert.ok(!related.includes("refund-time"));
  assert.equal(await missing.locator("a.ma-primary").count(), 1, "a person");
  await missing.locator(".ma-chip[data-entry]").first().click();
  await waitForAnswer(page, related[0]);
  assert.deepEqual(await events(page, "feedback"), [{ id: "refund-time", helpful: false }]);

  // "None of these" on a "did you mean": the handoff carries the question.
  await ask(page, "refund");
  const clarify = widget(page, ".ma-clarify").last();
  await clarify.waitFor();
  await clarify.locator(".ma-quiet").click();
  await widget(page, ".ma-handoff").waitFor();
  const [handoff] = await events(page, "handoff");
  assert.equal(handoff.questions.at(-1), "refund");
  assert.ok(handoff.entries.includes("refund-time"), `the entries shown: ${handoff.entries}`);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("an entry that ends in => handoff offers a person after its answer", async () => {
  const { page, errors } = await visit("/entry-handoff");
  await openWidget(page);
  await ask(page, "i got a message saying my account will be closed unless i click a link, is it a scam");
  await waitForAnswer(page, "phishing-scam");
  await widget(page, ".ma-handoff").waitFor();
  const order = await inShadow(page, (root) => [...root.querySelectorAll(".ma-bot")].slice(-2).map((e) => e.className));
  assert.ok(order[0].includes("ma-answer") && order[1].includes("ma-handoff"), `the answer, then the offer: ${order}`);
  assert.deepEqual((await events(page, "handoff"))[0].entries, ["phishing-scam"]);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("rough edges: a long answer opens at its title; one suggestion row; messages keep their language", async () => {
  const { page, errors } = await visit("/edges", { viewport: undefined });
  // A short desktop window: the panel is 440 px high, so a long answer is taller than the list.
  await page.setViewportSize({ width: 1280, height: 560 });
  await openWidget(page);
  // One row above the composer: starters while nothing is typed, suggestions while typing.
  assert.equal(await widget(page, ".ma-starters").count(), 1);
  await widget(page, ".ma-input").fill("account locked");
  await widget(page, ".ma-suggest").waitFor();
  assert.equal(await widget(page, ".ma-starters").count(), 0, "the starters give way to the suggestions");
  const suggested = await widget(page, ".ma-suggest .ma-chip").evaluateAll((els) => els.map((e) => e.dataset.entry));
  assert.equal(new Set(suggested).size, suggested.length, `no duplicates: ${suggested}`);
  await widget(page, ".ma-input").fill("");
  // A long answer (taller than the list) opens scrolled to its title, not to its end.
  await ask(page, "how does the return policy work for clothes i dont like");
  const answer = await waitForAnswer(page, "return-policy");
  await page.waitForTimeout(300);
  const seen = await inShadow(page, (root) => {
    const list = root.querySelector(".ma-messages");
    const a = [...root.querySelectorAll(".ma-answer")].pop();
    const title = a.querySelector(".ma-answer-title").getBoundingClientRect();
    const box = list.getBoundingClientRect();
    return { tall: a.offsetHeight > list.clientHeight, titleVisible: title.top >= box.top - 1 && title.bottom <= box.bottom + 1 };
  });
  assert.ok(seen.tall, "the answer is taller than the list (else this would test nothing)");
  assert.ok(seen.titleVisible, "the title of a long answer is in view");
  // After the page switches language, earlier messages keep theirs.
  const before = await answer.locator(".ma-fb-down").getAttribute("aria-label");
  await page.evaluate(() => MarketAssist.setContext({ locale: "id" }));
  await page.waitForTimeout(300);
  assert.equal(await widget(page, ".ma-answer").first().locator(".ma-fb-down").getAttribute("aria-label"), before, "the English answer keeps English buttons");
  await ask(page, "paket saya di mana");
  const idAnswer = await waitForAnswer(page, "track-order");
  assert.equal(await idAnswer.locator(".ma-fb-down").getAttribute("aria-label"), "Tidak membantu");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("startFlow with an unknown id warns in the console and rejects; the phone launcher shows no unread dot before use", async () => {
  const { page, errors } = await visit("/edges-2", { viewport: { width: 390, height: 780 } });
  const warnings = [];
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  await page.waitForFunction(() => window.MarketAssist);
  // Before any interaction the launcher has nothing to announce.
  await page.waitForFunction(() => !!document.querySelector("#market-assist")?.shadowRoot?.querySelector(".ma-root .ma-launcher"));
  await page.waitForTimeout(300);
  assert.equal(await widget(page, ".ma-unread").count(), 0, "no unread dot for the greeting");
  const outcome = await page.evaluate(() => MarketAssist.startFlow("no-such-flow").then(() => "resolved", (e) => `rejected: ${e.message}`));
  assert.match(outcome, /^rejected: .*no flow `no-such-flow`/);
  assert.ok(warnings.some((w) => w.includes("no-such-flow")), `a console warning names the flow: ${warnings}`);
  assert.equal(await page.evaluate(() => MarketAssist.startFlow("where-is-my-order").then(() => "started")), "started");
  await widget(page, ".ma-step").first().waitFor();
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});
