// `inspect <folder>`: the real binary serves the inspector on 127.0.0.1 for a closed app's folder; a client through
// the page's WebSocket relay reads and writes under the inspector's policy; SIGTERM closes the daemon (the write is
// on disk, the folder unlocked). While the app runs: STORE_LOCKED.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { connectStore, type PortLike } from '../../src/client-renderer/index.ts';
import { settingsDef, type Settings } from '../helpers.ts';
import { cliJson, makeFolder, notesDef, ROOT, SOURCE_CLI } from './helpers.ts';

/** The relay's other end, as the page has it (JSON text frames), over Node's `ws` client. */
function wsPort(ws: WebSocket): PortLike {
  const closers: Array<() => void> = [];
  ws.on('close', () => closers.forEach((c) => c()));
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  return {
    post: (m) => void opened.then(() => ws.send(JSON.stringify(m))),
    onMessage: (l) => void ws.on('message', (raw) => l(JSON.parse(raw.toString()), [])),
    onClose: (l) => void closers.push(l),
    start() {},
    close: () => ws.close(),
  };
}

/** The link's token traded for the session cookie, as a browser does. */
async function session(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 303);
  return res.headers.get('set-cookie')!.split(';')[0];
}

test('inspect serves a one-time link; a client through it reads and writes; SIGTERM closes the stores cleanly', async () => {
  const folder = await makeFolder();
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', SOURCE_CLI, 'inspect', folder, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.trimEnd().endsWith('}')) resolve(JSON.parse(stdout) as { url: string });
    });
    void exited.then((code) => reject(new Error(`inspect exited ${code}: ${stdout}${stderr}`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
  const cookie = await session(url);
  const origin = new URL(url).origin;
  const port = wsPort(new WebSocket(`${origin.replace('http', 'ws')}/port`, { headers: { origin, cookie } }));
  const settings = await connectStore<Settings>('settings', { port });
  assert.equal(settings.get('theme'), 'dark');
  const { rev } = await settings.set('fontSize', 31);
  const history = await settings.history({ limit: 1 });
  assert.equal(history[0].rev, rev);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const after = await cliJson(['get', folder, 'settings', 'fontSize']);
  assert.equal(after.json.value, 31);
  const list = await cliJson(['list', folder]);
  assert.equal(list.json.stores.find((s: { name: string }) => s.name === 'settings').inUse, false);
});

test('inspect while the app holds the folder: STORE_LOCKED, saying to quit or use openInspector()', async () => {
  const folder = await makeFolder();
  const daemon = await startStoreDaemon({ cwd: folder, stores: [settingsDef(), notesDef()], host: 'worker' });
  try {
    const r = await cliJson(['inspect', folder]);
    assert.equal(r.code, 1);
    assert.equal(r.json.error.code, 'STORE_LOCKED');
    assert.match(r.json.error.message, /openInspector\(\)/);
  } finally {
    await daemon.close();
  }
});

test('inspect on a folder without stores: STORE_NOT_FOUND; a bad --port: usage error', async () => {
  const empty = (await import('../helpers.ts')).tmpDir();
  const none = await cliJson(['inspect', empty]);
  assert.equal(none.code, 1);
  assert.equal(none.json.error.code, 'STORE_NOT_FOUND');
  const bad = await cliJson(['inspect', empty, '--port', 'x']);
  assert.equal(bad.code, 2);
});
