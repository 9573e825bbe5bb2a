// Ports reach the right documents, and only those (through the emulation): a preload that registers late asks for
// its port; windows and views get ports, <webview> guests do not; pages of origins that are not allowed get none.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Settings } from '../helpers.ts';
import { BrowserView, BrowserWindow, emulation, emulationCreateWebContents, WebContentsView, type WebContents } from './emulation/main-process.ts';
import { bundledPreload, currentUtilityProcess, fixture, inPage, nextEvent, openWindow, startElectronDaemon, storePreloadBundle, untilRev } from './helpers.ts';

type Failure = { code: string; message: string };
const FIXTURES = fixture('.');
emulation.serve('http://localhost:5173', FIXTURES);
emulation.serve('https://evil.example', FIXTURES);
emulation.serve('app://bundle', FIXTURES);

/** executeJavaScript in any web contents (inPage takes a window). */
const inContents = <T = unknown>(contents: WebContents, code: string) => inPage<T>({ webContents: contents } as BrowserWindow, code);

async function loaded(contents: WebContents, url: string): Promise<void> {
  await contents.loadURL(url);
}

test('a preload that calls exposeStorePort() late (after dom-ready) still gets its port: it asks main for it', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const win = new BrowserWindow({ webPreferences: { sandbox: true, preload: bundledPreload('late-preload.ts') } });
  t.after(() => win.destroy());
  await win.loadFile(fixture('lazy.html'));
  assert.equal(await inPage(win, 'exposeStorePortLate()'), 'listening');
  assert.equal(await inPage(win, `open('settings')`), 0);
  await child.emulationUntilOpenPorts(2);
  const { rev } = await main.set('theme', 'dark');
  assert.deepEqual(await inPage(win, `untilRev(${rev})`), { rev, doc: main.store });
});

test('one port per document: the preload\'s request and the dom-ready push do not make two clients', async (t) => {
  const { child } = await startElectronDaemon(t);
  const win = await openWindow(t, 'lazy.html');
  await child.emulationUntilOpenPorts(1);
  assert.equal(await inPage(win, `open('settings')`), 0);
  assert.equal(await child.emulationOpenPorts(), 1);
  const reloaded = nextEvent(win.webContents, 'did-finish-load');
  win.webContents.reload();
  await reloaded;
  assert.equal(await inPage(win, `open('settings')`), 0);
  await child.emulationUntilOpenPorts(1);
});

test('WebContentsView and BrowserView web contents get ports; a <webview> guest does not unless attached', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const view = new WebContentsView({ webPreferences: { sandbox: true, preload: storePreloadBundle() } });
  const legacy = new BrowserView({ webPreferences: { sandbox: true, preload: storePreloadBundle() } });
  const guest = emulationCreateWebContents('webview', { sandbox: true, preload: storePreloadBundle() });
  t.after(() => [view.webContents, legacy.webContents, guest].forEach((c) => c.close()));
  for (const contents of [view.webContents, legacy.webContents, guest]) await loaded(contents, fixture('window.html').replace(/^/, 'file://'));
  assert.equal(await inContents(view.webContents, 'opened'), 0);
  assert.equal(await inContents(legacy.webContents, 'opened'), 0);
  assert.equal((await inContents<Failure>(guest, `open('settings', 300)`)).code, 'TIMEOUT');
  await child.emulationUntilOpenPorts(3);
  daemon.attach(guest);
  assert.equal(await inContents(guest, `open('settings', undefined, 'attached')`), 0);
  await child.emulationUntilOpenPorts(4);
  const { rev } = await main.set('theme', 'light');
  assert.deepEqual(await inContents(view.webContents, `untilRev(${rev})`), { rev, doc: main.store });
});

test('origins: the app\'s own pages (file:, custom protocols) get a port; a web origin only when listed in windowOrigins', async (t) => {
  const { child } = await startElectronDaemon(t, { windowOrigins: ['http://localhost:5173'] });
  const win = await openWindow(t, 'lazy.html');
  const custom = new BrowserWindow({ webPreferences: { sandbox: true, preload: storePreloadBundle() } });
  const dev = new BrowserWindow({ webPreferences: { sandbox: true, preload: storePreloadBundle() } });
  const evil = new BrowserWindow({ webPreferences: { sandbox: true, preload: storePreloadBundle() } });
  t.after(() => [custom, dev, evil].forEach((w) => w.destroy()));
  await custom.loadURL('app://bundle/lazy.html');
  await dev.loadURL('http://localhost:5173/lazy.html');
  await evil.loadURL('https://evil.example/lazy.html');
  assert.equal(await inPage(win, `open('settings')`), 0);
  assert.equal(await inPage(custom, `open('settings')`), 0);
  assert.equal(await inPage(dev, `open('settings')`), 0);
  assert.equal((await inPage<Failure>(evil, `open('settings', 300)`)).code, 'TIMEOUT');
  await child.emulationUntilOpenPorts(3);
});

test('origins: the dev server is not allowed unless named; daemon.attach() does not bypass the allow-list', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const dev = new BrowserWindow({ webPreferences: { sandbox: true, preload: storePreloadBundle() } });
  t.after(() => dev.destroy());
  await dev.loadURL('http://localhost:5173/lazy.html');
  daemon.attach(dev.webContents);
  assert.equal((await inPage<Failure>(dev, `open('settings', 300)`)).code, 'TIMEOUT');
  assert.equal(await child.emulationOpenPorts(), 0);
});

test('origins: a window that navigates to a disallowed origin loses its port (the daemon drops it) and gets none, not even after a restart', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  await child.emulationUntilOpenPorts(2);
  await win.loadURL('https://evil.example/lazy.html');
  await child.emulationUntilOpenPorts(1);
  assert.equal((await inPage<Failure>(win, `open('settings', 300)`)).code, 'TIMEOUT');
  const restarted = nextEvent(daemon, 'restart');
  child.emulationCrash();
  await restarted;
  await main.set('theme', 'dark');
  assert.equal(await currentUtilityProcess().emulationOpenPorts(), 1, 'only main\'s client');
  // Back on the app's own page, it is a client again.
  await win.loadFile(fixture('window.html'));
  assert.equal(await inPage(win, 'opened'), main.rev);
  await untilRev(main, main.rev);
  await currentUtilityProcess().emulationUntilOpenPorts(2);
});

test('a navigation to a disallowed origin that never commits (a download, a 204, a prevented will-navigate) leaves the window its port, and its port after a restart', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  await child.emulationUntilOpenPorts(2);
  // What Chromium reports for a navigation it starts and then drops: did-start-navigation, and no did-navigate.
  const url = 'https://evil.example/download.zip';
  win.webContents.emit('did-start-navigation', { url, isMainFrame: true, isSameDocument: false, frame: null, initiator: null, preventDefault() {} }, url, false, true, 0, 0);
  const restarted = nextEvent(daemon, 'restart');
  child.emulationCrash();
  await restarted;
  const { rev } = await main.set('theme', 'dark');
  // The page (still the app's own) gets its new port and follows main again.
  await currentUtilityProcess().emulationUntilOpenPorts(2);
  assert.deepEqual(await inPage(win, `untilRev(${rev})`), { rev, doc: main.store });
});

test('windowOrigins must be origins', async (t) => {
  const { startStoreDaemon } = await import('../../src/client-main/index.ts');
  for (const bad of [['localhost:5173'], ['data:text/html,hi'], 'http://localhost:5173', [42]]) {
    await assert.rejects(startStoreDaemon({ stores: [], windowOrigins: bad as never }), TypeError, JSON.stringify(bad));
  }
  void t;
});
