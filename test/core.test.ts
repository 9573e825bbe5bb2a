import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { applyPatch } from 'rfc6902';
import { connectStore } from '../src/client-renderer/index.ts';
import type { ChangeInfo, HistoryEntry, StoreClient } from '../src/protocol/types.ts';
import { type Settings, startDaemon, tmpDir, untilRev, waitFor } from './helpers.ts';

test('main + two clients: a write reaches the other caches and listeners in rev order', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  const a = await connectStore<Settings>('settings', { port: daemon.createPort() });
  const b = await connectStore<Settings>('settings', { port: daemon.createPort() });
  assert.deepEqual(b.store, { theme: 'auto', fontSize: 14 });

  const seenByB: number[] = [];
  const seenByMain: Array<[unknown, unknown]> = [];
  b.onDidAnyChange((_n, _o, change: ChangeInfo) => seenByB.push(change.rev));
  main.onDidChange('theme', (value, old) => seenByMain.push([value, old]));

  const bGotThree = waitFor<void>((done) => b.onDidAnyChange((_n, _o, c) => c.rev === 3 && done()), 'b to reach rev 3');
  const r1 = await a.set('theme', 'dark');
  const r2 = await a.set('window.width', 800);
  const r3 = await b.set({ fontSize: 16, theme: 'light' });
  assert.deepEqual([r1.rev, r2.rev, r3.rev], [1, 2, 3]);
  await bGotThree;
  // A writer's cache shows its own write when the promise resolves.
  assert.equal(b.get('fontSize'), 16);
  for (const c of [main, a, b]) {
    await untilRev(c, 3);
    assert.equal(c.rev, 3);
    assert.deepEqual(c.store, { theme: 'light', fontSize: 16, window: { width: 800 } });
  }
  assert.deepEqual(seenByB, [1, 2, 3]);
  assert.deepEqual(seenByMain, [['dark', 'auto'], ['light', 'dark']]);
});

test('the writer resolves only after its journal record is on disk', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const client = await daemon.store<Settings>('settings');
  const { rev } = await client.set('tags', ['a', 'b']);
  const dir = path.join(cwd, 'storeHistory', 'settings');
  const records = fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as HistoryEntry);
  const record = records.find((r) => r.rev === rev);
  assert.ok(record, 'the record of the resolved write is in the journal file');
  assert.deepEqual(record.ops, [{ op: 'add', path: '/tags', value: ['a', 'b'] }]);
  assert.deepEqual(record.inverse, [{ op: 'remove', path: '/tags' }]);
});

test('1,000 concurrent writes from 4 clients: every client ends equal to the journal applied in rev order', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
  const clients: StoreClient<Settings>[] = [await daemon.store<Settings>('settings')];
  for (let i = 0; i < 3; i++) clients.push(await connectStore<Settings>('settings', { port: daemon.createPort() }));
  const writes: Array<Promise<{ rev: number }>> = [];
  for (let i = 0; i < 1000; i++) {
    const c = clients[i % 4];
    if (i % 5 === 0) writes.push(c.set(`k${i % 37}`, i));
    else if (i % 5 === 1) writes.push(c.set({ [`n.c${i % 4}`]: i, fontSize: 6 + (i % 60) }));
    else if (i % 5 === 2) writes.push(c.delete(`k${(i * 7) % 37}`));
    else if (i % 5 === 3) writes.push(c.patch([{ op: 'add', path: '/list', value: [] }, { op: 'add', path: '/list/-', value: i }]));
    else writes.push(c.set('window', { width: 100 + i, height: i }));
  }
  const revs = (await Promise.all(writes)).map((r) => r.rev);
  const finalRev = Math.max(...revs);
  for (const c of clients) {
    await untilRev(c, finalRev);
  }
  const docs = clients.map((c) => c.store);
  for (const d of docs) assert.deepEqual(d, docs[0]);
  assert.ok(clients.every((c) => c.rev === finalRev));

  // Apply the journal in rev order to the defaults: the same document.
  const dir = path.join(cwd, 'storeHistory', 'settings');
  const records = fs.readdirSync(dir).sort().flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as HistoryEntry);
  assert.deepEqual(records.map((r) => r.rev), Array.from({ length: finalRev }, (_, i) => i + 1));
  const replayed: Record<string, unknown> = { theme: 'auto', fontSize: 14 };
  for (const r of records) assert.ok(applyPatch(replayed, r.ops).every((e) => e === null));
  assert.deepEqual(replayed, docs[0]);
});

test('several stores in one daemon, history and rollback', async () => {
  const cwd = tmpDir();
  const { defineStore } = await import('../src/index.ts');
  const { settingsDef } = await import('./helpers.ts');
  const daemon = await startDaemon(cwd, { stores: [settingsDef(), defineStore({ name: 'tasks', defaults: { items: [] } })] });
  const tasks = await daemon.store<{ items: Array<{ title: string; done: boolean }> }>('tasks');
  const settings = await daemon.store<Settings>('settings');
  await tasks.patch([{ op: 'add', path: '/items/-', value: { title: 'one', done: false } }]);
  await tasks.set('items.0.done', true);
  await settings.set('theme', 'dark');
  assert.equal(tasks.rev, 2);
  assert.equal(settings.rev, 1);
  const history = await tasks.history();
  assert.deepEqual(history.map((h) => h.rev), [1, 2]);
  assert.deepEqual((await tasks.history({ key: 'items.0.done' })).map((h) => h.rev), [1, 2]);
  const { rev } = await tasks.rollback({ rev: 1 });
  assert.equal(rev, 3);
  assert.deepEqual(tasks.get('items'), [{ title: 'one', done: false }]);
  await tasks.rollback({ rev: 2 }); // a rollback is itself undoable
  assert.deepEqual(tasks.get('items'), [{ title: 'one', done: true }]);
  const info = await tasks.info();
  assert.equal(info.rev, 4);
  assert.equal(info.name, 'tasks');
  assert.equal(info.path, path.join(cwd, 'tasks.json'));
  assert.ok(info.counters.writes >= 4);
  const exported = JSON.parse(await tasks.export());
  assert.deepEqual(exported, { items: [{ title: 'one', done: true }] });
  await tasks.import(JSON.stringify({ items: [], note: 'imported' }));
  assert.deepEqual(tasks.store, { items: [], note: 'imported' });
});

test('reads hand out copies; mutating them changes nothing', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const client = await daemon.store<Settings>('settings');
  await client.set('tags', ['x']);
  const tags = client.get('tags')!;
  tags.push('y');
  const whole = client.store;
  whole.theme = 'light';
  assert.deepEqual(client.get('tags'), ['x']);
  assert.equal(client.get('theme'), 'auto');
  assert.equal(client.get('missing' as never, 'fallback' as never), 'fallback');
  assert.equal(client.has('tags'), true);
  assert.equal(client.has('window.width'), false);
});
