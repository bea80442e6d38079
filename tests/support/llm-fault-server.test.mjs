// Self-test of the fault server: node --test tests/support/llm-fault-server.test.mjs
// Starts the real script on port 0 (as the browser tests do) and talks HTTP to it.

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

import { OK_ANSWER, DRIP_TOKENS } from './llm-fault-server.mjs';
import { PAYLOADS } from './xss-payloads.mjs';

const script = fileURLToPath(new URL('./llm-fault-server.mjs', import.meta.url));
let child;
let base;

before(async () => {
  child = spawn(process.execPath, [script, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
  const m = /^listening (\d+)$/.exec(first);
  assert.ok(m, `first line was ${JSON.stringify(first)}`);
  assert.ok(Number(m[1]) > 0);
  base = `http://127.0.0.1:${m[1]}`;
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

beforeEach(async () => {
  const res = await fetch(`${base}/__requests`, { method: 'DELETE' });
  assert.equal(res.status, 204);
});

const question = {
  stream: true,
  messages: [
    { role: 'system', content: 'Answer only from the passages.' },
    { role: 'user', content: 'where is my parcel? [email]' },
  ],
};

function post(scenario, { query = '', ...init } = {}) {
  return fetch(`${base}/${scenario}/v1/chat/completions${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-public-token': 'pk_test' },
    body: JSON.stringify(question),
    ...init,
  });
}

/** Minimal SSE reading for the checks: data payloads of events, any line ending. */
function sseData(text) {
  return text
    .split(/\r\n\r\n|\n\n|\r\r/)
    .map((block) =>
      block
        .split(/\r\n|\n|\r/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n'),
    )
    .filter((d) => d !== '');
}

function contentOf(payloads) {
  return payloads
    .filter((d) => d !== '[DONE]')
    .map((d) => {
      try {
        return JSON.parse(d).choices?.[0]?.delta?.content ?? '';
      } catch {
        return '';
      }
    })
    .join('');
}

test('answers CORS preflights for any origin', async () => {
  const res = await fetch(`${base}/ok/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://shop.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-public-token',
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const allowed = res.headers.get('access-control-allow-headers');
  for (const h of ['content-type', 'authorization', 'x-public-token']) assert.match(allowed, new RegExp(h));
  const log = await (await fetch(`${base}/__requests`)).json();
  assert.equal(log.length, 0, 'preflights are not recorded');
});

test('ok: streams an answer citing [track-order], ends with [DONE], records the body', async () => {
  const res = await post('ok');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const text = await res.text();
  assert.ok(text.endsWith('data: [DONE]\n\n'));
  const payloads = sseData(text);
  assert.equal(contentOf(payloads), OK_ANSWER);
  assert.match(OK_ANSWER, /\[track-order\]/);
  assert.ok(payloads.length >= 5, 'several chunks');

  const log = await (await fetch(`${base}/__requests`)).json();
  assert.equal(log.length, 1);
  assert.equal(log[0].scenario, 'ok');
  assert.equal(log[0].method, 'POST');
  assert.deepEqual(log[0].body, question);
  assert.equal(log[0].headers['x-public-token'], 'pk_test');
});

test('split: CRLF, comments, usage chunk and [DONE], same content as ok', async () => {
  const text = await (await post('split')).text();
  assert.ok(!/[^\r]\n/.test(text), 'only CRLF line endings');
  assert.match(text, /^: stream opened\r\n/);
  assert.match(text, /: keep-alive\r\n/);
  assert.ok(text.endsWith('data: [DONE]\r\n\r\n'));
  const payloads = sseData(text);
  assert.equal(contentOf(payloads), OK_ANSWER);
  const usage = payloads.map((p) => (p === '[DONE]' ? {} : JSON.parse(p))).find((c) => c.usage);
  assert.deepEqual(usage.usage, { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 });
});

test('500 and unknown scenarios', async () => {
  const res = await post('500');
  assert.equal(res.status, 500);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.ok((await res.json()).error.message);
  assert.equal((await post('nope')).status, 404);
  const log = await (await fetch(`${base}/__requests`)).json();
  assert.deepEqual(log.map((r) => r.scenario), ['500', 'nope']);
});

test('429: Retry-After 1 the first time, then ok; DELETE resets the count', async () => {
  const first = await post('429');
  assert.equal(first.status, 429);
  assert.equal(first.headers.get('retry-after'), '1');
  assert.match(first.headers.get('access-control-expose-headers'), /retry-after/);
  await first.text();
  const second = await post('429');
  assert.equal(second.status, 200);
  assert.ok((await second.text()).endsWith('data: [DONE]\n\n'));
  await fetch(`${base}/__requests`, { method: 'DELETE' });
  const again = await post('429');
  assert.equal(again.status, 429);
  await again.text();
});

test('malformed: one data line is not JSON, the stream still ends with [DONE]', async () => {
  const payloads = sseData(await (await post('malformed')).text());
  const bad = payloads.filter((p) => {
    if (p === '[DONE]') return false;
    try {
      JSON.parse(p);
      return false;
    } catch {
      return true;
    }
  });
  assert.equal(bad.length, 1);
  assert.equal(payloads.at(-1), '[DONE]');
});

test('error: an SSE error object', async () => {
  const res = await post('error');
  assert.equal(res.status, 200);
  const payloads = sseData(await res.text());
  const err = payloads.map((p) => JSON.parse(p)).find((c) => c.error);
  assert.equal(err.error.message, 'model overloaded');
  assert.ok(!payloads.includes('[DONE]'));
});

test('disconnect: the body breaks off mid-stream', async () => {
  const res = await post('disconnect');
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
});

test('drip: ten tokens, spaced out (?interval=)', async () => {
  const t0 = Date.now();
  const payloads = sseData(await (await post('drip', { query: '?interval=30' })).text());
  assert.ok(Date.now() - t0 >= 30 * DRIP_TOKENS.length);
  assert.equal(contentOf(payloads), DRIP_TOKENS.join(''));
  assert.equal(payloads.at(-1), '[DONE]');
});

test('slowstart: no byte before the delay (?delay=)', async () => {
  const t0 = Date.now();
  const res = await post('slowstart', { query: '?delay=300' });
  assert.ok(Date.now() - t0 >= 290, 'headers arrive after the delay');
  assert.ok((await res.text()).endsWith('data: [DONE]\n\n'));
});

test('hang: one token, then silence', async () => {
  const ac = new AbortController();
  const res = await post('hang', { signal: ac.signal });
  const reader = res.body.getReader();
  let text = '';
  while (!text.includes('Let me check')) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
  }
  const next = reader.read();
  const timeout = new Promise((resolve) => setTimeout(() => resolve('silent'), 400));
  assert.equal(await Promise.race([next, timeout]), 'silent');
  ac.abort();
  await next.catch(() => {});
});

test('oversized: keeps streaming until the client disconnects', async () => {
  const ac = new AbortController();
  const res = await post('oversized', { signal: ac.signal });
  const reader = res.body.getReader();
  let received = 0;
  while (received < 512 * 1024) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'stream ended too early');
    received += value.length;
  }
  ac.abort();
  await reader.read().catch(() => {});
  // the server is still healthy afterwards
  assert.equal((await fetch(`${base}/`)).status, 200);
  // and a small ?bytes= variant finishes on its own
  const small = await (await post('oversized', { query: '?bytes=5000' })).text();
  assert.ok(small.length > 5000 && small.endsWith('data: [DONE]\n\n'));
});

test('notsse and html: HTTP 200 bodies that are not an event stream', async () => {
  const json = await post('notsse');
  assert.equal(json.status, 200);
  assert.match(json.headers.get('content-type'), /^application\/json/);
  assert.equal((await json.json()).choices[0].message.content, OK_ANSWER);
  const html = await post('html');
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type'), /^text\/html/);
  assert.match(await html.text(), /<h1>502 Bad Gateway<\/h1>/);
});

test('endless: tokens keep coming until the client disconnects', async () => {
  const ac = new AbortController();
  const res = await post('endless', { signal: ac.signal, query: '?interval=1' });
  const reader = res.body.getReader();
  let tokens = 0;
  while (tokens < 50) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'the stream ended');
    tokens += (new TextDecoder().decode(value).match(/and on /g) ?? []).length;
  }
  ac.abort();
  await reader.read().catch(() => {});
  assert.equal((await fetch(`${base}/`)).status, 200);
});

test('xss: request n streams payload n, whole after reassembly, in the same cuts every run', async () => {
  const first = contentOf(sseData(await (await post('xss')).text()));
  const second = contentOf(sseData(await (await post('xss')).text()));
  assert.equal(first, `Here is what I found: ${PAYLOADS[0]} See [track-order].`);
  assert.equal(second, `Here is what I found: ${PAYLOADS[1]} See [track-order].`);
  assert.ok(PAYLOADS.length >= 60, `${PAYLOADS.length} payloads`);
});
