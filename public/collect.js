/*! Demo Market assistant — analytics delivery. Loaded by embed.js only when the page sets
 * data-collect; without it the widget sends nothing at all.
 *
 * Takes the widget's events (docs/events.md), adds what the page knows (event id, the browser
 * session's random id, the time, the path without query or fragment), queues them in
 * localStorage and POSTs them in batches: a few seconds after the first event, and at once with
 * navigator.sendBeacon when the page goes away. A batch that fails stays queued and is retried
 * with exponential backoff; coming back online retries at once. The queue is bounded: when full,
 * the oldest events go and the next batch counts them in `dropped`. Nothing here runs on a
 * reply's path: an event is queued in microseconds and sent later. */

const QUEUE_KEY = "market-assist:events:v1";
const SESSION_KEY = "market-assist:session:v1";
/** The most events kept while the collector cannot be reached. */
const MAX_QUEUE = 500;
/** The most events in one batch, and its bytes: a beacon or a keepalive request may carry 64 kB. */
const MAX_BATCH = 100;
const MAX_BATCH_BYTES = 60000;
/** Retries wait 5 s, 10 s, 20 s … up to 5 minutes. */
const MAX_BACKOFF_MS = 300000;

/** A random id (not derived from anything about the person or the device). */
function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The queue lives in localStorage (it survives a reload and a closed tab); where storage is
 * blocked or full, in memory for this page. Every change reads it afresh, so two tabs of the
 * same store add to one queue instead of overwriting each other's. */
function queueStore() {
  let memory = null;
  const empty = () => ({ events: [], dropped: 0 });
  function read() {
    if (memory) return memory;
    try {
      const saved = JSON.parse(localStorage.getItem(QUEUE_KEY) || "null");
      if (saved && Array.isArray(saved.events)) return { events: saved.events, dropped: saved.dropped | 0 };
      return empty();
    } catch (e) {
      memory = empty();
      return memory;
    }
  }
  function update(change) {
    const queue = read();
    change(queue);
    const over = queue.events.length - MAX_QUEUE;
    if (over > 0) {
      queue.events.splice(0, over);
      queue.dropped += over;
    }
    if (memory) return;
    try {
      localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
    } catch (e) {
      memory = queue;
    }
  }
  return { read, update };
}

/** The browser session's id: random, made once per session. */
function sessionId() {
  try {
    let id = sessionStorage.getItem(SESSION_KEY);
    if (!id) {
      id = randomId();
      sessionStorage.setItem(SESSION_KEY, id);
    }
    return id;
  } catch (e) {
    sessionId.fallback = sessionId.fallback || randomId();
    return sessionId.fallback;
  }
}

/** The oldest queued events that fit in one batch. */
function batchOf(queue) {
  const events = [];
  let bytes = 80;
  for (const event of queue.events) {
    const size = JSON.stringify(event).length + 1;
    if (events.length >= MAX_BATCH || (events.length > 0 && bytes + size > MAX_BATCH_BYTES)) break;
    events.push(event);
    bytes += size;
  }
  return { schema: 1, sent_at: new Date().toISOString(), dropped: queue.dropped, events };
}

/**
 * Starts delivery to `url`. `options.interval`: milliseconds between batches (5000).
 * Returns `track(type, fields, ts)` and `flush()` (send what is queued now, as a beacon: for
 * `pagehide`).
 */
export function start(url, options) {
  const interval = (options && options.interval) || 5000;
  const queue = queueStore();
  let timer = 0;
  let sending = false;
  let failures = 0;

  function later(ms) {
    if (!timer) timer = setTimeout(send, ms);
  }

  /** The collector has these events: forget them (and the drops they reported). */
  function delivered(batch) {
    const ids = new Set(batch.events.map((e) => e.id));
    queue.update((q) => {
      q.events = q.events.filter((e) => !ids.has(e.id));
      q.dropped = Math.max(0, q.dropped - batch.dropped);
    });
  }

  async function send() {
    timer = 0;
    if (sending || navigator.onLine === false) return;
    const batch = batchOf(queue.read());
    if (!batch.events.length) return;
    sending = true;
    try {
      const response = await fetch(url, {
        method: "POST",
        // text/plain needs no CORS preflight; the body is JSON.
        headers: { "content-type": "text/plain;charset=UTF-8" },
        body: JSON.stringify(batch),
        keepalive: true,
        credentials: "omit",
      });
      const refused = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
      if (response.ok) {
        delivered(batch);
        failures = 0;
      } else if (refused) {
        // It would be refused again: drop it, and count it as dropped.
        console.warn("market-assist: the collector refused a batch:", response.status, (await response.text()).slice(0, 200));
        delivered(batch);
        queue.update((q) => { q.dropped += batch.events.length; });
        failures = 0;
      } else {
        failures += 1;
      }
    } catch (e) {
      failures += 1;
    }
    sending = false;
    if (queue.read().events.length) {
      later(failures ? Math.min(interval * 2 ** (failures - 1), MAX_BACKOFF_MS) : interval);
    }
  }

  function track(type, fields, ts) {
    const event = Object.assign({}, fields, {
      v: 1,
      id: randomId(),
      session: sessionId(),
      ts: ts || new Date().toISOString(),
      page: (location.pathname || "/").slice(0, 300),
      type,
    });
    queue.update((q) => { q.events.push(event); });
    later(interval);
  }

  function flush() {
    const batch = batchOf(queue.read());
    if (!batch.events.length || !navigator.sendBeacon) return;
    const body = new Blob([JSON.stringify(batch)], { type: "text/plain;charset=UTF-8" });
    if (navigator.sendBeacon(url, body)) delivered(batch);
  }

  window.addEventListener("online", () => {
    clearTimeout(timer);
    timer = 0;
    failures = 0;
    send();
  });
  // Events queued by an earlier page go out soon.
  if (queue.read().events.length) later(interval);
  return { track, flush };
}
