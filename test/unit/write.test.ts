import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Operation } from 'rfc6902';
import { StoreError } from '../../src/protocol/errors.ts';
import type { JsonObject } from '../../src/protocol/types.ts';
import { parseWrite, replaceDocument, type RollbackTarget, type WriteContext, type WriteTarget } from '../../src/protocol/write.ts';

type Call = ['set', string[], unknown] | ['remove', string[]] | ['patchOp', Operation, number];

/** A WriteTarget that records every call and changes nothing, so what a write asks for is exactly what is seen. */
function recorder(doc: JsonObject = {}): { target: WriteTarget; calls: Call[] } {
  const calls: Call[] = [];
  const target: WriteTarget = {
    doc,
    set: (segments, value) => void calls.push(['set', [...segments], value]),
    remove: (segments) => void calls.push(['remove', [...segments]]),
    patchOp: (op, index) => void calls.push(['patchOp', op, index]),
  };
  return { target, calls };
}

/** A WriteContext with `defaults`; undoAfter records its calls (only rollback may call it). */
function context(defaults: JsonObject = {}): WriteContext & { undone: Array<[RollbackTarget, WriteTarget]> } {
  const undone: Array<[RollbackTarget, WriteTarget]> = [];
  return { defaults, undone, undoAfter: (to, target) => void undone.push([to, target]) };
}

/** Parses and applies `request` to a recorder over `doc`; returns the parsed write and the recorded calls. */
function applied(request: unknown, doc: JsonObject = {}, defaults: JsonObject = {}) {
  const parsed = parseWrite(request, 'settings');
  const { target, calls } = recorder(doc);
  const ctx = context(defaults);
  parsed.apply(target, ctx);
  assert.equal(ctx.undone.length, parsed.kind === 'rollback' ? 1 : 0, 'only rollback calls undoAfter');
  return { parsed, calls };
}

/** Asserts `fn` throws a StoreError of `code` (store "settings"), optionally naming `key`; returns it. */
function throwsCode(fn: () => unknown, code: string, key?: string): StoreError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.store, 'settings');
  if (key !== undefined) assert.equal(caught.key, key);
  return caught;
}

const parse = (request: unknown) => parseWrite(request, 'settings');

// --- per kind: paths, flags, apply ---

test('set: writes its parsed key (escaped dots stay in one segment) and applies one set with the value', () => {
  const { parsed, calls } = applied({ kind: 'set', key: 'window.width', value: 800 });
  assert.equal(parsed.kind, 'set');
  assert.deepEqual(parsed.writes, [['window', 'width']]);
  assert.deepEqual(parsed.reads, []);
  assert.equal(parsed.wholeDocument, false);
  assert.equal(parsed.validateAll, false);
  assert.equal(parsed.admin, undefined);
  assert.equal(parsed.ifRev, undefined);
  assert.deepEqual(calls, [['set', ['window', 'width'], 800]]);

  assert.deepEqual(parse({ kind: 'set', key: 'a\\.b.c', value: 1 }).writes, [['a.b', 'c']]);
});

test('setMany: one write path and one set per key, in order', () => {
  const { parsed, calls } = applied({ kind: 'setMany', values: { theme: 'dark', 'window.height': 600, tags: ['a'] } });
  assert.equal(parsed.kind, 'setMany');
  assert.deepEqual(parsed.writes, [['theme'], ['window', 'height'], ['tags']]);
  assert.deepEqual(parsed.reads, []);
  assert.equal(parsed.wholeDocument, false);
  assert.equal(parsed.validateAll, false);
  assert.equal(parsed.admin, undefined);
  assert.deepEqual(calls, [['set', ['theme'], 'dark'], ['set', ['window', 'height'], 600], ['set', ['tags'], ['a']]]);

  const empty = applied({ kind: 'setMany', values: Object.create(null) });
  assert.deepEqual(empty.parsed.writes, [], 'a null-prototype object is plain');
  assert.deepEqual(empty.calls, []);
});

test('delete: writes its key and applies one remove', () => {
  const { parsed, calls } = applied({ kind: 'delete', key: 'window.width' });
  assert.equal(parsed.kind, 'delete');
  assert.deepEqual(parsed.writes, [['window', 'width']]);
  assert.deepEqual(parsed.reads, []);
  assert.equal(parsed.wholeDocument, false);
  assert.equal(parsed.admin, undefined);
  assert.deepEqual(calls, [['remove', ['window', 'width']]]);
});

test('reset: top-level keys with a default go back to a copy of it; keys without one, and dot paths into a default, are left alone (as conf)', () => {
  const defaults: JsonObject = { theme: 'auto', window: { width: 800, height: 600 } };
  const { parsed, calls } = applied({ kind: 'reset', keys: ['theme', 'window', 'window.height', 'fontSize', 'window.depth'] }, { theme: 'dark', fontSize: 20 }, defaults);
  assert.equal(parsed.kind, 'reset');
  assert.deepEqual(parsed.writes, [['theme'], ['window'], ['window', 'height'], ['fontSize'], ['window', 'depth']]);
  assert.deepEqual(parsed.reads, []);
  assert.equal(parsed.wholeDocument, false);
  assert.equal(parsed.admin, undefined);
  assert.deepEqual(calls, [
    ['set', ['theme'], 'auto'],
    ['set', ['window'], { width: 800, height: 600 }],
  ]);
  // The value set is a copy: the draft may change it without changing the store's defaults.
  assert.notEqual(calls[1][2], defaults.window);

  assert.deepEqual(applied({ kind: 'reset', keys: [] }).calls, []);
});

test('clear: a whole-document admin write that replaces the document with the defaults, one op per differing key', () => {
  const defaults: JsonObject = { theme: 'auto', fontSize: 14, window: { width: 800 } };
  const doc: JsonObject = { theme: 'dark', fontSize: 14, window: { width: 800 }, extra: true, tags: ['x'] };
  const { parsed, calls } = applied({ kind: 'clear' }, doc, defaults);
  assert.equal(parsed.kind, 'clear');
  assert.deepEqual(parsed.writes, []);
  assert.deepEqual(parsed.reads, []);
  assert.equal(parsed.wholeDocument, true);
  assert.equal(parsed.admin, 'clear()');
  assert.equal(parsed.validateAll, false);
  // fontSize and window are equal to their defaults: no op for them.
  assert.deepEqual(calls, [['remove', ['extra']], ['remove', ['tags']], ['set', ['theme'], 'auto']]);

  const missing = applied({ kind: 'clear' }, { theme: 'auto' }, defaults);
  assert.deepEqual(missing.calls, [['set', ['fontSize'], 14], ['set', ['window'], { width: 800 }]], 'keys only the defaults have are added');
  assert.notEqual(missing.calls[1][2], defaults.window, 'as copies of the defaults');

  assert.deepEqual(applied({ kind: 'clear' }, structuredClone(defaults), defaults).calls, [], 'nothing when the document already equals the defaults');
});

test('patch: every op kind reports the paths it writes and reads, and apply hands each op to patchOp with its index', () => {
  const ops: Operation[] = [
    { op: 'add', path: '/tags/-', value: 'x' },
    { op: 'replace', path: '/theme', value: 'dark' },
    { op: 'remove', path: '/window/width' },
    { op: 'move', from: '/a/b', path: '/c' },
    { op: 'copy', from: '/d', path: '/e/f' },
    { op: 'test', path: '/g', value: 1 },
    { op: 'add', path: '/x~1y/z~0w', value: null },
  ];
  const { parsed, calls } = applied({ kind: 'patch', ops });
  assert.equal(parsed.kind, 'patch');
  assert.deepEqual(parsed.writes, [['tags', '-'], ['theme'], ['window', 'width'], ['c'], ['a', 'b'], ['e', 'f'], ['x/y', 'z~w']]);
  assert.deepEqual(parsed.reads, [['a', 'b'], ['d'], ['g']]);
  assert.equal(parsed.wholeDocument, false);
  assert.equal(parsed.validateAll, false);
  assert.equal(parsed.admin, undefined);
  assert.deepEqual(calls, ops.map((op, i) => ['patchOp', op, i]));
  assert.equal(calls[3][1], ops[3], 'the op objects are handed on as given');

  // One op at a time, as the brief of each kind says.
  const only = (op: Operation) => {
    const p = parse({ kind: 'patch', ops: [op] });
    return { writes: p.writes, reads: p.reads };
  };
  assert.deepEqual(only({ op: 'move', from: '/a', path: '/b' }), { writes: [['b'], ['a']], reads: [['a']] });
  assert.deepEqual(only({ op: 'copy', from: '/a', path: '/b' }), { writes: [['b']], reads: [['a']] });
  assert.deepEqual(only({ op: 'test', path: '/a', value: 1 }), { writes: [], reads: [['a']] });
  assert.deepEqual(only({ op: 'remove', path: '/a' }), { writes: [['a']], reads: [] });
});

test('import and restore: whole-document admin writes validated whole; apply replaces the document key by key, without __internal__', () => {
  const doc: JsonObject = { theme: 'dark', fontSize: 14, window: { width: 800, height: 600 }, old: 1 };
  const next = { theme: 'light', fontSize: 14, window: { width: 800, height: 600 }, fresh: [1, 2], __internal__: { migrations: { version: '9.9.9' } } };
  for (const [kind, admin] of [['import', 'import()'], ['restore', 'backups.restore()']] as const) {
    const { parsed, calls } = applied({ kind, doc: next }, structuredClone(doc));
    assert.equal(parsed.kind, kind);
    assert.deepEqual(parsed.writes, []);
    assert.deepEqual(parsed.reads, []);
    assert.equal(parsed.wholeDocument, true);
    assert.equal(parsed.validateAll, true);
    assert.equal(parsed.admin, admin);
    assert.deepEqual(calls, [['remove', ['old']], ['set', ['theme'], 'light'], ['set', ['fresh'], [1, 2]]], kind);
    assert.notEqual(calls[2][2], next.fresh, 'the value set is a copy of the imported one');
  }
});

test('rollback: a whole-document admin write; apply calls context.undoAfter with the parsed target and the same WriteTarget', () => {
  const cases: Array<[unknown, RollbackTarget]> = [
    [{ rev: 3 }, { rev: 3 }],
    [{ rev: 0 }, { rev: 0 }],
    [{ time: 1_700_000_000_000 }, { time: 1_700_000_000_000 }],
    [{ time: '2024-05-06T07:08:09.000Z' }, { time: Date.parse('2024-05-06T07:08:09.000Z') }],
  ];
  for (const [to, expected] of cases) {
    const parsed = parse({ kind: 'rollback', to });
    assert.equal(parsed.kind, 'rollback');
    assert.deepEqual(parsed.writes, []);
    assert.deepEqual(parsed.reads, []);
    assert.equal(parsed.wholeDocument, true);
    assert.equal(parsed.validateAll, true);
    assert.equal(parsed.admin, 'rollback()');
    const { target, calls } = recorder();
    const ctx = context();
    parsed.apply(target, ctx);
    assert.equal(ctx.undone.length, 1);
    assert.deepEqual(ctx.undone[0][0], expected, JSON.stringify(to));
    assert.equal(ctx.undone[0][1], target);
    assert.deepEqual(calls, [], 'rollback itself changes nothing but through undoAfter');
  }
});

test('rollback: a target that is not a rev or a date is INVALID_KEY', () => {
  const e = throwsCode(() => parse({ kind: 'rollback', to: { time: 'not a date' } }), 'INVALID_KEY');
  assert.match(e.message, /not a date/);
  for (const to of [undefined, null, 5, '3', {}, { rev: -1 }, { rev: 1.5 }, { rev: '3' }, { time: Number.NaN }, { time: Number.POSITIVE_INFINITY }, { time: true }]) {
    throwsCode(() => parse({ kind: 'rollback', to }), 'INVALID_KEY');
  }
});

// --- ifRev ---

test('ifRev: a non-negative integer is carried on every kind; anything else is INVALID_KEY', () => {
  const requests = [
    { kind: 'set', key: 'a', value: 1 }, { kind: 'setMany', values: { a: 1 } }, { kind: 'delete', key: 'a' }, { kind: 'reset', keys: ['a'] },
    { kind: 'clear' }, { kind: 'patch', ops: [] }, { kind: 'import', doc: {} }, { kind: 'restore', doc: {} }, { kind: 'rollback', to: { rev: 1 } },
  ];
  for (const request of requests) {
    assert.equal(parse({ ...request, ifRev: 0 }).ifRev, 0, request.kind);
    assert.equal(parse({ ...request, ifRev: 42 }).ifRev, 42, request.kind);
    for (const ifRev of [-1, 1.5, '3', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, null]) {
      const e = throwsCode(() => parse({ ...request, ifRev }), 'INVALID_KEY');
      assert.match(e.message, /ifRev/, `${request.kind} with ifRev ${String(ifRev)}`);
    }
  }
});

// --- bad shapes ---

test('a request that is not an object, or of an unknown kind, is INVALID_KEY', () => {
  for (const request of [null, undefined, 'set', 42, true]) throwsCode(() => parse(request), 'INVALID_KEY');
  assert.match(throwsCode(() => parse({ kind: 'merge', key: 'a' }), 'INVALID_KEY').message, /Unknown write kind "merge"/);
  throwsCode(() => parse({}), 'INVALID_KEY');
  throwsCode(() => parse({ kind: '__proto__' }), 'INVALID_KEY');
});

test('keys: non-strings, empty keys and segments, and reserved segments are INVALID_KEY for set, delete and reset', () => {
  for (const key of [5, undefined, null, ['a'], '', 'a..b', '.a', 'a.', '__proto__', 'a.constructor', 'prototype.x', '__internal__']) {
    throwsCode(() => parse({ kind: 'set', key, value: 1 }), 'INVALID_KEY');
    throwsCode(() => parse({ kind: 'delete', key }), 'INVALID_KEY');
    throwsCode(() => parse({ kind: 'reset', keys: ['ok', key] }), 'INVALID_KEY');
  }
  throwsCode(() => parse({ kind: 'setMany', values: { 'a..b': 1 } }), 'INVALID_KEY');
  throwsCode(() => parse({ kind: 'setMany', values: { 'x.__internal__': 1 } }), 'INVALID_KEY');
});

test('reset takes an array of keys; patch takes an array of ops; setMany takes a plain object', () => {
  for (const keys of [undefined, 'theme', { 0: 'theme' }, null]) {
    assert.match(throwsCode(() => parse({ kind: 'reset', keys }), 'INVALID_KEY').message, /reset\(\) takes key paths/);
  }
  for (const ops of [undefined, { op: 'add', path: '/a', value: 1 }, '[]', null]) {
    assert.match(throwsCode(() => parse({ kind: 'patch', ops }), 'INVALID_KEY').message, /array of rfc6902 operations/);
  }
  for (const values of [undefined, null, [['a', 1]], new Map([['a', 1]]), new Date(0), 'a=1']) {
    throwsCode(() => parse({ kind: 'setMany', values }), 'NOT_SERIALIZABLE');
  }
});

test('setMany: an own "__proto__" key is INVALID_KEY naming it', () => {
  const values = JSON.parse('{"theme":"dark","__proto__":{"polluted":true}}') as Record<string, unknown>;
  assert.ok(Object.hasOwn(values, '__proto__'));
  throwsCode(() => parse({ kind: 'setMany', values }), 'INVALID_KEY', '__proto__');
  // Refused by parseWrite itself, not only by the default key parser.
  const e = throwsCode(() => parseWrite({ kind: 'setMany', values }, 'settings', (key) => [String(key)]), 'INVALID_KEY', '__proto__');
  assert.match(e.message, /own "__proto__" key/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('patch: malformed ops are INVALID_KEY; add, replace and test without a value are NOT_SERIALIZABLE', () => {
  const bad = (op: unknown) => () => parse({ kind: 'patch', ops: [{ op: 'add', path: '/ok', value: 1 }, op] });
  assert.match(throwsCode(bad(null), 'INVALID_KEY').message, /patch op 1 is not an object/);
  assert.match(throwsCode(bad('add'), 'INVALID_KEY').message, /patch op 1/);
  assert.match(throwsCode(bad({ op: 'merge', path: '/a', value: 1 }), 'INVALID_KEY').message, /"op" must be one of/);
  throwsCode(bad({ path: '/a', value: 1 }), 'INVALID_KEY');
  // Paths are JSON pointers.
  throwsCode(bad({ op: 'add', path: 'a/b', value: 1 }), 'INVALID_KEY');
  throwsCode(bad({ op: 'remove', path: 'theme' }), 'INVALID_KEY');
  throwsCode(bad({ op: 'remove' }), 'INVALID_KEY');
  throwsCode(bad({ op: 'remove', path: 7 }), 'INVALID_KEY');
  throwsCode(bad({ op: 'add', path: '/a/__proto__/b', value: 1 }), 'INVALID_KEY', '/a/__proto__/b');
  throwsCode(bad({ op: 'remove', path: '/__internal__' }), 'INVALID_KEY', '/__internal__');
  // move and copy need a valid `from` too.
  throwsCode(bad({ op: 'move', path: '/a' }), 'INVALID_KEY');
  throwsCode(bad({ op: 'copy', path: '/a', from: 'b' }), 'INVALID_KEY');
  throwsCode(bad({ op: 'move', path: '/a', from: '/constructor/x' }), 'INVALID_KEY', '/constructor/x');
  for (const op of ['add', 'replace', 'test']) {
    assert.match(throwsCode(bad({ op, path: '/a' }), 'NOT_SERIALIZABLE').message, new RegExp(`patch op 1 \\(${op}\\) needs a "value"`));
  }
  // remove, move and copy need none.
  assert.equal(parse({ kind: 'patch', ops: [{ op: 'remove', path: '/a' }, { op: 'move', from: '/b', path: '/c' }, { op: 'copy', from: '/c', path: '/d' }] }).writes.length, 4);
});

test('values that are not plain JSON are NOT_SERIALIZABLE, naming the key where they sit', () => {
  class Point {
    x = 1;
  }
  const nonJson: unknown[] = [undefined, new Date(0), new Map(), new Point(), () => 1, Symbol('s'), 10n, Number.NaN, Number.POSITIVE_INFINITY, new Uint8Array(1)];
  for (const value of nonJson) {
    throwsCode(() => parse({ kind: 'set', key: 'window.width', value }), 'NOT_SERIALIZABLE', 'window.width');
    throwsCode(() => parse({ kind: 'set', key: 'window', value: { width: value } }), 'NOT_SERIALIZABLE', 'window.width');
    throwsCode(() => parse({ kind: 'setMany', values: { theme: 'dark', 'a.b': value } }), 'NOT_SERIALIZABLE', 'a.b');
    throwsCode(() => parse({ kind: 'setMany', values: { tags: ['x', value] } }), 'NOT_SERIALIZABLE', 'tags.1');
    throwsCode(() => parse({ kind: 'patch', ops: [{ op: 'add', path: '/window/width', value }] }), 'NOT_SERIALIZABLE', 'window.width');
    throwsCode(() => parse({ kind: 'patch', ops: [{ op: 'test', path: '/a', value: { b: value } }] }), 'NOT_SERIALIZABLE', 'a.b');
    throwsCode(() => parse({ kind: 'import', doc: { theme: 'dark', window: { width: value } } }), 'NOT_SERIALIZABLE', '(document).window.width');
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  throwsCode(() => parse({ kind: 'set', key: 'c', value: cyclic }), 'NOT_SERIALIZABLE', 'c.self');
  // A sparse array is not JSON either.
  throwsCode(() => parse({ kind: 'set', key: 'tags', value: [1, , 3] }), 'NOT_SERIALIZABLE', 'tags.1');
  // A nested own "__proto__" key is refused as a key, not as a value.
  throwsCode(() => parse({ kind: 'set', key: 'w', value: JSON.parse('{"__proto__":{"x":1}}') }), 'INVALID_KEY', 'w');
});

test('import and restore take a JSON object as the document', () => {
  for (const kind of ['import', 'restore']) {
    for (const doc of [null, undefined, [], [1], 'text', 3]) {
      assert.match(throwsCode(() => parse({ kind, doc }), 'NOT_SERIALIZABLE').message, /must be a JSON object/);
    }
    throwsCode(() => parse({ kind, doc: JSON.parse('{"__proto__":{"polluted":true}}') }), 'INVALID_KEY');
  }
});

test('one bad key, value or op anywhere in a write fails the whole parse', () => {
  throwsCode(() => parse({ kind: 'setMany', values: { theme: 'dark', 'bad..key': 1 } }), 'INVALID_KEY');
  throwsCode(() => parse({ kind: 'patch', ops: [{ op: 'add', path: '/a', value: 1 }, { op: 'add', path: '/b' }] }), 'NOT_SERIALIZABLE');
});

// --- custom key parser ---

test('a custom key parser given as third argument parses every key (set, setMany, delete, reset), with the store name', () => {
  const seen: Array<[unknown, string | undefined]> = [];
  const slashes = (key: unknown, store?: string): string[] => {
    seen.push([key, store]);
    if (typeof key !== 'string') throw new StoreError('INVALID_KEY', 'custom: not a string', { store });
    return key.split('/');
  };
  const set = parseWrite({ kind: 'set', key: 'a/b.c', value: 1 }, 'settings', slashes);
  assert.deepEqual(set.writes, [['a', 'b.c']]);
  const { target, calls } = recorder();
  set.apply(target, context());
  assert.deepEqual(calls, [['set', ['a', 'b.c'], 1]]);

  assert.deepEqual(parseWrite({ kind: 'setMany', values: { 'x/y': 1, z: 2 } }, 'settings', slashes).writes, [['x', 'y'], ['z']]);
  assert.deepEqual(parseWrite({ kind: 'delete', key: 'p/q' }, 'settings', slashes).writes, [['p', 'q']]);
  const reset = parseWrite({ kind: 'reset', keys: ['w/h'] }, 'settings', slashes);
  assert.deepEqual(reset.writes, [['w', 'h']]);
  const top = parseWrite({ kind: 'reset', keys: ['w'] }, 'settings', slashes);
  const r = recorder();
  top.apply(r.target, context({ w: { h: 5 } }));
  assert.deepEqual(r.calls, [['set', ['w'], { h: 5 }]]);

  assert.deepEqual(seen, [['a/b.c', 'settings'], ['x/y', 'settings'], ['z', 'settings'], ['p/q', 'settings'], ['w/h', 'settings'], ['w', 'settings']]);
  // Its verdicts are the parser's: a key the default parser refuses is fine here, and the other way round.
  assert.deepEqual(parseWrite({ kind: 'delete', key: 'a..b' }, 'settings', slashes).writes, [['a..b']]);
  assert.match(throwsCode(() => parseWrite({ kind: 'delete', key: 5 }, 'settings', slashes), 'INVALID_KEY').message, /custom/);
});

// --- replaceDocument ---

test('replaceDocument: removes keys the next document lacks, sets keys that differ or are new, leaves equal ones alone', () => {
  const { target, calls } = recorder({ a: 1, b: { c: [1, 2] }, gone: null, same: { x: true } });
  replaceDocument(target, { a: 2, b: { c: [1, 2, 3] }, same: { x: true }, added: 'new' });
  assert.deepEqual(calls, [['remove', ['gone']], ['set', ['a'], 2], ['set', ['b'], { c: [1, 2, 3] }], ['set', ['added'], 'new']]);

  const none = recorder({ a: 1, b: [null] });
  replaceDocument(none.target, { a: 1, b: [null] });
  assert.deepEqual(none.calls, []);

  const empty = recorder({ a: 1, b: 2 });
  replaceDocument(empty.target, {});
  assert.deepEqual(empty.calls, [['remove', ['a']], ['remove', ['b']]]);
});
