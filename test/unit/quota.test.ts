import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Draft, size } from '../../src/daemon/engine/draft.ts';
import type { JsonObject } from '../../src/protocol/types.ts';

/** The document's size as the quota defines it: compact JSON, UTF-8 bytes. */
const bytes = (doc: JsonObject) => Buffer.byteLength(JSON.stringify(doc));

test('quota accounting is exact: 20,000 array add/remove pairs leave the count where it was (it can never go below zero)', () => {
  const doc: JsonObject = { list: [] };
  let total = bytes(doc);
  for (let i = 0; i < 20_000; i++) {
    const add = new Draft(doc, 't');
    add.patchOp({ op: 'add', path: '/list/-', value: i }, 0);
    total += add.byteDelta;
    const remove = new Draft(doc, 't');
    remove.patchOp({ op: 'remove', path: '/list/0' }, 0);
    total += remove.byteDelta;
    assert.equal(total, bytes(doc));
  }
  assert.equal(total, size(doc));
});

test('quota accounting is exact under random writes, with keys and values that JSON escapes or that take several UTF-8 bytes', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const keys = ['a', 'quote"d', 'back\\slash', 'tab\tkey', 'é', '🦄', 'nl\nkey', 'ctl\u0001'];
  const values: unknown[] = [1, 'x', 'with "quotes"', '\u0000', '€€€', { nested: ['🦄', null] }, [1, 2, 3], true, null, ''];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const doc: JsonObject = {};
  let total = bytes(doc);
  for (let i = 0; i < 5000; i++) {
    const d = new Draft(doc, 't');
    const key = pick(keys);
    const r = random();
    try {
      write(d, r, key);
    } catch {
      d.undo(); // a rejected write (e.g. a key into an array) changes nothing, as in the engine
    }
    total += d.byteDelta;
    assert.equal(total, bytes(doc), `after write ${i}`);
  }

  function write(d: Draft, r: number, key: string): void {
    if (r < 0.4) d.set([key], structuredClone(pick(values)));
    else if (r < 0.55) d.set([key, pick(keys)], structuredClone(pick(values)));
    else if (r < 0.7) d.remove([key]);
    else if (r < 0.85 && Array.isArray(doc[key])) d.patchOp({ op: 'add', path: `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}/0`, value: structuredClone(pick(values)) as never }, 0);
    else if (Array.isArray(doc[key]) && (doc[key] as unknown[]).length > 0) d.remove([key, '0']);
    else d.set([key], []);
  }
});
