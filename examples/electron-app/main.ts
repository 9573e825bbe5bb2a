// Electron main: start the daemon (a utility process), make quitting wait for it, open two windows.
// Windows get their store port automatically; see preload.ts and renderer.ts for the other two call sites.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow } from 'electron';
import { closeOnQuit, startStoreDaemon, type StoreError } from 'electron-store-daemon/main';
import { settings, type Settings } from './stores.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

await app.whenReady();
// Store files go to app.getPath('userData'): settings.json is a normal electron-store file.
const daemon = await startStoreDaemon({ stores: [settings] });
closeOnQuit(daemon);
daemon.on('error', (error: StoreError) => console.error('store daemon:', error.message));
daemon.on('restart', ({ attempt }) => console.log(`store daemon restarted (attempt ${attempt})`));

// Main is a client too, with the same API as a window.
const store = await daemon.store<Settings>('settings');
store.onDidChange('theme', (theme, old) => console.log(`main saw theme ${old} -> ${theme}`));
console.log(`settings in ${(await store.info()).path}`);

function openWindow(x: number): void {
  const win = new BrowserWindow({
    x, y: 120, width: 460, height: 420,
    webPreferences: { preload: path.join(here, 'preload.cjs'), contextIsolation: true, sandbox: true },
  });
  void win.loadFile(path.join(here, 'index.html'));
}
openWindow(80);
openWindow(580);
// `npm run example:electron -- --inspect`: the inspector window too (every store live, history, backups).
if (process.argv.includes('--inspect')) await daemon.openInspector();

app.on('window-all-closed', () => app.quit());
