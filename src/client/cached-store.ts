import type { Operation } from 'rfc6902';
import { StoreError } from '../protocol/errors.ts';
import { fromPointer, getAt, isPrefix } from '../protocol/keys.ts';
import { applyOps } from './apply-ops.ts';
import { copyJson, deepEqual } from './json.ts';
import { segmentsOf } from './key-cache.ts';
import type { DaemonEvent, Snapshot, WriteRequest } from '../protocol/messages.ts';
import type { BackupInfo, ChangeInfo, KeyValues, HistoryEntry, JsonObject, KeyPath, StoreClient, StoreInfo, WriteOptions } from '../protocol/types.ts';
import { parseWrite } from '../protocol/write.ts';
import type { ClientConnection } from './connection.ts';

type AnyListener = (newDoc: JsonObject, oldDoc: JsonObject, change: ChangeInfo) => void;
type KeyListener = { segments: string[]; cb: (newValue: unknown, oldValue: unknown) => void };

/**
 * The one client implementation, used by main and by windows: a local cache of the store's document kept current
 * by rev-ordered change events (applied only if `rev === local + 1`; older ignored; a gap refetches a snapshot),
 * synchronous reads from it, and async writes that resolve once the daemon made them durable *and* the cache shows them.
 * The cache is updated by path copying, so the old document handed to listeners is never mutated.
 */
export class CachedStore<T extends object = Record<string, unknown>> implements StoreClient<T> {
  readonly name: string;
  #doc: JsonObject = {};
  #rev = -1;
  #conn: ClientConnection;
  #buffer: DaemonEvent[] | undefined = [];
  #anyListeners = new Set<AnyListener>();
  #keyListeners = new Set<KeyListener>();
  #revWaiters: Array<{ rev: number; resolve: () => void }> = [];
  #offEvent: () => void;
  #offReattach: () => void;
  #offFailure: () => void;
  #closed = false;
  /** Whether the daemon sends this store's changes on the current port (false after a resubscribe failed for good). */
  #subscribed = false;
  #resyncing = false;
  #path = '';

  private constructor(name: string, conn: ClientConnection) {
    this.name = name;
    this.#conn = conn;
    this.#offEvent = conn.onEvent(name, (event) => this.#onEvent(event));
    this.#offReattach = conn.onReattach(() => void this.#resubscribe());
    // The daemon already answered these writes (they are durable); only the change event will not come now.
    this.#offFailure = conn.onFailure(() => this.#settleWaiters());
  }

  /** Opens a store on a connection: subscribes (buffering events), then applies the snapshot and what followed it. */
  static async open<T extends object>(conn: ClientConnection, name: string): Promise<CachedStore<T>> {
    if (typeof name !== 'string' || name.length === 0) throw new StoreError('STORE_NOT_FOUND', 'Pass the name of a store defined with defineStore().');
    const store = new CachedStore<T>(name, conn);
    conn.retain(name, 1);
    try {
      await store.#resubscribe(true);
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  async #resubscribe(throwErrors = false): Promise<void> {
    this.#buffer ??= [];
    try {
      const snapshot = await this.#bookkeeping('subscribe');
      this.#subscribed = true;
      this.#applySnapshot(snapshot);
    } catch (error) {
      // No change event will come for this store on this port: writers must not wait for one.
      this.#subscribed = false;
      this.#buffer = undefined;
      this.#settleWaiters();
      if (throwErrors) throw error;
    }
  }

  /**
   * The cache's own requests (subscribe, snapshot) are retried while the client is over its request budget: a window
   * opening many stores at once, or all of them catching up after a restart or a lag, reaches the budget without
   * doing anything wrong, and a cache left unsubscribed would be silently stale. Bounded by the request deadline.
   */
  async #bookkeeping(method: 'subscribe' | 'snapshot'): Promise<Snapshot> {
    const deadline = Date.now() + this.#conn.requestTimeoutMs;
    for (let delay = 20; ; delay = Math.min(2 * delay, 1000)) {
      try {
        return await this.#conn.call(method, this.name);
      } catch (error) {
        if ((error as StoreError).code !== 'RATE_LIMITED' || this.#closed || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #applySnapshot(snapshot: Snapshot): void {
    const oldDoc = this.#doc;
    const hadDoc = this.#rev >= 0;
    this.#doc = JSON.parse(snapshot.json) as JsonObject;
    this.#rev = snapshot.rev;
    this.#path = snapshot.path;
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    if (hadDoc && oldDoc !== this.#doc) this.#notify(oldDoc, { rev: this.#rev, ops: [], source: 'resync' });
    this.#resolveWaiters();
    for (const event of buffered) this.#onEvent(event);
  }

  #onEvent(event: DaemonEvent): void {
    if (this.#closed) return;
    if (this.#buffer) {
      this.#buffer.push(event);
      return;
    }
    if (event.t === 'resync') {
      if (event.rev !== this.#rev) void this.#resync();
      return;
    }
    let changes: ChangeInfo[];
    if (event.t === 'changes') changes = event.changes;
    else if (event.t === 'changes-json') changes = JSON.parse(event.json) as ChangeInfo[];
    else return;
    for (const change of changes) {
      if (change.rev <= this.#rev) continue;
      if (change.rev !== this.#rev + 1) {
        void this.#resync();
        return;
      }
      if (!this.#apply(change)) {
        // The cache and the daemon disagree: refetch rather than show a wrong document.
        void this.#resync();
        return;
      }
    }
    this.#resolveWaiters();
  }

  /** A gap in revs: buffer events, fetch a snapshot, replay what came after it. */
  async #resync(): Promise<void> {
    if (this.#resyncing) return;
    this.#resyncing = true;
    this.#buffer ??= [];
    try {
      this.#applySnapshot(await this.#bookkeeping('snapshot'));
    } catch {
      this.#buffer = undefined;
      this.#settleWaiters();
    } finally {
      this.#resyncing = false;
    }
  }

  /**
   * Applies one change and notifies. Key listeners get their old value, read before the change (ops replace values,
   * and `applyOps` copies every observed node it changes, so that old value is never mutated afterwards).
   */
  #apply(change: ChangeInfo): boolean {
    const oldDoc = this.#doc;
    const paths = change.ops.map((op) => fromPointer(op.path));
    const touched: Array<{ l: KeyListener; before: unknown }> = [];
    for (const l of this.#keyListeners) {
      if (paths.some((p) => isPrefix(l.segments, p) || isPrefix(p, l.segments))) touched.push({ l, before: getAt(oldDoc, l.segments) });
    }
    const observesRoot = this.#anyListeners.size > 0;
    const copyFrom = (path: readonly string[]): number => {
      if (observesRoot) return 0;
      let depth = Number.POSITIVE_INFINITY;
      for (const t of touched) if (t.l.segments.length < depth && isPrefix(t.l.segments, path)) depth = t.l.segments.length;
      return depth;
    };
    try {
      this.#doc = applyOps(oldDoc, change.ops, copyFrom, paths);
    } catch {
      return false;
    }
    this.#rev = change.rev;
    for (const { l, before } of touched) {
      const after = getAt(this.#doc, l.segments);
      if (before !== after && !deepEqual(before, after)) safeCall(() => l.cb(after, before));
    }
    for (const l of this.#anyListeners) safeCall(() => l(this.#doc, oldDoc, change));
    return true;
  }

  /** After a snapshot replaced the whole cache: every listener whose value differs. */
  #notify(oldDoc: JsonObject, change: ChangeInfo): void {
    const newDoc = this.#doc;
    for (const l of this.#keyListeners) {
      const before = getAt(oldDoc, l.segments);
      const after = getAt(newDoc, l.segments);
      if (before !== after && !deepEqual(before, after)) safeCall(() => l.cb(after, before));
    }
    for (const l of this.#anyListeners) safeCall(() => l(newDoc, oldDoc, change));
  }

  /** Resolves every write waiting for its change event (close, connection failure, failed resync). */
  #settleWaiters(): void {
    const waiters = this.#revWaiters;
    this.#revWaiters = [];
    for (const w of waiters) w.resolve();
  }

  #resolveWaiters(): void {
    // Kept ordered by rev (see #caughtUp), so this resolves from the head: O(1) per change, not O(pending).
    let n = 0;
    while (n < this.#revWaiters.length && this.#revWaiters[n].rev <= this.#rev) this.#revWaiters[n++].resolve();
    if (n > 0) this.#revWaiters.splice(0, n);
  }

  /** Resolves when the cache has caught up with `rev` (the change event normally arrives before the reply). */
  #caughtUp(rev: number): Promise<void> {
    if (rev <= this.#rev || this.#closed || !this.#subscribed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#revWaiters;
      let i = waiters.length;
      while (i > 0 && waiters[i - 1].rev > rev) i--;
      waiters.splice(i, 0, { rev, resolve });
    });
  }

  get rev(): number {
    return Math.max(this.#rev, 0);
  }

  /** A copy of the whole document (mutating it changes nothing). */
  get store(): T {
    return copyJson(this.#doc) as T;
  }

  get(key: string, defaultValue?: unknown): never {
    const value = getAt(this.#doc, segmentsOf(key, this.name));
    if (value === undefined) return defaultValue as never;
    // Like electron-store, a read hands out a copy: mutating it never changes the store behind the cache.
    return (typeof value === 'object' && value !== null ? copyJson(value) : value) as never;
  }

  /**
   * The cache's own value at `key`, not a copy: stable identity until that value changes (path copying), which is
   * what `useSyncExternalStore` needs. Do not mutate it.
   */
  peek(key: string): never {
    return getAt(this.#doc, segmentsOf(key, this.name)) as never;
  }

  has(key: string): boolean {
    return getAt(this.#doc, segmentsOf(key, this.name)) !== undefined;
  }

  set(keyOrValues: string | KeyValues<T>, valueOrOptions?: unknown, maybeOptions?: WriteOptions): Promise<{ rev: number }> {
    if (typeof keyOrValues === 'string') return this.#write({ kind: 'set', key: keyOrValues, value: valueOrOptions, ...revOf(maybeOptions) });
    if (keyOrValues === null || typeof keyOrValues !== 'object' || Array.isArray(keyOrValues)) {
      return Promise.reject(new StoreError('INVALID_KEY', 'set() takes a key and a value, or an object of keys and values.', { store: this.name }));
    }
    return this.#write({ kind: 'setMany', values: keyOrValues as Record<string, unknown>, ...revOf(valueOrOptions as WriteOptions) });
  }

  appendToArray(key: string, value: unknown, options?: WriteOptions): Promise<{ rev: number }> {
    return this.#write({ kind: 'append', key, value, ...revOf(options) });
  }

  get size(): number {
    return Object.keys(this.#doc).length;
  }

  get path(): string {
    return this.#path;
  }

  *[Symbol.iterator](): IterableIterator<[string, unknown]> {
    for (const key of Object.keys(this.#doc)) yield [key, copyJson(this.#doc[key])];
  }

  delete(key: string, options?: WriteOptions): Promise<{ rev: number }> {
    return this.#write({ kind: 'delete', key, ...revOf(options) });
  }

  reset(...keys: string[]): Promise<{ rev: number }> {
    return this.#write({ kind: 'reset', keys });
  }

  clear(options?: WriteOptions): Promise<{ rev: number }> {
    return this.#write({ kind: 'clear', ...revOf(options) });
  }

  patch(ops: Operation[], options?: WriteOptions): Promise<{ rev: number }> {
    return this.#write({ kind: 'patch', ops, ...revOf(options) });
  }

  /** Checks the write here first (the same interpreter as the daemon's), so a bad key or value fails before posting. */
  async #write(request: WriteRequest): Promise<{ rev: number }> {
    parseWrite(request, this.name, segmentsOf);
    if (this.#closed) throw new StoreError('CLOSED', `This client of "${this.name}" was closed.`, { store: this.name });
    const result = await this.#conn.write(this.name, request);
    // The ack normally came in the event that brought this rev, already applied: no wait then.
    if (result.rev > this.#rev) await this.#caughtUp(result.rev);
    return result;
  }

  onDidChange(key: string, callback: (newValue: never, oldValue: never) => void): () => void {
    const l: KeyListener = { segments: segmentsOf(key, this.name), cb: callback as KeyListener['cb'] };
    this.#keyListeners.add(l);
    return () => this.#keyListeners.delete(l);
  }

  onDidAnyChange(callback: (newDoc: T, oldDoc: T, change: ChangeInfo) => void): () => void {
    const l = callback as unknown as AnyListener;
    this.#anyListeners.add(l);
    return () => this.#anyListeners.delete(l);
  }

  history(query: { sinceRev?: number; key?: KeyPath<T>; limit?: number } = {}): Promise<HistoryEntry[]> {
    return this.#conn.call('history', this.name, query as { sinceRev?: number; key?: string; limit?: number });
  }

  async rollback(to: { rev: number } | { time: string | number }): Promise<{ rev: number }> {
    const result = await this.#conn.call('rollback', this.name, to);
    await this.#caughtUp(result.rev);
    return result;
  }

  readonly backups = {
    list: (): Promise<BackupInfo[]> => this.#conn.call('backupsList', this.name),
    create: (reason?: string): Promise<BackupInfo> => this.#conn.call('backupsCreate', this.name, reason ?? 'manual'),
    restore: async (id: string): Promise<{ rev: number }> => {
      const result = await this.#conn.call('backupsRestore', this.name, id);
      await this.#caughtUp(result.rev);
      return result;
    },
    verify: (id: string): Promise<{ ok: boolean; problems: string[] }> => this.#conn.call('backupsVerify', this.name, id),
  };

  export(): Promise<string> {
    return this.#conn.call('exportStore', this.name);
  }

  async import(json: string): Promise<{ rev: number }> {
    const result = await this.#conn.call('importStore', this.name, json);
    await this.#caughtUp(result.rev);
    return result;
  }

  info(): Promise<StoreInfo> {
    return this.#conn.call('info', this.name);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#offEvent();
    this.#offReattach();
    this.#offFailure();
    this.#anyListeners.clear();
    this.#keyListeners.clear();
    this.#settleWaiters();
    if (this.#conn.retain(this.name, -1) === 0) this.#conn.call('unsubscribe', this.name).catch(() => {});
  }
}

function revOf(options: WriteOptions | undefined): { ifRev?: number } {
  return options && options.ifRev !== undefined ? { ifRev: options.ifRev } : {};
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    // A throwing listener must not stop the others or break the cache.
    queueMicrotask(() => {
      throw error;
    });
  }
}
