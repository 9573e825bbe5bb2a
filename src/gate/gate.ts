import v8 from 'node:v8';
import { StoreError } from '../protocol/errors.ts';
import type { ControlFromGate, ControlToGate } from '../protocol/control.ts';
import { adaptPort, type PortLike } from '../protocol/endpoint.ts';

/** Most values (object keys and array slots) one window message may hold: what decoding costs is their number. */
export const MAX_MESSAGE_VALUES = 100_000;
/** Values a window may send per second, on average (a token bucket with a burst of MAX_MESSAGE_VALUES). */
export const VALUES_PER_SECOND = 100_000;

/**
 * The gate: where windows' messages are decoded, so that the daemon never is. A MessagePort decodes (structured
 * clone) each message on the thread that owns the port, before any code can look at it; a window that posts one huge
 * value (a million-key object) would hold the daemon's thread for seconds, and every other client with it. Window
 * ports therefore end here, in a process (Electron) or thread (worker host) of their own. Each message is weighed
 * here — its values counted (holes of a sparse array too: downstream they cost as much as filled slots), then its
 * serialized size measured — and one over the limits never reaches the daemon as it is; the rest go on as the bytes
 * of that serialization, which the daemon decodes in time the limits bound. A window's values are also budgeted per
 * second, so repeating large messages cannot keep the daemon decoding. Replies and events flow back unchanged.
 * Windows share the gate: a huge message delays other windows' requests by its decode, never main's or the daemon's.
 */
export function relay(window: PortLike, daemon: PortLike, maxMessageBytes: number, onClosed: () => void = () => {}): void {
  const budget = { level: VALUES_PER_SECOND, last: performance.now() };
  const pass = (bytes: Uint8Array) => {
    try {
      // Exactly the serialization's bytes (a pooled Buffer would clone its whole backing store).
      daemon.post(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes));
    } catch {
      // The daemon side is gone; its 'close' closes the window's port.
    }
  };
  window.onMessage((data) => {
    const values = weigh(data, MAX_MESSAGE_VALUES);
    if (values > MAX_MESSAGE_VALUES) {
      return refuse(window, data, pass, 'QUOTA_EXCEEDED', `A message with more than ${MAX_MESSAGE_VALUES} values (keys and array items) is over a window's limit; nothing of it was sent to the store daemon. Write less at once, or write large data from main.`);
    }
    const now = performance.now();
    budget.level = Math.min(VALUES_PER_SECOND, budget.level + ((now - budget.last) / 1000) * VALUES_PER_SECOND);
    budget.last = now;
    if (values > budget.level) {
      return refuse(window, data, pass, 'RATE_LIMITED', `This window sends more than ${VALUES_PER_SECOND} values (keys and array items) per second; slow down.`);
    }
    budget.level -= values;
    let bytes: Buffer;
    try {
      bytes = v8.serialize(data);
    } catch {
      return refuse(window, data, pass, 'NOT_SERIALIZABLE', 'The message could not be serialized; send plain JSON values.');
    }
    if (bytes.length > maxMessageBytes) {
      return refuse(window, data, pass, 'QUOTA_EXCEEDED', `A message of ${bytes.length} bytes is over this window's limit of ${maxMessageBytes} bytes (set from the stores' maxBytes); nothing of it was sent to the store daemon. Write less at once.`);
    }
    pass(bytes);
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

/** Counts the values in `value` — object keys and array slots, holes included — stopping once past `max`. */
export function weigh(value: unknown, max: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      count += v.length;
      if (count > max) return count;
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else {
      const keys = Object.keys(v);
      count += keys.length;
      if (count > max) return count;
      for (const key of keys) stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return count;
}

/**
 * Answers a refused message so the client's request settles at once. A request (comlink) is answered here, on its own
 * channel; a write is passed on as a stand-in that only names its refusal, so the daemon sends the nack on the event
 * channel itself — the events a client counts for flow control must all come from the daemon.
 */
function refuse(window: PortLike, data: unknown, pass: (bytes: Uint8Array) => void, code: 'QUOTA_EXCEEDED' | 'RATE_LIMITED' | 'NOT_SERIALIZABLE', message: string): void {
  const m = data as { ch?: unknown; m?: { id?: unknown }; w?: { id?: unknown; store?: unknown } } | null;
  if (m?.ch === 'w' && typeof m.w?.id === 'number') {
    const store = typeof m.w.store === 'string' ? m.w.store.slice(0, 200) : '';
    pass(v8.serialize({ ch: 'w', w: { id: m.w.id, store, refused: { code, message } } }));
    return;
  }
  try {
    if (m?.ch === 'rpc' && typeof m.m?.id === 'string') {
      window.post({ ch: 'rpc', m: { id: m.m.id, type: 'RAW', value: { ok: false, error: new StoreError(code, message).toJSON() } } });
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
