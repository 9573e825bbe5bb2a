/**
 * The store file is conf's / electron-store's: what one writes, the other reads, key for key. Also conf's file cases
 * (configName, writing at instantiation, clearInvalidConfig, encryption, watch), with our documented behaviour where it
 * differs on purpose: a corrupt or invalid file is never cleared but kept aside and the store rebuilt, `encryptionKey`
 * files are not read, and a hand edit that breaks the schema is rejected rather than thrown at the next `get()`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Conf from 'conf';
import { defineStore } from '../../src/index.ts';
import type { StoreError } from '../../src/protocol/errors.ts';
import type { MainStoreClient, StoreDaemon } from '../../src/client-main/index.ts';
import { waitFor } from '../helpers.ts';
import { type Doc, confDoc, confOf, readStoreFile, sandbox } from './helpers.ts';

/** Every JSON kind, nesting, arrays of objects, unicode and control characters, an escaped dotted key, empty containers. */
const sample: Doc = {
  str: '🦄 Hello 世界 مرحبا',
  num: 1.5,
  neg: -0.25,
  int: 42,
  yes: true,
  no: false,
  nothing: null,
  list: [1, 'two', { three: 3 }, [4]],
  nested: { deep: { deeper: { value: 'x' } }, empty: {}, emptyList: [] },
  'dotted.key': 'literal',
  controls: 'line1\r\nline2\ttab \u0000 \u2028 \uD83E\uDD84',
};

/** The sample as set(object) input: its dotted key escaped (set(object) keys are dot paths, as in conf). */
const sampleAsPaths = (): Doc => Object.fromEntries(Object.entries(sample).map(([k, v]) => [k.replaceAll('.', '\\.'), v]));

/** Resolves with the next `'external-change-rejected'` payload of `daemon`. */
function nextRejection(daemon: StoreDaemon) {
  return waitFor<{ store: string; keptAs: string; error: StoreError }>((done) => {
    daemon.on('external-change-rejected', done);
    return () => daemon.off('external-change-rejected', done);
  }, 'external-change-rejected');
}

/** Resolves with the next (newValue, oldValue) of `key`. */
function nextChange(store: MainStoreClient<Doc>, key: string) {
  return waitFor<[unknown, unknown]>((done) => store.onDidChange(key, (n, o) => done([n, o])), `a change of ${key}`);
}

test('a file written by the daemon opens in conf with the same values, key for key', async () => {
  const box = sandbox();
  const { daemon, store } = await box.open<Doc>({ name: 'settings', defaults: { theme: 'auto' } });
  await store.set({ ...sampleAsPaths(), theme: 'dark' });
  await store.set('nested.deep.added', [true]);
  await store.delete('neg');
  const expected = store.store;
  await daemon.close();

  const conf = confOf(box.cwd, 'settings');
  assert.equal(conf.path, store.path);
  assert.deepEqual(confDoc(conf), expected);
  assert.equal(conf.get('nested.deep.deeper.value'), 'x');
  assert.deepEqual(conf.get('nested.deep.added'), [true]);
  assert.equal(conf.get('dotted\\.key'), 'literal');
  assert.equal(conf.get('controls'), sample.controls);
  assert.equal(conf.get('theme'), 'dark');
  assert.equal(conf.has('neg'), false);
  assert.equal(conf.size, Object.keys(expected).length, 'our bookkeeping lives under conf\'s reserved `__internal__`');
  assert.deepEqual([...conf].map(([k]) => k).sort(), Object.keys(expected).sort());
});

test('a file written by conf opens in the daemon with every key; defaults fill in missing top-level keys only (as conf)', async () => {
  const box = sandbox();
  const conf = confOf(box.cwd, 'settings');
  conf.set(sampleAsPaths());
  conf.set('nested.deep.deeper.more', 1);
  const written = confDoc(conf);
  const { daemon, store } = await box.open<Doc>({ name: 'settings', defaults: { theme: 'auto', nested: { fromDefaults: true } } });
  assert.deepEqual(store.store, { ...written, theme: 'auto' }, 'every key as conf wrote it; `nested` is not merged with its default');
  assert.equal(store.get('dotted\\.key'), 'literal');
  assert.equal(store.get('nested.deep.deeper.more'), 1);
  assert.equal((await store.info()).recovery.source, 'checkpoint', 'read as it is, not rebuilt');

  // Round trip: we write to conf's file, conf reads it back.
  await store.set('afterwards', 'ours');
  await store.delete('list');
  const expected = store.store;
  await daemon.close();
  assert.deepEqual(confDoc(confOf(box.cwd, 'settings')), expected);
});

test('a file written by electron-store\'s engine with a migration version keeps it: conf\'s `__internal__` survives our writes', async () => {
  const box = sandbox();
  // conf records its migration version under __internal__; we must keep it, beside our own rev.
  const conf = new Conf<Doc>({ cwd: box.cwd, configName: 'settings', projectVersion: '1.2.3', migrations: { '1.2.3': (s) => s.set('migrated', true) } });
  assert.equal(conf.get('migrated'), true);
  const { daemon, store } = await box.open<Doc>({ name: 'settings' });
  await store.set('more', 1);
  await daemon.close();
  const { doc, internal } = readStoreFile(box.file('settings'));
  assert.deepEqual(doc, { migrated: true, more: 1 });
  assert.equal(internal?.migrations?.version, '1.2.3');
  assert.equal(typeof internal?.storeDaemon?.rev, 'number');
});

test('conf "doesn\'t write to disk upon instantiation if and only if the store didn\'t change"', async () => {
  const box = sandbox();
  const { store: plain } = await box.open<Doc>({ name: 'plain' });
  assert.equal(fs.existsSync(plain.path), false, 'no defaults: no file at open');
  const { store } = await box.open<Doc>({ name: 'with-defaults', defaults: { foo: 'bar' } });
  assert.equal(fs.existsSync(store.path), true, 'defaults: the file holds them at once');
  assert.deepEqual(readStoreFile(store.path).doc, { foo: 'bar' });
});

test('conf "`clearInvalidConfig` option - invalid data": a file that is not JSON is never cleared: kept aside, the store rebuilt', async () => {
  const box = sandbox();
  fs.writeFileSync(box.file('config'), '🦄');
  const { daemon, store } = await box.open<Doc>({ name: 'config', defaults: { foo: 'default' } });
  assert.deepEqual(daemon.failedStores, {}, 'opening does not throw (conf: SyntaxError without clearInvalidConfig)');
  assert.deepEqual(store.store, { foo: 'default' });
  const { recovery } = await store.info();
  assert.notEqual(recovery.source, 'checkpoint');
  assert.equal(recovery.keptAside.length, 1);
  assert.match(path.basename(recovery.keptAside[0]), /^config\.corrupt-.+\.json$/);
  assert.equal(fs.readFileSync(recovery.keptAside[0], 'utf8'), '🦄', 'the evidence is kept byte for byte');
  await store.set('works', true);
  assert.equal(store.get('works'), true);
});

test('conf "`clearInvalidConfig` option - valid data": a valid file opens as it is', async () => {
  const box = sandbox();
  confOf(box.cwd, 'config').set('foo', 'bar');
  const { store } = await box.open<Doc>({ name: 'config' });
  assert.deepEqual(store.store, { foo: 'bar' });
  assert.deepEqual((await store.info()).recovery.keptAside, []);
});

test('conf "`clearInvalidConfig` option - schema validation error": a file that breaks the schema is kept aside, the store rebuilt', async () => {
  const box = sandbox();
  fs.writeFileSync(box.file('config'), JSON.stringify({ myKey: 'invalid-type' }, undefined, '\t'));
  const { daemon, store } = await box.open<Doc>({ name: 'config', schema: { type: 'object', properties: { myKey: { type: 'boolean' } } } });
  assert.deepEqual(daemon.failedStores, {});
  assert.deepEqual(store.store, {});
  const { recovery } = await store.info();
  assert.equal(recovery.keptAside.length, 1);
  assert.deepEqual(JSON.parse(fs.readFileSync(recovery.keptAside[0], 'utf8')), { myKey: 'invalid-type' });
  assert.ok(recovery.problems.some((p) => /schema/i.test(p)), `the problem is named: ${recovery.problems.join('; ')}`);
});

test('conf "encryption" cases: a file conf wrote with `encryptionKey` is not read (README); it is kept aside, never lost', async () => {
  const box = sandbox();
  const encrypted = confOf(box.cwd, 'config', { encryptionKey: 'abc123' });
  encrypted.set('foo', '🦄');
  const bytes = fs.readFileSync(box.file('config'));
  const { store } = await box.open<Doc>({ name: 'config', defaults: { fresh: true } });
  assert.deepEqual(store.store, { fresh: true });
  const { recovery } = await store.info();
  assert.equal(recovery.keptAside.length, 1);
  assert.deepEqual(fs.readFileSync(recovery.keptAside[0]), bytes, 'the encrypted file is kept as it was');
  // The README's way out: open it once with electron-store/conf and save it without encryptionKey.
  assert.equal(confOf(path.dirname(recovery.keptAside[0]), path.basename(recovery.keptAside[0], '.json'), { encryptionKey: 'abc123' }).get('foo'), '🦄');
});

test('conf "`watch` option watches for config file changes by another process": a conf instance writes, listeners hear it', async () => {
  const box = sandbox();
  const { store } = await box.open<Doc>({ name: 'config', defaults: { foo: '👾' } });
  const other = confOf(box.cwd, 'config');
  assert.equal(other.get('foo'), '👾');
  assert.equal(other.path, store.path);
  const changed = nextChange(store, 'foo');
  other.set('foo', '🐴');
  assert.deepEqual(await changed, ['🐴', '👾']);
  assert.equal(store.get('foo'), '🐴');
  const [last] = (await store.history()).slice(-1);
  assert.equal(last.source, 'external');
});

test('conf "`watch` option watches for config file changes by file write": a plain write of the file is picked up', async () => {
  const box = sandbox();
  const { store } = await box.open<Doc>({ name: 'config', defaults: { foo: '🐴' } });
  const changed = nextChange(store, 'foo');
  fs.writeFileSync(store.path, JSON.stringify({ foo: '🦄' }));
  assert.deepEqual(await changed, ['🦄', '🐴']);
  assert.equal(store.get('foo'), '🦄');
});

test('conf "schema - invalid write to config file": a hand edit that breaks the schema is rejected, the value kept (conf throws at the next get)', async () => {
  const box = sandbox();
  const { daemon, store } = await box.open<Doc>({ name: 'config', schema: { type: 'object', properties: { foo: { type: 'string' } } }, defaults: { foo: 'ok' } });
  const rejected = nextRejection(daemon);
  fs.writeFileSync(store.path, JSON.stringify({ foo: 1 }));
  const event = await rejected;
  assert.equal(event.store, 'config');
  assert.equal(event.error.code, 'VALIDATION_FAILED');
  assert.equal(JSON.parse(fs.readFileSync(event.keptAs, 'utf8')).foo, 1, 'the rejected text is kept');
  assert.equal(store.get('foo'), 'ok', 'reads never throw');
  assert.equal(readStoreFile(store.path).doc.foo, 'ok', 'the file is rewritten from memory');
});

test('conf "migrations - file system edge cases" (missing directory): the daemon creates a `cwd` that does not exist', async () => {
  const box = sandbox();
  const cwd = path.join(box.cwd, 'not', 'there', 'yet');
  const daemon = await box.start([defineStore({ name: 'config' })], { cwd });
  const store = await daemon.store<Doc>('config');
  assert.deepEqual(store.store, {});
  await store.set('foo', 1);
  assert.equal(store.path, path.join(cwd, 'config.json'));
  await daemon.close();
  assert.deepEqual(readStoreFile(path.join(cwd, 'config.json')).doc, { foo: 1 });
});
