import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Conf from 'conf';
import { startStoreDaemon } from '../src/client-main/index.ts';
import { connectStore } from '../src/client-renderer/index.ts';
import { type Settings, rejectsWith, settingsDef, startDaemon, tmpDir, untilRev } from './helpers.ts';

test('reopen after close(): same document and rev; the checkpoint opens as a normal conf store', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()] });
  const store = await daemon.store<Settings>('settings');
  await store.set('theme', 'dark');
  await store.set({ 'window.width': 1024, tags: ['a', 'b'] });
  await store.delete('tags');
  const doc = store.store;
  const rev = store.rev;
  await daemon.close();

  // A plain conf store (what electron-store extends) reads the same file, same key paths.
  const conf = new Conf<Record<string, unknown>>({ cwd, configName: 'settings' });
  assert.equal(conf.get('theme'), 'dark');
  assert.equal(conf.get('window.width'), 1024);
  assert.equal(conf.has('tags'), false);

  const again = await startDaemon(cwd);
  const reopened = await again.store<Settings>('settings');
  assert.equal(reopened.rev, rev);
  assert.deepEqual(reopened.store, doc);
});

test('reopen after the worker is terminated without close(): every resolved write is there (journal replay)', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()], restart: { maxRestarts: 0 }, tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
  daemon.on('error', () => {});
  const store = await daemon.store<Settings>('settings');
  const resolved = new Map<string, number>();
  let fiftyResolved: () => void = () => {};
  const fifty = new Promise<void>((resolve) => (fiftyResolved = resolve));
  const writes = Array.from({ length: 300 }, (_, i) => store.set(`k${i}`, i).then(() => {
    resolved.set(`k${i}`, i);
    if (resolved.size === 50) fiftyResolved();
  }, (e: { code: string }) => {
    assert.equal(e.code, 'DAEMON_UNAVAILABLE');
  }));
  // Kill once some writes have resolved and others are still in flight.
  await fifty;
  daemon.kill();
  await Promise.all(writes);
  assert.ok(resolved.size >= 50);
  // Nothing hangs and later calls fail fast.
  await rejectsWith(store.set('after', 1), 'DAEMON_UNAVAILABLE');

  const again = await startDaemon(cwd);
  const reopened = await again.store<Settings>('settings');
  for (const [key, value] of resolved) assert.equal(reopened.get(key as never), value, `${key} survived`);
  const info = await reopened.info();
  assert.ok(info.recovery.replayed >= resolved.size);
});

test('DAEMON_UNAVAILABLE: pending requests reject when the daemon dies, for every client; none hangs', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()], restart: { maxRestarts: 0 } });
  daemon.on('error', () => {});
  const main = await daemon.store<Settings>('settings');
  const other = await connectStore<Settings>('settings', { port: daemon.createPort() });
  const pending = [main.set('a', 1), other.set('b', 2), main.history(), other.info(), main.set('c', 3)];
  daemon.kill();
  const results = await Promise.allSettled(pending);
  assert.ok(results.some((r) => r.status === 'rejected'), 'something was still pending when the daemon died');
  for (const r of results) {
    if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'DAEMON_UNAVAILABLE');
  }
  await rejectsWith(other.set('d', 4), 'DAEMON_UNAVAILABLE');
  await rejectsWith(main.set('d', 4), 'DAEMON_UNAVAILABLE');
  // Reads keep working from the cache.
  assert.equal(main.get('theme'), 'auto');
});

test('CLOSED: close() drains queued writes; later requests fail with CLOSED', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()] });
  const main = await daemon.store<Settings>('settings');
  const other = await connectStore<Settings>('settings', { port: daemon.createPort() });
  const queued = Array.from({ length: 100 }, (_, i) => other.set(`q${i}`, i));
  await main.set('last', true);
  await daemon.close();
  const outcomes = await Promise.allSettled(queued);
  const done = outcomes.filter((o) => o.status === 'fulfilled').length;
  for (const o of outcomes) if (o.status === 'rejected') assert.ok(['CLOSED', 'DAEMON_UNAVAILABLE'].includes((o.reason as { code: string }).code));
  await rejectsWith(main.set('x', 1), 'CLOSED');
  await rejectsWith(other.set('x', 1), 'CLOSED');
  await rejectsWith(daemon.store('settings'), 'CLOSED');
  const conf = new Conf<Record<string, unknown>>({ cwd, configName: 'settings' });
  assert.equal(conf.get('last'), true);
  let onDisk = 0;
  for (let i = 0; i < 100; i++) if (conf.get(`q${i}`) === i) onDisk++;
  assert.ok(onDisk >= done, 'every resolved queued write is in the checkpoint');
  assert.equal(fs.existsSync(path.join(cwd, 'settings.json.lock')), false, 'the lock is released');
});

test('a late client gets the current document and then every change', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  for (let i = 0; i < 20; i++) await main.set('counter', i);
  const late = await connectStore<Settings>('settings', { port: daemon.createPort() });
  assert.equal(late.rev, 20);
  assert.equal(late.get('counter'), 19);
  await main.set('counter', 100);
  await untilRev(late, 21);
  assert.equal(late.get('counter'), 100);
});

test('two clients of one store on one port: closing one leaves the other live; a write then close never hangs', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  const port = daemon.createPort();
  const c1 = await connectStore<Settings>('settings', { port });
  const c2 = await connectStore<Settings>('settings', { port });
  c1.close();
  await main.set('theme', 'dark');
  await untilRev(c2, main.rev);
  assert.equal(c2.get('theme'), 'dark');
  await c2.set('fontSize', 20);
  const pending = c2.set('fontSize', 22);
  c2.close();
  const { rev } = await pending;
  await untilRev(main, rev);
  assert.equal(main.get('fontSize'), 22);
});

test('a client that subscribes while writes are flowing gets a consistent snapshot (no uncommitted changes)', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  await main.set('list', []);
  for (let round = 0; round < 15; round++) {
    const writes = Array.from({ length: 60 }, (_, i) => main.patch([{ op: 'add', path: '/list/-', value: round * 100 + i }]));
    const late = await connectStore<Settings>('settings', { port: daemon.createPort() });
    await Promise.all(writes);
    await untilRev(late, main.rev);
    assert.deepEqual(late.get('list'), main.get('list'), `round ${round}`);
    late.close();
  }
});

test('store() and createPort() while the daemon is down fail at once with DAEMON_UNAVAILABLE', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()], restart: { maxRestarts: 0 } });
  daemon.on('error', () => {});
  const exited = new Promise<void>((resolve) => daemon.on('exit', () => resolve()));
  daemon.kill();
  await exited;
  await rejectsWith(daemon.store('settings'), 'DAEMON_UNAVAILABLE');
  assert.throws(() => daemon.createPort(), (e: { code: string }) => e.code === 'DAEMON_UNAVAILABLE');
});

test('close() while a crash restart is starting the new daemon: close() ends it, the restart is dropped, nothing is thrown', async () => {
  const cwd = tmpDir();
  const hold = path.join(cwd, 'hold');
  process.env.ESD_HOLD_FILE = hold;
  const daemonPath = fileURLToPath(new URL('./fixtures/held-daemon-entry.ts', import.meta.url));
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()], host: 'worker', daemonPath });
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  const errors: Error[] = [];
  daemon.on('error', (e) => errors.push(e));
  const store = await daemon.store<Settings>('settings');
  await store.set('theme', 'dark');
  fs.writeFileSync(hold, '');
  const held = new Promise<void>((resolve) => {
    const watcher = fs.watch(cwd, () => {
      if (!fs.existsSync(`${hold}.held`)) return;
      watcher.close();
      resolve();
    });
  });
  daemon.kill();
  await held; // the supervisor is starting the new daemon, which waits for the hold file to go
  const closing = daemon.close();
  fs.rmSync(hold);
  await closing;
  await daemon.restarted();
  process.off('unhandledRejection', onRejection);
  assert.equal(daemon.state, 'stopped');
  assert.deepEqual(rejections, []);
  assert.deepEqual(errors.map((e) => e.message), []);
  // The store is intact and free for the next daemon.
  const next = await startStoreDaemon({ cwd, stores: [settingsDef()], host: 'worker' });
  assert.equal((await next.store<Settings>('settings')).get('theme'), 'dark');
  await next.close();
});
