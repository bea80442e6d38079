import { startServers, launch, newPage, hostPage, openWidget, ask, widget, ROOT } from "/work/main/tests/e2e/harness.mjs";
import { waitForMount } from "/work/main/tests/e2e/support.mjs";
const s = await startServers();
const browser = await launch();
const [page, errors] = await newPage(browser, { viewport: { width: 1280, height: 800 } });
await page.goto(s.page("/p", hostPage(s.cdnUrl, { body: '<main><h1>Shop</h1><p>Welcome to <a href="#a">our shop</a>.</p></main>' })));
await waitForMount(page);
const active = () => page.evaluate(() => { let a = document.activeElement; let path = a.tagName + (a.id ? "#" + a.id : ""); while (a && a.shadowRoot && a.shadowRoot.activeElement) { a = a.shadowRoot.activeElement; path += " > " + a.tagName + "." + a.className + (a.getAttribute("aria-label") ? "[" + a.getAttribute("aria-label") + "]" : "") + (a.dataset?.entry ? "{" + a.dataset.entry + "}" : ""); } return path; });
for (let i = 0; i < 3; i++) { await page.keyboard.press("Tab"); console.log(i, await active()); }
await page.keyboard.press("Enter");
await page.waitForTimeout(500);
console.log("after enter", await active());
await page.keyboard.type("wher is my parcel??");
await page.keyboard.press("Enter");
await page.waitForTimeout(300);
await page.keyboard.type("refund");
await page.keyboard.press("Enter");
await page.waitForTimeout(300);
for (let i = 0; i < 16; i++) { await page.keyboard.press("Tab"); console.log("tab", i, await active()); }
await page.addScriptTag({ path: ROOT + "/node_modules/axe-core/axe.min.js" });
const res = await page.evaluate(async () => { const r = await axe.run(document, { resultTypes: ["violations"] }); return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => [JSON.stringify(n.target), n.failureSummary]).slice(0, 4) })); });
console.log(JSON.stringify(res, null, 1));
console.log(await widget(page, ".ma-sr").textContent());
console.log(errors);
await browser.close(); s.close();
