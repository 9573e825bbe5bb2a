// A crashed window must not take storage down (through the emulation, whose webContents.postMessage throws after
// forcefullyCrashRenderer() as Electron's does): main and the other windows keep their ports across daemon restarts,
// the crashed window is detached until it loads again, and listeners that throw do not stop a restart.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoreError } from '../../src/index.ts';
import type { Settings } from '../helpers.ts';
import { currentUtilityProcess, inPage, nextEvent, openWindow, startElectronDaemon, untilRev } from './helpers.ts';

test('emulation: after forcefullyCrashRenderer() postMessage throws, render-process-gone follows, a reload brings the window back', async (t) => {
  await startElectronDaemon(t, { attachWindows: false });
  const win = await openWindow(t, 'lazy.html');
  const gone = new Promise<{ reason: string }>((resolve) => win.webContents.once('render-process-gone', (_event: unknown, details: { reason: string }) => resolve(details)));
  win.webContents.forcefullyCrashRenderer();
  assert.equal(win.webContents.isCrashed(), true);
  assert.throws(() => win.webContents.postMessage('anything', null), { message: 'Render frame was disposed before WebFrameMain could be accessed' });
  assert.equal((await gone).reason, 'crashed');
  const loaded = nextEvent(win.webContents, 'did-finish-load');
  win.webContents.reload();
  await loaded;
  assert.equal(win.webContents.isCrashed(), false);
  win.webContents.postMessage('anything', null);
});

test('a window whose renderer crashed does not stop a daemon restart: main and the other window get new ports and resync', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  // The crashed window is attached first, so the restart reaches it before the healthy one.
  const crashed = await openWindow(t);
  const healthy = await openWindow(t);
  await inPage(crashed, 'opened');
  await inPage(healthy, 'opened');
  await child.emulationUntilOpenPorts(3);
  const gone = nextEvent(crashed.webContents, 'render-process-gone');
  crashed.webContents.forcefullyCrashRenderer();
  await gone;
  await child.emulationUntilOpenPorts(2);

  const errors: StoreError[] = [];
  daemon.on('error', (error) => errors.push(error));
  const restarted = nextEvent(daemon, 'restart');
  child.emulationCrash('the daemon crashed while a window was crashed');
  await restarted;
  const { rev } = await main.set('theme', 'dark');
  assert.deepEqual(await inPage(healthy, `untilRev(${rev})`), { rev, doc: main.store });
  await currentUtilityProcess().emulationUntilOpenPorts(2);
  // The daemon's crash is reported; the crashed window is simply detached, nothing to report about it.
  assert.deepEqual(errors.map((e) => e.code), ['DAEMON_UNAVAILABLE'], errors.map((e) => e.message).join('\n'));
  assert.match(errors[0].message, /the daemon crashed while a window was crashed/);

  // Reloaded, the crashed window is a client again and sees the current document.
  const loaded = nextEvent(crashed.webContents, 'did-finish-load');
  crashed.webContents.reload();
  await loaded;
  assert.equal(await inPage(crashed, 'opened'), main.rev);
  assert.deepEqual(await inPage(crashed, 'store().store'), main.store);
  await currentUtilityProcess().emulationUntilOpenPorts(3);
});

test('daemon.attach() of a web contents whose renderer crashed does not throw; the window gets its port once reloaded', async (t) => {
  const { daemon, child } = await startElectronDaemon(t, { attachWindows: false });
  const win = await openWindow(t, 'lazy.html');
  const gone = nextEvent(win.webContents, 'render-process-gone');
  win.webContents.forcefullyCrashRenderer();
  await gone;
  daemon.attach(win.webContents);
  assert.equal(await child.emulationOpenPorts(), 0);
  const loaded = nextEvent(win.webContents, 'did-finish-load');
  win.webContents.reload();
  await loaded;
  assert.equal(await inPage(win, `open('settings')`), 0);
  await child.emulationUntilOpenPorts(1);
});

test('an \'exit\' listener and an \'error\' listener that both throw do not stop the restart', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  daemon.on('exit', () => {
    throw new Error('an exit listener that throws');
  });
  daemon.on('error', () => {
    throw new Error('an error listener that throws');
  });
  const logged: unknown[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  t.after(() => (console.error = consoleError));
  const restarted = nextEvent(daemon, 'restart');
  child.emulationCrash();
  await restarted;
  console.error = consoleError;
  assert.ok(logged.some((args) => String(args).includes('an exit listener that throws')), 'what the listeners threw was logged');
  const { rev } = await main.set('theme', 'light');
  assert.deepEqual(await inPage(win, `untilRev(${rev})`), { rev, doc: main.store });
});
