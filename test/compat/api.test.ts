/**
 * conf's and electron-store's own cases for the everyday API (get / set / has / delete, `store`, `size`, `path`,
 * iteration, `appendToArray`, `reset`, `clear`), rewritten for our client: reads are synchronous from the cache,
 * writes return promises. Each test names the upstream case it stands for.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { connectStore } from '../../src/client-renderer/index.ts';
import type { ChangeInfo } from '../../src/protocol/types.ts';
import { rejectsWith } from '../helpers.ts';
import { type Doc, sandbox } from './helpers.ts';

const fixture = '🦄';

/**
 * A typed document for the appendToArray cases: on an untyped store (`Record<string, unknown>`) our `appendToArray`
 * accepts no value at all (its item type is `never`; conf's falls back to `unknown`).
 */
interface Lists {
  newArray?: string[];
  items?: string[];
  objects?: Array<{ id: number }>;
  nested?: { items?: number[]; notArray?: boolean };
  deeply?: { nested?: { array?: string[] } };
  log?: number[];
  empty?: string[];
  multi?: string[];
  notArray?: string;
  numberValue?: number;
  objectValue?: { foo: string };
}

test('conf ".get()": undefined when missing, the default value when given, the value once set', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  assert.equal(store.get('foo'), undefined);
  assert.equal(store.get('foo', '🐴'), '🐴');
  await store.set('foo', fixture);
  assert.equal(store.get('foo'), fixture);
  assert.equal(store.get('foo', '🐴'), fixture, 'the default is only for a missing key');
  await store.set('falsy', 0);
  assert.equal(store.get('falsy', 7), 0, 'a falsy value is not missing');
  await store.set('nothing', null);
  assert.equal(store.get('nothing', 'd'), null, 'null is a value (dot-prop)');
  assert.equal(store.get('nothing.deeper', 'd'), 'd');
});

test('conf ".get() - `defaults` option": defaults are there at open, nested ones by dot path', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 42, nested: { bar: 55 } } });
  assert.equal(store.get('foo'), 42);
  assert.equal(store.get('nested.bar'), 55);
});

test('conf "`defaults` option": a default is read back', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 'bar' } });
  assert.equal(store.get('foo'), 'bar');
  assert.deepEqual(store.store, { foo: 'bar' });
});

test('conf ".set()": plain keys and dot paths (the nested objects are created)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('foo', fixture);
  await store.set('baz.boo', fixture);
  assert.equal(store.get('foo'), fixture);
  assert.equal(store.get('baz.boo'), fixture);
  assert.deepEqual(store.get('baz'), { boo: fixture });
});

test('conf ".set() - with object": nested objects and dot-path keys, in one atomic write', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  const { rev } = await store.set({ foo1: 'bar1', foo2: 'bar2', baz: { boo: 'foo', foo: { bar: 'baz' } } });
  assert.equal(rev, 1, 'one write');
  assert.equal(store.get('foo1'), 'bar1');
  assert.equal(store.get('foo2'), 'bar2');
  assert.deepEqual(store.get('baz'), { boo: 'foo', foo: { bar: 'baz' } });
  assert.equal(store.get('baz.boo'), 'foo');
  assert.deepEqual(store.get('baz.foo'), { bar: 'baz' });
  assert.equal(store.get('baz.foo.bar'), 'baz');
  // Keys of the object are dot paths, as in conf (dot-prop's setProperty per entry).
  const second = await store.set({ 'baz.foo.qux': 1, 'deep.new.key': true });
  assert.equal(second.rev, 2);
  assert.deepEqual(store.get('baz'), { boo: 'foo', foo: { bar: 'baz', qux: 1 } });
  assert.equal(store.get('deep.new.key'), true);
});

test('conf ".has()": true for set keys and dot paths, false for missing ones', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('foo', fixture);
  await store.set('baz.boo', fixture);
  await store.set('nothing', null);
  assert.ok(store.has('foo'));
  assert.ok(store.has('baz.boo'));
  assert.ok(store.has('baz'));
  assert.ok(store.has('nothing'), 'null is a value (dot-prop: the key exists)');
  assert.ok(!store.has('missing'));
  assert.ok(!store.has('baz.missing'));
  assert.ok(!store.has('foo.length'), 'no properties of non-objects');
});

test('conf ".delete()": keys and dot paths; siblings stay', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('foo', 'bar');
  await store.set('baz.boo', true);
  await store.set('baz.foo.bar', 'baz');
  await store.delete('foo');
  assert.equal(store.get('foo'), undefined);
  await store.delete('baz.boo');
  assert.equal(store.get('baz.boo'), undefined);
  await store.delete('baz.foo');
  assert.equal(store.get('baz.foo'), undefined);
  assert.deepEqual(store.get('baz'), {}, 'deleting the last child leaves the empty parent, as dot-prop does');
  await store.set('foo.bar.baz', { awesome: 'icecream' });
  await store.set('foo.bar.zoo', { awesome: 'redpanda' });
  await store.delete('foo.bar.baz');
  assert.equal(store.get('foo.bar.zoo.awesome'), 'redpanda');
  assert.deepEqual(store.store, { baz: {}, foo: { bar: { zoo: { awesome: 'redpanda' } } } });
});

test('dot paths: `\\.` escapes a dot, for get, set, has, delete and set(object) (dot-prop, as conf)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('a\\.b', 1);
  await store.set('a.b', 2);
  assert.deepEqual(store.store, { 'a.b': 1, a: { b: 2 } });
  assert.equal(store.get('a\\.b'), 1);
  assert.equal(store.get('a.b'), 2);
  await store.set({ 'x\\.y.z': 3 });
  assert.deepEqual(store.get('x\\.y'), { z: 3 });
  assert.ok(store.has('x\\.y.z'));
  assert.ok(!store.has('x.y'));
  await store.delete('a\\.b');
  assert.deepEqual(store.store, { a: { b: 2 }, 'x.y': { z: 3 } });
});

test('conf ".store": the whole document, as a copy', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('foo', 'bar');
  await store.set('baz.boo', true);
  assert.deepEqual(store.store, { foo: 'bar', baz: { boo: true } });
  const copy = store.store;
  copy.foo = 'changed';
  (copy.baz as Doc).boo = false;
  assert.deepEqual(store.store, { foo: 'bar', baz: { boo: true } }, 'mutating the copy changes nothing');
});

test('conf ".size": the number of top-level keys', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  assert.equal(store.size, 0);
  await store.set('foo', 'bar');
  assert.equal(store.size, 1);
  await store.set('baz.boo', true);
  await store.set('baz.far', true);
  assert.equal(store.size, 2);
  await store.delete('foo');
  assert.equal(store.size, 1);
});

test('conf "instance is iterable": `for … of` yields [key, value] pairs in insertion order, as copies', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set({ foo: fixture, bar: fixture });
  await store.set('nested', { a: 1 });
  assert.deepEqual([...store], [['foo', fixture], ['bar', fixture], ['nested', { a: 1 }]]);
  const entries: Array<[string, unknown]> = [];
  for (const [key, value] of store) entries.push([key, value]);
  assert.deepEqual(entries.map(([k]) => k), ['foo', 'bar', 'nested']);
  (entries[2][1] as Doc).a = 2;
  assert.deepEqual(store.get('nested'), { a: 1 });
});

test('conf "`configName` option" / electron-store "cwd option": `path` is <cwd>/<name>.json', async () => {
  const box = sandbox();
  const { store, daemon } = await box.open<Doc>({ name: 'alt-config' });
  assert.equal(store.path, path.join(box.cwd, 'alt-config.json'));
  assert.equal(path.basename(store.path, '.json'), 'alt-config');
  assert.equal((await store.info()).path, store.path);
  assert.equal(store.get('foo'), undefined);
  await store.set('foo', fixture);
  assert.equal(store.get('foo'), fixture);
  await daemon.close();
  assert.ok(fs.existsSync(store.path));
});

test('conf ".appendToArray()": creates the array when missing, appends to existing ones, nested paths too', async () => {
  const { store } = await sandbox().open<Lists>({ name: 'config' });
  await store.appendToArray('newArray', 'first');
  assert.deepEqual(store.get('newArray'), ['first']);
  await store.set('items', ['a', 'b']);
  await store.appendToArray('items', 'c');
  assert.deepEqual(store.get('items'), ['a', 'b', 'c']);
  await store.set('objects', [{ id: 1 }, { id: 2 }]);
  await store.appendToArray('objects', { id: 3 });
  assert.deepEqual(store.get('objects'), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  await store.set('nested.items', [1, 2]);
  await store.appendToArray('nested.items', 3);
  assert.deepEqual(store.get('nested.items'), [1, 2, 3]);
  await store.appendToArray('deeply.nested.array', 'value');
  assert.deepEqual(store.get('deeply.nested.array'), ['value']);
});

test('appendToArray is one atomic append: concurrent appends from two clients all land, one rev each', async () => {
  const box = sandbox();
  const { daemon, store } = await box.open<Lists>({ name: 'config' });
  const other = await connectStore<Lists>('config', { port: daemon.createPort() });
  const writes: Array<Promise<{ rev: number }>> = [];
  for (let i = 0; i < 20; i++) writes.push((i % 2 ? other : store).appendToArray('log', i));
  const revs = (await Promise.all(writes)).map((r) => r.rev);
  assert.deepEqual([...revs].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1), 'one rev per append');
  const log = store.get('log') as number[];
  assert.equal(log.length, 20, 'no append lost (a read-modify-write would lose some)');
  assert.deepEqual([...log].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  // Each client's own appends keep their call order.
  assert.deepEqual(log.filter((n) => n % 2 === 0), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.deepEqual(log.filter((n) => n % 2 === 1), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  other.close();
});

test('conf ".appendToArray() - error when key is not array": rejects with INVALID_KEY, changes nothing', async () => {
  const { store } = await sandbox().open<Lists>({ name: 'config' });
  await store.set({ notArray: 'string value', numberValue: 42, objectValue: { foo: 'bar' }, 'nested.notArray': false });
  const rev = store.rev;
  const before = store.store;
  for (const key of ['notArray', 'numberValue', 'objectValue', 'nested.notArray'] as const) {
    // Wrong on purpose (not an array there): the type says so too, hence the cast.
    const e = await rejectsWith(store.appendToArray(key, 'item' as never), 'INVALID_KEY');
    assert.match(e.message, /array/i, `${key}: the message says why`);
  }
  assert.equal(store.rev, rev);
  assert.deepEqual(store.store, before);
});

test('conf ".appendToArray() - without dot notation": a literal dotted key, through `\\.`', async () => {
  const { store } = await sandbox().open<Lists>({ name: 'config' });
  await store.appendToArray('items', 'first');
  assert.deepEqual(store.get('items'), ['first']);
  // KeyPath types do not model `\\.` escapes (they would split this key at the dot): hence the cast.
  await store.appendToArray('nested\\.items' as 'items', 'value');
  assert.deepEqual(store.store, { items: ['first'], 'nested.items': ['value'] });
});

test('conf ".appendToArray() - value validation": a function, a symbol, undefined are NOT_SERIALIZABLE', async () => {
  const { store } = await sandbox().open<Lists>({ name: 'config' });
  await store.set('items', ['valid']);
  for (const value of [() => {}, Symbol('test'), undefined, Number.NaN, new Date()]) {
    await rejectsWith(store.appendToArray('items', value as unknown as string), 'NOT_SERIALIZABLE');
  }
  assert.deepEqual(store.get('items'), ['valid']);
});

test('conf ".appendToArray() - change events": onDidChange gets the new and the old array', async () => {
  const { store } = await sandbox().open<Lists>({ name: 'config' });
  const calls: Array<[unknown, unknown]> = [];
  const unsubscribe = store.onDidChange('items', (newValue, oldValue) => calls.push([newValue, oldValue]));
  await store.appendToArray('items', 'first');
  assert.deepEqual(calls, [[['first'], undefined]]);
  await store.appendToArray('items', 'second');
  assert.deepEqual(calls, [[['first'], undefined], [['first', 'second'], ['first']]]);
  unsubscribe();
  await store.appendToArray('items', 'third');
  assert.equal(calls.length, 2, 'not called after unsubscribe');
});

test('conf ".appendToArray() - empty arrays": appends to an explicitly empty array', async () => {
  const { store } = await sandbox().open<Lists>({ name: 'config' });
  await store.set('empty', []);
  await store.appendToArray('empty', 'item');
  assert.deepEqual(store.get('empty'), ['item']);
  await store.set('multi', []);
  // Not awaited one by one: calls apply in order.
  await Promise.all([store.appendToArray('multi', 'a'), store.appendToArray('multi', 'b'), store.appendToArray('multi', 'c')]);
  assert.deepEqual(store.get('multi'), ['a', 'b', 'c']);
});

test('conf ".reset() - `defaults` option": keys go back to their defaults', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 42, bar: 99 } });
  await store.set('foo', 77);
  await store.set('bar', 0);
  await store.reset('foo', 'bar');
  assert.equal(store.get('foo'), 42);
  assert.equal(store.get('bar'), 99);
});

test('conf ".reset() - falsy `defaults` option": 0, "" and false are defaults too', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 0, bar: '', fox: false, bax: true } });
  await store.set('foo', 5);
  await store.set('bar', 'exist');
  await store.set('fox', true);
  await store.set('fox', false);
  await store.set('bax', false);
  await store.reset('foo', 'bar', 'fox', 'bax');
  assert.equal(store.get('foo'), 0);
  assert.equal(store.get('bar'), '');
  assert.equal(store.get('fox'), false);
  assert.equal(store.get('bax'), true);
});

test('conf ".reset() - `schema` option": schema defaults are what reset goes back to', async () => {
  const { store } = await sandbox().open<Doc>({
    name: 'config',
    schema: { type: 'object', properties: { foo: { default: 42 }, bar: { default: 99 } } },
  });
  assert.deepEqual(store.store, { foo: 42, bar: 99 }, 'filled in at open');
  await store.set('foo', 77);
  await store.set('bar', 0);
  await store.reset('foo', 'bar');
  assert.equal(store.get('foo'), 42);
  assert.equal(store.get('bar'), 99);
});

test('reset() restores defaults and schema defaults together; a key without a default is left alone', async () => {
  const { store } = await sandbox().open<Doc>({
    name: 'config',
    schema: { type: 'object', properties: { n: { type: 'number', default: 5 }, s: { type: 'string', default: 'schema' } } },
    defaults: { s: 'defaults', list: [1] },
  });
  assert.deepEqual(store.store, { n: 5, s: 'defaults', list: [1] }, '`defaults` wins over a schema default');
  await store.set({ n: 6, s: 'changed', list: [], other: 'x' });
  await store.reset('n', 's', 'list', 'other');
  assert.deepEqual(store.store, { n: 5, s: 'defaults', list: [1], other: 'x' });
});

test('reset() takes top-level keys as conf does: a dot path into a default object is not reset', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { nested: { bar: 55, baz: 1 } } });
  await store.set('nested.bar', 0);
  await store.reset('nested.bar');
  assert.deepEqual(store.get('nested'), { bar: 0, baz: 1 });
});

test('conf ".clear()": without defaults the store is emptied', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('foo', 'bar');
  await store.set('foo1', 'bar1');
  await store.set('baz.boo', true);
  await store.clear();
  assert.equal(store.size, 0);
  assert.deepEqual(store.store, {});
});

test('conf ".clear() - `defaults` option": the defaults come back', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 42, bar: 99 } });
  await store.set('foo', 2);
  await store.set('extra', true);
  await store.clear();
  assert.deepEqual(store.store, { foo: 42, bar: 99 });
});

test('conf ".clear() - `schema` option": schema defaults come back', async () => {
  const { store } = await sandbox().open<Doc>({
    name: 'config',
    schema: { type: 'object', properties: { foo: { default: 42 }, bar: { default: 99 } } },
  });
  await store.set('foo', 2);
  await store.delete('bar');
  await store.clear();
  assert.equal(store.get('foo'), 42);
  assert.equal(store.get('bar'), 99);
});

test('conf ".clear() - change events": one onDidAnyChange call, from the old document to the defaults', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { foo: 42, bar: 'hello' } });
  await store.set('foo', 100);
  await store.set('baz', 'extra');
  const events: Array<{ newValue: Doc; oldValue: Doc; change: ChangeInfo }> = [];
  const unsubscribe = store.onDidAnyChange((newValue, oldValue, change) => {
    events.push({ newValue: structuredClone(newValue), oldValue: structuredClone(oldValue), change });
  });
  const { rev } = await store.clear();
  unsubscribe();
  assert.equal(events.length, 1, 'exactly one change event');
  assert.deepEqual(events[0].newValue, { foo: 42, bar: 'hello' });
  assert.deepEqual(events[0].oldValue, { foo: 100, bar: 'hello', baz: 'extra' });
  assert.equal(events[0].change.rev, rev);
});
