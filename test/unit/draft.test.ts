import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPatch } from 'rfc6902';
import { Draft } from '../../src/daemon/engine/draft.ts';
import type { JsonObject } from '../../src/protocol/types.ts';

test('set builds add/replace from the write, with exact inverses (electron-store set semantics)', () => {
  const doc: JsonObject = { a: 1, s: 'scalar', list: [1, 2] };
  const d = new Draft(doc, 't');
  d.set(['a'], 2);
  d.set(['b', 'c', 'd'], true);
  d.set(['s', 'x'], 1);
  d.set(['list', '2'], 3);
  d.set(['list', '0'], 0);
  assert.deepEqual(doc, { a: 2, b: { c: { d: true } }, s: { x: 1 }, list: [0, 2, 3] });
  assert.deepEqual(d.ops, [
    { op: 'replace', path: '/a', value: 2 },
    { op: 'add', path: '/b', value: { c: { d: true } } },
    { op: 'replace', path: '/s', value: { x: 1 } },
    { op: 'add', path: '/list/2', value: 3 },
    { op: 'replace', path: '/list/0', value: 0 },
  ]);
  d.undo();
  assert.deepEqual(doc, { a: 1, s: 'scalar', list: [1, 2] });
});

test('every patch op normalizes to add/remove/replace whose inverse restores the document', () => {
  const original: JsonObject = { a: { b: [1, 2, 3] }, c: 'x', e: { f: 1 } };
  const doc = structuredClone(original);
  const d = new Draft(doc, 't');
  const ops = [
    { op: 'add', path: '/a/b/1', value: 9 },
    { op: 'remove', path: '/a/b/0' },
    { op: 'replace', path: '/c', value: 'y' },
    { op: 'move', from: '/e/f', path: '/g' },
    { op: 'copy', from: '/a', path: '/h' },
    { op: 'test', path: '/c', value: 'y' },
    { op: 'add', path: '/a/b/-', value: 4 },
  ] as const;
  ops.forEach((op, i) => d.patchOp(op as never, i));
  const expected = structuredClone(original);
  assert.deepEqual(applyPatch(expected, ops as never).filter(Boolean), []);
  assert.deepEqual(doc, expected);
  assert.ok(d.ops.every((op) => ['add', 'remove', 'replace'].includes(op.op)));
  // Replaying the recorded ops on the original gives the same document; the inverses undo it.
  const replay = structuredClone(original);
  assert.deepEqual(applyPatch(replay, d.ops).filter(Boolean), []);
  assert.deepEqual(replay, expected);
  const undo = structuredClone(expected);
  assert.deepEqual(applyPatch(undo, [...d.inverse].reverse()).filter(Boolean), []);
  assert.deepEqual(undo, original);
});

test('ops keep the value as written even if a later write in the same group mutates the document', () => {
  const doc: JsonObject = {};
  const d1 = new Draft(doc, 't');
  d1.set(['w'], { width: 1 });
  const d2 = new Draft(doc, 't');
  d2.set(['w', 'width'], 2);
  assert.deepEqual(d1.ops[0], { op: 'add', path: '/w', value: { width: 1 } });
  assert.deepEqual(doc, { w: { width: 2 } });
});
