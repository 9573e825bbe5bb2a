/**
 * conf's schema cases. Two deliberate differences from electron-store: the schema is a JSON Schema of the whole
 * document (`{ type: 'object', properties: { … } }` instead of a map of keys), and a write that breaks it rejects
 * with VALIDATION_FAILED (asynchronously) instead of throwing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineStore } from '../../src/index.ts';
import type { StoreDefinition } from '../../src/protocol/types.ts';
import { rejectsWith } from '../helpers.ts';
import { type Doc, sandbox } from './helpers.ts';

type Issue = { instancePath: string; message: string; keyword: string };
const issuesOf = (e: { details?: unknown }): Issue[] => (e.details as { errors: Issue[] }).errors;

test('conf ".get() - `schema` option - default" (a known failing case there): top-level schema defaults apply, nested ones do not', async () => {
  const { store } = await sandbox().open<Doc>({
    name: 'config',
    schema: {
      type: 'object',
      properties: {
        foo: { type: 'boolean', default: true },
        nested: { type: 'object', properties: { bar: { type: 'number', default: 55 } } },
      },
    },
  });
  assert.equal(store.get('foo'), true);
  assert.equal(store.get('nested.bar'), undefined, 'as in conf (electron-store#102): nested property defaults are not applied');
  assert.deepEqual(store.store, { foo: true });
});

test('conf "schema - default": a schema default is the value of a missing key', async () => {
  const { store } = await sandbox().open<{ foo: string; n: number }>({
    name: 'config',
    schema: { type: 'object', properties: { foo: { type: 'string', default: 'bar' }, n: { type: 'number', default: 5 } } },
  });
  const foo: string = store.get('foo', '');
  assert.equal(foo, 'bar');
  assert.equal(store.get('n'), 5);
});

test('conf "schema - Conf defaults overwrites schema default": `defaults` wins', async () => {
  const { store } = await sandbox().open<{ foo: string }>({
    name: 'config',
    schema: { type: 'object', properties: { foo: { type: 'string', default: 'bar' } } },
    defaults: { foo: 'foo' },
  });
  assert.equal(store.get('foo'), 'foo');
  await store.set('foo', 'other');
  await store.reset('foo');
  assert.equal(store.get('foo'), 'foo', 'reset() goes back to `defaults` too');
});

test('conf "schema - nested defaults are replaced by Conf defaults": a `defaults` object replaces a schema default object whole', async () => {
  const { store } = await sandbox().open<Doc>({
    name: 'config',
    schema: { type: 'object', properties: { appearance: { type: 'object', default: { theme: 'light', layout: 'grid' } } } },
    defaults: { appearance: { layout: 'list' } },
  });
  assert.deepEqual(store.get('appearance'), { layout: 'list' });
});

test('conf "schema - validate Conf default": defaults that break the schema keep the store closed (VALIDATION_FAILED)', async () => {
  const box = sandbox();
  const broken = defineStore<{ foo: string }>({
    name: 'config',
    schema: { type: 'object', properties: { foo: { type: 'string' } } },
    defaults: { foo: 1 as unknown as string },
  });
  const brokenBySchemaDefault = defineStore<{ n: number }>({
    name: 'schema-default',
    schema: { type: 'object', properties: { n: { type: 'number', default: 'five' } } },
  });
  const fine = defineStore<{ ok: boolean }>({ name: 'fine', defaults: { ok: true } });
  const daemon = await box.start([broken, brokenBySchemaDefault, fine] as StoreDefinition[]);
  assert.deepEqual(Object.keys(daemon.failedStores).sort(), ['config', 'schema-default']);
  assert.equal(daemon.failedStores.config.code, 'VALIDATION_FAILED');
  assert.match(daemon.failedStores.config.message, /defaults/);
  assert.equal(daemon.failedStores['schema-default'].code, 'VALIDATION_FAILED');
  const e = await rejectsWith(daemon.store('config'), 'VALIDATION_FAILED');
  assert.match(e.message, /foo/);
  await rejectsWith(daemon.store('schema-default'), 'VALIDATION_FAILED');
  const other = await daemon.store<{ ok: boolean }>('fine');
  assert.equal(other.get('ok'), true, 'the other stores are served');
});

test('conf "schema - should be an object": a schema that is not a JSON Schema object keeps the store closed', async () => {
  const box = sandbox();
  const daemon = await box.start([defineStore({ name: 'config', schema: 'object' as unknown as object })]);
  assert.equal(daemon.failedStores.config?.code, 'VALIDATION_FAILED');
  await rejectsWith(daemon.store('config'), 'VALIDATION_FAILED');
});

const nestedSchema = {
  type: 'object',
  properties: {
    foo: { type: 'object', properties: { bar: { type: 'number' }, foobar: { type: 'number', maximum: 100 } } },
  },
};

test('conf "schema - valid set": a valid value is written', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: nestedSchema });
  await store.set('foo', { bar: 1, foobar: 2 });
  await store.set('foo.foobar', 100);
  assert.deepEqual(store.get('foo'), { bar: 1, foobar: 100 });
});

test('conf "schema - one violation": VALIDATION_FAILED naming the key, nothing written', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: { type: 'object', properties: { foo: { type: 'string' } } } });
  const e = await rejectsWith(store.set('foo', 1), 'VALIDATION_FAILED');
  assert.match(String(e.key), /^\/?foo$/, 'the error names the failing path');
  assert.deepEqual(issuesOf(e).map((i) => [i.instancePath, i.message]), [['/foo', 'must be string']]);
  assert.equal(store.has('foo'), false);
  assert.equal(store.rev, 0);
});

test('conf "schema - multiple violations": every violation is reported', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: nestedSchema });
  const e = await rejectsWith(store.set('foo', { bar: '1', foobar: 101 }), 'VALIDATION_FAILED');
  assert.deepEqual(issuesOf(e).map((i) => [i.instancePath, i.message]), [['/foo/bar', 'must be number'], ['/foo/foobar', 'must be <= 100']]);
  assert.match(e.message, /foo\/bar/);
  assert.match(e.message, /foo\/foobar/);
});

test('conf "schema - complex schema": maxLength, pattern, maxItems, items, uniqueItems', async () => {
  const { store } = await sandbox().open<Doc>({
    name: 'config',
    schema: {
      type: 'object',
      properties: {
        foo: { type: 'string', maxLength: 3, pattern: '[def]+' },
        bar: { type: 'array', uniqueItems: true, maxItems: 3, items: { type: 'integer' } },
      },
    },
  });
  const e1 = await rejectsWith(store.set('foo', 'abca'), 'VALIDATION_FAILED');
  assert.deepEqual(issuesOf(e1).map((i) => i.keyword).sort(), ['maxLength', 'pattern']);
  const e2 = await rejectsWith(store.set('bar', [1, 1, 2, 'a']), 'VALIDATION_FAILED');
  assert.deepEqual(issuesOf(e2).map((i) => i.keyword).sort(), ['maxItems', 'type', 'uniqueItems']);
  await store.set('foo', 'def');
  await store.set('bar', [1, 2, 3]);
  assert.deepEqual(store.store, { foo: 'def', bar: [1, 2, 3] });
});

test('conf "schema - supports formats": `format` is checked (ajv-formats)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: { type: 'object', properties: { foo: { type: 'string', format: 'uri' } } } });
  const e = await rejectsWith(store.set('foo', 'bar'), 'VALIDATION_FAILED');
  assert.deepEqual(issuesOf(e).map((i) => i.message), ['must match format "uri"']);
  await store.set('foo', 'https://example.com/');
  assert.equal(store.get('foo'), 'https://example.com/');
});

test('conf "schema - validate rootSchema": the schema covers the whole document (additionalProperties: false)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: { type: 'object', properties: { known: { type: 'number' } }, additionalProperties: false } });
  const e = await rejectsWith(store.set('foo', 'bar'), 'VALIDATION_FAILED');
  assert.equal(issuesOf(e)[0].keyword, 'additionalProperties');
  await store.set('known', 1);
  assert.deepEqual(store.store, { known: 1 });
});

test('set(object) that breaks the schema in one key writes none of them (conf validates the whole store before writing)', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config', schema: nestedSchema, defaults: { foo: { bar: 1 } } });
  await rejectsWith(store.set({ other: 'fine', 'foo.foobar': 1000 }), 'VALIDATION_FAILED');
  assert.deepEqual(store.store, { foo: { bar: 1 } });
});
