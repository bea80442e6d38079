// The XSS corpus the hostile-input tests push through every channel the widget renders (user
// questions, knowledge entries and flows, streamed LLM output). Each payload that ran would call
// `top.__xss(<n>)` or `alert(<n>)`: the test page traps both, so an execution is recorded, not
// just a missing element. Not a test file itself.

const J = "top.__xss";

/** Raw markup: tags, event handlers, SVG, frames, CSS, broken markup. */
const MARKUP = [
  `<script>${J}(1)</script>`,
  `<img src=x onerror=${J}(2)>`,
  `<svg onload=${J}(3)>`,
  `<svg><script>${J}(4)</script></svg>`,
  `<iframe srcdoc="<script>${J}(5)</script>"></iframe>`,
  `<iframe src="javascript:${J}(6)"></iframe>`,
  `<body onload=${J}(7)>`,
  `<details open ontoggle=${J}(8)>`,
  `<input autofocus onfocus=${J}(9)>`,
  `<video><source onerror=${J}(10)></video>`,
  `<object data="javascript:${J}(11)"></object>`,
  `<embed src="javascript:${J}(12)">`,
  `<a href="javascript:${J}(13)">click</a>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${J}(14)>`,
  `<div style="background:url(javascript:${J}(15))">x</div>`,
  `<style>@import 'javascript:${J}(16)';</style>`,
  `<link rel=stylesheet href="javascript:${J}(17)">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${J}(18)">`,
  `<form action="javascript:${J}(19)"><button>go</button></form>`,
  `<base href="javascript:${J}(20)//">`,
  `"><img src=x onerror=${J}(21)>`,
  `'><svg/onload=${J}(22)>`,
  `</textarea><script>${J}(23)</script>`,
  `<scr<script>ipt>${J}(24)</scr</script>ipt>`,
  `<img src="x" onerror="&#116;&#111;&#112;.__xss(25)">`,
  `<svg><animate onbegin=${J}(26) attributeName=x dur=1s>`,
  `<marquee onstart=${J}(27)>`,
  `<template><img src=x onerror=${J}(28)></template>`,
  `<noscript><p title="</noscript><img src=x onerror=${J}(29)>">`,
  `<x onclick=${J}(30)>click me</x>`,
];

/** Markdown links, images and autolinks with unsafe or disguised schemes. */
const LINKS = [
  `[click](javascript:${J}(31))`,
  `[click](JaVaScRiPt:${J}(32))`,
  `[click]( javascript:${J}(33))`,
  `[click](java\tscript:${J}(34))`,
  `[click](&#106;avascript:${J}(35))`,
  `[click](javascript&colon;${J}(36))`,
  `[click](data:text/html;base64,PHNjcmlwdD50b3AuX194c3MoMzcpPC9zY3JpcHQ+)`,
  `[click](vbscript:msgbox(38))`,
  `[click](VBScript:msgbox(39))`,
  `![img](javascript:${J}(40))`,
  `![img](x" onerror="${J}(41))`,
  `<javascript:${J}(42)>`,
  `<data:text/html,<script>${J}(43)</script>>`,
  `[a](https://ok.example "title" onmouseover="${J}(44)")`,
  `[a](<javascript:${J}(45)>)`,
  `[a](%6Aavascript:${J}(46))`,
  `[a](javascript://%0a${J}(47))`,
  `[\u202egnp.exe](javascript:${J}(48))`,
  `[pay\u200dhere](javascript:${J}(49))`,
  `[https://demo-market.example](https://evil.example/\u202e${J}(50))`,
];

/** Template syntax, Unicode tricks and text that breaks naive renderers. */
const TRICKS = [
  `{{constructor.constructor('${J}(51)')()}}`,
  `\${${J}(52)}`,
  `<%= ${J}(53) %>`,
  `{{7*7}} [[${J}(54)]]`,
  `\u202e<img src=x onerror=${J}(55)>\u202c`,
  `z\u200d<img\u200bsrc=x onerror=${J}(56)>`,
  `**<img src=x onerror=${J}(57)>**`,
  `\`<img src=x onerror=${J}(58)>\``,
  `- <svg onload=${J}(59)>\n- item`,
  `# <script>${J}(60)</script>`,
  `<!--<img src="--><img src=x onerror=${J}(61)//">`,
  `<a href="&#x6A;avascript:${J}(62)">x</a>`,
  `<img src=x oNeRrOr=${J}(63)>`,
  `\u0000<script>${J}(64)</script>`,
];

/**
 * A seeded pseudo-random generator (a linear congruential one): `next(k)` gives 1…k, the same
 * sequence for the same seed on every run, so cuts and words in the tests are reproducible.
 */
export function seededRandom(seed) {
  // BigInt: the product passes 2^53, where a Number would round.
  let state = BigInt(seed) % 2147483648n;
  return (k) => {
    state = (state * 1103515245n + 12345n) % 2147483648n;
    return 1 + Number(state % BigInt(k));
  };
}

/** Every payload, numbered 1…n by the call it would make. */
export const PAYLOADS = [...MARKUP, ...LINKS, ...TRICKS];

/**
 * Installs the execution trap: `__xss(n)` and the dialog functions record instead of acting.
 * Runs in the page before any script (Playwright's addInitScript).
 */
export function installTrap() {
  window.__xssHits = [];
  window.__xss = (n) => window.__xssHits.push(String(n));
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (n) => window.__xssHits.push(`${name}(${n})`);
  }
}

/**
 * Walks a shadow root (or document) for what must never be there: executable or framing
 * elements, `on*` attributes, URLs with a scheme other than http(s), mailto and tel, `srcdoc`,
 * and `url(` in a style attribute. Returns descriptions of what it found. Runs in the page.
 */
export function findUnsafe(root) {
  const found = [];
  const banned = new Set(["SCRIPT", "IFRAME", "FRAME", "OBJECT", "EMBED", "BASE", "META", "TEMPLATE", "STYLE", "NOSCRIPT", "MARQUEE", "VIDEO", "MATH"]);
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"];
  const safe = /^(https?:|mailto:|tel:|#|\/|\.\/|[a-z0-9._-]+(\/|$))/i;
  for (const el of root.querySelectorAll("*")) {
    const tag = el.tagName.toUpperCase();
    if (banned.has(tag)) found.push(`<${tag.toLowerCase()}>`);
    // The widget draws no images; its only SVGs are its own icons (aria-hidden, one path).
    if (tag === "IMG") found.push("<img>");
    if (tag === "SVG" && el.getAttribute("aria-hidden") !== "true") found.push("<svg> that is not an icon");
    if (tag === "ANIMATE" || tag === "FOREIGNOBJECT") found.push(`<${tag.toLowerCase()}>`);
    // The composer is the widget's one form (class ma-…); any other came from text.
    if (tag === "FORM" && !/^ma-/.test(el.getAttribute("class") ?? "")) found.push("<form> from text");
    if (tag === "LINK" && el.getAttribute("rel") !== "stylesheet") found.push("<link> that is not the widget's stylesheet");
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${name} on <${tag.toLowerCase()}>`);
      if (name === "srcdoc") found.push(`srcdoc on <${tag.toLowerCase()}>`);
      if (name === "style" && /url\s*\(/i.test(attr.value)) found.push(`url() in a style attribute`);
      if (urlAttrs.includes(name) && !safe.test(attr.value.trim())) found.push(`${name}=${JSON.stringify(attr.value)} on <${tag.toLowerCase()}>`);
    }
  }
  return found;
}
