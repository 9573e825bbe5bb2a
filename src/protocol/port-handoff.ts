/**
 * How a window gets its daemon port (Electron): main → preload over IPC, preload → page over `window.postMessage`
 * (contextBridge cannot carry ports). Constants only, so the preload bundle does not pull in the client.
 *
 * main ──webContents.postMessage(PORT_CHANNEL, {type: PORT_MESSAGE}, [port])──▶ preload
 * page ──window.postMessage({type: PORT_REQUEST})──▶ preload ──window.postMessage({type: PORT_MESSAGE}, '*', [port])──▶ page
 *
 * The preload holds a port until the page asks for it, so `connectStore()` works whether the page runs before or
 * after the port arrives. Main also sends `{type: DAEMON_GONE}` when the daemon dies: DOM MessagePorts have no
 * 'close' event, so without it a page could not tell that its pending requests will never be answered.
 */

/** IPC channel main uses for everything it sends a window's preload. */
export const PORT_CHANNEL = 'electron-store-daemon:port';
/** Message type carrying a port (main → preload, preload → page). */
export const PORT_MESSAGE = 'electron-store-daemon:port';
/** The page asks the preload for the port (and for every later one). */
export const PORT_REQUEST = 'electron-store-daemon:want-port';
/** The daemon died; a new port follows once it has been restarted. */
export const DAEMON_GONE = 'electron-store-daemon:daemon-gone';
