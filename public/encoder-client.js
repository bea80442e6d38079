// The encoder tier's page side, a module beside the widget's files. embed.js imports it on the
// first question the pack and the static tier would not answer (the widget asks through
// config.startEncoder), so the widget's own wasm holds none of this plumbing:
//   start(file, sha256?) → Promise<{ embed(text) → Promise<{ vector: Float32Array, ms }>, close() }>
// It starts encoder-worker.js as a module worker and has it load the encoder file `file`
// (resolved against the page), whose bytes must have the SHA-256 `sha256` when it is given (a
// release's file). Each request goes with a MessagePort of its own and its reply comes back on
// it: no table of pending requests to keep. scripts/finish-dist.mjs gives the worker's name
// below its content-hashed form.
const WORKER = "encoder-worker.js";
// How long the first question's load may take (the worker, its module and the 18.5 MB file), and
// how long one question may take to be read (about 50 ms is usual).
const LOAD_WITHIN_MS = 120000;
const EMBED_WITHIN_MS = 10000;

export async function start(file, sha256) {
  const worker = spawn(new URL(WORKER, import.meta.url).href);
  try {
    await ask(worker, { load: new URL(file, document.baseURI).href, sha256 }, LOAD_WITHIN_MS, true);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return {
    embed: (text) => ask(worker, { embed: String(text) }, EMBED_WITHIN_MS, false),
    close: () => worker.terminate(),
  };
}

// A module worker running `script`. A script on another origin (the widget served from a CDN)
// cannot be a worker itself: a same-origin blob: module that imports it can.
function spawn(script) {
  if (new URL(script).origin === location.origin) return new Worker(script, { type: "module" });
  const blob = new Blob([`import ${JSON.stringify(script)};`], { type: "text/javascript" });
  return new Worker(URL.createObjectURL(blob), { type: "module" });
}

// Sends `message` with a port for the reply and waits for the reply, at most `withinMs`. With
// `watchErrors`, an error event on the worker fails it at once: a worker whose script or module
// did not load says so only on itself.
function ask(worker, message, withinMs, watchErrors) {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => settle(new Error("the encoder worker did not answer in time")), withinMs);
    const settle = (error, reply) => {
      clearTimeout(timer);
      channel.port1.close();
      if (watchErrors) worker.onerror = null;
      if (error) reject(error);
      else resolve(reply);
    };
    channel.port1.onmessage = (event) =>
      event.data.error ? settle(new Error(event.data.error)) : settle(null, event.data);
    if (watchErrors) {
      worker.onerror = (event) => settle(new Error(event.message || "the encoder worker's script did not load"));
    }
    worker.postMessage(message, [channel.port2]);
  });
}
