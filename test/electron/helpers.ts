/**
 * Helpers for tests against the Electron emulation. Import './emulation/register.ts' before this module in a test
 * file: it makes the test process an Electron main process.
 */
import { buildSync } from 'esbuild';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStoreDaemon, type DaemonOptions, type StoreDaemon } from '../../src/client-main/index.ts';
import { settingsDef, tmpDir } from '../helpers.ts';
import { BrowserWindow, getApp, type UtilityProcess, utilityProcesses } from './emulation/main-process.ts';

export const app = getApp();
// Closing the last window must not quit the app in these tests (as on macOS); the quit tests call app.quit().
app.on('window-all-closed', () => {});

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string) => path.join(fixtures, name);

/**
 * A preload as an app ships it for a sandboxed window (Electron's default): `fixtures/<name>` (which imports the
 * library's preload from src/) bundled into one CommonJS file, `electron` left to the sandbox's require.
 */
export function bundledPreload(name = 'preload.ts'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esd-preload-'));
  const outfile = path.join(dir, name.replace(/\.ts$/, '.cjs'));
  buildSync({ entryPoints: [fixture(name)], bundle: true, format: 'cjs', platform: 'browser', external: ['electron'], conditions: ['source'], outfile, logLevel: 'silent' });
  return outfile;
}

let storePreload: string | undefined;
/** The store preload (fixtures/preload.ts: exposeStorePort()), bundled once per test process. */
export function storePreloadBundle(): string {
  return (storePreload ??= bundledPreload());
}

/** Starts the daemon as Electron's main would (utility process, userData = a fresh temp folder); closed after `t`. */
export async function startElectronDaemon(t: TestContext, options: Partial<DaemonOptions> = {}): Promise<{ daemon: StoreDaemon; userData: string; child: UtilityProcess }> {
  const userData = tmpDir('esd-electron-');
  app.setPath('userData', userData);
  await app.whenReady();
  const before = utilityProcesses.length;
  const daemon = await startStoreDaemon({ stores: [settingsDef()], ...options });
  t.after(() => daemon.close());
  return { daemon, userData, child: utilityProcesses[before] };
}

/** The utility process the supervisor started most recently. */
export function currentUtilityProcess(): UtilityProcess {
  return utilityProcesses[utilityProcesses.length - 1];
}

/** Opens a window with the store preload (unless `preload: false`) and waits for its page to load; gone after `t`. */
export async function openWindow(t: TestContext, page = 'window.html', options: { preload?: boolean } = {}): Promise<BrowserWindow> {
  const win = new BrowserWindow({ show: false, webPreferences: { contextIsolation: true, sandbox: true, ...(options.preload !== false && { preload: storePreloadBundle() }) } });
  t.after(() => win.destroy());
  await win.loadFile(fixture(page));
  return win;
}

/** Runs `code` in the window's page and returns its (awaited) result. */
export function inPage<T = unknown>(win: BrowserWindow, code: string): Promise<T> {
  return win.webContents.executeJavaScript(code) as Promise<T>;
}

/** Resolves on the next `event` of `emitter` (with its first argument); rejects after `ms`. */
export function nextEvent<T = unknown>(emitter: EventEmitter, event: string, ms = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      emitter.removeListener(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
    }, ms);
    emitter.once(event, listener);
  });
}

/** Resolves once a client's cache has reached `rev`. */
export function untilRev(store: { rev: number; onDidAnyChange(cb: () => void): () => void }, rev: number, ms = 20_000): Promise<void> {
  if (store.rev >= rev) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms waiting for rev ${rev} (at ${store.rev})`));
    }, ms);
    const off = store.onDidAnyChange(() => {
      if (store.rev < rev) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
