// daemon.openInspector() in Electron (through the emulation): a sandboxed window of its own on the bundled page, with
// the package's kind of preload, a port under the inspector policy (admin) — and nowhere else to go.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { BrowserWindow } from './emulation/main-process.ts';
import { inPage, startElectronDaemon, storePreloadBundle } from './helpers.ts';

const renderer = pathToFileURL(path.resolve(import.meta.dirname, '../../src/client-renderer/index.ts')).href;
/** In the window: what an admin-only request (rollback to the current rev) gets on the port the preload forwarded. */
const adminProbe = `import(${JSON.stringify(renderer)}).then(async ({ connectStore }) => {
  const store = await connectStore('settings', { timeoutMs: 10000 });
  return store.rollback({ rev: store.rev }).then(() => 'allowed', (e) => e.code);
})`;

test('openInspector() opens a sandboxed window on the inspector page whose port has the inspector policy', async (t) => {
  const { daemon } = await startElectronDaemon(t, { windowPolicy: { stores: '*', admin: false } });
  const before = new Set(BrowserWindow.getAllWindows());
  const inspector = await daemon.openInspector({ preload: storePreloadBundle() });
  const win = BrowserWindow.getAllWindows().find((w) => !before.has(w))!;
  t.after(() => win.destroy());
  assert.equal(inspector.kind, 'window');
  assert.match(inspector.url, /^file:\/\/.*\/inspector\/page\/index\.html$/);
  assert.equal(win.webContents.getURL(), inspector.url);
  // Granted by openInspector, not by windowPolicy (which every other window gets, and which has no admin).
  assert.equal(await inPage(win, adminProbe), 'allowed');

  // Its own page only: navigation is refused, new windows are denied.
  let prevented = false;
  win.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example');
  assert.equal(prevented, true);
  assert.equal(win.webContents.emulationWindowOpen('https://evil.example'), 'deny');
  await inspector.close();
  assert.equal(win.isDestroyed(), true);
});

test('a window that is not the inspector gets windowPolicy: the same admin probe is refused', async (t) => {
  const { openWindow } = await import('./helpers.ts');
  await startElectronDaemon(t, { windowPolicy: { stores: '*', admin: false } });
  const win = await openWindow(t);
  assert.equal(await inPage(win, adminProbe), 'PERMISSION_DENIED');
});

test('openInspector() checks its options (TypeError) and refuses after close (CLOSED)', async (t) => {
  const { daemon } = await startElectronDaemon(t);
  await assert.rejects(daemon.openInspector({ port: 70000 }), TypeError);
  await assert.rejects(daemon.openInspector({ preload: 'relative.js' }), TypeError);
  await assert.rejects(daemon.openInspector({ policy: { stores: 'all' } as never }), TypeError);
  await daemon.close();
  await assert.rejects(daemon.openInspector(), { code: 'CLOSED' });
});
