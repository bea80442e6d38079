/*! Demo Market assistant — embed loader.
 * <script src="https://cdn.example/market-assist/embed.js" async data-endpoint="…"></script>
 * Draws the launcher at once inside a Shadow DOM root, loads the wasm widget and the knowledge
 * pack lazily (on idle or first open), and exposes window.MarketAssist; calls made before the
 * bundle has loaded are queued. Including the tag twice gives one widget. With data-collect it
 * also loads collect.js, which sends the widget's analytics events there (docs/events.md). */
(function () {
  "use strict";
  var WIDGET_VERSION = "0.1.0";
  var existing = window.MarketAssist;
  if (existing && existing.__embedded) return;

  var script = document.currentScript || document.querySelector("script[src*='embed.js']");
  var data = (script && script.dataset) || {};
  var base = new URL(".", (script && script.src) || location.href).href;
  var queue = (existing && existing.q) || [];
  var listeners = {};
  var widget = null;
  var loading = null;

  function num(v) { var n = parseFloat(v); return isFinite(n) ? n : undefined; }
  // Page context as the widget takes it: texts, and null for "remove this key".
  function texts(o) {
    var out = {};
    for (var k in o) out[k] = o[k] == null ? null : String(o[k]);
    return out;
  }
  function json(v) {
    try { return texts(v ? JSON.parse(v) : {}); }
    catch (e) { console.warn("market-assist: data-context is not JSON"); return {}; }
  }

  var config = {
    pack: new URL(data.pack || "kb.idx.gz", base).href,
    endpoint: data.endpoint || null,
    model: data.model || null,
    token: data.token || null,
    locale: data.locale || document.documentElement.lang || navigator.language || "en",
    audience: data.audience || null,
    greeting: data.greeting || null,
    handoffUrl: data.handoffUrl || null,
    contact: data.contact || null,
    answerThreshold: num(data.answerThreshold),
    clarifyThreshold: num(data.clarifyThreshold),
    maxFallbacks: num(data.maxFallbacks),
    firstByteTimeout: num(data.firstByteTimeout),
    totalTimeout: num(data.totalTimeout),
    systemPrompt: data.systemPrompt || null,
    redact: (data.redact || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean),
    dir: data.dir || document.documentElement.dir || null,
    context: json(data.context),
    collectText: data.collectText || null,
    resolutionDelay: num(data.resolutionDelay),
    // The semantic tiers: "encoder" (the default: kb.<locale>.sem.gz after the pack, and
    // encoder.kben.gz for a question the rest would not answer), "static" (no encoder) or "off".
    semantic: data.semantic || "encoder",
    // Starts the encoder tier: its page side (encoder-client.js, beside the widget's files, with
    // the Web Worker it runs) is fetched with the first question that needs it.
    startEncoder: function (file, sha256) {
      return import(new URL("encoder-client.js", base).href).then(function (m) { return m.start(file, sha256); });
    }
  };

  // ---- knowledge release: data-manifest ---------------------------------------------------
  // The channel manifest (docs/releases.md) names a stable release and maybe a candidate for a
  // share of sessions. Each browser keeps a random id; its hash puts it in a bucket 0–99 for
  // good, so a buyer does not flip between releases. The last manifest read is kept, so that a
  // visit without network still knows which packs it had.
  var channel = null;
  var MANIFEST_KEY = "market-assist:manifest:v1";
  var BUCKET_KEY = "market-assist:bucket-id";
  function stored(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      localStorage.setItem(key, value);
    } catch (e) { /* storage blocked: this page only */ }
    return value;
  }
  function bucket() {
    var id = stored(BUCKET_KEY);
    if (!id) {
      var bytes = new Uint8Array(8);
      crypto.getRandomValues(bytes);
      id = stored(BUCKET_KEY, Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join(""));
    }
    var h = 2166136261; // FNV-1a, 32 bits
    for (var i = 0; i < id.length; i++) { h ^= id.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    return h % 100;
  }
  function choose(manifest, url) {
    var c = manifest.candidate;
    var pick = c && bucket() < c.share ? ["candidate", c] : ["stable", manifest.stable];
    var file = function (p) {
      return { url: new URL(pick[1].base + p.file, url).href, sha256: p.sha256, inflatedBytes: p.inflated_bytes };
    };
    var files = function (listed) {
      var out = {};
      for (var key in listed || {}) out[key] = file(listed[key]);
      return out;
    };
    // The packs, and the semantic tiers' files when the release has them. A manifest of another
    // shape throws here, before anything is set.
    var release = {
      version: pick[1].version,
      packs: files(pick[1].packs),
      semantic: files(pick[1].semantic),
      encoder: pick[1].encoder ? file(pick[1].encoder) : null
    };
    channel = pick[0];
    config.release = release;
  }
  var releaseChosen = Promise.resolve();
  if (data.manifest) {
    var manifestUrl = new URL(data.manifest, location.href).href;
    // A manifest that hangs must not hold the widget back: after 8 s the last one read serves.
    var abort = typeof AbortController === "function" ? new AbortController() : null;
    var timer = abort && setTimeout(function () { abort.abort(); }, 8000);
    releaseChosen = fetch(manifestUrl, { cache: "no-cache", credentials: "omit", signal: abort && abort.signal })
      .then(function (r) { clearTimeout(timer); if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (text) { choose(JSON.parse(text), manifestUrl); stored(MANIFEST_KEY, JSON.stringify({ url: manifestUrl, text: text })); })
      .catch(function (e) {
        clearTimeout(timer);
        // Whatever happens here, the widget still loads (with data-pack's pack at worst).
        try {
          var last = JSON.parse(stored(MANIFEST_KEY) || "null");
          if (!last || last.url !== manifestUrl) throw e;
          choose(JSON.parse(last.text), manifestUrl);
          console.warn("market-assist: release manifest " + manifestUrl + ": " + e.message + "; using the last one read");
        } catch (none) {
          config.release = null;
          console.error("market-assist: release manifest " + manifestUrl + ": " + e.message);
        }
      });
  }

  // ---- host element and shadow root -------------------------------------------------------
  var host = document.createElement("div");
  host.id = "market-assist";
  host.setAttribute("data-market-assist", "");
  host.setAttribute("data-side", data.position === "left" ? "left" : "right");
  var shadow = host.attachShadow({ mode: "open" });
  var side = data.position === "left" ? "left" : "right";
  var vars = ":host{--ma-brand:" + (data.color || "#e8572a") + ";--ma-z:" + (parseInt(data.zIndex, 10) || 2147483000) + ";--ma-side:" + side + "}";
  // Enough style to show the launcher before widget.css arrives; `all: initial` (important, so
  // it wins over host `*` rules) stops host styles from leaking in through inheritance.
  var critical = ":host{all:initial!important;position:fixed!important;z-index:var(--ma-z)!important;bottom:20px!important;" + side + ":20px!important;display:block!important;width:auto!important;height:auto!important}" +
    ".ma-launcher{all:initial;box-sizing:border-box;width:60px;height:60px;border-radius:50%;background:var(--ma-brand);color:#fff;display:flex;align-items:center;justify-content:center;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25)}" +
    ".ma-unavailable{position:absolute;bottom:72px;" + side + ":0;width:240px;box-sizing:border-box;padding:12px 14px;border-radius:12px;background:#fff;color:#1f2328;font:14px/1.4 system-ui,sans-serif;box-shadow:0 6px 20px rgba(0,0,0,.25)}" +
    ".ma-unavailable p{margin:0 0 8px}.ma-unavailable a{color:#1f2328;font-weight:600}";
  // A constructed sheet is not inline style, so a strict Content-Security-Policy (no
  // 'unsafe-inline' in style-src) keeps it; a <style> element only where those are missing.
  var sheet;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(vars + critical);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    sheet = document.createElement("style");
    sheet.textContent = vars + critical;
    shadow.appendChild(sheet);
  }
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", base).href;
  shadow.appendChild(css);

  var placeholder = document.createElement("button");
  placeholder.className = "ma-launcher";
  placeholder.setAttribute("aria-label", "Open help chat");
  // Built node by node: markup strings are what Trusted Types ('require-trusted-types-for') refuse.
  var svg = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(svg, "svg");
  var iconPath = document.createElementNS(svg, "path");
  [["viewBox", "0 0 24 24"], ["width", "28"], ["height", "28"], ["aria-hidden", "true"]].forEach(function (a) { icon.setAttribute(a[0], a[1]); });
  iconPath.setAttribute("fill", "currentColor");
  iconPath.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
  icon.appendChild(iconPath);
  placeholder.appendChild(icon);
  placeholder.addEventListener("click", function () { api.open(); });
  shadow.appendChild(placeholder);

  function attach() {
    (document.body || document.documentElement).appendChild(host);
    if (typeof performance !== "undefined" && performance.mark) performance.mark("market-assist:launcher");
  }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);

  // Phones: keep the panel above the on-screen keyboard.
  if (window.visualViewport) {
    var fit = function () { host.style.setProperty("--ma-vvh", window.visualViewport.height + "px"); };
    window.visualViewport.addEventListener("resize", fit);
    fit();
  }

  // ---- events -----------------------------------------------------------------------------
  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { console.error("market-assist listener failed", e); }
    });
    window.dispatchEvent(new CustomEvent("market-assist:" + name, { detail: detail }));
  }

  // ---- analytics: only with data-collect ---------------------------------------------------
  // collect.js loads with the first event (or at once when an earlier page left events queued);
  // events until then keep the time they happened.
  var collector = null;
  var collecting = null;
  var early = [];
  function collect() {
    if (!collecting) {
      collecting = import(new URL("collect.js", base).href).then(function (m) {
        collector = m.start(new URL(data.collect, location.href).href, { interval: num(data.collectInterval) });
        early.splice(0).forEach(function (e) { collector.track(e[0], e[1], e[2]); });
      }).catch(function (e) { console.warn("market-assist: analytics are off, collect.js did not load", e); });
    }
    return collecting;
  }
  function track(type, fields) {
    if (collector) return collector.track(type, fields);
    early.push([type, fields, new Date().toISOString()]);
    collect();
  }
  if (data.collect) {
    try { if (localStorage.getItem("market-assist:events:v1")) collect(); } catch (e) { /* storage blocked */ }
  }
  // Leaving: the widget settles what nobody answered, then what is queued goes as a beacon.
  window.addEventListener("pagehide", function () {
    if (widget) widget.pageHidden();
    if (collector) collector.flush();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && collector) collector.flush();
  });

  // ---- when the bundle cannot load ----------------------------------------------------------
  // The widget's own strings live in the wasm; these few are for when it never arrives (a CDN
  // outage, a blocked .wasm), so that a click on the launcher still leads somewhere.
  var UNAVAILABLE = {
    en: ["Help is unavailable right now. Please try again in a moment.", "Talk to a person"],
    id: ["Bantuan sedang tidak tersedia. Silakan coba lagi sebentar lagi.", "Hubungi petugas"],
    es: ["La ayuda no está disponible ahora. Inténtalo de nuevo en un momento.", "Hablar con una persona"],
    th: ["ขณะนี้ระบบช่วยเหลือใช้งานไม่ได้ โปรดลองอีกครั้งในอีกสักครู่", "คุยกับเจ้าหน้าที่"],
    vi: ["Trợ giúp hiện không khả dụng. Vui lòng thử lại sau giây lát.", "Nói chuyện với nhân viên"]
  };
  var notice = null;
  function showUnavailable() {
    if (notice || widget) return;
    var words = UNAVAILABLE[String(config.locale).slice(0, 2).toLowerCase()] || UNAVAILABLE.en;
    notice = document.createElement("div");
    notice.className = "ma-unavailable";
    notice.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = words[0];
    notice.appendChild(text);
    var handoff = null;
    try { handoff = config.handoffUrl && new URL(config.handoffUrl, location.href); } catch (e) { /* no link */ }
    if (handoff && /^(https?|mailto):$/.test(handoff.protocol)) {
      var link = document.createElement("a");
      link.href = handoff.href;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = words[1];
      notice.appendChild(link);
    }
    shadow.appendChild(notice);
  }
  function hideUnavailable() {
    if (notice) notice.remove();
    notice = null;
  }

  // ---- lazy load ----------------------------------------------------------------------------
  function load() {
    if (loading) return loading;
    loading = releaseChosen.then(function () { return import(new URL("market-assist.js", base).href); })
      .then(function (glue) { return glue.default({ module_or_path: new URL("market-assist_bg.wasm", base).href }).then(function () { return glue; }); })
      .then(function (glue) {
        widget = glue.mount(shadow, config, emit, data.collect ? track : undefined);
        placeholder.remove();
        hideUnavailable();
        if (performance.mark) performance.mark("market-assist:ready");
        var pending = queue.splice(0);
        pending.forEach(function (call) {
          // A stub snippet's calls ([method, args]) have no promise waiting on them.
          var settle = call[2] ? [call[2], call[3]] : [function () {}, function (e) { console.warn(e); }];
          try { Promise.resolve(run(call[0], call[1])).then(settle[0], settle[1]); } catch (e) { settle[1](e); }
        });
        return widget;
      })
      .catch(function (e) {
        console.error("market-assist: could not load the widget", e);
        loading = null;
        throw e;
      });
    return loading;
  }

  // A call before the bundle is there waits in the queue; the promise it returns settles once
  // the call ran (with its result, e.g. startFlow's).
  function run(method, args) {
    if (!widget) {
      return new Promise(function (resolve, reject) {
        queue.push([method, args, resolve, reject]);
        // A call from the page or a click on the launcher retries a failed load, and says so if
        // it fails again; the queued calls wait for a load that works.
        hideUnavailable();
        load().catch(showUnavailable);
      });
    }
    if (method === "setContext") return widget.setContext(texts(args[0] || {}));
    return widget[method].apply(widget, args);
  }

  var api = {
    __embedded: true,
    // Which widget and which knowledge answer: the release's version (or the pack's checksum
    // with a plain data-pack; null until a pack has loaded) and its channel.
    version: function () {
      return { widget: WIDGET_VERSION, knowledge: (widget && widget.knowledgeVersion()) || null, channel: channel };
    },
    open: function () { run("open", []); },
    close: function () { run("close", []); },
    toggle: function () { run("toggle", []); },
    ask: function (text) { run("ask", [String(text)]); },
    // A promise: resolves once the flow started, rejects with an Error naming an unknown flow.
    startFlow: function (id) { return Promise.resolve(run("startFlow", [String(id)])); },
    setContext: function (ctx) {
      if (widget) run("setContext", [ctx]);
      else { for (var k in ctx) { if (ctx[k] == null) delete config.context[k]; else config.context[k] = String(ctx[k]); } }
    },
    on: function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return function off() {
        listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; });
      };
    },
    load: load
  };
  window.MarketAssist = api;

  // Calls queued by a stub snippet (window.MarketAssist = {q: [[method, args]]}) run after load.
  if (queue.length) load();
  if ((data.load || "idle") === "idle") {
    var idle = window.requestIdleCallback || function (cb) { return setTimeout(cb, 200); };
    idle(function () { load().catch(function () {}); });
  }
})();
