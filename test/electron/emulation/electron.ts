/**
 * What `import 'electron'` gives under the emulation, per process type, as in Electron: the main process gets
 * app/BrowserWindow/webContents/utilityProcess/MessageChannelMain/safeStorage; a utility process only
 * MessageChannelMain (no app, no ipcMain — electron-store relies on that); a renderer (preload) ipcRenderer.
 */
import * as main from './main-process.ts';
import { MessageChannelMain } from './ports.ts';

const type = (process as { type?: string }).type;
const isMain = type === 'browser';
const isUtility = type === 'utility';
const isRenderer = type === 'renderer';
const renderer = isRenderer ? await import('./renderer.ts') : undefined;

export const app = isMain ? main.getApp() : undefined;
export const BrowserWindow = isMain ? main.BrowserWindow : undefined;
export const webContents = isMain ? main.webContents : undefined;
export const utilityProcess = isMain ? main.utilityProcess : undefined;
export const safeStorage = isMain ? main.getSafeStorage() : undefined;
export const shell = isMain ? main.shell : undefined;
const channel = isMain || isUtility ? MessageChannelMain : undefined;
export { channel as MessageChannelMain };
export const ipcMain = undefined;
export const ipcRenderer = renderer?.ipcRenderer;

export default { app, BrowserWindow, webContents, utilityProcess, safeStorage, shell, MessageChannelMain: channel, ipcMain, ipcRenderer };
