// The encoder tier's Web Worker (a module worker). It runs the encoder-worker wasm module
// (crates/encoder-worker: multilingual-e5-small in Rust, built with wasm SIMD) off the page's
// thread, so that reading a question never freezes the chat. encoder-client.js starts it on the
// first question the pack and the static tier would not answer, and sends each request with a
// MessagePort of its own for the reply:
//   { load: "<absolute URL of encoder.kben(.gz)>", sha256?: "<hex of the bytes as served>" }
//                                                    → { pieces: N } | { error: "…" }
//   { embed: "<question>" }                          → { vector: Float32Array, ms: N } | { error: "…" }
// The encoder file is kept in Cache Storage under its URL, so a page load after the first reads
// it from disk. scripts/finish-dist.mjs gives the two names below their content-hashed forms.
const GLUE = "encoder_worker.js";
const WASM = "encoder_worker_bg.wasm";
// The encoder file's cache, and the most it may inflate to (e5-small pruned to the knowledge's
// languages is 20 MB): a damaged or hostile .gz cannot fill the memory.
const CACHE = "market-assist-encoder";
const MAX_BYTES = 48 << 20;
const MAGIC = "KBEN";

let session = null;

self.onmessage = async (event) => {
  const port = event.ports[0];
  if (!port) return;
  try {
    if ("load" in event.data) {
      session = session || (await open(event.data.load, event.data.sha256));
      port.postMessage({ pieces: session.pieces });
    } else if (!session) {
      port.postMessage({ error: "the encoder is not loaded" });
    } else {
      const started = performance.now();
      const vector = session.embed(String(event.data.embed));
      port.postMessage({ vector, ms: Math.round(performance.now() - started) }, [vector.buffer]);
    }
  } catch (e) {
    port.postMessage({ error: String((e && e.message) || e) });
  }
};

async function open(url, sha256) {
  // The module and the file download side by side.
  const glue = import(new URL(GLUE, import.meta.url).href).then(async (module) => {
    await module.default({ module_or_path: new URL(WASM, import.meta.url).href });
    return module;
  });
  const [module, bytes] = await Promise.all([glue, file(url, sha256)]);
  return new module.EncoderSession(bytes);
}

// The encoder file's bytes, inflated: from Cache Storage, else from the network (then kept);
// checked against its release manifest's SHA-256 when there is one.
async function file(url, sha256) {
  let cache = null;
  try {
    cache = await caches.open(CACHE);
  } catch (e) {
    // Storage that is blocked (private windows, some embeds) only costs a download.
  }
  let response = cache && (await cache.match(url));
  if (!response) {
    response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
    if (cache) await cache.put(url, response.clone()).catch(() => {});
  }
  const raw = new Uint8Array(await response.arrayBuffer());
  if (sha256) await check(raw, sha256, cache, url);
  return raw[0] === 0x1f && raw[1] === 0x8b ? inflate(raw) : raw;
}

// Web Crypto exists only on secure pages (https, localhost); elsewhere, as for packs, the check
// is skipped. A file that fails it is dropped from the cache too.
async function check(bytes, expected, cache, url) {
  if (!(self.crypto && crypto.subtle)) return;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const found = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (found !== expected) {
    if (cache) await cache.delete(url).catch(() => {});
    throw new Error(`checksum mismatch: the manifest says ${expected}, the file is ${found}`);
  }
}

async function inflate(gzip) {
  const reader = new Blob([gzip]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      throw new Error(`the encoder file is cut short or damaged (gzip: ${e.message || e})`);
    }
    if (chunk.done) break;
    length += chunk.value.length;
    if (length > MAX_BYTES) {
      reader.cancel();
      throw new Error(`the encoder file inflates to more than ${MAX_BYTES >> 20} MB`);
    }
    if (chunks.length === 0 && String.fromCharCode(...chunk.value.subarray(0, 4)) !== MAGIC) {
      reader.cancel();
      throw new Error("the gzip file is not an encoder file");
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
