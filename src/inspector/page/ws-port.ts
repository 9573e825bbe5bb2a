import type { PortLike } from '../../protocol/endpoint.ts';

/**
 * The daemon port of a served inspector (the `inspect` command, or `openInspector()` outside Electron): a WebSocket
 * to the local server, which relays each message to a real daemon port and back. Messages travel as JSON text — the
 * protocol's messages are plain JSON data (values, `Result` envelopes, serialized errors), and no port is ever
 * transferred, so nothing is lost on the way.
 */
export function webSocketPort(url: string): PortLike {
  const ws = new WebSocket(url);
  const queued: string[] = [];
  const listeners: Array<(data: unknown, ports: readonly unknown[]) => void> = [];
  const closers: Array<() => void> = [];
  let closed = false;
  const fireClose = () => {
    if (closed) return;
    closed = true;
    for (const c of closers) c();
  };
  ws.addEventListener('open', () => {
    for (const text of queued) ws.send(text);
    queued.length = 0;
  });
  ws.addEventListener('message', (event) => {
    let data: unknown;
    try {
      data = JSON.parse(String(event.data));
    } catch {
      return;
    }
    for (const l of listeners) l(data, []);
  });
  ws.addEventListener('close', fireClose);
  return {
    post(message) {
      const text = JSON.stringify(message);
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else if (ws.readyState === WebSocket.CONNECTING) queued.push(text);
    },
    onMessage: (listener) => void listeners.push(listener),
    onClose: (listener) => void closers.push(listener),
    start() {},
    close() {
      ws.close();
      fireClose();
    },
  };
}
