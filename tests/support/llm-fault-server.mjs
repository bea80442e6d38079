#!/usr/bin/env node
// Fault-injecting OpenAI-compatible Chat Completions server for browser tests of the widget's
// LLM fallback. Node 20, no dependencies.
//
//   node tests/support/llm-fault-server.mjs [--port 0] [--host 127.0.0.1]
//
// The first stdout line is `listening <port>`. Endpoints:
//
//   POST /<scenario>/v1/chat/completions   streamed reply (text/event-stream) per scenario below
//   GET  /__requests                       JSON array of the recorded requests, oldest first:
//                                          {method, path, scenario, headers, body, raw, at}
//                                          (`body` is the parsed JSON, or null if not JSON;
//                                          `raw` the body text)
//   DELETE /__requests                     clears the record and the per-scenario counters
//   OPTIONS *                              CORS preflight, any origin
//   GET  /                                 "ok" (health check)
//
// Scenarios:
//   ok         a short answer citing [track-order], in a few chunks, then [DONE]
//   drip       one token every 300 ms (?interval=ms), 10 tokens, then [DONE]
//   split      the `ok` stream written one byte per write, CRLF line endings, comments and
//              keep-alives interleaved, plus a usage chunk
//   500        HTTP 500 with a JSON error body
//   429        first request per scenario: HTTP 429 + Retry-After: 1; later ones: like `ok`
//   malformed  good chunks, then a data line with invalid JSON, then more chunks and [DONE]
//   disconnect a few chunks, then the socket is destroyed mid-stream
//   hang       headers and one token, then nothing, ever
//   oversized  streams ~2 MB of content (?bytes=n), stopping early when the client disconnects
//   error      an SSE {"error":{"message":"model overloaded"}} object, then the stream ends
//   slowstart  waits 5 s (?delay=ms) before the first byte, then like `ok`
//   placeholder a confident answer with a template placeholder: "Our CEO is [Company Name]."
//   notsse     HTTP 200 with a complete, non-streamed JSON completion (application/json)
//   html       HTTP 200 with a proxy's HTML error page (text/html)
//   endless    a token every 20 ms (?interval=ms), forever, until the client disconnects
//   xss        the n-th request of the scenario streams XSS payload n (tests/support/xss-payloads.mjs)
//              inside an answer citing the first passage, cut into random deltas and written
//              in random 1–9 byte pieces (seeded by n), so UTF-8 characters and SSE lines split
//
// With ?cite=first, the answers of ok, drip, split, slowstart and 429 cite the first passage of
// the request's system message instead of [track-order], as a grounded model would (a request
// without passages keeps [track-order], which then cites nothing it was given).

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { PAYLOADS, seededRandom } from './xss-payloads.mjs';

export const OK_ANSWER_CHUNKS = [
  'You can follow your parcel in ',
  '**Orders** → **Track** ',
  '[track-order]. ',
  'If it has not moved for 3 days, contact the seller.',
];
export const OK_ANSWER = OK_ANSWER_CHUNKS.join('');
export const DRIP_TOKENS = ['Your', ' parcel', ' is', ' on', ' its', ' way', ' —', ' see', ' [track-order]', '.'];
export const SCENARIOS = [
  'ok', 'drip', 'split', '500', '429', 'malformed', 'disconnect', 'hang', 'oversized', 'error', 'slowstart', 'placeholder',
  'notsse', 'html', 'endless', 'xss',
];

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization, x-public-token',
  'access-control-expose-headers': 'retry-after',
  'access-control-max-age': '600',
};

const SSE_HEADERS = {
  ...CORS,
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function chunk(delta, finishReason = null) {
  return {
    id: 'chatcmpl-fault',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'fault-server',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

const data = (obj, eol = '\n') => `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}${eol}${eol}`;

/** The SSE events of a complete, well-formed answer. */
function answerEvents(pieces, eol = '\n') {
  return [
    data(chunk({ role: 'assistant' }), eol),
    ...pieces.map((p) => data(chunk({ content: p }), eol)),
    data(chunk({}, 'stop'), eol),
    data('[DONE]', eol),
  ];
}

function sendJson(res, status, body, extra = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', ...extra });
  res.end(text);
}

/** Writes and waits for the buffer to drain; resolves false when the client went away. */
function write(res, text) {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const ok = res.write(text);
    if (ok) {
      resolve(true);
      return;
    }
    const done = (v) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(v);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

function startSse(res) {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
}

async function streamEvents(res, events, gapMs = 0) {
  startSse(res);
  for (const ev of events) {
    if (!(await write(res, ev))) return;
    if (gapMs) await sleep(gapMs);
  }
  res.end();
}

export const PLACEHOLDER_CHUNKS = ['Our CEO is ', '[Company Name]', ' and our hotline is open 24 hours ', '[track-order].'];

/** The ids of the passages in a request's system message (`[id] title` lines), in order. */
export function passageIds(body) {
  const system = body?.messages?.[0]?.content ?? '';
  const passages = system.split('## Passages')[1] ?? '';
  return [...passages.matchAll(/^\[([a-z0-9-]+)\] /gm)].map((m) => m[1]);
}

/** `pieces` citing the request's first passage instead of [track-order], with ?cite=first. */
function cited(pieces, { query, body }) {
  const first = passageIds(body)[0];
  if (query?.get('cite') !== 'first' || !first) return pieces;
  return pieces.map((p) => p.replace('[track-order]', `[${first}]`));
}

const scenarios = {
  async ok(req, res, ctx) {
    await streamEvents(res, answerEvents(cited(OK_ANSWER_CHUNKS, ctx)), 20);
  },

  async placeholder(req, res) {
    await streamEvents(res, answerEvents(PLACEHOLDER_CHUNKS), 20);
  },

  async drip(req, res, ctx) {
    const interval = Number(ctx.query.get('interval') ?? 300);
    startSse(res);
    if (!(await write(res, data(chunk({ role: 'assistant' }))))) return;
    for (const token of cited(DRIP_TOKENS, ctx)) {
      await sleep(interval);
      if (!(await write(res, data(chunk({ content: token }))))) return;
    }
    await write(res, data(chunk({}, 'stop')));
    await write(res, data('[DONE]'));
    res.end();
  },

  async split(req, res, ctx) {
    const eol = '\r\n';
    const events = answerEvents(cited(OK_ANSWER_CHUNKS, ctx), eol);
    const usage = data(
      {
        id: 'chatcmpl-fault',
        object: 'chat.completion.chunk',
        choices: [],
        usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
      },
      eol,
    );
    // usage just before [DONE], comments and keep-alives in between
    const body = [
      `: stream opened${eol}${eol}`,
      events[0],
      `: keep-alive${eol}${eol}`,
      events[1],
      `:${eol}`,
      events[2],
      `: keep-alive${eol}${eol}`,
      ...events.slice(3, -1),
      usage,
      `: bye${eol}`,
      events[events.length - 1],
    ].join('');
    startSse(res);
    const bytes = Buffer.from(body, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      if (!(await write(res, bytes.subarray(i, i + 1)))) return;
      // yield to the event loop so the bytes leave as separate writes
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  },

  async '500'(req, res) {
    sendJson(res, 500, { error: { message: 'internal error (fault server)', type: 'server_error' } });
  },

  async '429'(req, res, ctx) {
    if (ctx.count === 1) {
      sendJson(
        res,
        429,
        { error: { message: 'rate limited (fault server)', type: 'rate_limit_error' } },
        { 'retry-after': '1' },
      );
      return;
    }
    await scenarios.ok(req, res, ctx);
  },

  async malformed(req, res) {
    const events = answerEvents(OK_ANSWER_CHUNKS);
    await streamEvents(res, [...events.slice(0, 3), 'data: {"choices":[{"delta":{"content":"broken\n\n', ...events.slice(3)], 10);
  },

  async disconnect(req, res) {
    startSse(res);
    const events = answerEvents(OK_ANSWER_CHUNKS).slice(0, 3);
    for (const ev of events) {
      if (!(await write(res, ev))) return;
      await sleep(20);
    }
    // half an event, then the connection drops
    await write(res, 'data: {"choices":[{"delta":{"content":"If it has');
    await sleep(20);
    res.socket?.destroy();
  },

  async hang(req, res) {
    startSse(res);
    await write(res, data(chunk({ role: 'assistant' })));
    await write(res, data(chunk({ content: 'Let me check' })));
    // never ends; the connection is closed by the client or at shutdown
  },

  async oversized(req, res, { query }) {
    const limit = Number(query.get('bytes') ?? 2 * 1024 * 1024);
    startSse(res);
    const piece = data(chunk({ content: 'This reply never stops. '.repeat(40) }));
    let sent = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    await write(res, data(chunk({ role: 'assistant' })));
    while (sent < limit && !closed) {
      if (!(await write(res, piece))) return;
      sent += piece.length;
      // let the client's abort be noticed now and then
      if (sent % (64 * 1024) < piece.length) await new Promise((resolve) => setImmediate(resolve));
    }
    if (closed) return;
    await write(res, data(chunk({}, 'length')));
    await write(res, data('[DONE]'));
    res.end();
  },

  async error(req, res) {
    await streamEvents(
      res,
      [data(chunk({ role: 'assistant' })), data({ error: { message: 'model overloaded', type: 'server_error', code: 'overloaded' } })],
      10,
    );
  },

  async notsse(req, res) {
    sendJson(res, 200, {
      id: 'chatcmpl-fault',
      object: 'chat.completion',
      model: 'fault-server',
      choices: [{ index: 0, message: { role: 'assistant', content: OK_ANSWER }, finish_reason: 'stop' }],
    });
  },

  async html(req, res) {
    res.writeHead(200, { ...CORS, 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr><p>nginx</p></body></html>');
  },

  async endless(req, res, { query }) {
    const interval = Number(query.get('interval') ?? 20);
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    startSse(res);
    if (!(await write(res, data(chunk({ role: 'assistant' }))))) return;
    while (!closed) {
      if (!(await write(res, data(chunk({ content: 'and on ' }))))) return;
      await sleep(interval);
    }
  },

  async xss(req, res, ctx) {
    const n = (ctx.count - 1) % PAYLOADS.length;
    const [first = 'track-order'] = passageIds(ctx.body);
    const content = `Here is what I found: ${PAYLOADS[n]} See [${first}].`;
    // The same cuts for the same payload on every run.
    const random = seededRandom(n + 1);
    const chars = [...content];
    const pieces = [];
    for (let at = 0; at < chars.length; ) {
      const len = random(12);
      pieces.push(chars.slice(at, at + len).join(''));
      at += len;
    }
    const bytes = Buffer.from(answerEvents(pieces).join(''), 'utf8');
    startSse(res);
    for (let at = 0; at < bytes.length; ) {
      const len = random(9);
      if (!(await write(res, bytes.subarray(at, at + len)))) return;
      at += len;
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  },

  async slowstart(req, res, ctx) {
    const delay = Number(ctx.query.get('delay') ?? 5000);
    await sleep(delay);
    if (res.destroyed) return;
    await scenarios.ok(req, res, ctx);
  },
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the server. Resolves to { port, server, close() }.
 * @param {{port?: number, host?: string}} [options]
 */
export async function startServer({ port = 0, host = '127.0.0.1' } = {}) {
  const recorded = [];
  const counts = new Map();
  const sockets = new Set();

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;

      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS);
        res.end();
        return;
      }
      if (path === '/__requests') {
        if (req.method === 'GET') {
          sendJson(res, 200, recorded);
        } else if (req.method === 'DELETE') {
          recorded.length = 0;
          counts.clear();
          res.writeHead(204, CORS);
          res.end();
        } else {
          sendJson(res, 405, { error: { message: 'method not allowed' } });
        }
        return;
      }
      if (path === '/' && req.method === 'GET') {
        res.writeHead(200, { ...CORS, 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }

      const match = /^\/([^/]+)\/v1\/chat\/completions\/?$/.exec(path);
      const raw = await readBody(req);
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = null;
      }
      const scenario = match ? decodeURIComponent(match[1]) : null;
      recorded.push({
        method: req.method,
        path: url.pathname + url.search,
        scenario,
        headers: {
          'content-type': req.headers['content-type'] ?? null,
          authorization: req.headers.authorization ?? null,
          'x-public-token': req.headers['x-public-token'] ?? null,
          origin: req.headers.origin ?? null,
        },
        body,
        raw,
        at: Date.now(),
      });

      if (!match || !Object.hasOwn(scenarios, scenario)) {
        sendJson(res, 404, { error: { message: `unknown scenario or path: ${path}`, scenarios: SCENARIOS } });
        return;
      }
      if (req.method !== 'POST') {
        sendJson(res, 405, { error: { message: 'use POST' } });
        return;
      }
      const count = (counts.get(scenario) ?? 0) + 1;
      counts.set(scenario, count);
      await scenarios[scenario](req, res, { query: url.searchParams, count, body });
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fault server bug: ${err?.message ?? err}` } });
      else res.destroy();
    }
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });

  const close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  return { port: server.address().port, server, close };
}

function parseArgs(argv) {
  const opts = { port: 0, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--port') opts.port = Number(value());
    else if (flag === '--host') opts.host = value();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write('usage: node llm-fault-server.mjs [--port N] [--host H]\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument: ${arg}\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    process.stderr.write(`invalid --port\n`);
    process.exit(2);
  }
  return opts;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { port, close } = await startServer(parseArgs(process.argv.slice(2)));
  process.stdout.write(`listening ${port}\n`);
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
