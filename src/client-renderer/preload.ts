import { ipcRenderer } from 'electron';
import { DAEMON_GONE, PORT_CHANNEL, PORT_MESSAGE, PORT_REQUEST } from '../protocol/port-handoff.ts';

let exposed = false;

/**
 * Call once in a window's preload: forwards the daemon port main sends this window (and each one that replaces it
 * after a daemon restart) to the page, where `connectStore()` picks it up. Ports cannot cross contextBridge, so
 * they go by `window.postMessage` with the port in the transfer list, as Electron documents.
 */
export function exposeStorePort(): void {
  if (exposed) return;
  exposed = true;
  let pending: MessagePort | undefined;
  let wanted = false;
  const forward = (port: MessagePort) => window.postMessage({ type: PORT_MESSAGE }, '*', [port]);
  ipcRenderer.on(PORT_CHANNEL, (event, message: { type?: unknown } | null) => {
    const type = message && typeof message === 'object' ? message.type : undefined;
    if (type === PORT_MESSAGE && event.ports[0]) {
      if (wanted) {
        forward(event.ports[0]);
      } else {
        // The page has not asked yet: keep only the newest port.
        pending?.close();
        pending = event.ports[0];
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
}
