// The support team's loop, end to end on real parts: the widget in headless Chromium sends its
// events to the real collector (`kb collect`), through an offline spell and a collector outage;
// the collector's files then hold exactly the conversation's events, valid against the schema,
// and `kb report` on them gives the figures the conversation implies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newPage, hostPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { waitForAnswer, kbSearch, clarifyChoices, unexpected } from "./support.mjs";
import { startServer } from "../support/llm-fault-server.mjs";
import { startCollector, collectedEvents, KB } from "../support/collector.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

const HANDOFF = "https://help.demo-market.example/contact?about={summary}";
const QUEUE_KEY = "market-assist:events:v1";
const COMMON = ["v", "id", "session", "ts", "pack", "locale", "audience", "page", "type"];
const FALLBACK_QUESTION = "do you sell spare parts for a 1998 toyota corolla";

/** Polls `check` until it returns a truthy value (or fails with `what` after `timeout` ms). */
async function until(check, what, timeout = 15_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** The events the page still holds in its queue. */
const queued = (page) => page.evaluate((k) => JSON.parse(localStorage.getItem(k) || '{"events":[]}').events, QUEUE_KEY);

/** Waits until the collector has `n` events and the page's queue is empty. */
async function delivered(page, out, n, what) {
  await until(async () => collectedEvents(out).length >= n && (await queued(page)).length === 0, what);
  return collectedEvents(out);
}

/** Waits until a "did this solve it" prompt is on screen; returns its locator. */
async function resolutionPrompt(page) {
  const prompt = widget(page, '.ma-resolution[data-answer="pending"]').last();
  await prompt.waitFor();
  return prompt;
}

test("the widget's events reach the real collector through an offline spell and an outage, and kb report counts them", async () => {
  const out = mkdtempSync(join(tmpdir(), "ma-events-"));
  let collector = await startCollector({ out });
  const fault = await startServer({ port: 0 });
  // Which one-word question lands in the clarify band depends on the calibration: ask the index.
  const clarifyQuery = ["refund", "voucher", "payment", "return", "cancel", "account", "seller"]
    .find((q) => kbSearch(q).path === "clarify" && clarifyChoices(kbSearch(q)).length >= 2);
  assert.ok(clarifyQuery, "one of the candidate questions is clarified by the index");
  const choices = clarifyChoices(kbSearch(clarifyQuery));

  const [page, errors] = await newPage(browser);
  const context = page.context();
  await context.route("https://help.demo-market.example/**", (route) => route.fulfill({ status: 200, body: "help desk" }));
  const data = {
    collect: collector.url,
    "collect-interval": 300,
    "collect-text": "redacted",
    "resolution-delay": 300,
    "handoff-url": HANDOFF,
    endpoint: `http://127.0.0.1:${fault.port}/ok/v1/chat/completions?cite=first`,
    locale: "en",
  };
  const url = servers.page("/shop/cart", hostPage(servers.cdnUrl, { data }));
  await page.goto(`${url}?coupon=SECRET#top`);
  await openWidget(page);

  // An answer, confirmed as solving it.
  await ask(page, "how do i track my order, my email is jane.doe@example.com");
  await waitForAnswer(page, "track-order");
  await (await resolutionPrompt(page)).locator('[data-solved="yes"]').click();
  await widget(page, '.ma-resolution[data-answer="yes"]').waitFor();

  // A clarify, a choice, a thumbs-up, and "no, not solved" (which offers a person).
  await ask(page, clarifyQuery);
  await widget(page, ".ma-clarify").last().locator(`.ma-chip[data-entry="${choices[1]}"]`).click();
  const chosen = await waitForAnswer(page, choices[1]);
  await chosen.locator(".ma-fb:not(.ma-fb-down)").click();
  await (await resolutionPrompt(page)).locator('[data-solved="no"]').click();
  await widget(page, ".ma-handoff").last().waitFor();

  // A thumbs-down with a reason: that says it all, no "did this solve it" follows.
  await ask(page, "how long does a refund take");
  const refund = await waitForAnswer(page, "refund-time");
  await refund.locator(".ma-fb-down").click();
  await widget(page, '.ma-missing [data-reason="unclear"]').click();

  // A flow walked to its end (then asked about), and one abandoned by typing a question.
  await page.evaluate(() => window.MarketAssist.startFlow("payment-failed"));
  await widget(page, ".ma-step").last().locator(".ma-chip", { hasText: "Cash on delivery" }).click();
  await waitForAnswer(page, "cash-on-delivery");
  await (await resolutionPrompt(page)).locator('[data-solved="yes"]').click();
  await page.evaluate(() => window.MarketAssist.startFlow("payment-failed"));
  await until(() => widget(page, ".ma-step").count().then((n) => n >= 3), "the second flow's first step");
  await ask(page, "how do i cancel my order");
  await waitForAnswer(page, "cancel-order");
  // Its prompt is left unanswered: the next question settles it as "none".
  await resolutionPrompt(page);

  // An LLM fallback, answered and cited; then a person, asked for and clicked.
  await ask(page, FALLBACK_QUESTION);
  await widget(page, '.ma-ai[aria-busy="false"]').last().waitFor();
  await ask(page, "talk to a human");
  const [help] = await Promise.all([context.waitForEvent("page"), widget(page, ".ma-handoff a.ma-primary").last().click()]);
  await help.close();

  let events = await delivered(page, out, 1, "the first events");
  const online = events.length;

  // Offline: the answer is not slowed, the events wait in the queue, and go once back online.
  await context.setOffline(true);
  await ask(page, "how do i change my delivery address");
  await waitForAnswer(page, "change-delivery-address");
  await until(async () => (await queued(page)).some((e) => e.type === "question"), "the offline question in the queue");
  await new Promise((ok) => setTimeout(ok, 1000));
  assert.equal(collectedEvents(out).length, online, "nothing reaches the collector while offline");
  await context.setOffline(false);
  events = await delivered(page, out, online + 1, "the queue after coming back online");
  const afterOffline = events.length;

  // The collector down for a while: the events wait and are retried with backoff.
  await collector.stop();
  await ask(page, "can i pay with cash on delivery");
  await waitForAnswer(page, "cash-on-delivery");
  await new Promise((ok) => setTimeout(ok, 2500));
  assert.ok((await queued(page)).length > 0, "the events wait while the collector is down");
  collector = await startCollector({ out, port: collector.port });
  events = await delivered(page, out, afterOffline + 1, "the queue after the collector came back");

  // Leaving with a prompt unanswered: it is settled as "none" and sent by beacon on pagehide.
  await resolutionPrompt(page);
  const beforeLeaving = events.length;
  await page.goto("about:blank");
  events = await until(() => {
    const all = collectedEvents(out);
    return all.length > beforeLeaving && all.at(-1).type === "resolution" ? all : null;
  }, "the beacon on pagehide");
  await collector.stop();
  await fault.close();
  // Chromium logs the refused connections of the outage itself: expected; nothing else is.
  assert.deepEqual(unexpected(errors).filter((e) => !/^Failed to load resource: net::ERR_CONNECTION_REFUSED/.test(e)), []);

  // Exactly the conversation's events (the collector wrote only batches valid against the
  // schema), each once, one session, with the fields every event has.
  const ids = new Set(events.map((e) => e.id));
  assert.equal(ids.size, events.length, "no event is stored twice");
  assert.equal(new Set(events.map((e) => e.session)).size, 1, "one browser session");
  for (const e of events) {
    for (const f of COMMON) assert.ok(f in e, `${e.type} has ${f}`);
    assert.equal(e.page, "/shop/cart", "the path without query or fragment");
    assert.equal(e.locale, "en");
  }
  const summary = events.map((e) => [e.type, e.path ?? e.trigger ?? e.source ?? e.outcome ?? e.answer ?? e.reason ?? e.step ?? (e.helpful === undefined ? "" : String(e.helpful))].join(":"));
  assert.deepEqual(summary, [
    "conversation_started:open", "question:answer", "resolution:yes",
    "question:clarify", "suggestion_taken:did_you_mean", "feedback:true", "resolution:no",
    "question:answer", "feedback:false", "feedback:unclear",
    "flow_started:method", "flow_step:method", "flow_step:cod", "flow_finished:cod", "resolution:yes",
    "flow_started:method", "flow_step:method", "flow_abandoned:method", "question:answer", "resolution:none",
    "question:fallback", "llm_fallback:answered", "question:handoff", "handoff_clicked:asked",
    // offline, then the outage, then leaving with the last prompt unanswered
    "question:answer", "resolution:none", "question:answer", "resolution:none",
  ]);
  const questions = events.filter((e) => e.type === "question");
  assert.deepEqual(questions.map((q) => q.path), ["answer", "clarify", "answer", "answer", "fallback", "handoff", "answer", "answer"]);
  assert.equal(questions[0].text, "how do i track my order, my email is [email]", "text is sent redacted, as for the LLM");
  for (const q of questions) {
    assert.ok(q.top?.entry && typeof q.top.confidence === "number", `every turn logs the top entry and its confidence: ${JSON.stringify(q)}`);
    assert.ok(q.runner_up?.entry && typeof q.runner_up.confidence === "number", "and the runner-up");
    // The runner-up's confidence is the model's own estimate for it (it can exceed the first's
    // when the nearest questions favour it), so only its range and identity are fixed.
    assert.ok(q.runner_up.confidence >= 0 && q.runner_up.confidence <= 1 && q.runner_up.entry !== q.top.entry, JSON.stringify(q));
    assert.equal(typeof q.thresholds.answer, "number");
    assert.equal(q.encoder, false, "the encoder tier is off on this page (data-semantic=\"static\")");
  }
  assert.equal(questions[4].top.entry, kbSearch(FALLBACK_QUESTION).hits[0].id, "the shadow decision of a question that fell back");

  const report = JSON.parse(execFileSync(KB, ["report", out, "--json"], { encoding: "utf8" }));
  const t = report.totals;
  const views = Object.fromEntries(report.entries.map((e) => [e.entry, e]));
  assert.equal(t.events, events.length);
  assert.equal(t.sessions, 1);
  assert.equal(t.questions, questions.length);
  assert.deepEqual(t.paths, { answer: 5, clarify: 1, fallback: 1, handoff: 1, reply: 0, no_knowledge: 0 });
  assert.equal(t.feedback, 2);
  assert.equal(t.helpful_rate, 0.5);
  assert.deepEqual(t.feedback_reasons, { unclear: 1 });
  assert.equal(t.llm.calls, 1);
  assert.deepEqual(t.llm.errors, {});
  assert.equal(t.rates.answer_rate, 5 / 8);
  assert.equal(t.no_answer_rate, 0, "the one fallback was answered by the LLM");
  assert.equal(typeof t.llm.median_ttft_ms, "number");
  // The session's last yes/no (after the flow) said yes: confirmed.
  assert.deepEqual([t.resolution.asked, t.resolution.confirmed, t.resolution.unresolved], [1, 1, 0]);
  assert.equal(report.what_if.threshold_in_force, questions[0].thresholds.answer);
  assert.equal(report.what_if.questions, questions.filter((q) => q.kind === "answer").length, "the curve covers the knowledge questions");
  assert.equal(views["cancel-order"].followed_by_fallback, 1, "the answer the fallback question came after");
  const flow = report.flows.find((f) => f.flow === "payment-failed");
  assert.equal(flow.starts, 2);
  assert.equal(flow.finished, 1);
  assert.equal(flow.completion_rate, 0.5);
  assert.deepEqual(flow.steps.find((s) => s.step === "method").abandoned, 1);
  assert.equal(views["refund-time"].not_helpful, 1);
  assert.equal(views[choices[1]].helpful, 1);
});

test("without data-collect the widget sends nothing: no collect.js, no beacon, no queue, while host events still fire", async () => {
  const [page, errors] = await newPage(browser);
  const requests = [];
  page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  await page.addInitScript(() => {
    window.beacons = 0;
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (...a) => { window.beacons++; return send(...a); };
  });
  await page.goto(servers.page("/no-collect", hostPage(servers.cdnUrl, { data: { locale: "en", "resolution-delay": 100 } })));
  await page.evaluate(() => { window.answers = 0; window.MarketAssist.on("answer", () => window.answers++); });
  await openWidget(page);
  await ask(page, "how do i cancel my order");
  await waitForAnswer(page, "cancel-order");
  await resolutionPrompt(page);
  await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide")));
  assert.equal(await page.evaluate(() => window.answers), 1, "the host page still hears the answer");
  assert.equal(await page.evaluate(() => window.beacons), 0, "no beacon");
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), QUEUE_KEY), null, "no queue");
  assert.deepEqual(requests.filter((r) => r.startsWith("POST") || r.endsWith("/collect.js")), [], "no analytics request");
  assert.deepEqual(unexpected(errors), []);
  await page.context().close();
});
