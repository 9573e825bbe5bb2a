/**
 * Emulated message ports (SPEC §8), each backed by a real `worker_threads` MessagePort so it can cross into the
 * emulated utility process and renderers (worker threads):
 *
 * - `MessagePortMain` (main and utility process): a Node EventEmitter; `'message'` carries `{data, ports}`;
 *   nothing is delivered before `start()`; ports travel only in the transfer list (a port inside the data, or any
 *   value that cannot be cloned, throws `Error('An object could not be cloned.')`); `postMessage(msg, undefined)`
 *   throws a TypeError (the transfer argument, when given, must be an array); `close()` emits `'close'` on the port
 *   itself synchronously and on its peer asynchronously.
 * - `DomMessagePort` (renderer: preload and page): an EventTarget; `'message'` events with `data`/`ports`; queued
 *   until `start()` (or until `onmessage` is set); a `'close'` event (and `onclose`) when its entangled port is
 *   closed or goes away with its process or document — Chromium fires it since 2024 (HTML's "disentangle": `close`
 *   goes to the other port, never to the one that called `close()`).
 *
 * Across threads every message travels as an {@link Envelope}: the data plus the Node ports behind transferred ports.
 */
import { EventEmitter } from 'node:events';
import v8 from 'node:v8';
import { MessageChannel, type MessagePort as NodeMessagePort } from 'node:worker_threads';

/** What actually crosses a thread: the data and the Node ports behind the transferred ports. */
export interface Envelope {
  data: unknown;
  ports: NodeMessagePort[];
}

export const CLONE_ERROR = 'An object could not be cloned.';

/** Ports of this thread that are neither closed nor transferred (the emulation reports it for tests). */
export const livePorts = new Set<MessagePortMain>();
/** Told the number of live ports whenever it changes. */
export const livePortWatchers = new Set<(count: number) => void>();

function setLive(port: MessagePortMain, live: boolean): void {
  const before = livePorts.size;
  if (live) livePorts.add(port);
  else livePorts.delete(port);
  if (livePorts.size !== before) for (const watch of livePortWatchers) watch(livePorts.size);
}

function isEmulatedPort(value: unknown): boolean {
  return value instanceof MessagePortMain || value instanceof DomMessagePort;
}

function containsPort(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (seen.has(value)) return false;
  seen.add(value);
  if (isEmulatedPort(value)) return true;
  if (value instanceof Map) return [...value].some(([k, v]) => containsPort(k, seen) || containsPort(v, seen));
  if (value instanceof Set) return [...value].some((v) => containsPort(v, seen));
  return Object.values(value).some((v) => containsPort(v, seen));
}

/** Electron serializes with V8's value serializer and throws this exact error for anything it cannot clone. */
export function assertCloneable(value: unknown): void {
  if (containsPort(value, new Set())) throw new Error(CLONE_ERROR);
  try {
    v8.serialize(value);
  } catch {
    throw new Error(CLONE_ERROR);
  }
}

/** The transfer argument of Electron's postMessage methods: absent, or an array of MessagePortMain (gin's check). */
export function checkTransfer(rest: unknown[], index: number): MessagePortMain[] {
  if (rest.length === 0) return [];
  const transfer = rest[0];
  if (!Array.isArray(transfer)) {
    throw new TypeError(`Error processing argument at index ${index}, conversion failure from ${String(transfer)}`);
  }
  for (const port of transfer) {
    if (!(port instanceof MessagePortMain)) throw new TypeError(`Error processing argument at index ${index}, conversion failure from ${String(port)}`);
    if (port.neutered) throw new Error('Port at index 0 is already neutered.');
  }
  return transfer;
}

/** Detaches the Node ports behind emulated ports that are being transferred. */
export function detachAll(ports: readonly MessagePortMain[]): NodeMessagePort[] {
  return ports.map((p) => p.detach());
}

/** Electron's main-process port. */
export class MessagePortMain extends EventEmitter {
  #port: NodeMessagePort | undefined;
  #started = false;
  #closed = false;

  constructor(port: NodeMessagePort) {
    super();
    this.#port = port;
    setLive(this, true);
    port.on('close', () => this.#peerGone());
  }

  /** True once the port was transferred away: it can no longer be used here. */
  get neutered(): boolean {
    return this.#port === undefined && !this.#closed;
  }

  postMessage(message: unknown, ...rest: [transfer?: MessagePortMain[]]): void {
    const transfer = checkTransfer(rest, 1);
    if (transfer.includes(this)) throw new Error('Port at index 0 contains the source port.');
    assertCloneable(message);
    if (!this.#port || this.#closed) return;
    const ports = detachAll(transfer);
    this.#port.postMessage({ data: message, ports } satisfies Envelope, ports);
  }

  /** Starts delivering messages, including the ones queued so far. */
  start(): void {
    if (this.#started || !this.#port || this.#closed) return;
    this.#started = true;
    this.#port.on('message', (envelope: Envelope) => {
      if (this.#closed) return;
      this.emit('message', { data: envelope.data, ports: envelope.ports.map((p) => new MessagePortMain(p)) });
    });
  }

  close(): void {
    if (this.#closed || !this.#port) return;
    this.#closed = true;
    setLive(this, false);
    const port = this.#port;
    this.#port = undefined;
    port.close();
    // Electron emits 'close' on the port being closed right away; the peer hears about it later.
    this.emit('close');
  }

  #peerGone(): void {
    if (this.#closed || !this.#port) return;
    this.#closed = true;
    setLive(this, false);
    this.#port = undefined;
    this.emit('close');
  }

  /** @internal Hands the Node port over for a transfer; this object is neutered. */
  detach(): NodeMessagePort {
    const port = this.#port;
    if (!port) throw new Error('An object could not be cloned.');
    this.#port = undefined;
    setLive(this, false);
    port.removeAllListeners('close');
    port.removeAllListeners('message');
    return port;
  }
}

/** Electron's `MessageChannelMain`. */
export class MessageChannelMain {
  readonly port1: MessagePortMain;
  readonly port2: MessagePortMain;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port1 = new MessagePortMain(port1);
    this.port2 = new MessagePortMain(port2);
  }
}

/** A DOM `MessageEvent` as seen by pages (Node's own MessageEvent only accepts Node ports). */
export class EmulatedMessageEvent extends Event {
  readonly data: unknown;
  readonly ports: readonly DomMessagePort[];
  readonly origin: string;
  readonly source: unknown;

  constructor(type: string, init: { data: unknown; ports?: DomMessagePort[]; origin?: string; source?: unknown }) {
    super(type);
    this.data = init.data;
    this.ports = Object.freeze([...(init.ports ?? [])]);
    this.origin = init.origin ?? '';
    this.source = init.source ?? null;
  }
}

type MessageHandler = ((event: EmulatedMessageEvent) => void) | null;

/** A renderer's DOM `MessagePort`. */
export class DomMessagePort extends EventTarget {
  #port: NodeMessagePort | undefined;
  #started = false;
  #onmessage: MessageHandler = null;
  #onclose: ((event: Event) => void) | null = null;
  readonly #peerClosed = () => {
    if (!this.#port) return;
    this.#port = undefined;
    this.dispatchEvent(new Event('close'));
  };

  constructor(port: NodeMessagePort) {
    super();
    this.#port = port;
    port.on('close', this.#peerClosed);
  }

  get onclose(): ((event: Event) => void) | null {
    return this.#onclose;
  }

  set onclose(handler: ((event: Event) => void) | null) {
    if (this.#onclose) this.removeEventListener('close', this.#onclose);
    this.#onclose = handler;
    if (handler) this.addEventListener('close', handler);
  }

  postMessage(message: unknown, transferOrOptions: DomMessagePort[] | { transfer?: DomMessagePort[] } = []): void {
    const transfer = Array.isArray(transferOrOptions) ? transferOrOptions : transferOrOptions.transfer ?? [];
    if (containsPort(message, new Set())) throw new DOMException('A MessagePort could not be cloned because it was not transferred.', 'DataCloneError');
    try {
      v8.serialize(message);
    } catch {
      throw new DOMException('An object could not be cloned.', 'DataCloneError');
    }
    if (!this.#port) return;
    const ports = transfer.map((p) => p.detach());
    this.#port.postMessage({ data: message, ports } satisfies Envelope, ports);
  }

  start(): void {
    if (this.#started || !this.#port) return;
    this.#started = true;
    this.#port.on('message', (envelope: Envelope) => {
      const event = new EmulatedMessageEvent('message', { data: envelope.data, ports: envelope.ports.map((p) => new DomMessagePort(p)) });
      this.dispatchEvent(event);
    });
  }

  close(): void {
    const port = this.#port;
    this.#port = undefined;
    port?.off('close', this.#peerClosed);
    port?.close();
  }

  get onmessage(): MessageHandler {
    return this.#onmessage;
  }

  /** Setting `onmessage` starts the port, as in the DOM. */
  set onmessage(handler: MessageHandler) {
    if (this.#onmessage) this.removeEventListener('message', this.#onmessage as EventListener);
    this.#onmessage = handler;
    if (handler) {
      this.addEventListener('message', handler as EventListener);
      this.start();
    }
  }

  /** @internal Hands the Node port over for a transfer; this object is neutered. */
  detach(): NodeMessagePort {
    const port = this.#port;
    if (!port) throw new DOMException('An object could not be cloned.', 'DataCloneError');
    this.#port = undefined;
    port.removeAllListeners('message');
    port.off('close', this.#peerClosed);
    return port;
  }
}
