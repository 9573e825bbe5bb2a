/**
 * What `import 'electron'` gives in the emulated main process. Each process type has its own module, as in Electron,
 * where `electron` exports only that process's modules — so `import { app } from 'electron'` fails to link in a
 * utility process or a renderer (hooks.mjs resolves `electron` to the module of the thread's process type):
 * - main (this file): app, BrowserWindow, BrowserView, WebContentsView, webContents, ipcMain, utilityProcess,
 *   MessageChannelMain, safeStorage, shell;
 * - utility process (electron-utility.ts): Electron's lib/utility/api/module-list.ts lists LanguageModelUtility,
 *   localAIHandler, net and systemPreferences — no app, no ipcMain, no MessageChannelMain. None of them is modelled,
 *   so the module exports nothing but its (empty) default;
 * - renderer / preload (electron-renderer.ts): ipcRenderer, contextBridge.
 */
import * as main from './main-process.ts';

export const app = main.getApp();
export const { BrowserWindow, BrowserView, WebContentsView, webContents, utilityProcess, shell, MessageChannelMain, ipcMain } = main;
export const safeStorage = main.getSafeStorage();

export default { app, BrowserWindow, BrowserView, WebContentsView, webContents, utilityProcess, safeStorage, shell, MessageChannelMain, ipcMain };
