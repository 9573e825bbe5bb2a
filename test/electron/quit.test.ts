// Quitting an Electron app with the quit helper (through the emulation): the quit waits for the daemon to drain
// its queued writes and checkpoint. The app exits at the end of this file, so the quit test comes last.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { closeOnQuit, startStoreDaemon } from '../../src/client-main/index.ts';
import { settingsDef, tmpDir, type Settings } from '../helpers.ts';
import { emulation } from './emulation/main-process.ts';
import { app, inPage, nextEvent, openWindow, startElectronDaemon } from './helpers.ts';

test('emulation: a before-quit listener that calls preventDefault() cancels the quit', async () => {
  await app.whenReady();
  let willQuit = false;
  const onWillQuit = () => (willQuit = true);
  app.on('will-quit', onWillQuit);
  app.once('before-quit', (event: { preventDefault(): void }) => event.preventDefault());
  app.quit();
  assert.equal(app.isQuitting, false);
  assert.equal(app.exitCode, undefined);
  assert.equal(willQuit, false);
  app.off('will-quit', onWillQuit);
});

test('closeOnQuit() needs Electron\'s app when the daemon was not started by Electron\'s main', async (t) => {
  const daemon = await startStoreDaemon({ host: 'worker', cwd: tmpDir(), stores: [settingsDef()] });
  t.after(() => daemon.close());
  assert.throws(() => closeOnQuit(daemon), { name: 'StoreError', code: 'DAEMON_UNAVAILABLE', message: /pass \{ app \}/ });
});

test('a quit that a window cancels (beforeunload) leaves the daemon running: storage keeps working', async (t) => {
  const { daemon } = await startElectronDaemon(t);
  const unwire = closeOnQuit(daemon);
  t.after(unwire);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  await inPage(win, `window.addEventListener('beforeunload', (e) => e.preventDefault()), 'armed'`);
  const events: string[] = [];
  const record = (name: string) => () => events.push(name);
  const listeners = ['before-quit', 'will-quit', 'quit'].map((name) => [name, record(name)] as const);
  for (const [name, listener] of listeners) app.on(name, listener);
  t.after(() => listeners.forEach(([name, listener]) => app.off(name, listener)));

  const refused = nextEvent(win.webContents, 'will-prevent-unload');
  app.quit();
  await refused;
  // The cancelled close takes effect right after will-prevent-unload; a round trip to the page comes after it.
  await inPage(win, '1');
  assert.equal(app.isQuitting, false, 'the window cancelled the quit');
  assert.deepEqual(events, ['before-quit'], 'no will-quit: the quit never got that far');
  assert.equal(daemon.state, 'running', 'the daemon was left running');
  // Storage still works, from main and from the window that stayed.
  await main.set('theme', 'dark');
  const fromWindow = await inPage<number>(win, `write((s) => s.set('fontSize', 22))`);
  assert.equal(typeof fromWindow, 'number');
});

test('quitting through closeOnQuit while writes are queued: every one of them is on disk afterwards', async (t) => {
  const { daemon, userData } = await startElectronDaemon(t);
  closeOnQuit(daemon);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  const order: string[] = [];
  for (const event of ['before-quit', 'will-quit', 'quit']) app.on(event, () => order.push(event));
  const daemonExit = nextEvent<{ expected: boolean }>(daemon, 'exit');

  // Writes the daemon has received (a later request on the same port has been answered) but not all committed.
  await inPage(win, `(globalThis.queued = Array.from({ length: 200 }, (_, i) => write((s) => s.set('window' + i, i))), store().info().then(() => 'queued'))`);
  let settled = 0;
  const queued = Array.from({ length: 500 }, (_, i) => main.set(`main${i}`, i).finally(() => settled++));
  await main.info();
  const pendingAtQuit = queued.length - settled;
  const exited = nextEvent<number>(emulation, 'exit');
  app.quit();
  assert.equal(await exited, 0);

  assert.ok(pendingAtQuit > 0, 'some writes were still queued when quit began');
  const outcomes = await Promise.allSettled(queued);
  assert.deepEqual(outcomes.filter((o) => o.status === 'rejected'), [], 'no queued write was dropped');
  // The quit was held at will-quit (windows closed, nothing could cancel it any more) while the daemon closed; the
  // second went through.
  assert.deepEqual(order, ['before-quit', 'will-quit', 'before-quit', 'will-quit', 'quit']);
  assert.equal((await daemonExit).expected, true);
  // The checkpoint (electron-store's file) holds them all: close() drained the queue and wrote it.
  const onDisk = JSON.parse(fs.readFileSync(path.join(userData, 'settings.json'), 'utf8')) as Record<string, unknown>;
  for (let i = 0; i < 500; i++) assert.equal(onDisk[`main${i}`], i, `main${i} on disk`);
  for (let i = 0; i < 200; i++) assert.equal(onDisk[`window${i}`], i, `window${i} on disk`);
  assert.equal(fs.existsSync(path.join(userData, 'settings.json.lock')), false, 'the lock was released');
});
