/**
 * The same isolated daemon entry in an (emulated) Electron utility process: there the daemon writes through
 * electron-store, which is bundled and imports `electron` — a utility process's `electron` has no `app` and no
 * `ipcMain`, and electron-store must still work with the cwd and version the daemon passes.
 */
import '../electron/emulation/register.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { rejectsWith } from '../helpers.ts';
import { startElectronDaemon } from '../electron/helpers.ts';
import { isolatedDaemonEntry, type Prefs, prefsDef } from './helpers.ts';

test('the isolated daemon entry serves a store from a utility process through the bundled electron-store', async (t) => {
  // As an app would copy it next to its bundled main: `.mjs`, ESM whatever the app's package.json says. (A typeless
  // `.js` also works in Electron, by syntax detection, but not under tsx, which runs the emulated utility process.)
  const daemonPath = isolatedDaemonEntry('daemon.mjs');
  const { daemon, userData } = await startElectronDaemon(t, { stores: [prefsDef()], daemonPath });
  const main = await daemon.store<Prefs>('prefs');
  await rejectsWith(main.set('email', 'not an email'), 'VALIDATION_FAILED');
  await main.set('tags', ['x']);
  const backup = await main.backups.create('packaging test');
  assert.deepEqual(await main.backups.verify(backup.id), { ok: true, problems: [] });
  // Closing writes the checkpoint through electron-store, into userData (the cwd main passed).
  await daemon.close();
  const file = JSON.parse(fs.readFileSync(path.join(userData, 'prefs.json'), 'utf8')) as Prefs;
  assert.deepEqual(file.tags, ['x']);
  assert.deepEqual(fs.readdirSync(path.dirname(daemonPath)), ['daemon.mjs'], 'nothing was written beside the entry');
});
