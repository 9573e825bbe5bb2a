import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon } from '../src/client-main/index.ts';
import { defineStore } from '../src/index.ts';
import { rejectsWith, settingsDef, settingsSchema, tmpDir, type Settings } from './helpers.ts';

const cacheFile = (cwd: string) => path.join(cwd, 'storeHistory', '.marks', 'settings.schema-cache.json');

async function session(cwd: string, def = settingsDef()) {
  const daemon = await startStoreDaemon({ cwd, stores: [def], host: 'worker' });
  const store = await daemon.store<Settings>('settings');
  return { daemon, store };
}

test('the daemon keeps the compiled schema in the store folder and the schema stays in force across starts, whatever the cache holds', async () => {
  const cwd = tmpDir();
  let { daemon, store } = await session(cwd);
  await store.set('fontSize', 20);
  await daemon.close();
  const entry = JSON.parse(fs.readFileSync(cacheFile(cwd), 'utf8')) as { code: string };
  assert.match(entry.code, /fontSize/);

  // From the cache: the same verdicts.
  ({ daemon, store } = await session(cwd));
  await rejectsWith(store.set('fontSize', 1000), 'VALIDATION_FAILED');
  await rejectsWith(store.set('window.width', 5), 'VALIDATION_FAILED');
  assert.equal(store.get('fontSize'), 20);
  await daemon.close();

  // An entry edited to accept anything is not trusted; it is rewritten with the compiled code.
  fs.writeFileSync(cacheFile(cwd), JSON.stringify({ ...entry, code: '"use strict";module.exports = () => true;' }));
  ({ daemon, store } = await session(cwd));
  await rejectsWith(store.set('fontSize', 1000), 'VALIDATION_FAILED');
  await daemon.close();
  assert.equal((JSON.parse(fs.readFileSync(cacheFile(cwd), 'utf8')) as { code: string }).code, entry.code);

  // A changed schema is applied, not the cached one.
  const stricter = structuredClone(settingsSchema);
  stricter.properties.fontSize.maximum = 30;
  ({ daemon, store } = await session(cwd, defineStore<Settings>({ name: 'settings', schema: stricter, defaults: { theme: 'auto', fontSize: 14 } })));
  await rejectsWith(store.set('fontSize', 40), 'VALIDATION_FAILED');
  await daemon.close();
});
