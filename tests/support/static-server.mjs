// A small static file server for the demo and the browser tests: serves one folder on
// 127.0.0.1 with the right MIME types and CORS headers (the widget is loaded cross-origin,
// like from a CDN), preferring precompressed `.br` and `.gz` siblings the way nginx does.
// Usage: node static-server.mjs DIR [--port N]; prints "listening <port>".
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json", ".idx": "application/octet-stream",
  ".png": "image/png", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8",
};

async function isFile(path) {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** The cache policy of a deployment (README, "Deploying"): a content-hashed file never changes,
 *  so it is cached for a year; the channel manifest is revalidated on every load; the other
 *  files (embed.js above all) for five minutes. */
export function deployedCacheControl(path) {
  if (/[.-][0-9a-f]{16}\.(idx\.gz|js|wasm|css)$/.test(path)) return "public, max-age=31536000, immutable";
  if (path.endsWith("/manifest.json")) return "no-cache";
  return "public, max-age=300";
}

/** Serves `dir`; `cache: "deployed"` sends a deployment's Cache-Control (else no-cache, so that
 *  a rebuilt dist/ shows at once). */
export function serve(dir, port = 0, { cache = "no-cache" } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const headers = { "access-control-allow-origin": "*", "cache-control": "no-cache" };
    try {
      let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      if (cache === "deployed") headers["cache-control"] = deployedCacheControl(path);
      if (path.endsWith("/")) path += "index.html";
      const file = normalize(join(root, path));
      if (!file.startsWith(root)) throw new Error("outside root");
      const type = TYPES[extname(file)] || "application/octet-stream";
      // Like nginx's brotli_static and gzip_static: a file with a .br or .gz sibling is sent as
      // that sibling, with Content-Encoding, to clients that accept it (the browser undoes it).
      const accepted = req.headers["accept-encoding"] ?? "";
      let encoding = null;
      for (const [name, ext] of [["br", "br"], ["gzip", "gz"]]) {
        if (!encoding && new RegExp(`\\b${name}\\b`).test(accepted) && (await isFile(`${file}.${ext}`))) encoding = [name, ext];
      }
      const source = encoding ? `${file}.${encoding[1]}` : file;
      if (!(await isFile(source))) throw new Error("not a file");
      const body = await readFile(source);
      const encoded = encoding ? { "content-encoding": encoding[0], vary: "accept-encoding" } : {};
      res.writeHead(200, { ...headers, "content-type": type, ...encoded });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] || "dist";
  const i = process.argv.indexOf("--port");
  const server = await serve(dir, i > 0 ? Number(process.argv[i + 1]) : 0);
  console.log(`listening ${server.address().port}`);
}
