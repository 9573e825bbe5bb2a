import type { Endpoint } from 'comlink';
import { StoreError } from './errors.ts';
import type { DaemonEvent, WireMessage, WriteMessage } from './messages.ts';

/**
 * A client port from `createPort()`: a Node `MessagePort` in the worker host, Electron's `MessagePortMain` in Electron, a DOM
 * `MessagePort` in a page (described structurally: no Node or Electron types needed). Pass it to `connectStore(name, { port })`, or
 * transfer it to another worker or process first. Any other transport can be given as a `PortLike` (the inspector's
 * WebSocket relay is one).
 */
export type DaemonPort = MessagePort | {
  // Node's worker_threads MessagePort and Electron's MessagePortMain, structurally (protocol/ names no Node or
  // Electron module): an EventEmitter whose 'message' event carries the data (Node) or {data, ports} (Electron).
  // Only the 'close' overload is named: TypeScript cannot match both emitters' overload sets to one signature.
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
} | PortLike;

/**
 * The least a port must do, whatever its kind (Node `MessagePort`, Electron `MessagePortMain`, DOM `MessagePort`).
 * Adapters below map each kind onto it; nothing else in the library touches a port directly.
 */
export interface PortLike {
  post(message: unknown, transfer?: unknown[]): void;
  /** Subscribes to incoming messages (data only; ports that come with them are passed as the second argument). */
  onMessage(listener: (data: unknown, ports: readonly unknown[]) => void): void;
  /** Called once when the peer goes away or the port is closed, where the port kind reports it. */
  onClose(listener: () => void): void;
  start(): void;
  close(): void;
}

interface NodeStylePort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

interface ElectronStylePort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: 'message', listener: (event: { data: unknown; ports: unknown[] }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

interface DomStylePort {
  postMessage(message: unknown, transfer: unknown[]): void;
  addEventListener(type: string, listener: (event: { data?: unknown; ports?: readonly unknown[] }) => void): void;
  start(): void;
  close(): void;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

/** Ports with an EventEmitter surface; they differ only in what a 'message' event carries. */
function emitterPort<P extends NodeStylePort | ElectronStylePort>(port: P, unwrap: (event: unknown) => { data: unknown; ports: readonly unknown[] }): PortLike {
  const closers: Array<() => void> = [];
  const fire = once(() => closers.forEach((c) => c()));
  (port as NodeStylePort).on('close', fire);
  return {
    // Electron's postMessage(msg, undefined) throws: pass the transfer list only when there is one.
    post: (message, transfer) => (transfer && transfer.length > 0 ? port.postMessage(message, transfer) : port.postMessage(message)),
    onMessage: (listener) => void (port as NodeStylePort).on('message', (event: unknown) => {
      const { data, ports } = unwrap(event);
      listener(data, ports);
    }),
    onClose: (listener) => void closers.push(listener),
    start: () => port.start(),
    close: () => {
      port.close();
      fire();
    },
  };
}

/** Adapts a Node `worker_threads` MessagePort (the message is the data itself). */
export function nodePort(port: NodeStylePort): PortLike {
  return emitterPort(port, (data) => ({ data, ports: [] }));
}

/** Adapts an Electron `MessagePortMain`: messages arrive as `{data, ports}`, nothing flows before `start()`. */
export function electronPort(port: ElectronStylePort): PortLike {
  return emitterPort(port, (event) => {
    const e = event as { data: unknown; ports?: unknown[] };
    return { data: e.data, ports: e.ports ?? [] };
  });
}

/** Adapts a DOM `MessagePort` (a page or a preload). Chromium fires `close` on the survivor when the peer goes. */
export function domPort(port: DomStylePort): PortLike {
  const closers: Array<() => void> = [];
  const fire = once(() => closers.forEach((c) => c()));
  port.addEventListener('close', fire);
  return {
    post: (message, transfer) => port.postMessage(message, transfer ?? []),
    onMessage: (listener) => port.addEventListener('message', (event) => listener(event.data, event.ports ?? [])),
    onClose: (listener) => void closers.push(listener),
    start: () => port.start(),
    close: () => {
      port.close();
      fire();
    },
  };
}

/** Picks the adapter for whatever port it is given. */
export function adaptPort(port: unknown): PortLike {
  const p = port as Record<string, unknown>;
  if (p && typeof p.post === 'function' && typeof p.onMessage === 'function') return port as PortLike;
  if (p && typeof p.on === 'function' && typeof p.addEventListener !== 'function') return electronPort(port as ElectronStylePort);
  if (p && typeof p.on === 'function') return nodePort(port as NodeStylePort);
  if (p && typeof p.addEventListener === 'function') return domPort(port as DomStylePort);
  throw new StoreError('DAEMON_UNAVAILABLE', 'Expected a MessagePort (from daemon.createPort(), or the preload) or an Electron MessagePortMain.');
}

/** A port split into a comlink endpoint (rpc channel), writes (w channel) and a stream of daemon events (evt channel). */
export interface MuxedPort {
  endpoint: Endpoint;
  sendEvent(event: DaemonEvent): void;
  onEvent(listener: (event: DaemonEvent) => void): void;
  /** Posts a write; throws what postMessage throws (a value that cannot be cloned). */
  sendWrite(write: WriteMessage): void;
  /** Receives writes as they arrive; `data` is unchecked (the peer may be untrusted). */
  onWrite(listener: (data: unknown) => void): void;
  /** Client → daemon: how many events the client has taken off this port (flow control, see SEEN_EVERY). */
  sendSeen(n: number): void;
  /** Receives `seen` counts; unchecked. */
  onSeen(listener: (n: unknown) => void): void;
  port: PortLike;
}

type Listener = (event: { data: unknown }) => void;

/** Wraps a port so comlink and our pushed events share it without seeing each other's messages. */
export function muxPort(port: PortLike): MuxedPort {
  const rpcListeners = new Set<Listener>();
  const eventListeners = new Set<(event: DaemonEvent) => void>();
  let onWrite: ((data: unknown) => void) | undefined;
  let onSeen: ((n: unknown) => void) | undefined;
  let started = false;
  port.onMessage((data) => {
    const wire = data as WireMessage | null;
    if (!wire || typeof wire !== 'object') return;
    if (wire.ch === 'w') onWrite?.(wire.w);
    else if (wire.ch === 'seen') onSeen?.(wire.n);
    else if (wire.ch === 'rpc') for (const l of rpcListeners) l({ data: wire.m });
    else if (wire.ch === 'evt') for (const l of eventListeners) l(wire.e);
  });
  const start = () => {
    if (!started) {
      started = true;
      port.start();
    }
  };
  const endpoint: Endpoint = {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.post({ ch: 'rpc', m: message } satisfies WireMessage, transfer as unknown[] | undefined),
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      rpcListeners.add(typeof listener === 'function' ? (listener as unknown as Listener) : (e) => listener.handleEvent(e as unknown as Event));
    },
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      rpcListeners.delete(listener as unknown as Listener);
    },
    start,
  };
  return {
    endpoint,
    port,
    sendEvent: (event) => port.post({ ch: 'evt', e: event } satisfies WireMessage),
    onEvent: (listener) => {
      eventListeners.add(listener);
      start();
    },
    sendWrite: (write) => port.post({ ch: 'w', w: write } satisfies WireMessage),
    onWrite: (listener) => {
      onWrite = listener;
      start();
    },
    sendSeen: (n) => port.post({ ch: 'seen', n } satisfies WireMessage),
    onSeen: (listener) => {
      onSeen = listener;
      start();
    },
  };
}
