/**
 * The deliberate differences from electron-store (README, Migrating from electron-store and Semantics), as our own
 * behaviour: values are plain JSON only (NOT_SERIALIZABLE, where conf throws, drops or converts), malformed keys reject
 * with INVALID_KEY, and writes are asynchronous — each a promise, applied in call order, rejections changing nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Conf from 'conf';
import { defineStore } from '../../src/index.ts';
import { rejectsWith } from '../helpers.ts';
import { type Doc, sandbox } from './helpers.ts';

class Point {
  constructor(readonly x = 1) {}
}

test('conf ".set() - with undefined": NOT_SERIALIZABLE (conf throws "Use `delete()` to clear values"); nothing changes', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 1 } });
  const e = await rejectsWith(store.set('foo', undefined), 'NOT_SERIALIZABLE');
  assert.equal(e.key, 'foo');
  assert.equal(store.get('foo'), 1);
  assert.equal(store.rev, 0);
});

test('conf ".set() - with unsupported values": functions, symbols and undefined, alone or inside set(object), are NOT_SERIALIZABLE', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  const method = { a() {} };
  for (const write of [
    () => store.set('a', () => {}),
    () => store.set('a', Symbol('a')),
    () => store.set({ a: undefined }),
    () => store.set({ a: method.a }),
    () => store.set({ a: Symbol('a') }),
    () => store.set({ fine: 1, 'deep.bad': () => {} }),
  ]) {
    await rejectsWith(write(), 'NOT_SERIALIZABLE');
  }
  assert.deepEqual(store.store, {}, 'set(object) is all or nothing: `fine` was not written either');
});

test('Dates, NaN, ±Infinity, Maps and class instances are NOT_SERIALIZABLE (conf stores a Date as a string, NaN as null)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  const conf = new Conf<Doc>({ cwd: path.dirname(store.path), configName: 'conf-side' });
  const when = new Date(0);
  conf.set({ when, nan: Number.NaN });
  assert.deepEqual({ ...conf.store }, { when: when.toISOString(), nan: null }, 'what conf does with them');
  for (const value of [when, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, new Map([[1, 2]]), new Point(), { nested: [new Date()] }]) {
    const e = await rejectsWith(store.set('v', value), 'NOT_SERIALIZABLE');
    assert.match(String(e.key), /^v/, 'the error names the key that held it');
  }
  await store.set('v', when.toISOString());
  assert.equal(store.get('v'), '1970-01-01T00:00:00.000Z', 'store a Date as an ISO string');
});

test('conf ".set() - invalid key": a key that is not a string or an object is INVALID_KEY (conf: TypeError)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  for (const key of [1, null, true]) await rejectsWith(store.set(key as unknown as string, 'unicorn'), 'INVALID_KEY');
  await rejectsWith(store.set(['a'] as unknown as Doc), 'INVALID_KEY');
  assert.deepEqual(store.store, {});
});

test('conf ".clear() - validation error": defaults that are not JSON stop the start with NOT_SERIALIZABLE (conf: clear() throws later)', async () => {
  const box = sandbox();
  const def = defineStore<Doc>({ name: 'config', defaults: { foo: 42, bad: (() => {}) as unknown as string } });
  const error = await box.start([def]).then(() => undefined, (e: unknown) => e as { code?: string; message: string });
  assert.equal(error?.code, 'NOT_SERIALIZABLE');
  assert.match(error.message, /defaults\.bad/);
});

test('writes are asynchronous: the cache changes when the promise resolves; calls apply in call order; a rejection stops nothing', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: { type: 'object', properties: { n: { type: 'number' } } } });
  const first = store.set('n', 1);
  assert.equal(store.get('n'), undefined, 'not applied synchronously (electron-store: it is)');
  const bad = rejectsWith(store.set('n', 'not a number'), 'VALIDATION_FAILED');
  const third = store.set('n', 3);
  const fourth = store.delete('n');
  const fifth = store.set('n', 5);
  assert.equal((await first).rev, 1);
  assert.ok(store.rev >= 1, 'once resolved, the cache shows the write');
  await bad;
  assert.deepEqual([(await third).rev, (await fourth).rev, (await fifth).rev], [2, 3, 4], 'the rejected write took no rev; the rest in call order');
  assert.equal(store.get('n'), 5);
  const history = await store.history();
  assert.deepEqual(history.map((h) => h.ops[0].op), ['add', 'replace', 'remove', 'add']);
});
