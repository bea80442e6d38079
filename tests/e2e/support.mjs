// Small helpers shared by the e2e test files (on top of harness.mjs). Not a test file itself.
import { readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, widget } from "./harness.mjs";

/** Front matter field of a knowledge entry, e.g. entryField("id", "parcel-lost", "title"). */
export function entryField(locale, id, field) {
  const text = readFileSync(join(ROOT, "knowledge", "entries", locale, `${id}.md`), "utf8");
  const m = text.match(new RegExp(`^${field}:\\s*(.*)$`, "m"));
  return m ? m[1].trim() : undefined;
}

/** Ids of entries with `featured: true` in a locale. */
export function featuredIds(locale) {
  const dir = join(ROOT, "knowledge", "entries", locale);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .filter((f) => /^featured:\s*true\s*$/m.test(readFileSync(join(dir, f), "utf8")))
    .map((f) => f.replace(/\.md$/, ""));
}

/** Runs `fn(root, arg)` in the page against the widget's shadow root. */
export function inShadow(page, fn, arg) {
  return page.evaluate(
    ([src, a]) => {
      const root = document.querySelector("#market-assist").shadowRoot;
      // eslint-disable-next-line no-new-func
      return new Function("root", "arg", `return (${src})(root, arg);`)(root, a);
    },
    [fn.toString(), arg],
  );
}

/** data-entry ids of every answer shown, in order. */
export function answerIds(page) {
  return widget(page, ".ma-answer").evaluateAll((els) => els.map((e) => e.dataset.entry));
}

/** Waits until an answer for `id` is shown; returns its locator (the last one). */
export async function waitForAnswer(page, id, timeout = 10_000) {
  const loc = widget(page, `.ma-answer[data-entry="${id}"]`).last();
  await loc.waitFor({ timeout });
  return loc;
}

/** Waits until the bot message count exceeds `n`. */
export function waitForBotCount(page, n) {
  return page.waitForFunction(
    (k) => document.querySelector("#market-assist")?.shadowRoot?.querySelectorAll(".ma-bot").length > k,
    n,
  );
}

/** Waits until the wasm widget is mounted (the placeholder launcher was replaced). */
export function waitForMount(page) {
  return page.waitForFunction(() => !!document.querySelector("#market-assist")?.shadowRoot?.querySelector(".ma-root .ma-launcher"));
}

/** Closes a page's browser context (each test uses its own). */
export async function done(page) {
  await page.context().close();
}

/** Errors that are not the test's own doing. */
export function unexpected(errors) {
  return errors.filter((e) => !/favicon/i.test(e));
}

/** What the `kb` CLI decides for a question against dist/kb.idx (same index the widget loads). */
export function kbSearch(question, locale = "en", extra = []) {
  const bin = join(ROOT, "target", "release", "kb");
  // As the pages of the tests (harness.mjs): the static tier unless a test asks for another.
  const semantic = extra.includes("--semantic") ? [] : ["--semantic", "static"];
  const out = execFileSync(bin, ["search", question, "--index", join(ROOT, "dist", "kb.idx"), "--locale", locale, "--json", ...semantic, ...extra], { encoding: "utf8" });
  return JSON.parse(out);
}

/** The "did you mean" choices the widget derives from a search (see Chat::respond). */
export function clarifyChoices(result) {
  const top = result.hits[0]?.score ?? 0;
  return result.hits.filter((h) => h.score >= top * 0.6).slice(0, 3).map((h) => h.id);
}
