// Style isolation both ways, by computed styles: a hostile host stylesheet must not change how
// the widget looks, and the widget must not change how the host page looks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { newPage, hostPage, openWidget, ask, widget, useBrowser } from "./harness.mjs";
import { waitForMount, done, unexpected } from "./support.mjs";

let servers, browser;
useBrowser((s, b) => ([servers, browser] = [s, b]));

const HOSTILE = `<style>
* { font-family: "Comic Sans MS" !important; color: red !important; font-size: 30px !important; line-height: 3 !important; box-sizing: content-box !important }
html { font-size: 62.5% }
button { background: lime !important; padding: 40px !important }
body { letter-spacing: 4px; word-spacing: 12px; text-transform: uppercase; text-align: right; font-style: italic; font-weight: 900; cursor: wait; text-shadow: 2px 2px red; direction: ltr }
div { transform: rotate(8deg) !important; opacity: .4 !important; filter: blur(1px) !important; margin: 30px !important; border: 6px solid blue !important }
textarea, input { border: 5px dashed purple !important; background: yellow !important }
svg { width: 300px !important; height: 300px !important }
</style>`;

const BRAND = "rgb(232, 87, 42)";
const FG = "rgb(29, 31, 35)";

/** Computed styles of the widget's parts that matter, plus boxes. */
function widgetStyles(page) {
  return page.evaluate(() => {
    const host = document.querySelector("#market-assist");
    const root = host.shadowRoot;
    const pick = (sel, props) => {
      const el = root.querySelector(sel);
      if (!el) return null;
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      const out = { w: Math.round(r.width), h: Math.round(r.height) };
      for (const p of props) out[p] = cs.getPropertyValue(p);
      return out;
    };
    const TEXT = ["font-family", "font-size", "line-height", "font-style", "font-weight", "color", "letter-spacing", "word-spacing", "text-transform", "text-shadow"];
    const BOX = ["box-sizing", "padding-top", "padding-left", "margin-top", "border-top-width", "background-color", "transform", "opacity", "filter"];
    const hostCs = getComputedStyle(host);
    return {
      host: { position: hostCs.position, transform: hostCs.transform, opacity: hostCs.opacity, filter: hostCs.filter, margin: hostCs.marginTop, border: hostCs.borderTopWidth },
      launcher: pick(".ma-launcher", [...BOX, "border-radius", "color"]),
      launcherIcon: pick(".ma-launcher svg", []),
      panel: pick(".ma-panel", [...BOX, "border-top-left-radius"]),
      title: pick(".ma-title", TEXT),
      greeting: pick(".ma-bot p", TEXT),
      answerText: pick(".ma-answer p", TEXT),
      answerTitle: pick(".ma-answer-title", TEXT),
      user: pick(".ma-user", [...TEXT, ...BOX]),
      input: pick(".ma-input", [...TEXT, ...BOX, "border-top-style"]),
      send: pick(".ma-send", BOX),
      fb: pick(".ma-fb", [...BOX, "font-size"]),
      chip: pick(".ma-answer .ma-chip", [...TEXT, ...BOX]),
      messages: pick(".ma-messages", BOX),
    };
  });
}

/** Opens the widget and shows one answer; waits for widget.css to apply. */
async function openWithAnswer(page) {
  await openWidget(page);
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#market-assist").shadowRoot.querySelector(".ma-panel")).position === "fixed");
  await ask(page, "where is my parcel");
  await widget(page, '.ma-answer[data-entry="track-order"]').waitFor();
  await page.mouse.move(5, 5); // off the launcher: its :hover scale would change its box
  await page.waitForTimeout(250); // the panel's entry animation and the hover transition
}

test("a hostile host stylesheet does not reach the placeholder launcher (before the wasm loads)", async () => {
  const [page, errors] = await newPage(browser);
  await page.goto(servers.page("/hostile-early", hostPage(servers.cdnUrl, { head: HOSTILE, data: { load: "open" } })));
  const launcher = widget(page, ".ma-launcher");
  await launcher.waitFor();
  const s = await page.evaluate(() => {
    const b = document.querySelector("#market-assist").shadowRoot.querySelector(".ma-launcher");
    const cs = getComputedStyle(b);
    const r = b.getBoundingClientRect();
    return { w: r.width, h: r.height, bg: cs.backgroundColor, pad: cs.paddingTop, color: cs.color, svg: b.querySelector("svg").getBoundingClientRect().width };
  });
  assert.deepEqual(s, { w: 60, h: 60, bg: BRAND, pad: "0px", color: "rgb(255, 255, 255)", svg: 28 });
  assert.deepEqual(unexpected(errors), []);
  await done(page);
});

test("a hostile host stylesheet does not change the widget's computed styles", async () => {
  const [plain, errors1] = await newPage(browser);
  await plain.goto(servers.page("/plain", hostPage(servers.cdnUrl)));
  await openWithAnswer(plain);
  const reference = await widgetStyles(plain);

  const [page, errors2] = await newPage(browser);
  await page.goto(servers.page("/hostile", hostPage(servers.cdnUrl, { head: HOSTILE })));
  await openWithAnswer(page);
  const hostile = await widgetStyles(page);

  // Concrete values the design asks for.
  assert.equal(hostile.input["font-size"], "16px", "composer 16px (no iOS zoom)");
  assert.equal(hostile.greeting["font-size"], "15px");
  assert.equal(hostile.answerText["font-size"], "15px");
  assert.equal(hostile.user["font-size"], "15px");
  assert.equal(hostile.answerText["line-height"], "21.75px");
  assert.equal(hostile.chip["font-size"], "14px");
  assert.equal(hostile.title["font-size"], "16px");
  for (const part of ["input", "greeting", "answerText", "user", "chip", "title"]) {
    assert.doesNotMatch(hostile[part]["font-family"], /comic/i, `${part} font`);
    assert.notEqual(hostile[part].color, "rgb(255, 0, 0)", `${part} colour`);
    assert.equal(hostile[part]["letter-spacing"], "normal", `${part} letter-spacing`);
    assert.equal(hostile[part]["text-transform"], "none", `${part} text-transform`);
  }
  assert.equal(hostile.answerText.color, FG);
  assert.equal(hostile.input.color, FG);
  assert.equal(hostile.user.color, "rgb(255, 255, 255)");
  assert.equal(hostile.title.color, "rgb(255, 255, 255)");
  assert.deepEqual([hostile.launcher.w, hostile.launcher.h], [60, 60]);
  assert.equal(hostile.launcher["background-color"], BRAND);
  assert.equal(hostile.launcherIcon.w, 28);
  assert.deepEqual([hostile.send.w, hostile.send.h], [42, 42]);
  assert.equal(hostile.send["padding-top"], "0px");
  assert.notEqual(hostile.send["background-color"], "rgb(0, 255, 0)");
  assert.equal(hostile.panel.w, 380);
  assert.equal(hostile.input["box-sizing"], "border-box");
  assert.equal(hostile.host.transform, "none");
  assert.equal(hostile.host.opacity, "1");
  assert.equal(hostile.host.position, "fixed");

  // And, more broadly: every measured property equals the same widget on a plain page.
  assert.deepEqual(hostile, reference);
  assert.deepEqual(unexpected([...errors1, ...errors2]), []);
  await done(plain);
  await done(page);
});

/** Full computed styles and boxes of the host's own elements. */
function hostSnapshot(page) {
  return page.evaluate(() => {
    const out = {};
    for (const sel of ["html", "body", "main", "h1", "p", "button", "a", "input", "#fixed"]) {
      const el = document.querySelector(sel);
      const cs = getComputedStyle(el);
      const styles = {};
      for (let i = 0; i < cs.length; i++) styles[cs[i]] = cs.getPropertyValue(cs[i]);
      const r = el.getBoundingClientRect();
      out[sel] = { styles, box: [r.x, r.y, r.width, r.height].map(Math.round) };
    }
    out.doc = {
      sheets: document.styleSheets.length,
      adopted: document.adoptedStyleSheets.length,
      scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
      bodyChildren: [...document.body.children].map((c) => c.tagName + (c.id ? "#" + c.id : "")),
      headChildren: document.head.children.length,
      htmlAttrs: [...document.documentElement.attributes].map((a) => `${a.name}=${a.value}`),
      bodyAttrs: [...document.body.attributes].map((a) => `${a.name}=${a.value}`),
    };
    return out;
  });
}

const HOST_BODY = `<main><h1>Shop</h1><p>Welcome to <a href="#x">our store</a>.</p><button type="button">Buy now</button> <input placeholder="Search"></main><div id="fixed" style="position:fixed;bottom:0;right:0;width:100px;height:40px">footer</div>`;
const HOST_CSS = `<style>body { font: 16px Georgia, serif; color: #333 } button { padding: 6px 10px } p { margin: 1em 0 }</style>`;

for (const [name, contextOptions] of [
  ["desktop", { viewport: { width: 1280, height: 800 } }],
  ["phone", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
]) {
  test(`the widget does not change the host page's computed styles or layout (${name})`, async () => {
    const [page, errors] = await newPage(browser, contextOptions);
    // The page without the tag; the tag is added exactly as it would be written, then compared.
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Host</title>${HOST_CSS}</head><body>${HOST_BODY}</body></html>`;
    await page.goto(servers.page(`/host-${name}`, html));
    const before = await hostSnapshot(page);
    await page.evaluate((src) => {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      document.body.appendChild(s);
    }, `${servers.cdnUrl}embed.js`);
    await waitForMount(page);
    await openWithAnswer(page);
    const after = await hostSnapshot(page);
    // The only DOM change the host sees: its script tag and one #market-assist element.
    assert.deepEqual(after.doc.bodyChildren, [...before.doc.bodyChildren, "SCRIPT", "DIV#market-assist"]);
    after.doc.bodyChildren = before.doc.bodyChildren;
    for (const key of Object.keys(before)) {
      if (key === "doc") continue;
      const changed = Object.keys(before[key].styles).filter((p) => before[key].styles[p] !== after[key].styles[p]);
      assert.deepEqual(changed.map((p) => `${key} ${p}: ${before[key].styles[p]} → ${after[key].styles[p]}`), [], `${key} styles`);
      assert.deepEqual(after[key].box, before[key].box, `${key} box`);
    }
    assert.deepEqual(after.doc, before.doc);
    assert.equal(before.body.styles["margin-top"], "8px");
    assert.equal(before.button.styles["padding-top"], "6px");
    assert.deepEqual(unexpected(errors), []);
    await done(page);
  });
}
