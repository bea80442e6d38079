// The semantic tier in the browser: kb.en.sem.gz is fetched after the pack and attached, and the
// fused engine answers locally a paraphrase the lexical pack alone only clarifies; with
// data-semantic="off", or when the file cannot be fetched, the pack answers on its own; an
// out-of-scope question that shares words with the knowledge is still not answered with an entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, newPage, openWidget, ask, hostPage, widget } from "./harness.mjs";
import { kbSearch, unexpected } from "./support.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

// Shares only "pay" with the entry's own wording; "the courier hands it to me" is how people
// say cash on delivery.
const PARAPHRASE = "can I pay when the courier hands it to me";

async function open(path, data = {}) {
  const [tab, errors] = await newPage(browser);
  const attached = new Promise((ok) => tab.on("console", (m) => m.text().includes("semantic tier attached") && ok(m.text())));
  await tab.goto(servers.page(path, hostPage(servers.cdnUrl, { data })));
  await openWidget(tab);
  return [tab, errors, attached];
}

test("the pack alone only clarifies the paraphrase (the premise, from kb search --semantic off)", () => {
  const lexical = kbSearch(PARAPHRASE, "en", ["--semantic", "off"]);
  assert.notEqual(lexical.path, "answer", JSON.stringify(lexical));
  const fused = kbSearch(PARAPHRASE);
  assert.equal(fused.path, "answer");
  assert.deepEqual(fused.entries, ["cash-on-delivery"]);
});

test("once the semantic tier is attached, the paraphrase is answered locally with the right entry", async () => {
  const [tab, errors, attached] = await open("/semantic");
  assert.match(await attached, /kb\.en\.sem\.gz/);
  await ask(tab, PARAPHRASE);
  await widget(tab, '.ma-answer[data-entry="cash-on-delivery"]').waitFor({ timeout: 5000 });
  assert.deepEqual(unexpected(errors), []);
  await tab.context().close();
});

test("an out-of-scope question sharing words with the knowledge is not answered with an entry", async () => {
  const [tab, errors, attached] = await open("/semantic-oos");
  await attached;
  const reply = await ask(tab, "what is the meaning of life");
  // No answer anywhere in the conversation (the reply row itself would be the article).
  assert.equal(await widget(tab, ".ma-answer").count(), 0, await reply.innerText());
  assert.deepEqual(unexpected(errors), []);
  await tab.context().close();
});

test('data-semantic="off" loads no semantic file and answers from the pack alone', async () => {
  const [tab, errors] = await newPage(browser);
  const asked = [];
  tab.on("request", (r) => r.url().includes(".sem") && asked.push(r.url()));
  await tab.goto(servers.page("/semantic-off", hostPage(servers.cdnUrl, { data: { semantic: "off" } })));
  await openWidget(tab);
  const reply = await ask(tab, PARAPHRASE);
  assert.equal(await widget(tab, ".ma-answer").count(), 0, `the lexical pack answered it after all: ${await reply.innerText()}`);
  assert.deepEqual(asked, []);
  assert.deepEqual(unexpected(errors), []);
  await tab.context().close();
});

test("a semantic file that cannot be fetched leaves the pack answering", async () => {
  const [tab, errors] = await newPage(browser);
  const warned = new Promise((ok) => tab.on("console", (m) => m.type() === "warning" && m.text().includes("semantic tier") && ok(m.text())));
  await tab.route("**/*.sem.gz", (route) => route.fulfill({ status: 404, body: "gone" }));
  await tab.goto(servers.page("/semantic-missing", hostPage(servers.cdnUrl)));
  await openWidget(tab);
  assert.match(await warned, /HTTP 404/);
  await ask(tab, "where is my order");
  await widget(tab, '.ma-answer[data-entry="track-order"]').waitFor({ timeout: 5000 });
  // The browser reports the 404 this test causes; nothing else may go wrong.
  assert.deepEqual(unexpected(errors).filter((e) => !/status of 404/.test(e)), []);
  await tab.context().close();
});
