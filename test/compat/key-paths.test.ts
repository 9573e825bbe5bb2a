/**
 * Key paths, with conf itself as the oracle: the same set() through conf (dot-prop) and through the daemon must give
 * the same document. The README promises electron-store's key paths; where ours differs on purpose, the test says
 * "deliberate difference" and the README's migration table lists it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Conf from 'conf';
import { rejectsWith } from '../helpers.ts';
import { type Doc, sandbox } from './helpers.ts';

const oracleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esd-compat-oracle-'));
after(() => fs.rmSync(oracleDir, { recursive: true, force: true }));
let oracles = 0;

/** What conf makes of `writes` applied to `initial`. */
function confResult(initial: Doc, writes: Array<[string, unknown]>): Doc {
  const conf = new Conf<Doc>({ cwd: oracleDir, configName: `oracle-${oracles++}` });
  conf.store = structuredClone(initial);
  for (const [key, value] of writes) conf.set(key, value);
  return { ...conf.store };
}

/** Applies the same writes through the daemon and through conf; both documents, for comparison. */
async function both(initial: Doc, writes: Array<[string, unknown]>): Promise<{ ours: Doc; conf: Doc }> {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: structuredClone(initial) });
  for (const [key, value] of writes) await store.set(key, value);
  return { ours: store.store, conf: confResult(initial, writes) };
}

test('key paths: plain keys, nested paths, `\\.` escapes and array indexes give what conf gives', async () => {
  const { ours, conf } = await both({ list: ['a'], obj: { x: 1 } }, [
    ['top', 1],
    ['a.b.c', 'deep'],
    ['dotted\\.key', true],
    ['mixed\\.key.inner', 2],
    ['obj.y', 2],
    ['list.0', 'replaced'],
    ['list.1', 'appended at length'],
    ['obj.x', { now: 'object' }],
    ['unicode.🦄', '✓'],
    ['trailing\\', 'backslash'],
  ]);
  assert.deepEqual(ours, conf);
});

// Deliberate differences (README, "Migrating from electron-store"): our key paths are electron-store's dot paths
// with `\\.` as the one escape; dot-prop's later extras (brackets, general escapes, arrays made from numeric
// segments) are not taken over, since a key that means different things in different versions is a silent data move.
test('key paths (deliberate difference): a numeric segment under a missing parent makes an object key, not an array', async () => {
  const { ours, conf } = await both({}, [['n.0', 'z'], ['m.0.x', 1]]);
  assert.deepEqual(conf, { n: ['z'], m: [{ x: 1 }] }, 'what conf does');
  assert.deepEqual(ours, { n: { 0: 'z' }, m: { 0: { x: 1 } } });
});

test('key paths (deliberate difference): `list[0]` is a literal key, not an index', async () => {
  const { ours, conf } = await both({ list: ['a', 'b'] }, [['list[0]', 'A']]);
  assert.deepEqual(conf, { list: ['A', 'b'] }, 'what conf does');
  assert.deepEqual(ours, { list: ['a', 'b'], 'list[0]': 'A' });
});

test('key paths (deliberate difference): only `\\.` is an escape; other backslashes are part of the key', async () => {
  const { ours, conf } = await both({}, [['x\\\\.y', 1], ['a\\b', 2]]);
  assert.deepEqual(conf, { 'x\\': { y: 1 }, ab: 2 }, 'what conf does');
  assert.deepEqual(ours, { 'x\\.y': 1, 'a\\b': 2 });
});

test('key paths: an index past the end of an array is INVALID_KEY, not a sparse array (README, Semantics; conf pads with null)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { list: [1, 2] } });
  assert.deepEqual(confResult({ list: [1, 2] }, [['list.5', 1]]), { list: [1, 2, null, null, null, 1] }, 'what conf does');
  const e = await rejectsWith(store.set('list.5', 1), 'INVALID_KEY');
  assert.match(e.message, /index/);
  assert.deepEqual(store.get('list'), [1, 2]);
});

test('key paths: `__internal__` is reserved — refused by set (conf: TypeError) and by reads here (INVALID_KEY)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  assert.throws(() => confResult({}, [['__internal__.x', 1]]), /__internal__/, 'conf refuses it too');
  await rejectsWith(store.set('__internal__.x', 1), 'INVALID_KEY');
  await rejectsWith(store.set({ ok: 1, '__internal__': {} }), 'INVALID_KEY');
  assert.throws(() => store.get('__internal__'), { code: 'INVALID_KEY' });
  assert.deepEqual(store.store, {});
});

test('key paths: a path through a string, a number or null replaces it with an object, as dot-prop does', async () => {
  const { ours, conf } = await both({ s: 'str', n: 5, z: null }, [['s.b', 1], ['n.b.c', 2], ['z.b', 3]]);
  assert.deepEqual(conf, { s: { b: 1 }, n: { b: { c: 2 } }, z: { b: 3 } });
  assert.deepEqual(ours, conf);
});

test('key paths (deliberate difference): delete of an array item removes it (the rest shift), no hole saved as null', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { list: [1, 2, 3], objs: [{ x: 1 }] } });
  const conf = new Conf<Doc>({ cwd: oracleDir, configName: `oracle-${oracles++}` });
  conf.store = { list: [1, 2, 3], objs: [{ x: 1 }] };
  conf.delete('list.0');
  conf.delete('objs.0.x');
  await store.delete('list.0');
  await store.delete('objs.0.x');
  assert.deepEqual({ ...conf.store }, { list: [null, 2, 3], objs: [{}] }, 'what conf does');
  assert.deepEqual(store.store, { list: [2, 3], objs: [{}] });
});

test('key paths (deliberate difference): a non-numeric segment into an array is INVALID_KEY (conf accepts it and loses the value)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', defaults: { list: [1] } });
  assert.deepEqual(confResult({ list: [1] }, [['list.foo', 1]]), { list: [1] }, 'what conf does');
  await rejectsWith(store.set('list.foo', 1), 'INVALID_KEY');
  assert.deepEqual(store.store, { list: [1] });
});
