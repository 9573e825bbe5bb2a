// Electron-only: the inspector as a window. Loaded by openInspector() on the utility-process host, never in plain Node.
import fs from 'node:fs';
import path from 'node:path';
import { BrowserWindow, type WebContents } from 'electron';
import { StoreError } from '../protocol/errors.ts';
import { fileURLToPath } from 'node:url';

/** The package's built folder (dist/): where the bundled page and preload/auto are. */
function packageDist(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
}

/**
 * Opens the bundled inspector page in a sandboxed window with the package's preload, and attaches it with the
 * inspector's policy before its page loads. The window is ours alone: it opens no other windows and navigates nowhere
 * else, so its admin port can only ever serve the inspector page.
 */
export async function openInspectorWindow(attach: (contents: WebContents) => void, preload?: string): Promise<{ kind: 'window'; url: string; close(): Promise<void> }> {
  const dist = packageDist();
  const page = path.join(dist, 'inspector', 'page', 'index.html');
  const preloadFile = preload ?? path.join(dist, 'preload-auto.cjs');
  for (const file of [page, preloadFile]) {
    if (!fs.existsSync(file)) throw new StoreError('IO_FAILED', `The inspector needs ${file}, which the package build makes (npm run build); reinstall electron-store-daemon or pass openInspector({ preload }).`);
  }
  const win = new BrowserWindow({
    width: 1200, height: 800, title: 'Store inspector',
    webPreferences: { preload: preloadFile, sandbox: true, contextIsolation: true, nodeIntegration: false },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  attach(win.webContents);
  await win.loadFile(page);
  return {
    kind: 'window',
    url: win.webContents.getURL(),
    close: () => new Promise<void>((resolve) => {
      if (win.isDestroyed()) return resolve();
      win.once('closed', () => resolve());
      win.close();
    }),
  };
}
