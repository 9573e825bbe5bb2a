// electron-store behaviour that depends on Electron, through the emulation: a relative cwd is inside userData, the data
// version defaults to app.getVersion(), and openInEditor() goes through shell.openPath. On the worker host (no Electron
// app behind it) a relative cwd is against process.cwd(), there is no app version, and openInEditor() is IO_FAILED.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { rejectsWith, settingsDef, tmpDir, type Settings } from '../helpers.ts';
import { shell } from './emulation/main-process.ts';
import { app, fixture, startElectronDaemon } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface StoreFile {
  theme?: string;
  ran?: string[];
  __internal__?: { migrations?: { version?: string } };
}
const readStoreFile = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as StoreFile;

/** Sets the emulated app's version (Electron reads it from package.json) for the rest of test `t`. */
function appVersion(t: { after(fn: () => void): void }, version: string): void {
  const before = app.getVersion();
  app.setVersionForTests(version);
  t.after(() => app.setVersionForTests(before));
}

test('Electron: a relative cwd resolves against app.getPath("userData"), as in electron-store', async (t) => {
  const { daemon, userData } = await startElectronDaemon(t, { cwd: 'sub/dir' });
  const store = await daemon.store<Settings>('settings');
  const expected = path.join(userData, 'sub', 'dir', 'settings.json');
  assert.equal(store.path, expected);
  assert.equal((await store.info()).path, expected);
  await store.set('theme', 'dark');
  await daemon.close();
  assert.equal(readStoreFile(expected).theme, 'dark', 'the store file is in <userData>/sub/dir');
});

test('worker host: a relative cwd resolves against process.cwd() (a child process whose working directory is a temp folder)', async () => {
  const dir = fs.realpathSync(tmpDir('esd-relative-cwd-'));
  // Running from source, the worker's bootstrap imports tsx from the working directory: give it this package's modules.
  const link = path.join(dir, 'node_modules');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), link, 'dir');
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, fixture('relative-cwd-child.ts'), 'sub/dir'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  fs.unlinkSync(link);
  assert.equal(code, 0, `the child failed:\n${stderr}`);
  const printed = JSON.parse(lines[0]) as { path: string; cwd: string };
  const expected = path.join(dir, 'sub', 'dir', 'settings.json');
  assert.equal(printed.cwd, dir);
  assert.equal(printed.path, expected);
  assert.equal(readStoreFile(expected).theme, 'dark', 'the store file is in <process.cwd()>/sub/dir');
});

test('Electron: a store with migrations and no version migrates to app.getVersion(), as electron-store\'s projectVersion', async (t) => {
  appVersion(t, '2.5.0');
  const { daemon, userData } = await startElectronDaemon(t, { stores: fixture('stores-app-version.ts') });
  assert.deepEqual(daemon.failedStores, {});
  const store = await daemon.store<{ theme: string; ran?: string[] }>('prefs');
  assert.deepEqual(store.get('ran'), ['1.0.0', '2.5.0'], 'the migrations up to the app version ran, in order; 3.0.0 did not');
  await daemon.close();
  const file = path.join(userData, 'prefs.json');
  assert.equal(readStoreFile(file).__internal__?.migrations?.version, '2.5.0', 'the file records the app version as its migration version');

  // The app is updated: the next start runs only what lies between the old and the new app version.
  app.setVersionForTests('3.0.0');
  const updated = await startStoreDaemon({ stores: fixture('stores-app-version.ts') });
  t.after(() => updated.close());
  const again = await updated.store<{ theme: string; ran?: string[] }>('prefs');
  assert.deepEqual(again.get('ran'), ['1.0.0', '2.5.0', '3.0.0']);
  await updated.close();
  assert.equal(readStoreFile(file).__internal__?.migrations?.version, '3.0.0');
});

test('worker host: a store with migrations and no version fails with MIGRATION_FAILED (no app version to default to)', async (t) => {
  appVersion(t, '2.5.0');
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: fixture('stores-app-version.ts') });
  t.after(() => daemon.close());
  assert.equal(daemon.failedStores.prefs?.code, 'MIGRATION_FAILED', `failedStores: ${JSON.stringify(daemon.failedStores)}`);
  const error = await rejectsWith(daemon.store('prefs'), 'MIGRATION_FAILED');
  assert.match(error.message, /has migrations but no version/);
});

test('worker host: a store migrated in Electron (to the app version), opened with migrations and no version, fails with MIGRATION_FAILED and keeps its file', async (t) => {
  appVersion(t, '2.5.0');
  const { daemon: electron, userData } = await startElectronDaemon(t, { stores: fixture('stores-app-version.ts') });
  assert.deepEqual((await electron.store<{ ran?: string[] }>('prefs')).get('ran'), ['1.0.0', '2.5.0']);
  await electron.close();
  const file = path.join(userData, 'prefs.json');
  const before = fs.readFileSync(file, 'utf8');

  const daemon = await startStoreDaemon({ cwd: userData, host: 'worker', stores: fixture('stores-app-version.ts') });
  t.after(() => daemon.close());
  assert.equal(daemon.failedStores.prefs?.code, 'MIGRATION_FAILED', `failedStores: ${JSON.stringify(daemon.failedStores)}`);
  const error = await rejectsWith(daemon.store('prefs'), 'MIGRATION_FAILED');
  assert.match(error.message, /has migrations but no version/);
  await daemon.close();
  assert.equal(fs.readFileSync(file, 'utf8'), before, 'the file is as Electron left it');
});

test('Electron: openInEditor() opens the store file with shell.openPath; an error text from it is IO_FAILED', async (t) => {
  const { daemon, userData } = await startElectronDaemon(t);
  const store = await daemon.store<Settings>('settings');
  assert.equal(store.path, path.join(userData, 'settings.json'));
  const before = shell.openedPaths.length;
  await store.openInEditor();
  assert.deepEqual(shell.openedPaths.slice(before), [store.path]);

  // shell.openPath never rejects: it resolves to an error text, which openInEditor turns into a rejection.
  const openPath = shell.openPath;
  const asked: string[] = [];
  shell.openPath = async (file: string) => {
    asked.push(file);
    return 'No application is associated with the specified file';
  };
  t.after(() => (shell.openPath = openPath));
  const error = await rejectsWith(store.openInEditor(), 'IO_FAILED');
  assert.deepEqual(asked, [store.path]);
  assert.match(error.message, /No application is associated/);
  // Closed here, not by the hook after the folder's removal: the watcher would see its file deleted and reset it.
  await daemon.close();
});

test('worker host: openInEditor() rejects with IO_FAILED and opens nothing', async (t) => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [settingsDef()] });
  t.after(() => daemon.close());
  const store = await daemon.store<Settings>('settings');
  const before = shell.openedPaths.length;
  const error = await rejectsWith(store.openInEditor(), 'IO_FAILED');
  assert.ok(error.message.includes(store.path), `the error names the file to open: ${error.message}`);
  assert.equal(shell.openedPaths.length, before);
  await daemon.close();
});
