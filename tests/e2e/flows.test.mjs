// Guided flows walked end to end in the browser, each with a reload in the middle (progress is
// kept in sessionStorage), plus page context (setContext / data-context) choosing the branch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { newPage, hostPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { waitForAnswer, done, unexpected } from "./support.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

/** Fresh page; every widget event is recorded in window.log (re-armed after reloads). */
async function visit(path, options = {}) {
  const [page, errors] = await newPage(browser);
  await page.addInitScript(() => {
    window.log = [];
    const arm = () => {
      if (!window.MarketAssist?.__embedded) return setTimeout(arm, 10);
      for (const n of ["open", "close", "answer", "handoff", "flow", "open-order-page", "open-login"]) {
        window.MarketAssist.on(n, (d) => window.log.push([n, d]));
      }
    };
    arm();
  });
  await page.goto(servers.page(path, hostPage(servers.cdnUrl, options)));
  return [page, errors];
}

const events = (page, name) => page.evaluate((n) => window.log.filter((e) => e[0] === n).map((e) => e[1]), name);

/** The current (last) step: its text and its buttons. */
async function currentStep(page) {
  const step = widget(page, ".ma-step").last();
  await step.waitFor();
  return {
    text: (await step.locator("p").first().textContent()).trim(),
    choices: await step.locator(".ma-chip").allTextContents(),
  };
}

/** Waits for a step whose text matches `re` to be the newest step; returns it. */
async function waitForStep(page, re, timeout = 10_000) {
  await page.waitForFunction(
    (src) => {
      const steps = document.querySelector("#market-assist")?.shadowRoot?.querySelectorAll(".ma-step") ?? [];
      return steps.length && new RegExp(src).test(steps[steps.length - 1].textContent);
    },
    re.source,
    { timeout },
  );
  return currentStep(page);
}

/** Clicks a button of the current step by its label. */
async function choose(page, label) {
  const before = await widget(page, ".ma-user").count();
  await widget(page, ".ma-step").last().locator(".ma-chip", { hasText: label }).click();
  await page.waitForFunction((n) => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-user").length > n, before);
  assert.equal(await widget(page, ".ma-user").last().textContent(), label, "the choice is echoed as the user's message");
}

/** Only the newest step may have buttons. */
async function assertOnlyLastStepHasButtons(page) {
  const counts = await widget(page, ".ma-step").evaluateAll((steps) => steps.map((s) => s.querySelectorAll(".ma-chip").length));
  assert.ok(counts.slice(0, -1).every((n) => n === 0), `retired steps keep no buttons: ${counts}`);
}

async function reloadAndOpen(page) {
  await page.reload();
  await openWidget(page);
}

test("flow where-is-my-order: slot error, valid order number, reload mid-flow, ends in the parcel-late answer", async () => {
  const [page, errors] = await visit("/flow-order");
  await openWidget(page);
  await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
  let step = await waitForStep(page, /What's the order number\?/);
  assert.deepEqual(step.choices, [], "a free-text step has no buttons");
  assert.deepEqual(await events(page, "flow"), [{ id: "where-is-my-order", step: "ask-order" }]);

  // An invalid order number: the slot's error, and the step is still waiting.
  let bots = await widget(page, ".ma-bot").count();
  await ask(page, "MP123");
  assert.equal(await widget(page, ".ma-bot").count(), bots + 1);
  assert.match(await widget(page, ".ma-bot").last().textContent(), /That doesn't look like an order number\. It should be MP plus 10 digits/);
  assert.equal(await widget(page, ".ma-answer").count(), 0, "not treated as a question");

  // A valid one moves on; {order_id} is filled in.
  await ask(page, "mp1234567890");
  step = await waitForStep(page, /What's going on with/);
  assert.match(step.text, /What's going on with MP1234567890\?/i);
  const statusChoices = ["It hasn't shipped yet", "Tracking hasn't moved for days", "It says delivered, but I don't have it", "Just show me the tracking"];
  assert.deepEqual(step.choices, statusChoices);

  // Reload in the middle: the same step with the same buttons is still there, and works.
  await reloadAndOpen(page);
  step = await currentStep(page);
  assert.match(step.text, /What's going on with MP1234567890\?/i);
  assert.deepEqual(step.choices, statusChoices);
  assert.match(await widget(page, ".ma-bot").nth(-2).textContent(), /order number/, "history kept");
  await choose(page, "Tracking hasn't moved for days");
  step = await waitForStep(page, /already past its estimated delivery date/);
  assert.match(step.text, /Is MP1234567890 already past/i);
  assert.deepEqual(step.choices, ["Yes, it's late", "It's been stuck for over a week", "Not yet, show me the tracking"]);
  await assertOnlyLastStepHasButtons(page);

  // Terminal action: the parcel-late entry.
  await choose(page, "Yes, it's late");
  await waitForAnswer(page, "parcel-late");
  await assertOnlyLastStepHasButtons(page);
  assert.equal(await widget(page, ".ma-step .ma-chip").count(), 0, "the flow is over");
  assert.deepEqual((await events(page, "answer")).map((d) => d.id), ["parcel-late"]);
  // After the flow, typing is an ordinary question again.
  await ask(page, "do coins ever expire");
  await waitForAnswer(page, "coins-rewards");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("flow account-locked from an answer's button: reload mid-flow, ends in a host event (open-login)", async () => {
  const [page, errors] = await visit("/flow-locked");
  await openWidget(page);
  const answer = await ask(page, "acc locked for 30 min can i unlock it faster");
  assert.equal(await answer.getAttribute("data-entry"), "account-locked");
  await answer.locator(".ma-chip", { hasText: "Guide me step by step" }).click();
  let step = await waitForStep(page, /Sorry you're locked out/);
  assert.deepEqual(step.choices, ["I typed the wrong password too many times", "I got a suspicious activity warning", "I lost my phone or can't get the OTP"]);
  await choose(page, "I got a suspicious activity warning");
  step = await waitForStep(page, /Was it you/);
  assert.deepEqual(step.choices, ["Yes, it was me", "No, it wasn't me"]);

  await reloadAndOpen(page);
  step = await currentStep(page);
  assert.match(step.text, /Was it you/);
  assert.deepEqual(step.choices, ["Yes, it was me", "No, it wasn't me"]);
  await assertOnlyLastStepHasButtons(page);

  await choose(page, "Yes, it was me");
  await waitForStep(page, /I'll open the login page/);
  await page.waitForFunction(() => window.log.some((e) => e[0] === "open-login"));
  const [login] = await events(page, "open-login");
  assert.equal(login.flow, "account-locked");
  assert.equal(typeof login.summary, "string");
  assert.equal(await widget(page, ".ma-step .ma-chip").count(), 0, "the flow is over");
  assert.deepEqual(await events(page, "handoff"), []);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

/** Starts payout-delayed and answers until it asks whether part of the payout is on hold. */
async function toTheHoldQuestion(page) {
  await page.evaluate(() => MarketAssist.startFlow("payout-delayed"));
  await waitForStep(page, /Settlement runs every Tuesday/);
  await choose(page, "Yes, it should have arrived");
  await waitForStep(page, /Is yours verified in Seller Center/);
  await choose(page, "Yes, it's verified");
  return waitForStep(page, /marked as on hold/);
}

test("flow payout-delayed: free-text slot, reload mid-flow, ends in a handoff with a summary", async () => {
  const [page, errors] = await visit("/flow-payout");
  await openWidget(page);
  let step = await toTheHoldQuestion(page);

  await reloadAndOpen(page);
  step = await currentStep(page);
  assert.match(step.text, /marked as on hold/);
  assert.deepEqual(step.choices, ["Yes, some of it is on hold", "No, nothing is on hold"]);

  await choose(page, "No, nothing is on hold");
  await waitForStep(page, /Which payout is missing/);
  await ask(page, "Tuesday 4 March, 1,250.00");
  step = await waitForStep(page, /trace the payout/);
  assert.match(step.text, /trace the payout: Tuesday 4 March, 1,250\.00\./);
  await widget(page, ".ma-handoff").waitFor();
  const handoffs = await events(page, "handoff");
  assert.equal(handoffs.length, 1);
  assert.ok(handoffs[0].summary.length > 0, "the handoff carries a summary");
  assert.match(handoffs[0].summary, /1,250\.00/);
  assert.equal(await widget(page, ".ma-step .ma-chip").count(), 0);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("a value typed into a free-text slot is text, never Markdown: no link, no bold, shown as typed", async () => {
  const [page, errors] = await visit("/flow-slot-markdown");
  await openWidget(page);
  await toTheHoldQuestion(page);
  await choose(page, "No, nothing is on hold");
  await waitForStep(page, /Which payout is missing/);
  const typed = "[Verify your card here](https://evil.example/phish) **now** `x`";
  await ask(page, typed);
  const step = await waitForStep(page, /trace the payout/);
  assert.ok(step.text.includes(typed), `shown as typed: ${step.text}`);
  const last = widget(page, ".ma-step").last();
  assert.equal(await last.locator("a").count(), 0, "no link in the assistant's message");
  assert.equal(await last.locator("strong, code").count(), 0, "no markup from the value");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("page context picks the branch: setContext({order_status: 'delivered'}) skips the status question", async () => {
  const [page, errors] = await visit("/ctx-set");
  await openWidget(page);
  await page.evaluate(() => MarketAssist.setContext({ order_status: "delivered" }));
  await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
  await waitForStep(page, /What's the order number\?/);
  await ask(page, "MP2222222222");
  const step = await waitForStep(page, /Please check with neighbours/);
  assert.deepEqual(step.choices, ["I still can't find it", "Found it, thanks!", "Talk to an agent"]);
  assert.equal(await widget(page, ".ma-step").filter({ hasText: "What's going on with" }).count(), 0, "status step skipped");
  // Leaving the flow by typing a question.
  await ask(page, "do coins ever expire");
  await waitForAnswer(page, "coins-rewards");
  assert.equal(await widget(page, ".ma-step .ma-chip").count(), 0, "the flow was left");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("page context from data-context (camelCase orderId) skips both the order number and the status", async () => {
  const [page, errors] = await visit("/ctx-data", { data: { context: JSON.stringify({ orderId: "MP5555555555", order_status: "shipped" }) } });
  await openWidget(page);
  await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
  const step = await waitForStep(page, /already past its estimated delivery date/);
  assert.match(step.text, /Is MP5555555555 already past/);
  assert.equal(await widget(page, ".ma-step").count(), 1, "no order-number or status step shown");
  // "Not yet, show me the tracking" ends in the host event.
  await choose(page, "Not yet, show me the tracking");
  await page.waitForFunction(() => window.log.some((e) => e[0] === "open-order-page"));
  assert.equal((await events(page, "open-order-page"))[0].flow, "where-is-my-order");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("setContext before the bundle loads (data-load=open) is used once it loads", async () => {
  const [page, errors] = await visit("/ctx-early", { data: { load: "open" } });
  await page.waitForFunction(() => window.MarketAssist?.__embedded);
  await page.evaluate(() => MarketAssist.setContext({ order_status: "processing" }));
  await openWidget(page); // loads the bundle and the pack
  await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
  await waitForStep(page, /What's the order number\?/);
  await ask(page, "MP3333333333");
  const step = await waitForStep(page, /Sellers have 2 working days/);
  assert.deepEqual(step.choices, ["Yes, it's overdue", "No, I'll wait"]);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

// A startFlow() queued before load (or made right after mount) waits for the pack, like ask():
// Chat::start_flow defers through when_ready instead of dropping the call.
test("startFlow() called before the bundle and the pack have loaded is not lost", async () => {
  const [page, errors] = await visit("/flow-early", { data: { load: "open" } });
  await page.waitForFunction(() => window.MarketAssist?.__embedded);
  await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
  await widget(page, ".ma-panel").waitFor();
  const shown = await waitForStep(page, /What's the order number\?/, 5_000).then(() => true, () => false);
  const messages = await widget(page, ".ma-msg").allTextContents();
  await done(page);
  assert.ok(shown, `the flow's first step is shown; the panel has only: ${JSON.stringify(messages)}`);
  assert.deepEqual(unexpected(errors), []);
});

test("'new conversation' in the middle of a flow ends it: typed text is a question again", async () => {
  const [page, errors] = await visit("/flow-reset");
  await openWidget(page);
  await page.evaluate(() => MarketAssist.startFlow("where-is-my-order"));
  await waitForStep(page, /What's the order number\?/);
  await widget(page, '.ma-header .ma-icon[aria-label="New conversation"]').click();
  await page.waitForFunction(() => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-step").length === 0);
  // In the flow this would get the slot's error; without it, it is an ordinary (unknown) question.
  await ask(page, "MP123");
  await page.waitForTimeout(200);
  assert.doesNotMatch(await widget(page, ".ma-messages").textContent(), /doesn't look like an order number/);
  await reloadAndOpen(page);
  assert.equal(await widget(page, ".ma-step").count(), 0, "no flow comes back after a reload");
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("the guide button and flow are localised (data-locale=id)", async () => {
  const [page, errors] = await visit("/flow-id", { data: { locale: "id" } });
  await openWidget(page);
  const answer = await ask(page, "cara lacak pesanan");
  assert.equal(await answer.getAttribute("data-entry"), "track-order");
  const guide = answer.locator(".ma-chip").first();
  assert.equal(await guide.textContent(), "Pandu saya langkah demi langkah");
  await guide.click();
  const step = await waitForStep(page, /Berapa nomor pesanannya/);
  assert.deepEqual(step.choices, []);
  await ask(page, "MP12");
  assert.match(await widget(page, ".ma-bot").last().textContent(), /Sepertinya itu bukan nomor pesanan/);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});
