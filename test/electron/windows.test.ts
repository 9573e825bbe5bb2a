// Windows in Electron (through the emulation): each gets its own port from main, syncs live, survives reloads,
// and is dropped by the daemon when it goes. Main's side is the real startStoreDaemon in a (emulated) utility process.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { defineStore } from '../../src/index.ts';
import { settingsDef, type Settings } from '../helpers.ts';
import { utilityProcesses } from './emulation/main-process.ts';
import { inPage, nextEvent, openWindow, startElectronDaemon, untilRev } from './helpers.ts';

type Failure = { code: string; message: string };

test('main and two windows sync live both ways; a window opened late gets the current document', async (t) => {
  const { daemon, child, userData } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  assert.equal(path.dirname((await main.info()).path), userData, 'the store files live in userData by default');
  const a = await openWindow(t);
  const b = await openWindow(t);
  assert.equal(await inPage(a, 'opened'), 0);
  assert.equal(await inPage(b, 'opened'), 0);

  const fromMain = await main.set('theme', 'dark');
  for (const win of [a, b]) assert.deepEqual(await inPage(win, `untilRev(${fromMain.rev})`), { rev: fromMain.rev, doc: main.store });

  const fromA = await inPage<number>(a, `write((s) => s.set('fontSize', 20))`);
  assert.equal(typeof fromA, 'number');
  await untilRev(main, fromA);
  assert.equal(main.get('fontSize'), 20);
  assert.deepEqual(await inPage(b, `untilRev(${fromA})`), { rev: fromA, doc: main.store });

  const fromB = await inPage<number>(b, `write((s) => s.set('window', { width: 800, height: 600 }))`);
  assert.deepEqual(await inPage(a, `untilRev(${fromB})`), { rev: fromB, doc: { theme: 'dark', fontSize: 20, window: { width: 800, height: 600 } } });
  await untilRev(main, fromB);

  const late = await openWindow(t);
  assert.equal(await inPage(late, 'opened'), main.rev);
  assert.deepEqual(await inPage(late, 'store().store'), main.store);
  // One client per window plus main's own.
  await child.emulationUntilOpenPorts(4);
});

test('a reload gives the window a new port and it resyncs; its old port closes and the daemon drops that client', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  await child.emulationUntilOpenPorts(2);
  await inPage(win, 'globalThis.oldDocument = true');
  // A write while the old document is gone and the new one is not connected yet: the new page must still see it.
  win.webContents.once('did-start-navigation', () => void main.set('theme', 'light'));
  const loaded = nextEvent(win.webContents, 'did-finish-load');
  win.webContents.reload();
  await loaded;
  assert.equal(await inPage(win, 'typeof oldDocument'), 'undefined', 'a new document');
  await untilRev(main, 1);
  assert.equal(await inPage(win, 'opened'), main.rev);
  assert.deepEqual(await inPage(win, 'store().store'), main.store);
  await child.emulationUntilOpenPorts(2);
  const { rev } = await main.set('fontSize', 30);
  assert.deepEqual(await inPage(win, `untilRev(${rev})`), { rev, doc: main.store });
});

test('closing a window closes its port and the daemon drops the client; the other window keeps syncing', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const a = await openWindow(t);
  const b = await openWindow(t);
  await inPage(a, 'opened');
  await inPage(b, 'opened');
  await child.emulationUntilOpenPorts(3);
  const closed = nextEvent(a, 'closed');
  a.close();
  await closed;
  await child.emulationUntilOpenPorts(2);
  const { rev } = await main.set('theme', 'dark');
  assert.deepEqual(await inPage(b, `untilRev(${rev})`), { rev, doc: main.store });
});

test('connectStore works before the port arrives, after it, twice, and for several stores over one port', async (t) => {
  const tasks = defineStore<{ items: string[] }>({ name: 'tasks', defaults: { items: [] } });
  const { daemon, child } = await startElectronDaemon(t, { stores: [settingsDef(), tasks] });
  const main = await daemon.store<Settings>('settings');
  // Before: window.html connects with a top-level await while it loads, before main sends the port (dom-ready).
  const early = await openWindow(t);
  assert.equal(await inPage(early, 'opened'), 0);
  // After: lazy.html loads without connecting; the port waits in the preload until the page asks for it.
  const lazy = await openWindow(t, 'lazy.html');
  await child.emulationUntilOpenPorts(3);
  assert.equal(await inPage(lazy, `open('settings')`), 0);
  // Twice, and another store: more clients in the page, still the one port (the daemon sees one client per window).
  assert.equal(await inPage(lazy, `open('settings', undefined, 'again')`), 0);
  assert.equal(await inPage(lazy, `open('tasks')`), 0);
  assert.equal(await child.emulationOpenPorts(), 3);
  const { rev } = await main.set('theme', 'dark');
  for (const as of ['settings', 'again']) assert.deepEqual(await inPage(lazy, `untilRev(${rev}, '${as}')`), { rev, doc: main.store });
  const taskRev = await inPage<number>(lazy, `write((s) => s.set('items', ['write docs']), 'tasks')`);
  const mainTasks = await daemon.store<{ items: string[] }>('tasks');
  await untilRev(mainTasks, taskRev);
  assert.deepEqual(mainTasks.get('items'), ['write docs']);
});

test('connectStore in a window without the preload fails with TIMEOUT and says the preload is missing', async (t) => {
  await startElectronDaemon(t);
  const win = await openWindow(t, 'lazy.html', { preload: false });
  const failure = await inPage<Failure>(win, `open('settings', 300)`);
  assert.equal(failure.code, 'TIMEOUT');
  assert.match(failure.message, /exposeStorePort\(\)/);
  assert.match(failure.message, /preload/);
});

test('attachWindows: false leaves windows alone until daemon.attach(webContents) gives one a port', async (t) => {
  const { daemon, child } = await startElectronDaemon(t, { attachWindows: false });
  const win = await openWindow(t, 'lazy.html');
  assert.equal((await inPage<Failure>(win, `open('settings', 300)`)).code, 'TIMEOUT');
  assert.equal(await child.emulationOpenPorts(), 0);
  daemon.attach(win.webContents);
  assert.equal(await inPage(win, `open('settings')`), 0);
  await child.emulationUntilOpenPorts(1);
});

test('windows are untrusted: windowPolicy gates their writes, admin operations are refused, invalid values rejected', async (t) => {
  const { daemon } = await startElectronDaemon(t, { windowPolicy: { stores: { settings: { write: ['theme'] } } } });
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  assert.equal(typeof await inPage(win, `write((s) => s.set('theme', 'dark'))`), 'number');
  assert.equal((await inPage<Failure>(win, `write((s) => s.set('fontSize', 30))`)).code, 'PERMISSION_DENIED');
  assert.equal((await inPage<Failure>(win, `write((s) => s.clear())`)).code, 'PERMISSION_DENIED');
  const invalid = await inPage<Failure>(win, `write((s) => s.set('theme', 'neon'))`);
  assert.equal(invalid.code, 'VALIDATION_FAILED');
  await untilRev(main, 1);
  assert.deepEqual(main.store, { theme: 'dark', fontSize: 14 });
  // Main is trusted.
  await main.clear();
  assert.deepEqual(main.store, { theme: 'auto', fontSize: 14 });
});

test('a window\'s huge message is refused by the gate (a utility process of its own), and main\'s writes never wait for it', async (t) => {
  const { daemon } = await startElectronDaemon(t, { stores: [defineStore({ ...settingsDef(), maxBytes: 100_000 })] });
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  const huge = inPage<Failure>(win, `write((s) => s.set('huge', Object.fromEntries(Array.from({ length: 1000000 }, (_, i) => ['k' + i, i]))))`);
  for (let i = 0; i < 5; i++) await main.set('fontSize', 20 + i);
  const refused = await huge;
  // Refused by the gate (its words): the daemon's own refusal of an oversized value would come after decoding it.
  assert.equal(refused.code, 'QUOTA_EXCEEDED');
  assert.match(refused.message, /more than 100000 values .* over a window's limit/);
  assert.equal(main.get('huge' as never), undefined);
  // The window carries on.
  const rev = await inPage<number>(win, `write((s) => s.set('theme', 'dark'))`);
  assert.equal(typeof rev, 'number');
  await untilRev(main, rev);
  assert.equal(main.get('theme'), 'dark');
});

test('if the gate dies, windows get new ports through a new gate and follow main again', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  await child.emulationUntilOpenPorts(2);
  const gate = utilityProcesses.find((p) => p.serviceName === 'electron-store-daemon-gate' && p.pid !== undefined);
  assert.ok(gate, 'the gate runs beside the daemon');
  const gone = new Promise<void>((resolve) => gate.once('exit', () => resolve()));
  gate.emulationCrash();
  await gone;
  // The window's route closed with the gate; after the backoff it gets a new port through a new gate.
  await child.emulationUntilOpenPorts(2);
  const { rev } = await main.set('theme', 'dark');
  assert.deepEqual(await inPage(win, `untilRev(${rev})`), { rev, doc: main.store });
  assert.ok(utilityProcesses.filter((p) => p.serviceName === 'electron-store-daemon-gate').length >= 2, 'a new gate');
});
