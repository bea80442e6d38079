// Policies per market in the browser: the page's `market` context key (data-context, then
// setContext) picks an answer's variant and a flow step's, on an English page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { newPage, hostPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { waitForAnswer, done, unexpected } from "./support.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

/** The text of the newest answer for `id`, once it is shown. */
async function answerText(page, question, id) {
  const before = await widget(page, `.ma-answer[data-entry="${id}"]`).count();
  await ask(page, question);
  await page.waitForFunction(
    ([sel, n]) => document.querySelector("#market-assist").shadowRoot.querySelectorAll(sel).length > n,
    [`.ma-answer[data-entry="${id}"]`, before],
  );
  return (await (await waitForAnswer(page, id)).textContent()).trim();
}

test("data-context market=th shows the Thai market's COD limit; setContext({market: 'id'}) then the Indonesian one, in answers and a flow step", async () => {
  const [page, errors] = await newPage(browser);
  const data = { locale: "en", audience: "buyer", context: JSON.stringify({ market: "th" }) };
  await page.goto(servers.page("/markets", hostPage(servers.cdnUrl, { data })));
  await openWidget(page);

  const thai = await answerText(page, "cash on delivery", "cash-on-delivery");
  assert.match(thai, /฿10,000 or less/, thai);
  assert.doesNotMatch(thai, /Rp|COD limit shown there/, "only the Thai market's variant is shown");

  await page.evaluate(() => MarketAssist.setContext({ market: "id" }));
  const indonesian = await answerText(page, "can i pay cash when it arrives", "cash-on-delivery");
  assert.match(indonesian, /Rp5,000,000 or less/, indonesian);
  assert.doesNotMatch(indonesian, /฿/);

  // The payment-failed flow's COD step follows the same key.
  await page.evaluate(() => MarketAssist.startFlow("payment-failed"));
  const method = widget(page, ".ma-step").last();
  await method.locator(".ma-chip", { hasText: "Cash on delivery" }).click();
  await page.waitForFunction(() => {
    const steps = document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-step");
    return /isn't offered on every order/.test(steps[steps.length - 1]?.textContent ?? "");
  });
  const step = (await widget(page, ".ma-step").last().textContent()).trim();
  assert.match(step, /only for orders up to Rp5,000,000/, step);

  // No market, or one without a variant: the default text.
  await page.evaluate(() => MarketAssist.setContext({ market: null }));
  const fallback = await answerText(page, "pay the courier in cash at the door", "cash-on-delivery");
  assert.match(fallback, /within the COD limit shown there/, fallback);
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});
