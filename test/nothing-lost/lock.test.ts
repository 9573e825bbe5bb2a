import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { connectStore } from '../../src/client-renderer/index.ts';
import { type Settings, rejectsWith, startDaemon, tmpDir, untilRev } from '../helpers.ts';
import { runAndKill } from './crash-harness.ts';
import { stormStore, type StormDoc } from './fixtures/storm-store.ts';

test('STORE_LOCKED: a second daemon on the same folder gets no shared file, and the first is unaffected', async () => {
  const cwd = tmpDir();
  const first = await startDaemon(cwd);
  const main = await first.store<Settings>('settings');
  const watcher = await connectStore<Settings>('settings', { port: first.createPort() });
  await main.set('theme', 'dark');

  const second = await startDaemon(cwd);
  assert.deepEqual(Object.keys(second.failedStores), ['settings']);
  assert.equal(second.failedStores.settings.code, 'STORE_LOCKED');
  assert.match(second.failedStores.settings.message, /open in another daemon/);
  const refused = await rejectsWith(second.store<Settings>('settings'), 'STORE_LOCKED');
  assert.equal((refused as { store?: string }).store, 'settings');
  await second.close();

  // The first keeps its lock, its files and its clients.
  const { rev } = await main.set('fontSize', 20);
  await untilRev(watcher, rev);
  assert.deepEqual(watcher.store, { theme: 'dark', fontSize: 20 });
  assert.ok(fs.existsSync(path.join(cwd, 'settings.json.lock')), 'the second daemon did not remove the lock');
  await first.close();
  assert.ok(!fs.existsSync(path.join(cwd, 'settings.json.lock')), 'close() releases the lock');
});

test('a lock left by a SIGKILLed process is taken over at once (its pid is dead), with nothing lost', async () => {
  const cwd = tmpDir();
  const killed = await runAndKill(cwd, 'random', { clients: 2, backupEvery: 1000, crashPauseMs: 0 });
  const ready = killed.lines.find((l) => l.t === 'ready');
  assert.ok(ready && ready.t === 'ready');
  assert.ok(fs.existsSync(path.join(cwd, 'storm.json.lock')), 'the killed process left its lock behind');
  const owner = JSON.parse(fs.readFileSync(path.join(cwd, 'storm.json.lock-owner'), 'utf8')) as { pid: number };
  assert.equal(owner.pid, ready.pid);

  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [stormStore()] });
  try {
    assert.deepEqual(daemon.failedStores, {});
    const store = await daemon.store<StormDoc>('storm');
    const info = await store.info();
    assert.ok(info.recovery.problems.includes(`took over the store lock at once: its holder (pid ${ready.pid}) is no longer running`), info.recovery.problems.join('; '));
    for (const w of killed.lines) if (w.t === 'w') assert.ok(w.n < (store.get(`log${w.c}`)?.length ?? 0), `write c${w.c}=${w.n} survived`);
  } finally {
    await daemon.close();
  }
});

test('a stale lock without an owner note (a crash before the note was written) is taken over once stale', async () => {
  const cwd = tmpDir();
  const lockDir = path.join(cwd, 'settings.json.lock');
  fs.mkdirSync(lockDir, { recursive: true });
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lockDir, old, old);
  const daemon = await startDaemon(cwd);
  assert.deepEqual(daemon.failedStores, {});
  const store = await daemon.store<Settings>('settings');
  assert.deepEqual(await store.set('theme', 'light'), { rev: 1 });
});
