import type { WebSocket } from 'ws';
import { adaptPort } from '../../protocol/endpoint.ts';

/**
 * Relays one WebSocket to one daemon port: each text frame is a JSON message for the daemon, each daemon message goes
 * back as one. Either side closing closes the other, so the daemon drops the client when the tab goes and the tab
 * sees its port close when the daemon does.
 */
export function relay(ws: WebSocket, daemonPort: unknown): void {
  const port = adaptPort(daemonPort);
  let open = true;
  const end = () => {
    if (!open) return;
    open = false;
    port.close();
    ws.close();
  };
  port.onMessage((data) => {
    if (open) ws.send(JSON.stringify(data));
  });
  port.onClose(end);
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return end();
    let data: unknown;
    try {
      data = JSON.parse(raw.toString());
    } catch {
      // Not our page's traffic: the daemon checks every message, but this is not even a message.
      return end();
    }
    port.post(data);
  });
  ws.on('close', end);
  ws.on('error', end);
  port.start();
}
