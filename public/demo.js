// The demo page embeds the widget exactly as a page owner would (one script tag), with the
// data attributes taken from the settings form so a visitor can try locales, audiences and
// another LLM endpoint.
(function () {
  var params = new URLSearchParams(location.search);
  var settings = {
    audience: params.get("audience") || "seller",
    locale: params.get("locale") || "en",
    order_status: params.get("order_status") || "",
    endpoint: params.has("endpoint") ? params.get("endpoint") : "http://127.0.0.1:8765/v1/chat/completions",
    // scripts/demo.sh runs `kb collect` here; ?collect= (empty: none) points elsewhere.
    collect: params.has("collect") ? params.get("collect") : "http://127.0.0.1:8790/events"
  };
  var form = document.getElementById("settings");
  Object.keys(settings).forEach(function (k) { if (form.elements[k]) form.elements[k].value = settings[k]; });
  document.documentElement.lang = settings.locale;

  var tag = document.createElement("script");
  tag.src = "embed.js";
  tag.async = true;
  tag.dataset.audience = settings.audience;
  tag.dataset.locale = settings.locale;
  // One language's answers per page: kb.en.idx.gz and so on, written by scripts/build.sh.
  tag.dataset.pack = "kb.{locale}.idx.gz";
  tag.dataset.endpoint = settings.endpoint;
  tag.dataset.handoffUrl = "https://help.demo-market.example/contact";
  if (settings.collect) {
    tag.dataset.collect = settings.collect;
    // The demo's own collector keeps redacted question text, so that `kb gaps` has words to group.
    tag.dataset.collectText = "redacted";
  }
  tag.dataset.context = JSON.stringify(settings.order_status ? { order_status: settings.order_status } : {});
  document.body.appendChild(tag);

  document.querySelectorAll("[data-ask]").forEach(function (b) {
    b.addEventListener("click", function () { MarketAssist.ask(b.dataset.ask); });
  });
  document.querySelectorAll("[data-flow]").forEach(function (b) {
    b.addEventListener("click", function () { MarketAssist.startFlow(b.dataset.flow); });
  });
  var log = document.getElementById("events");
  ["answer", "fallback", "handoff", "feedback", "open", "close", "flow"].forEach(function (name) {
    window.addEventListener("market-assist:" + name, function (e) {
      log.textContent = "Event: " + name + " " + JSON.stringify(e.detail);
    });
  });
})();
