/** Where the emulation's pieces live, and how a thread becomes an emulated Electron process. */
import { register } from 'node:module';

export const ELECTRON_VERSION = '45.4.1';
export const HOOKS_URL = new URL('./hooks.mjs', import.meta.url).href;
/** The `electron` module of each process type (Electron exports only that process's modules). */
export const ELECTRON_URLS: Record<ProcessType, string> = {
  browser: new URL('./electron.ts', import.meta.url).href,
  utility: new URL('./electron-utility.ts', import.meta.url).href,
  renderer: new URL('./electron-renderer.ts', import.meta.url).href,
};
export const CHILD_URL = new URL('./child.ts', import.meta.url).href;
/** Marks a page script's URL so the load hook reports when its synchronous part ran. */
export const PAGE_QUERY = 'electron-emulation-page';

export type ProcessType = 'browser' | 'utility' | 'renderer';

/** Sets what Electron sets: `process.type` and `process.versions.electron`. */
export function markProcess(type: ProcessType): void {
  (process as { type?: string }).type = type;
  if (!process.versions.electron) {
    Object.defineProperty(process.versions, 'electron', { value: ELECTRON_VERSION, enumerable: true });
  }
}

/** Makes `import 'electron'` resolve to the emulation's module for this thread's process type. */
export function registerHooks(type: ProcessType): void {
  register(HOOKS_URL, { data: { electronUrl: ELECTRON_URLS[type], pageQuery: PAGE_QUERY } });
}
