/**
 * conf's change-event cases (onDidChange, onDidAnyChange), and what events must survive in our setting: a throwing
 * listener, and a client that missed events (a rev gap) catching up by snapshot.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectStore } from '../../src/client-renderer/index.ts';
import { CachedStore } from '../../src/client/cached-store.ts';
import { ClientConnection } from '../../src/client/connection.ts';
import { adaptPort, type PortLike } from '../../src/protocol/endpoint.ts';
import type { DaemonEvent, WireMessage } from '../../src/protocol/messages.ts';
import type { ChangeInfo } from '../../src/protocol/types.ts';
import { untilRev, waitFor } from '../helpers.ts';
import { type Doc, sandbox } from './helpers.ts';

const fixture = '🦄';

test('conf "onDidChange()": (newValue, oldValue) for a key and a dot path; set, delete, re-set; unsubscribe works', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  const calls: Array<[string, unknown, unknown]> = [];

  await store.set('foo', fixture);
  let unsubscribe = store.onDidChange('foo', (n, o) => calls.push(['foo', n, o]));
  await store.set('foo', '🐴');
  unsubscribe();
  await store.set('foo', fixture);

  await store.set('baz.boo', fixture);
  unsubscribe = store.onDidChange('baz.boo', (n, o) => calls.push(['baz.boo', n, o]));
  await store.set('baz.boo', '🐴');
  unsubscribe();
  await store.set('baz.boo', fixture);

  unsubscribe = store.onDidChange('foo', (n, o) => calls.push(['foo deleted', n, o]));
  await store.delete('foo');
  unsubscribe();
  unsubscribe = store.onDidChange('foo', (n, o) => calls.push(['foo set', n, o]));
  await store.set('foo', '🐴');
  unsubscribe();
  await store.set('foo', fixture);

  assert.deepEqual(calls, [
    ['foo', '🐴', fixture],
    ['baz.boo', '🐴', fixture],
    ['foo deleted', undefined, fixture],
    ['foo set', '🐴', undefined],
  ]);
});

test('conf "onDidAnyChange()": (newDoc, oldDoc) per write; unsubscribe works', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  const calls: Array<[string, Doc, Doc]> = [];
  const record = (what: string) => (n: Doc, o: Doc) => calls.push([what, structuredClone(n), structuredClone(o)]);

  await store.set('foo', fixture);
  let unsubscribe = store.onDidAnyChange(record('foo'));
  await store.set('foo', '🐴');
  unsubscribe();
  await store.set('foo', fixture);

  await store.set('baz.boo', fixture);
  unsubscribe = store.onDidAnyChange(record('baz.boo'));
  await store.set('baz.boo', '🐴');
  unsubscribe();
  await store.set('baz.boo', fixture);

  unsubscribe = store.onDidAnyChange(record('delete'));
  await store.delete('foo');
  unsubscribe();
  unsubscribe = store.onDidAnyChange(record('set'));
  await store.set('foo', '🐴');
  unsubscribe();
  await store.set('foo', fixture);

  assert.deepEqual(calls, [
    ['foo', { foo: '🐴' }, { foo: fixture }],
    ['baz.boo', { foo: fixture, baz: { boo: '🐴' } }, { foo: fixture, baz: { boo: fixture } }],
    ['delete', { baz: { boo: fixture } }, { foo: fixture, baz: { boo: fixture } }],
    ['set', { baz: { boo: fixture }, foo: '🐴' }, { baz: { boo: fixture } }],
  ]);
});

test('onDidChange: not called for unrelated keys, nor when the value did not change; called through parent and child paths', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { a: { b: 1, c: 1 }, other: 1 } });
  const seen: Array<[unknown, unknown]> = [];
  store.onDidChange('a.b', (n, o) => seen.push([n, o]));
  const parent: Array<[unknown, unknown]> = [];
  store.onDidChange('a', (n, o) => parent.push([n, o]));
  await store.set('other', 2); // unrelated key
  await store.set('a.c', 2); // a sibling below the same parent
  await store.set('a.b', 1); // the same value
  await store.set('a', { b: 1, c: 2 }); // the parent replaced with an equal value at a.b
  assert.deepEqual(seen, []);
  assert.deepEqual(parent, [[{ b: 1, c: 2 }, { b: 1, c: 1 }]], 'the parent saw its child change once; equal rewrites are silent');
  await store.set('a', { b: 3 }); // through the parent
  await store.delete('a'); // the parent removed
  await store.set('a.b.deeper', true); // through a child
  assert.deepEqual(seen, [[3, 1], [undefined, 3], [{ deeper: true }, undefined]]);
});

test('onDidAnyChange: not called for a write that changes nothing (deleting a missing key)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { a: 1 } });
  const revs: number[] = [];
  store.onDidAnyChange((_n, _o, change) => revs.push(change.rev));
  const missing = await store.delete('nope');
  assert.equal(missing.rev, 0, 'no rev committed');
  const changed = await store.set('a', 2);
  assert.deepEqual(revs, [changed.rev], 'only the real change is reported');
});

test('onDidAnyChange: not called when set() writes the value already there (conf compares old and new)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { a: 1, b: { c: [1] } } });
  const revs: number[] = [];
  store.onDidAnyChange((_n, _o, change) => revs.push(change.rev));
  await store.set('a', 1);
  await store.set({ a: 1, 'b.c': [1] });
  await store.set('b', { c: [1] });
  const changed = await store.set('a', 2);
  assert.deepEqual(revs, [changed.rev], 'only the real change is reported');
});

test('a change made by another client reaches onDidChange and onDidAnyChange (electron-store: only in-process changes)', async () => {
  const { daemon, store } = await sandbox().open<Doc>({ name: 'config' });
  const other = await connectStore<Doc>('config', { port: daemon.createPort() });
  const seen = waitFor<[unknown, unknown]>((done) => store.onDidChange('theme', (n, o) => done([n, o])), 'the change from the other client');
  const anyChange = waitFor<ChangeInfo>((done) => store.onDidAnyChange((_n, _o, change) => done(change)), 'the change event');
  const { rev } = await other.set('theme', 'dark');
  assert.deepEqual(await seen, ['dark', undefined]);
  const change = await anyChange;
  assert.equal(change.rev, rev);
  assert.deepEqual(change.ops, [{ op: 'add', path: '/theme', value: 'dark' }]);
  other.close();
});

test('one throwing onDidChange listener does not stop the others; its error is rethrown on a microtask', async (t) => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  // Scoped to this test: take over uncaught exceptions (the listener's error surfaces as one), then give them back.
  assert.ok(!process.hasUncaughtExceptionCaptureCallback(), 'nothing else captures uncaught exceptions');
  const thrown: unknown[] = [];
  let onThrown: () => void = () => {};
  process.setUncaughtExceptionCaptureCallback((error) => {
    thrown.push(error);
    onThrown();
  });
  t.after(() => process.setUncaughtExceptionCaptureCallback(null));
  const rethrown = new Promise<void>((resolve) => (onThrown = resolve));

  const calls: string[] = [];
  store.onDidChange('k', () => calls.push('first'));
  store.onDidChange('k', () => {
    calls.push('throwing');
    throw new Error('listener failed');
  });
  store.onDidChange('k', () => calls.push('third'));
  store.onDidAnyChange(() => calls.push('any'));
  await store.set('k', 1);
  assert.deepEqual(calls, ['first', 'throwing', 'third', 'any'], 'every listener ran, in subscription order');
  await rethrown;
  assert.equal(thrown.length, 1);
  assert.match((thrown[0] as Error).message, /listener failed/);
  // The cache is intact and later changes are still delivered.
  await store.set('k', 2);
  assert.equal(store.get('k'), 2);
  assert.deepEqual(calls.slice(4), ['first', 'throwing', 'third', 'any']);
});

/** A port that drops the daemon's change events for `store` up to and including rev `throughRev`, and counts them. */
function gappyPort(inner: PortLike, throughRev: number): { port: PortLike; dropped: () => number[] } {
  const dropped: number[] = [];
  const revsOf = (event: DaemonEvent): number[] => {
    if (event.t === 'changes') return event.changes.map((c) => c.rev);
    if (event.t === 'changes-json') return (JSON.parse(event.json) as ChangeInfo[]).map((c) => c.rev);
    return [];
  };
  const port: PortLike = {
    post: (message, transfer) => inner.post(message, transfer),
    onMessage: (listener) => inner.onMessage((data, ports) => {
      const wire = data as WireMessage;
      if (wire && wire.ch === 'evt') {
        const revs = revsOf(wire.e);
        if (revs.length > 0 && Math.max(...revs) <= throughRev) {
          dropped.push(...revs);
          return;
        }
      }
      listener(data, ports);
    }),
    onClose: (listener) => inner.onClose(listener),
    start: () => inner.start(),
    close: () => inner.close(),
  };
  return { port, dropped: () => dropped };
}

test('a client that sees a rev gap fetches a snapshot and ends equal to the daemon', async () => {
  const { daemon, store } = await sandbox().open<Doc>({ name: 'config', defaults: { keep: true } });
  const { port, dropped } = gappyPort(adaptPort(daemon.createPort()), 3);
  const conn = new ClientConnection(port);
  await conn.ready();
  const lagging = await CachedStore.open<Doc>(conn, 'config');
  assert.equal(lagging.rev, 0);

  const changes: ChangeInfo[] = [];
  lagging.onDidAnyChange((_n, _o, change) => changes.push(change));
  const valueSeen: Array<[unknown, unknown]> = [];
  lagging.onDidChange('a', (n, o) => valueSeen.push([n, o]));

  await store.set('a', 1);
  await store.set('b', 2);
  await store.delete('keep');
  const { rev } = await store.set('c', 3); // rev 4: the lagging client is at 0, so 4 is a gap
  await untilRev(lagging, rev);

  assert.deepEqual(dropped(), [1, 2, 3], 'the client really missed revs 1–3');
  assert.equal(lagging.rev, rev);
  assert.deepEqual(lagging.store, store.store);
  assert.deepEqual(lagging.store, { a: 1, b: 2, c: 3 });
  assert.ok(changes.some((c) => c.source === 'resync'), 'it caught up through a snapshot, not by applying rev 4 on a stale cache');
  assert.deepEqual(valueSeen, [[1, undefined]], 'key listeners see what the resync changed');

  // And it keeps following events afterwards.
  const next = await store.set('d', 4);
  await untilRev(lagging, next.rev);
  assert.deepEqual(lagging.store, store.store);
  lagging.close();
  conn.close();
});
