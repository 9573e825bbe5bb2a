// The inspector's HTTP server as a process sees it: whatever a local client sends, it answers (never throws in the
// host process), each server keeps its own session, and none outlives the daemon that opened it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { serveInspector } from '../src/inspector/serve/server.ts';
import { startDaemon, tmpDir } from './helpers.ts';

const assets = { html: '<!doctype html><title>inspector</title>', js: '', css: '' };

/** Sends raw bytes to the server and resolves with its status line. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('end', () => resolve(answer.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

test('a malformed or absolute request target gets a 400, and the server keeps serving', async () => {
  const server = await serveInspector({ createPort: () => undefined, assets });
  const port = Number(new URL(server.url).port);
  try {
    for (const target of ['http://[', 'http://127.0.0.1:1/?token=x', '//evil.example/', '*']) {
      assert.equal(await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`), 'HTTP/1.1 400 Bad Request', target);
    }
    const first = await fetch(server.url, { redirect: 'manual' });
    assert.equal(first.status, 303);
  } finally {
    await server.close();
  }
});

test('two inspectors on 127.0.0.1 keep separate sessions (cookies are not kept apart by port)', async () => {
  const a = await serveInspector({ createPort: () => undefined, assets });
  const b = await serveInspector({ createPort: () => undefined, assets });
  try {
    const cookies = await Promise.all([a, b].map(async (s) => (await fetch(s.url, { redirect: 'manual' })).headers.get('set-cookie')!.split(';')[0]));
    assert.notEqual(cookies[0].split('=')[0], cookies[1].split('=')[0], 'one cookie name per server');
    // A browser sends both cookies to both servers: each still finds its own.
    const both = cookies.join('; ');
    for (const s of [a, b]) assert.equal((await fetch(new URL('/', s.url), { headers: { cookie: both } })).status, 200);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('an inspector still opening when the daemon closes is closed too, and its opening fails with CLOSED', async () => {
  const daemon = await startDaemon(tmpDir());
  const opening = daemon.openInspector();
  await daemon.close();
  await assert.rejects(opening, { code: 'CLOSED' });
  assert.equal(daemon.state, 'stopped');
});
