// The last step of scripts/build.sh: makes dist/ deploy like a well-behaved static asset.
// - The widget's own files get content-hashed names (market-assist-<hash>.js / .wasm,
//   widget-<hash>.css, and the encoder tier's encoder-client-<hash>.js with its worker
//   encoder-worker-<hash>.js and the worker's module),
//   so that a CDN may cache them for a year; embed.js keeps its name (it is what page owners
//   link) and is rewritten to load the hashed files. dist/assets.json maps the
//   plain names to the hashed ones for tools and tests.
// - Every text or wasm file gets .gz and .br siblings (gzip -9, Brotli 11) for servers that send
//   precompressed files (nginx gzip_static / brotli_static, Netlify, Cloudflare Pages).
// - The <script> snippet with embed.js's Subresource Integrity hash is printed.
// Usage: node scripts/finish-dist.mjs [DIST] [--cdn URL]
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, renameSync, readdirSync, rmSync } from "node:fs";
import { join, extname } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const argv = process.argv.slice(2);
const dist = argv[0] && !argv[0].startsWith("--") ? argv[0] : "dist";
const cdn = argv.includes("--cdn") ? argv[argv.indexOf("--cdn") + 1] : "https://cdn.example/market-assist/";
const fail = (why) => {
  console.error(`finish-dist: ${why}`);
  process.exit(1);
};

// The built name, the hashed name's stem and extension, and the file that names it (once, as a
// string literal). A file is hashed after the files it names, so that its hash covers them.
const WIDGET_FILES = [
  ["encoder_worker.js", "encoder-worker-glue", ".js", "encoder-worker.js"],
  ["encoder_worker_bg.wasm", "encoder-worker", ".wasm", "encoder-worker.js"],
  ["encoder-worker.js", "encoder-worker", ".js", "encoder-client.js"],
  ["encoder-client.js", "encoder-client", ".js", "embed.js"],
  ["market-assist.js", "market-assist", ".js", "embed.js"],
  ["market-assist_bg.wasm", "market-assist", ".wasm", "embed.js"],
  ["widget.css", "widget", ".css", "embed.js"],
];

const hashOf = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 16);

// Old hashed files from an earlier build: a dist/ holds one widget.
for (const name of readdirSync(dist)) {
  if (/^(market-assist|widget|encoder-(worker|worker-glue|client))-[0-9a-f]{16}\.(js|wasm|css)(\.gz|\.br)?$/.test(name)) rmSync(join(dist, name));
}

const assets = { "embed.js": "embed.js" };
// The files that name others, as rewritten so far.
const naming = new Map(["embed.js", "encoder-client.js", "encoder-worker.js"].map((name) => [name, readFileSync(join(dist, name), "utf8")]));
for (const [built, stem, ext, namedIn] of WIDGET_FILES) {
  if (naming.has(built)) writeFileSync(join(dist, built), naming.get(built));
  const bytes = readFileSync(join(dist, built));
  const hashed = `${stem}-${hashOf(bytes)}${ext}`;
  renameSync(join(dist, built), join(dist, hashed));
  assets[built] = hashed;
  const text = naming.get(namedIn);
  const literal = `"${built}"`;
  const count = text.split(literal).length - 1;
  if (count !== 1) fail(`${namedIn} names ${literal} ${count} times, expected once`);
  naming.set(namedIn, text.replace(literal, `"${hashed}"`));
}
const embed = naming.get("embed.js");
writeFileSync(join(dist, "embed.js"), embed);
writeFileSync(join(dist, "assets.json"), `${JSON.stringify(assets, null, 2)}\n`);

const COMPRESSED = new Set([".js", ".mjs", ".css", ".html", ".json", ".wasm", ".svg", ".txt"]);
let written = 0;
for (const name of readdirSync(dist)) {
  if (!COMPRESSED.has(extname(name))) continue;
  const bytes = readFileSync(join(dist, name));
  writeFileSync(join(dist, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
  writeFileSync(join(dist, `${name}.br`), brotliCompressSync(bytes, { params }));
  written++;
}

const integrity = `sha384-${createHash("sha384").update(embed).digest("base64")}`;
writeFileSync(join(dist, "embed.integrity.txt"), `${integrity}\n`);
console.error(`finish-dist: ${Object.values(assets).slice(1).join(", ")}; .gz and .br beside ${written} files`);
console.log(`Embed snippet (Subresource Integrity pins this build of embed.js):
<script src="${cdn}embed.js" integrity="${integrity}" crossorigin="anonymous" async></script>`);
