import type { SerializedStoreError } from './errors.ts';
import type { BackupInfo, ChangeSource, HistoryEntry, JsonObject, Operation, StoreInfo } from './types.ts';

/**
 * Bumped on any incompatible change of the messages below; checked by `hello`.
 * 2: writes travel on their own channel (`WriteMessage`) and are acknowledged inside the group's change event.
 */
export const PROTOCOL_VERSION = 2;

/** A reply: comlink would turn a thrown StoreError into a plain Error and drop its code, so errors travel as data. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedStoreError };

/** A write, as the client sends it. Every field is checked again in the daemon. */
export type WriteRequest =
  | { kind: 'set'; key: string; value: unknown; ifRev?: number }
  | { kind: 'setMany'; values: Record<string, unknown>; ifRev?: number }
  | { kind: 'delete'; key: string; ifRev?: number }
  | { kind: 'reset'; keys: string[]; ifRev?: number }
  | { kind: 'clear'; ifRev?: number }
  | { kind: 'patch'; ops: Operation[]; ifRev?: number }
  /** electron-store's appendToArray: one atomic append (an `add …/-`), creating the array when the key is missing. */
  | { kind: 'append'; key: string; value: unknown; ifRev?: number };

/**
 * A store's document at a rev, filtered for the client, as JSON text: serialized at the commit point (the live document
 * moves on right after) and posted as one string instead of structured-cloning the tree twice.
 */
export interface Snapshot {
  rev: number;
  json: string;
  /** The store file's path (electron-store's `store.path`). */
  path: string;
}

export interface HistoryQuery {
  sinceRev?: number;
  key?: string;
  limit?: number;
}

/** The request/reply API one connection exposes through comlink. Method names are the allow-list. */
export interface RpcApi {
  hello(protocol: number): Promise<Result<{ protocol: number; clientId: string; stores: string[] }>>;
  subscribe(store: string): Promise<Result<Snapshot>>;
  unsubscribe(store: string): Promise<Result<null>>;
  snapshot(store: string): Promise<Result<Snapshot>>;
  history(store: string, query: HistoryQuery): Promise<Result<HistoryEntry[]>>;
  rollback(store: string, to: { rev: number } | { time: string | number }): Promise<Result<{ rev: number }>>;
  backupsList(store: string): Promise<Result<BackupInfo[]>>;
  backupsCreate(store: string, reason: string): Promise<Result<BackupInfo>>;
  backupsRestore(store: string, id: string): Promise<Result<{ rev: number }>>;
  backupsVerify(store: string, id: string): Promise<Result<{ ok: boolean; problems: string[] }>>;
  exportStore(store: string): Promise<Result<string>>;
  importStore(store: string, json: string): Promise<Result<{ rev: number }>>;
  info(store: string): Promise<Result<StoreInfo>>;
}

/**
 * What a client can ask: the comlink methods, and `write`, which does not go through comlink (see `WriteMessage`)
 * but resolves to the same Result.
 */
export interface DaemonApi extends RpcApi {
  write(store: string, request: WriteRequest): Promise<Result<{ rev: number }>>;
}

export const DAEMON_METHODS: ReadonlySet<string> = new Set<keyof RpcApi>([
  'hello', 'subscribe', 'unsubscribe', 'snapshot', 'history', 'rollback', 'backupsList', 'backupsCreate',
  'backupsRestore', 'backupsVerify', 'exportStore', 'importStore', 'info',
]);

/**
 * Acknowledgements of this connection's writes, as `[write id, rev]` pairs: the write is durable, and the cache is at
 * `rev` once the event that carries the pair (or an earlier one) is applied.
 */
export type WriteAcks = Array<[id: number, rev: number]>;

/**
 * A write, posted as one plain message instead of a comlink call (no UUID, no proxy, no reply of its own): its ack
 * rides on the group's change event to this connection, or comes as `acks` / `nack` when there is no such event
 * (a no-op write, a store the connection does not subscribe to, an error). `id` is the client's counter.
 */
export interface WriteMessage {
  id: number;
  store: string;
  request: WriteRequest;
  /**
   * Set by the gate (src/gate) in place of a write it refused — too large, over the window's values per second, not
   * serializable: the daemon answers it with this error (a `nack`), so every event a client counts comes from the
   * daemon. A client setting it itself only refuses its own write.
   */
  refused?: { code: 'QUOTA_EXCEEDED' | 'RATE_LIMITED' | 'NOT_SERIALIZABLE'; message: string };
}

/** Pushed by the daemon as plain tagged messages (comlink callbacks cannot cross MessagePortMain). */
export type DaemonEvent =
  /** The writes of one commit group, consecutive revs in order (and this connection's writes among them). */
  | { t: 'changes'; store: string; changes: Array<{ rev: number; ops: Operation[]; source: ChangeSource }>; acks?: WriteAcks; /** Its size as flow control counts it (characters of change text). */ chars?: number }
  /** The same as `changes`, as JSON text: serialized once per group for every client that sees the whole store. */
  | { t: 'changes-json'; store: string; json: string; acks?: WriteAcks }
  /** Acks with no change event to ride on (no-op writes, a store this connection does not subscribe to). */
  | { t: 'acks'; store: string; acks: WriteAcks }
  /** A write that failed, with its error. */
  | { t: 'nack'; store: string; id: number; error: SerializedStoreError }
  /** The client must refetch the store (e.g. its permissions changed); carries the current rev. */
  | { t: 'resync'; store: string; rev: number }
  /** The daemon is shutting down: pending and later requests fail with CLOSED. */
  | { t: 'closing' }
  /**
   * The client has not confirmed (`seen`) enough of the events sent to it: change events to it stop (acks still come)
   * until it confirms everything up to this one; then a `resync` per store brings its caches up to date.
   */
  | { t: 'lagging' };

/** What travels on a client port: comlink traffic, writes and events, tagged so none sees the others' messages. */
export type WireMessage = { ch: 'rpc'; m: unknown } | { ch: 'evt'; e: DaemonEvent } | { ch: 'w'; w: WriteMessage } | { ch: 'seen'; n: number };

/**
 * Flow control of events (a client that never reads its port must not make the daemon queue events for it without
 * bound): the client confirms with `{ ch: 'seen', n }` how many events it has taken off this port in all, at least
 * every SEEN_EVERY events or SEEN_CHARS characters of change text (`changes-json` text, `changes.chars`), and at once
 * on `lagging`. Both stay well inside the daemon's bounds (event-flow.ts), so a client that keeps reading never lags.
 */
export const SEEN_EVERY = 256;
export const SEEN_CHARS = 4 * 1024 * 1024;
