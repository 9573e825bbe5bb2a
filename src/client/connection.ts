import { wrap, type Remote } from 'comlink';
import { StoreError, type StoreErrorCode } from '../protocol/errors.ts';
import { adaptPort, muxPort, type MuxedPort, type PortLike } from '../protocol/endpoint.ts';
import { PROTOCOL_VERSION, SEEN_CHARS, SEEN_EVERY, type DaemonApi, type DaemonEvent, type Result, type RpcApi, type WriteAcks, type WriteRequest } from '../protocol/messages.ts';

type Value<K extends keyof DaemonApi> = Awaited<ReturnType<DaemonApi[K]>> extends Result<infer V> ? V : never;

export interface ClientConnectionOptions {
  /** How long to wait for the daemon's hello before failing with TIMEOUT (default 10 s). */
  timeoutMs?: number;
  /** How long any request may go unanswered before it rejects with TIMEOUT (default 60 s). */
  requestTimeoutMs?: number;
}

/**
 * A client's link to the daemon over one port: the comlink proxy (one per port), the hello handshake, event
 * dispatch to the stores opened on it, and the guarantee that nothing hangs — when the port dies every pending
 * request rejects with DAEMON_UNAVAILABLE, and when the daemon closes, with CLOSED. `attach()` takes a fresh port
 * after a daemon restart or a page reload; stores then resync by rev.
 */
export class ClientConnection {
  #remote: Remote<RpcApi> | undefined;
  #methods = new Map<string, unknown>();
  #port: PortLike | undefined;
  #mux: MuxedPort | undefined;
  /** Hello answered on the current port: writes are posted at once. */
  #greeted = false;
  /** Writes in flight by id, settled by the acks in change events (or `acks` / `nack`). */
  #writes = new Map<number, { resolve: (result: { rev: number }) => void; fail: (error: StoreError) => void }>();
  #nextWriteId = 1;
  /** Events taken off the current port, and the count last confirmed to the daemon (flow control). */
  #eventsTaken = 0;
  #eventsConfirmed = 0;
  /** Characters of change text taken since the last confirmation. */
  #charsUnconfirmed = 0;
  #generation = 0;
  /** Requests in flight, oldest first, with when they were sent: one sweep timer enforces the deadline. */
  #pending = new Map<(error: StoreError) => void, number>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  readonly #requestTimeoutMs: number;
  #failureListeners = new Set<(error: StoreError) => void>();
  #storeClients = new Map<string, number>();
  #eventListeners = new Map<string, Set<(event: DaemonEvent) => void>>();
  #reattachListeners = new Set<() => void>();
  #ready: Promise<void> | undefined;
  #failure: StoreError | undefined;
  #waitingForPort: Array<{ resolve: () => void; reject: (e: StoreError) => void }> = [];
  clientId = '';
  /** The stores the daemon serves, from its hello. */
  storeNames: string[] = [];
  readonly timeoutMs: number;
  /** How long a request waits for its answer before it fails with TIMEOUT. */
  get requestTimeoutMs(): number {
    return this.#requestTimeoutMs;
  }

  constructor(port?: unknown, options: ClientConnectionOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    if (port) this.attach(port);
  }

  /** Uses a (new) port; any previous one is closed and its pending requests reject with DAEMON_UNAVAILABLE. */
  attach(rawPort: unknown): Promise<void> {
    const port = adaptPort(rawPort);
    if (this.#port) {
      this.fail('DAEMON_UNAVAILABLE', 'The daemon connection was replaced (restart or reload); retry the request.', false);
      try {
        this.#port.close();
      } catch {
        // already closed
      }
    }
    this.#failure = undefined;
    const generation = ++this.#generation;
    const mux = muxPort(port);
    this.#port = port;
    this.#mux = mux;
    this.#greeted = false;
    this.#eventsTaken = 0;
    this.#eventsConfirmed = 0;
    this.#charsUnconfirmed = 0;
    port.onClose(() => {
      if (generation !== this.#generation) return;
      // After 'closing' the port closing is the daemon's orderly exit: what is still pending was not served.
      if (this.#failure?.code === 'CLOSED') this.fail('CLOSED', 'The store daemon was closed (daemon.close()) before this request was served.', false);
      else this.fail('DAEMON_UNAVAILABLE', 'The store daemon went away (crashed or was stopped); the request did not complete. It is restarted automatically in Electron; retry then.', false);
    });
    mux.onEvent((event) => {
      if (generation !== this.#generation) return;
      // Confirmed before the event is handled: what a listener does cannot hold the count back.
      this.#eventsTaken++;
      if (event.t === 'changes-json') this.#charsUnconfirmed += event.json.length;
      else if (event.t === 'changes' && typeof event.chars === 'number') this.#charsUnconfirmed += event.chars;
      if (event.t === 'lagging' || this.#eventsTaken - this.#eventsConfirmed >= SEEN_EVERY || this.#charsUnconfirmed >= SEEN_CHARS) {
        this.#eventsConfirmed = this.#eventsTaken;
        this.#charsUnconfirmed = 0;
        try {
          mux.sendSeen(this.#eventsTaken);
        } catch {
          // The port is closing; its 'close' settles the rest.
        }
      }
      if (event.t === 'lagging') return;
      if (event.t === 'closing') {
        // The daemon drains what it already has: those requests still get their replies (before the port closes).
        this.refuseNew('CLOSED', 'The store daemon was closed (daemon.close()); no more requests are served.');
        return;
      }
      if (event.t === 'nack') {
        this.#writes.get(event.id)?.fail(StoreError.fromJSON(event.error));
        return;
      }
      // The stores apply the change first: a writer resolved below finds its cache already showing its write.
      if (event.t !== 'acks') for (const l of this.#eventListeners.get(event.store) ?? []) l(event);
      if ((event.t === 'changes' || event.t === 'changes-json' || event.t === 'acks') && event.acks) this.#settleAcks(event.acks);
    });
    this.#remote = wrap<RpcApi>(mux.endpoint);
    this.#methods = new Map();
    mux.endpoint.start?.();
    const hello = this.#raw('hello', PROTOCOL_VERSION).then((v) => {
      this.clientId = v.clientId;
      this.storeNames = Array.isArray(v.stores) ? v.stores.filter((n): n is string => typeof n === 'string') : [];
      if (generation === this.#generation) this.#greeted = true;
    });
    this.#ready = withTimeout(hello, this.timeoutMs, 'The store daemon did not answer hello in time; is it running?');
    this.#ready.catch(() => {});
    const ready = this.#ready;
    const waiting = this.#waitingForPort;
    this.#waitingForPort = [];
    for (const w of waiting) ready.then(w.resolve, w.reject);
    if (generation > 1) ready.then(() => this.#reattachListeners.forEach((l) => l()), () => {});
    return ready;
  }

  /** Resolves once connected and greeted; without a port yet, waits up to timeoutMs for one. */
  ready(noPortMessage = 'No daemon port arrived.', timeoutMs = this.timeoutMs): Promise<void> {
    if (this.#ready) return this.#ready;
    return withTimeout(new Promise<void>((resolve, reject) => this.#waitingForPort.push({ resolve, reject })), timeoutMs, noPortMessage);
  }

  /** Calls a daemon method; the Result envelope becomes a value or a thrown StoreError. */
  async call<K extends keyof DaemonApi>(method: K, ...args: Parameters<DaemonApi[K]>): Promise<Value<K>> {
    if (method === 'write') return this.write(...(args as Parameters<DaemonApi['write']>)) as Promise<Value<K>>;
    if (this.#failure) throw this.#failure;
    await this.ready();
    return this.#raw(method as keyof RpcApi, ...(args as Parameters<RpcApi[keyof RpcApi]>)) as Promise<Value<K>>;
  }

  /**
   * Posts a write as one plain message (not a comlink call: no UUID, no proxy, no reply of its own) and resolves
   * with its rev when its ack arrives, which normally rides on the commit group's change event: one message per
   * group instead of two per write.
   */
  write(store: string, request: WriteRequest): Promise<{ rev: number }> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#greeted) return this.ready().then(() => this.write(store, request));
    const id = this.#nextWriteId++;
    return new Promise((resolve, reject) => {
      const fail = (error: StoreError) => {
        this.#writes.delete(id);
        this.#pending.delete(fail);
        reject(error);
      };
      this.#writes.set(id, { resolve, fail });
      this.#pending.set(fail, Date.now());
      this.#sweep ??= this.#startSweep();
      try {
        this.#mux!.sendWrite({ id, store, request });
      } catch (error) {
        fail(new StoreError('NOT_SERIALIZABLE', `Could not send write(): ${(error as Error)?.message ?? String(error)}`));
      }
    });
  }

  #settleAcks(acks: WriteAcks): void {
    for (const [id, rev] of acks) {
      const w = this.#writes.get(id);
      if (!w) continue;
      this.#writes.delete(id);
      this.#pending.delete(w.fail);
      w.resolve({ rev });
    }
  }

  #raw<K extends keyof RpcApi>(method: K, ...args: Parameters<RpcApi[K]>): Promise<Value<K>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const remote = this.#remote!;
    return new Promise<Value<K>>((resolve, reject) => {
      const onFail = (error: StoreError) => reject(error);
      this.#pending.set(onFail, Date.now());
      this.#sweep ??= this.#startSweep();
      // comlink makes a new Proxy (and registers it for finalization) on every property read: read each method once.
      let fn = this.#methods.get(method) as ((...a: unknown[]) => Promise<Result<Value<K>>>) | undefined;
      if (!fn) this.#methods.set(method, (fn = remote[method] as unknown as (...a: unknown[]) => Promise<Result<Value<K>>>));
      fn(...args).then((result) => {
        this.#pending.delete(onFail);
        if (result && result.ok === true) resolve(result.value);
        else if (result && result.ok === false) reject(StoreError.fromJSON(result.error));
        else reject(new StoreError('PROTOCOL_MISMATCH', `Unexpected reply to ${method}(); are main and renderer on the same version?`));
      }, (error: unknown) => {
        this.#pending.delete(onFail);
        reject(new StoreError('NOT_SERIALIZABLE', `Could not send ${method}(): ${(error as Error)?.message ?? String(error)}`));
      });
    });
  }

  /**
   * Nothing hangs: a request the daemon never answers (a message it could not decode, a daemon stuck in a loop)
   * rejects with TIMEOUT. One timer for all requests, running only while some are in flight: a timer per request
   * would cost every set() on the UI thread.
   */
  #startSweep(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => {
      const now = Date.now();
      for (const [reject, sent] of this.#pending) {
        if (now - sent < this.#requestTimeoutMs) break;
        this.#pending.delete(reject);
        reject(new StoreError('TIMEOUT', `The store daemon did not answer within ${this.#requestTimeoutMs} ms; the request may or may not have been applied. Check the daemon's log, then retry.`));
      }
      if (this.#pending.size === 0) {
        clearInterval(timer);
        this.#sweep = undefined;
      }
    }, Math.min(1000, this.#requestTimeoutMs));
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  /**
   * Makes later requests fail fast with `code` while requests already sent still get their replies (or fail when
   * the port closes): for an orderly close, where the daemon drains what it has.
   */
  refuseNew(code: StoreErrorCode, message: string): void {
    this.#failure ??= new StoreError(code, message);
  }

  /** Rejects every pending request and makes later ones fail fast (until a new port is attached). */
  fail(code: StoreErrorCode, message: string, final = true): void {
    const error = new StoreError(code, message);
    if (final || !this.#failure) this.#failure = error;
    const pending = [...this.#pending.keys()];
    this.#pending.clear();
    for (const reject of pending) reject(error);
    for (const l of [...this.#failureListeners]) l(error);
  }

  /** Called whenever the connection fails (daemon gone, closed): stores settle what waits on events that won't come. */
  onFailure(listener: (error: StoreError) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /**
   * Counts the clients of one store on this connection; the daemon holds one subscription per store and connection,
   * so only the last client's close may drop it. Returns the count after the change.
   */
  retain(store: string, delta: 1 | -1): number {
    const n = (this.#storeClients.get(store) ?? 0) + delta;
    if (n <= 0) this.#storeClients.delete(store);
    else this.#storeClients.set(store, n);
    return Math.max(n, 0);
  }

  onEvent(store: string, listener: (event: DaemonEvent) => void): () => void {
    let set = this.#eventListeners.get(store);
    if (!set) this.#eventListeners.set(store, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Called after a new port is attached and greeted (stores resubscribe). */
  onReattach(listener: () => void): () => void {
    this.#reattachListeners.add(listener);
    return () => this.#reattachListeners.delete(listener);
  }

  /** Closes the port; pending requests reject with CLOSED. */
  close(): void {
    this.fail('CLOSED', 'This client was closed; open a new one to continue.');
    try {
      this.#port?.close();
    } catch {
      // already closed
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreError('TIMEOUT', `${message} (waited ${ms} ms)`)), ms);
    (timer as { unref?: () => void }).unref?.();
    promise.then((v) => {
      clearTimeout(timer);
      resolve(v);
    }, (e: unknown) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
