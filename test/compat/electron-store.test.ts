/**
 * electron-store's own test.js (its two cases run fixture.js and fixture-cwd.js in Electron), rewritten for the
 * daemon: a plain store and a store with a schema default, then the file's contents; and the `cwd` option.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { defineStore } from '../../src/index.ts';
import type { StoreDefinition } from '../../src/protocol/types.ts';
import { type Doc, confOf, readStoreFile, sandbox } from './helpers.ts';

test('electron-store "main": set/get/delete, a schema default and reset(); the file holds exactly what was set', async () => {
  const box = sandbox();
  const daemon = await box.start([
    defineStore({ name: 'electron-store' }),
    defineStore({ name: 'electron-store-with-schema', schema: { type: 'object', properties: { foo: { default: 42 } } } }),
  ] as StoreDefinition[]);
  const store = await daemon.store<Doc>('electron-store');
  const storeWithSchema = await daemon.store<Doc>('electron-store-with-schema');

  await store.set('unicorn', '🦄');
  assert.equal(store.get('unicorn'), '🦄');
  await store.delete('unicorn');
  assert.equal(store.get('unicorn'), undefined);

  assert.equal(storeWithSchema.get('foo'), 42);
  await storeWithSchema.set('foo', 77);
  assert.equal(storeWithSchema.get('foo'), 77);
  await storeWithSchema.reset('foo');
  assert.equal(storeWithSchema.get('foo'), 42);

  await store.set('ava', '🚀');
  assert.equal(store.path, path.join(box.cwd, 'electron-store.json'));
  await daemon.close();
  const { doc, internal } = readStoreFile(store.path);
  assert.deepEqual(doc, { ava: '🚀' });
  // electron-store's file would be exactly {"ava": "🚀"}; ours also keeps its rev under conf's reserved key (README, Files).
  assert.deepEqual(Object.keys(internal ?? {}), ['storeDaemon']);
  assert.deepEqual({ ...confOf(box.cwd, 'electron-store').store }, { ava: '🚀', __internal__: internal });
});

test('electron-store "cwd option": a relative cwd resolves (against process.cwd() outside Electron), an absolute one is used as is', async () => {
  const box = sandbox();
  const relative = path.relative(process.cwd(), path.join(box.cwd, 'foo'));
  assert.ok(!path.isAbsolute(relative));
  const def = () => defineStore({ name: 'config' });

  const first = await box.start([def()], { cwd: relative });
  const store = await first.store<Doc>('config');
  await store.set('unicorn', '🦄');
  assert.equal(store.path, path.join(box.cwd, 'foo', 'config.json'));

  const second = await box.start([def()], { cwd: path.join(box.cwd, 'bar') });
  const store2 = await second.store<Doc>('config');
  await store2.set('ava', '🚀');
  assert.equal(store2.path, path.join(box.cwd, 'bar', 'config.json'));

  await Promise.all([first.close(), second.close()]);
  assert.deepEqual(readStoreFile(store.path).doc, { unicorn: '🦄' });
  assert.deepEqual(readStoreFile(store2.path).doc, { ava: '🚀' });
});
