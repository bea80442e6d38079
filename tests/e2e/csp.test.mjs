// The widget on a host page with a strict Content-Security-Policy — no 'unsafe-inline' for
// scripts or styles — and then also under Trusted Types: it must look as designed, answer
// locally, stream an LLM answer and send analytics, with zero policy violations (neither
// `securitypolicyviolation` events nor console reports). The policy is the one the README gives
// page owners, with the test's origins filled in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newPage, hostPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { waitForMount, done, unexpected } from "./support.mjs";
import { startServer } from "../support/llm-fault-server.mjs";
import { startCollector, collectedEvents } from "../support/collector.mjs";

let servers, browser, llm, collector;
useBrowser((s, b) => ([servers, browser] = [s, b]));
before(async () => {
  llm = await startServer();
  collector = await startCollector({ out: mkdtempSync(join(tmpdir(), "ma-csp-events-")) });
});
after(async () => {
  llm?.close();
  await collector?.stop();
});

const origin = (url) => new URL(url).origin;

/** The README's policy for a page that embeds the widget from `widget`. */
function policy({ widget, llm, collector, trustedTypes }) {
  const directives = [
    "default-src 'none'",
    `script-src 'self' ${widget} 'wasm-unsafe-eval'`,
    `style-src 'self' ${widget}`,
    `connect-src ${widget} ${llm} ${collector}`,
    "img-src 'self'",
  ];
  if (trustedTypes) directives.push("require-trusted-types-for 'script'");
  return directives.join("; ");
}

// Records violations from the first byte on: the listener is in the page, before embed.js.
const TRAP = `<script src="/trap.js"></script>`;
const TRAP_JS = `window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
}, true);`;

const BRAND = "rgb(232, 87, 42)";

/** Loads a page served with the policy; returns [page, errors, policy violations seen]. */
async function strictPage(path, { trustedTypes }) {
  const widgetOrigin = origin(servers.cdnUrl);
  const llmUrl = `http://127.0.0.1:${llm.port}/ok/v1/chat/completions?cite=first`;
  const csp = policy({ widget: widgetOrigin, llm: origin(llmUrl), collector: origin(collector.url), trustedTypes });
  servers.page("/trap.js", TRAP_JS, { "content-type": "text/javascript" });
  servers.page("/favicon.ico", "", { "content-type": "image/x-icon" });
  const url = servers.page(
    path,
    hostPage(servers.cdnUrl, {
      head: TRAP,
      data: { endpoint: llmUrl, collect: collector.url, color: "#e8572a", "z-index": "2147483000" },
    }).replace(`<link rel="icon" href="data:,">`, ""),
    { "content-security-policy": csp },
  );
  const [page, errors] = await newPage(browser);
  const reports = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Trusted Type|TrustedHTML|TrustedScript/i.test(m.text())) reports.push(m.text());
  });
  await page.goto(url);
  await waitForMount(page);
  return [page, errors, reports];
}

/** Computed styles that show whether widget.css and the launcher's own rules applied. */
function looks(page) {
  return page.evaluate(() => {
    const host = document.querySelector("#market-assist");
    const root = host.shadowRoot;
    const cs = (sel) => {
      const el = root.querySelector(sel);
      if (!el) return null;
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return { bg: s.backgroundColor, position: s.position, color: s.color, w: Math.round(r.width), h: Math.round(r.height) };
    };
    return {
      host: { position: getComputedStyle(host).position, z: getComputedStyle(host).zIndex },
      brand: getComputedStyle(host).getPropertyValue("--ma-brand").trim(),
      header: cs(".ma-header"),
      send: cs(".ma-send"),
      user: cs(".ma-user"),
    };
  });
}

for (const trustedTypes of [false, true]) {
  const name = trustedTypes ? "strict CSP with Trusted Types" : "strict CSP";
  test(`${name}: styled, answering locally and from the LLM, analytics sent, zero violations`, async () => {
    const [page, errors, reports] = await strictPage(`/csp-${trustedTypes ? "tt" : "plain"}.html`, { trustedTypes });

    // Before the wasm: the launcher is a fixed brand-coloured circle, not a blank one in the flow.
    const launcher = await widget(page, ".ma-launcher").evaluate((el) => {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return { bg: s.backgroundColor, radius: s.borderTopLeftRadius, w: Math.round(r.width), h: Math.round(r.height) };
    });
    assert.deepEqual(launcher, { bg: BRAND, radius: "50%", w: 60, h: 60 }, "the launcher is styled");

    await openWidget(page);
    const local = await ask(page, "how do I track my order");
    await widget(page, ".ma-answer").last().waitFor();
    assert.match(await local.innerText(), /track/i, "a local answer");

    const styles = await looks(page);
    assert.equal(styles.host.position, "fixed", "the host element is fixed, out of the page flow");
    assert.equal(styles.host.z, "2147483000", "--ma-z applies");
    assert.equal(styles.brand, "#e8572a", "--ma-brand is set");
    assert.equal(styles.send?.bg, BRAND, "the send button has the brand colour");
    // The header and the user's bubbles share the darkened brand (--ma-brand-ink).
    assert.match(styles.header?.bg ?? "", /^(rgb|color)\(/, "the header is coloured");
    assert.notEqual(styles.header.bg, "rgba(0, 0, 0, 0)", "the header is not transparent");
    assert.equal(styles.user?.bg, styles.header.bg, "the user's own bubble is coloured like the header");

    // An out-of-scope question goes to the LLM endpoint: connect-src allows it.
    const before = await widget(page, ".ma-ai").count();
    await ask(page, "what time does the sun rise in bali");
    await page.waitForFunction(
      (n) => document.querySelector("#market-assist").shadowRoot.querySelectorAll(".ma-ai").length > n,
      before,
      { timeout: 15_000 },
    );
    const requests = await (await fetch(`http://127.0.0.1:${llm.port}/__requests`)).json();
    assert.ok(requests.some((r) => r.method === "POST" && r.path.startsWith("/ok/")), "the LLM got the question");

    const violations = await page.evaluate(() => window.__violations);

    // Leaving sends the queued events to the collector (fetch or beacon: connect-src).
    await page.close({ runBeforeUnload: true });
    const deadline = Date.now() + 10_000;
    let sessionEvents = [];
    while (Date.now() < deadline) {
      sessionEvents = collectedEvents(collector.out).filter((e) => e.type === "question");
      if (sessionEvents.length >= (trustedTypes ? 4 : 2)) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    assert.ok(sessionEvents.length >= (trustedTypes ? 4 : 2), `the collector got the questions: ${sessionEvents.length}`);

    assert.deepEqual(violations, [], "no securitypolicyviolation event");
    assert.deepEqual(reports, [], "no CSP or Trusted Types report in the console");
    assert.deepEqual(unexpected(errors), []);
  });
}

test("strict CSP: the page's own violations are seen by the trap (the test can fail)", async () => {
  const [page, , reports] = await strictPage("/csp-canary.html", { trustedTypes: true });
  await page.evaluate(() => {
    const s = document.createElement("style");
    s.textContent = "body{color:red}";
    document.head.appendChild(s);
    try { document.body.insertAdjacentHTML("beforeend", "<b>x</b>"); } catch { /* Trusted Types refuse it */ }
  });
  await page.waitForFunction(() => window.__violations.length >= 2);
  const violations = await page.evaluate(() => window.__violations);
  assert.ok(violations.some((v) => v.startsWith("style-src")), violations.join("\n"));
  assert.ok(violations.some((v) => v.startsWith("require-trusted-types-for")), violations.join("\n"));
  assert.ok(reports.length >= 1, "the console reports them too");
  await done(page);
});
