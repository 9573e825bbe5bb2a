import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStoreDaemon } from '../src/client-main/index.ts';
import { connectStore } from '../src/client-renderer/index.ts';
import { ClientConnection } from '../src/client/connection.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { type Settings, rejectsWith, settingsDef, startDaemon, tmpDir, untilRev } from './helpers.ts';

/*
 * A write's ack rides on its commit group's change event (protocol 2). These tests pin down the cases where that
 * event carries something else or does not exist: failures in a group, a change the writer may not see, writes that
 * change nothing, a writer that does not subscribe, and a daemon that dies with writes in flight.
 */

const cwd = tmpDir();
const daemonP = startDaemon(cwd);

test('errors come back per write: in one group, failed writes reject with their own StoreError and the others resolve', async () => {
  const daemon = await daemonP;
  const main = await daemon.store<Settings>('settings');
  const start = main.rev;
  // Posted in one task: they reach the daemon together and commit as one group.
  const writes = [
    main.set('a1', 1),
    main.set('fontSize', 1000 as never),
    main.set('a2', 2, { ifRev: start + 1000 }),
    main.patch([{ op: 'test', path: '/theme', value: 'nope' }]),
    main.set('a3', 3),
  ];
  const outcomes = await Promise.allSettled(writes);
  const code = (i: number) => (outcomes[i].status === 'rejected' ? (outcomes[i] as PromiseRejectedResult).reason.code : 'resolved');
  assert.deepEqual([0, 1, 2, 3, 4].map(code), ['resolved', 'VALIDATION_FAILED', 'CONFLICT', 'CONFLICT', 'resolved']);
  for (const i of [1, 2, 3]) assert.equal((outcomes[i] as PromiseRejectedResult).reason.name, 'StoreError');
  const revs = [0, 4].map((i) => (outcomes[i] as PromiseFulfilledResult<{ rev: number }>).value.rev);
  assert.ok(revs[0] < revs[1]);
  // Each writer's cache already shows its write when its promise resolves.
  assert.equal(main.rev, revs[1]);
  assert.equal(main.get('a1'), 1);
  assert.equal(main.get('a3'), 3);
  assert.equal(main.get('fontSize'), 14);
});

test('a write the writer may not see (write-only path) resolves with its rev, and its cache keeps up without showing it', async () => {
  const daemon = await daemonP;
  const main = await daemon.store<Settings>('settings');
  const window = await connectStore<Settings>('settings', { port: daemon.createPort({ stores: { settings: { read: ['theme'], write: ['telemetry'] } } }) });
  const { rev } = await window.set('telemetry', { count: 1 });
  assert.equal(window.rev, rev, 'the filtered event carried the rev and the ack');
  assert.equal(window.get('telemetry'), undefined);
  await untilRev(main, rev);
  assert.deepEqual(main.get('telemetry'), { count: 1 });
  // Many of them, issued together, with a visible write of someone else in between.
  const many = Array.from({ length: 50 }, (_, i) => window.set('telemetry', { count: i }));
  const other = main.set('theme', 'light');
  const results = await Promise.all(many);
  await other;
  assert.ok(window.rev >= results[results.length - 1].rev);
  await untilRev(window, main.rev);
  assert.equal(window.get('theme'), 'light');
  window.close();
});

test('writes that change nothing (equal value, missing key) resolve at the current rev, alone or inside a group', async () => {
  const daemon = await daemonP;
  const main = await daemon.store<Settings>('settings');
  await main.set('same', { x: [1, 2] });
  const rev = main.rev;
  // Alone: no group event exists for them, so their acks come on their own.
  assert.deepEqual(await main.set('same', { x: [1, 2] }), { rev });
  assert.deepEqual(await main.delete('never-there'), { rev });
  assert.equal(main.rev, rev);
  // Inside a group with real changes: each resolves, the no-op at a rev its cache already shows.
  const [a, same, b] = await Promise.all([main.set('n1', 1), main.set('same', { x: [1, 2] }), main.set('n2', 2)]);
  assert.ok(same.rev >= rev && same.rev <= main.rev);
  assert.ok(a.rev > rev && b.rev > a.rev);
  assert.equal(main.rev, b.rev);
});

test('a connection that does not subscribe gets its acks and errors too', async () => {
  const daemon = await daemonP;
  const raw = new ClientConnection(daemon.createPort());
  await raw.ready();
  const { rev } = await raw.write('settings', { kind: 'set', key: 'raw', value: 1 });
  const main = await daemon.store<Settings>('settings');
  await untilRev(main, rev);
  assert.equal(main.get('raw'), 1);
  await rejectsWith(raw.write('settings', { kind: 'set', key: 'fontSize', value: 'big' }), 'VALIDATION_FAILED');
  await rejectsWith(raw.write('nope', { kind: 'set', key: 'x', value: 1 }), 'STORE_NOT_FOUND');
  // An equal-value write from a non-subscriber: acked on its own, at the current rev.
  assert.deepEqual(await raw.write('settings', { kind: 'set', key: 'raw', value: 1 }), { rev });
  raw.close();
});

test('the daemon dies with writes in flight: every write settles, resolved ones are on disk, the rest reject DAEMON_UNAVAILABLE', async () => {
  const dir = tmpDir();
  const daemon = await startStoreDaemon({ cwd: dir, stores: [settingsDef()], restart: { maxRestarts: 0 }, tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
  daemon.on('error', () => {});
  const main = await daemon.store<Settings>('settings');
  const window = await connectStore<Settings>('settings', { port: daemon.createPort() });
  const resolved = new Map<string, number>();
  let enough: () => void = () => {};
  const someResolved = new Promise<void>((resolve) => (enough = resolve));
  const track = (client: StoreClient<Settings>, key: string, value: number) => client.set(key, value).then(({ rev }) => {
    assert.ok(client.rev >= rev, 'resolved with the cache at its rev');
    resolved.set(key, value);
    if (resolved.size === 40) enough();
  });
  const writes = Array.from({ length: 400 }, (_, i) => track(i % 2 ? window : main, `w${i}`, i));
  await someResolved;
  // More writes posted in this task, then the kill: these are in flight whatever the first ones did meanwhile.
  for (let i = 400; i < 500; i++) writes.push(track(i % 2 ? window : main, `w${i}`, i));
  daemon.kill();
  const outcomes = await Promise.allSettled(writes);
  for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { code: string }).code, 'DAEMON_UNAVAILABLE');
  assert.ok(outcomes.some((o) => o.status === 'rejected'), 'some writes were still in flight');

  const again = await startDaemon(dir);
  const reopened = await again.store<Settings>('settings');
  for (const [key, value] of resolved) assert.equal(reopened.get(key as never), value, `${key} survived`);
});
