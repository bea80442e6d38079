// Deploying dist/ as scripts/build.sh leaves it: embed.js included with the Subresource
// Integrity hash the build printed loads the widget, which answers; an embed.js changed on the
// way (a compromised CDN) is refused by the browser, and nothing of the widget runs; and the
// headers of a deployment (README, "Deploying") with the build's precompressed files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:http";
import { brotliDecompressSync } from "node:zlib";
import { DIST, asset, useBrowser, newPage, openWidget, ask } from "./harness.mjs";
import { serve } from "../support/static-server.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

const integrity = () => readFileSync(join(DIST, "embed.integrity.txt"), "utf8").trim();
const page = (path) =>
  servers.page(
    path,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Shop</title></head><body><main>Shop</main>` +
      `<script src="${servers.cdnUrl}embed.js" integrity="${integrity()}" crossorigin="anonymous" async></script></body></html>`,
  );

test("embed.js with the build's integrity hash loads the widget, which answers", async () => {
  assert.match(integrity(), /^sha384-[A-Za-z0-9+/]{64}$/);
  const [tab, errors] = await newPage(browser);
  await tab.goto(page("/sri"));
  await openWidget(tab);
  const reply = await ask(tab, "where is my order");
  assert.match(await reply.innerText(), /order/i);
  assert.deepEqual(errors, []);
  await tab.context().close();
});

test("a tampered embed.js is refused by the browser and nothing of the widget runs", async () => {
  const [tab, errors] = await newPage(browser);
  await tab.route(`${servers.cdnUrl}embed.js`, async (route) => {
    const original = await route.fetch();
    const body = (await original.text()).replace("Open help chat", "Open help chat!");
    await route.fulfill({ response: original, body });
  });
  await tab.goto(page("/tampered"));
  await tab.waitForFunction(() => document.readyState === "complete");
  await tab.waitForTimeout(500);
  assert.equal(await tab.evaluate(() => typeof window.MarketAssist), "undefined");
  assert.equal(await tab.locator("#market-assist").count(), 0);
  assert.ok(errors.some((e) => /integrity/i.test(e)), errors.join("\n"));
  await tab.context().close();
});

test("served with a deployment's headers: hashed files cached for a year, precompressed Brotli that inflates to the file", async () => {
  const server = await serve(DIST, 0, { cache: "deployed" });
  const base = `http://127.0.0.1:${server.address().port}/`;
  try {
    for (const [name, type] of [["market-assist_bg.wasm", "application/wasm"], ["market-assist.js", "text/javascript"], ["widget.css", "text/css"]]) {
      const file = asset(name);
      assert.match(file, /-[0-9a-f]{16}\.(wasm|js|css)$/);
      const response = await new Promise((ok, fail) => request(base + file, { headers: { "accept-encoding": "br, gzip" } }, ok).on("error", fail).end());
      const chunks = [];
      for await (const chunk of response) chunks.push(chunk);
      assert.equal(response.headers["content-encoding"], "br", file);
      assert.ok(response.headers["content-type"].startsWith(type), response.headers["content-type"]);
      assert.equal(response.headers["cache-control"], "public, max-age=31536000, immutable");
      assert.equal(response.headers["access-control-allow-origin"], "*");
      assert.deepEqual(brotliDecompressSync(Buffer.concat(chunks)), readFileSync(join(DIST, file)), `${file}.br inflates to ${file}`);
    }
    const embed = await fetch(`${base}embed.js`);
    assert.equal(embed.headers.get("cache-control"), "public, max-age=300");
  } finally {
    server.close();
  }
});
