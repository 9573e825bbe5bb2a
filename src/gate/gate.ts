import v8 from 'node:v8';
import { StoreError } from '../protocol/errors.ts';
import type { ControlFromGate, ControlToGate } from '../protocol/control.ts';
import { adaptPort, type PortLike } from '../protocol/endpoint.ts';

/**
 * The gate: where windows' messages are decoded, so that the daemon never is. A MessagePort decodes (structured
 * clone) each message on the thread that owns the port, before any code can look at it; a window that posts one huge
 * value (a million-key object) would hold the daemon's thread for seconds, and every other client with it. Window
 * ports therefore end here, in a process (Electron) or thread (worker host) of their own. Each message is measured
 * here by its serialized size: one over the limit is answered with QUOTA_EXCEEDED and never reaches the daemon; the
 * rest go on as the bytes of that serialization, which the daemon decodes in time bounded by the limit. Replies and
 * events flow back unchanged. Windows share the gate: a huge message delays other windows' requests by its decode,
 * never main's or the daemon's work.
 */
export function relay(window: PortLike, daemon: PortLike, maxMessageBytes: number, onClosed: () => void = () => {}): void {
  window.onMessage((data) => {
    let bytes: Buffer;
    try {
      bytes = v8.serialize(data);
    } catch {
      return refuse(window, data, new StoreError('NOT_SERIALIZABLE', 'The message could not be serialized; send plain JSON values.'));
    }
    if (bytes.length > maxMessageBytes) {
      return refuse(window, data, new StoreError('QUOTA_EXCEEDED', `A message of ${bytes.length} bytes is over this window's limit of ${maxMessageBytes} bytes (set from the stores' maxBytes); nothing was sent to the store daemon. Write less at once.`));
    }
    try {
      // Exactly the serialization's bytes (a pooled Buffer would clone its whole backing store).
      daemon.post(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes));
    } catch {
      // The daemon side is gone; its 'close' closes the window's port.
    }
  });
  daemon.onMessage((data) => {
    try {
      window.post(data);
    } catch {
      // The window is gone; its 'close' closes the daemon's side.
    }
  });
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    window.close();
    daemon.close();
    onClosed();
  };
  window.onClose(close);
  daemon.onClose(close);
  window.start();
  daemon.start();
}

/** Answers a refused message the way the daemon answers a failed one, so the client's request settles at once. */
function refuse(window: PortLike, data: unknown, error: StoreError): void {
  const m = data as { ch?: unknown; m?: { id?: unknown }; w?: { id?: unknown; store?: unknown } } | null;
  const serialized = error.toJSON();
  try {
    if (m?.ch === 'rpc' && typeof m.m?.id === 'string') {
      window.post({ ch: 'rpc', m: { id: m.m.id, type: 'RAW', value: { ok: false, error: serialized } } });
    } else if (m?.ch === 'w' && typeof m.w?.id === 'number') {
      window.post({ ch: 'evt', e: { t: 'nack', store: typeof m.w.store === 'string' ? m.w.store : '', id: m.w.id, error: serialized } });
    }
  } catch {
    // The window is gone.
  }
}

/**
 * Serves as the gate: pairs the window end and the daemon end of each route as they arrive from main (in either order)
 * and relays between them; on `gate-stop`, exits once every route has closed.
 */
export function serveGate(host: { onMessage(listener: (data: unknown, ports: readonly unknown[]) => void): void; post(data: unknown): void; exit(code: number): void }): void {
  type Half = { port: PortLike; closed: boolean };
  const halves = new Map<string, { window?: Half & { max: number }; daemon?: Half }>();
  let routes = 0;
  let stopping = false;
  const routeClosed = () => {
    routes--;
    if (stopping && routes === 0) host.exit(0);
  };
  // Watched from its arrival: a port whose other end closes before its route is complete would not say so later.
  const half = (raw: unknown): Half => {
    const h: Half = { port: adaptPort(raw), closed: false };
    h.port.onClose(() => (h.closed = true));
    return h;
  };
  host.onMessage((data, ports) => {
    const msg = data as ControlToGate | null;
    if (msg?.t === 'gate-stop') {
      stopping = true;
      if (routes === 0) host.exit(0);
      return;
    }
    const port = ports[0];
    if (!msg || typeof msg !== 'object' || typeof msg.id !== 'string' || !port) return;
    const route = halves.get(msg.id) ?? {};
    if (msg.t === 'gate-window' && typeof msg.maxMessageBytes === 'number') route.window = { ...half(port), max: msg.maxMessageBytes };
    else if (msg.t === 'gate-daemon') route.daemon = half(port);
    else return;
    const { window, daemon } = route;
    if (!window || !daemon) {
      halves.set(msg.id, route);
      return;
    }
    halves.delete(msg.id);
    routes++;
    relay(window.port, daemon.port, window.max, routeClosed);
    if (window.closed || daemon.closed) {
      window.port.close();
      daemon.port.close();
    }
  });
  host.post({ t: 'gate-ready' } satisfies ControlFromGate);
}
