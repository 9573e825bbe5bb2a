/**
 * How a window gets its daemon port (Electron): main → preload over IPC, preload → page over `window.postMessage`
 * (contextBridge cannot carry ports). Constants only, so the preload bundle does not pull in the client.
 *
 * preload ──ipcRenderer.send(PORT_REQUEST_CHANNEL)──▶ main                                   (pull, when the preload starts)
 * main ──webContents.postMessage(PORT_CHANNEL, {type: PORT_MESSAGE, generation, kind}, [port])──▶ preload
 * page ──window.postMessage({type: PORT_REQUEST})──▶ preload ──window.postMessage({type: PORT_MESSAGE}, '*', [port])──▶ page
 *
 * Main sends a document its port in reply to the preload's request (`kind: 'reply'`) and also pushes one at
 * dom-ready (`kind: 'push'`) unless the request came first — the push alone reaches a preload only if it already
 * listens, the request is there for one that registers late. Should both reach the preload, the second `push` or
 * `reply` of the same daemon `generation` is a duplicate and the preload closes it. Ports that replace a document's
 * port (a daemon restart: a new generation; a new policy) have `kind: 'replace'` and are always forwarded.
 *
 * The preload holds a port until the page asks for it, so `connectStore()` works whether the page runs before or
 * after the port arrives. Main also sends `{type: DAEMON_GONE}` when the daemon dies, for Chromium versions whose DOM
 * MessagePorts have no 'close' event: without it a page could not tell that its pending requests will never be
 * answered.
 */

/** IPC channel the preload asks main for its document's port on (`ipcRenderer.send`, no arguments). */
export const PORT_REQUEST_CHANNEL = 'electron-store-daemon:request-port';
/** How a port reached the preload (see above). */
export type PortKind = 'push' | 'reply' | 'replace';
/** IPC channel main uses for everything it sends a window's preload. */
export const PORT_CHANNEL = 'electron-store-daemon:port';
/** Message type carrying a port (main → preload, preload → page). */
export const PORT_MESSAGE = 'electron-store-daemon:port';
/** The page asks the preload for the port (and for every later one). */
export const PORT_REQUEST = 'electron-store-daemon:want-port';
/** The daemon died; a new port follows once it has been restarted. */
export const DAEMON_GONE = 'electron-store-daemon:daemon-gone';
