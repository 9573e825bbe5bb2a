/** Where the emulation's pieces live, and how a thread becomes an emulated Electron process. */
import { register } from 'node:module';

export const ELECTRON_VERSION = '45.4.1';
export const HOOKS_URL = new URL('./hooks.mjs', import.meta.url).href;
export const ELECTRON_URL = new URL('./electron.ts', import.meta.url).href;
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

/** Makes `import 'electron'` resolve to the emulation in this thread. */
export function registerHooks(): void {
  register(HOOKS_URL, { data: { electronUrl: ELECTRON_URL, pageQuery: PAGE_QUERY } });
}
