import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOps } from '../../src/client/apply-ops.ts';
import { fromPointer, parseKey, toPointer } from '../../src/protocol/keys.ts';
import { StoreError } from '../../src/protocol/errors.ts';
import { Policy } from '../../src/daemon/policy.ts';

test('dot paths: escapes, pointers round trip', () => {
  assert.deepEqual(parseKey('a.b.c'), ['a', 'b', 'c']);
  assert.deepEqual(parseKey('a\\.b.c'), ['a.b', 'c']);
  assert.equal(toPointer(['a/b', 'c~d']), '/a~1b/c~0d');
  assert.deepEqual(fromPointer('/a~1b/c~0d'), ['a/b', 'c~d']);
  assert.throws(() => parseKey('a..b'), StoreError);
});

test('StoreError survives its wire form with code, key and details', () => {
  const e = new StoreError('CONFLICT', 'moved on', { store: 's', key: 'k', details: { rev: 3 } });
  const back = StoreError.fromJSON(structuredClone(e.toJSON()));
  assert.ok(back instanceof StoreError);
  assert.deepEqual([back.code, back.message, back.store, back.key, back.details], ['CONFLICT', 'moved on', 's', 'k', { rev: 3 }]);
});

test('the cache applies ops by path copying: the old document is never mutated, untouched subtrees are shared', () => {
  const old = { a: { x: 1 }, b: { y: [1, 2] }, c: 3 };
  const frozen = structuredClone(old);
  const next = applyOps(old, [{ op: 'replace', path: '/b/y/0', value: 9 }, { op: 'add', path: '/d', value: 1 }], () => 0);
  assert.deepEqual(old, frozen);
  assert.deepEqual(next, { a: { x: 1 }, b: { y: [9, 2] }, c: 3, d: 1 });
  assert.equal(next.a, old.a);
  assert.notEqual(next.b, old.b);
});

test('policy: hidden keys never leave in snapshots or ops; writes outside the write list are refused', () => {
  const policy = new Policy({ stores: { settings: { write: ['theme', 'window'], hidden: ['ai.apiKey'] } } }, false);
  const access = policy.access('settings', ['secrets.*']);
  const doc = { theme: 'dark', ai: { apiKey: 'k', model: 'm' }, secrets: { a: 1 }, window: { w: 1 } };
  assert.deepEqual(access.filterDoc(doc), { theme: 'dark', ai: { model: 'm' }, secrets: {}, window: { w: 1 } });
  assert.deepEqual(access.filterOps([
    { op: 'replace', path: '/ai/apiKey', value: 'new' },
    { op: 'replace', path: '/ai', value: { apiKey: 'x', model: 'n' } },
    { op: 'replace', path: '/secrets/a', value: 2 },
    { op: 'replace', path: '/theme', value: 'light' },
  ]), [{ op: 'replace', path: '/ai', value: { model: 'n' } }, { op: 'replace', path: '/theme', value: 'light' }]);
  assert.doesNotThrow(() => access.checkWrite([['window', 'w']]));
  assert.throws(() => access.checkWrite([['fontSize']]), (e: StoreError) => e.code === 'PERMISSION_DENIED');
  assert.throws(() => access.checkWrite([['ai']]), (e: StoreError) => e.code === 'PERMISSION_DENIED');
  assert.throws(() => access.checkAdmin('clear()'), (e: StoreError) => e.code === 'PERMISSION_DENIED');
  assert.equal(policy.access('other', []).allowed, false);
});

test('policy: rate limit refuses writes past maxWritesPerSecond with RATE_LIMITED', () => {
  const policy = new Policy({ maxWritesPerSecond: 3 }, false);
  let refused = 0;
  for (let i = 0; i < 10; i++) {
    try {
      policy.takeWriteToken('s');
    } catch (e) {
      assert.equal((e as StoreError).code, 'RATE_LIMITED');
      refused++;
    }
  }
  assert.ok(refused >= 6, `refused ${refused}`);
});

test('in-place cache updates never mutate an old value handed to a listener, and change the identity of observed keys', () => {
  const doc = { tasks: [{ done: false }, { done: false }], window: { width: 1 } };
  const tasksBefore = doc.tasks;
  const firstBefore = doc.tasks[0];
  // Someone observes `tasks.0` (copy from depth 2 down); nobody observes the root or `tasks`.
  const next = applyOps(doc, [{ op: 'replace', path: '/tasks/0/done', value: true }], (p) => (p[0] === 'tasks' && p[1] === '0' ? 2 : Infinity));
  assert.equal(next, doc, 'the root is updated in place');
  assert.equal(next.tasks, tasksBefore, 'the large array is not copied');
  assert.notEqual(next.tasks[0], firstBefore, 'the observed record has a new identity');
  assert.deepEqual(firstBefore, { done: false }, 'the old record a listener got is intact');
  assert.deepEqual(next.tasks[0], { done: true });
  const removed = applyOps(next, [{ op: 'remove', path: '/tasks/1' }, { op: 'add', path: '/tasks/0', value: { done: 'x' } }], () => Infinity);
  assert.deepEqual(removed.tasks, [{ done: 'x' }, { done: true }]);
});
