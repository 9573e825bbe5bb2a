import { ipcRenderer } from 'electron';
import { DAEMON_GONE, PORT_CHANNEL, PORT_MESSAGE, PORT_REQUEST, PORT_REQUEST_CHANNEL } from '../protocol/port-handoff.ts';

let exposed = false;

/**
 * Call once in a window's preload: forwards the daemon port main sends this window (and each one that replaces it
 * after a daemon restart) to the page, where `connectStore()` picks it up. Ports cannot cross contextBridge, so
 * they go by `window.postMessage` with the port in the transfer list, as Electron documents. It also asks main for
 * the port, so a preload that runs late (after dom-ready, when main pushes one) still gets it.
 */
export function exposeStorePort(): void {
  if (exposed) return;
  exposed = true;
  let pending: MessagePort | undefined;
  let wanted = false;
  /** The daemon generation of the last port this document took (see port-handoff.ts). */
  let generation: number | undefined;
  const forward = (port: MessagePort) => window.postMessage({ type: PORT_MESSAGE }, '*', [port]);
  ipcRenderer.on(PORT_CHANNEL, (event, message: { type?: unknown; generation?: unknown; kind?: unknown } | null) => {
    const type = message && typeof message === 'object' ? message.type : undefined;
    const port = event.ports[0];
    if (type === PORT_MESSAGE && port) {
      const gen = typeof message?.generation === 'number' ? message.generation : undefined;
      // The first port of a document comes pushed at dom-ready or in reply to the request below; when both come,
      // the second one is a duplicate.
      if ((message?.kind === 'push' || message?.kind === 'reply') && gen !== undefined && gen === generation) {
        port.close();
        return;
      }
      if (gen !== undefined) generation = gen;
      if (wanted) {
        forward(port);
      } else {
        // The page has not asked yet: keep only the newest port.
        pending?.close();
        pending = port;
      }
    } else if (type === DAEMON_GONE && wanted) {
      window.postMessage({ type: DAEMON_GONE }, '*');
    }
  });
  window.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as { type?: unknown } | null;
    if (event.source !== window || !data || typeof data !== 'object' || data.type !== PORT_REQUEST) return;
    wanted = true;
    if (pending) {
      const port = pending;
      pending = undefined;
      forward(port);
    }
  });
  ipcRenderer.send(PORT_REQUEST_CHANNEL);
}
