/**
 * Import this first in a test file: the test process becomes an emulated Electron main process (`process.type`
 * is 'browser', `process.versions.electron` is set) and `electron` resolves to the emulation from then on.
 * Static imports are resolved before any module runs, so modules that import `electron` must be loaded after this
 * one has run — our sources only import it dynamically (src/client-main/index.ts), which is what makes this work.
 */
import { markProcess, registerHooks } from './setup.ts';

markProcess('browser');
registerHooks('browser');
