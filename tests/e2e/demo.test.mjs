// The demo page (dist/index.html, as `scripts/demo.sh` serves it) in Vietnamese and Thai: a
// buyer asks everyday questions, Vietnamese ones both with and without their tone marks (many
// people type without them), and gets the entries a support agent would pick.
import { test } from "node:test";
import assert from "node:assert/strict";
import { newPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { unexpected, done } from "./support.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

const QUESTIONS = {
  vi: [
    ["làm sao theo dõi đơn hàng", "track-order"],
    ["lam sao theo doi don hang", "track-order"],
    ["quên mật khẩu đăng nhập", "reset-password"],
    ["quen mat khau dang nhap", "reset-password"],
    ["thanh toán khi nhận hàng được không", "cash-on-delivery"],
    ["thanh toan khi nhan hang duoc khong", "cash-on-delivery"],
  ],
  th: [
    ["พัสดุของฉันอยู่ไหน", "track-order"],
    ["ลืมรหัสผ่านทำไงดี", "reset-password"],
    ["เก็บเงินปลายทางได้ไหม", "cash-on-delivery"],
  ],
};

for (const [locale, questions] of Object.entries(QUESTIONS)) {
  test(`the demo page in ${locale}: a buyer's questions get the right entries`, async () => {
    const [page, errors] = await newPage(browser);
    const packs = [];
    page.on("request", (r) => { if (/kb\.[a-z]+\.idx/.test(r.url())) packs.push(new URL(r.url()).pathname); });
    // No LLM and no collector: the answers come from the page's own pack.
    await page.goto(`${servers.cdnUrl}?locale=${locale}&audience=buyer&endpoint=&collect=`);
    await openWidget(page);
    assert.deepEqual(packs, [`/kb.${locale}.idx.gz`], "only the page language's pack loads");
    assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
    for (const [n, [question, entry]] of questions.entries()) {
      await ask(page, question);
      await page.waitForFunction((k) => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-answer").length > k, n);
      assert.equal(await widget(page, ".ma-answer").last().getAttribute("data-entry"), entry, question);
    }
    assert.equal(await widget(page, ".ma-answer").count(), questions.length, "each question answered, none clarified");
    assert.deepEqual(unexpected(errors), []);
    await done(page);
  });
}
