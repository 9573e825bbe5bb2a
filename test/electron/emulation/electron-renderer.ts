/** `electron` in an emulated renderer (preload): the renderer modules the library uses (see electron.ts). */
import { contextBridge, ipcRenderer } from './renderer.ts';

export { contextBridge, ipcRenderer };
export default { contextBridge, ipcRenderer };
