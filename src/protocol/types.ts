import type { Operation } from 'rfc6902';
export type { Operation } from 'rfc6902';

/** A JSON value as stored. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object document. */
export type JsonObject = { [key: string]: JsonValue };

type Prev = [never, 0, 1, 2, 3, 4, 5, 6];
type KeyOf<T> = Extract<keyof T, string>;

/** Every dot path into `T` (to depth 6), e.g. `'window' | 'window.width'`. Arrays take numeric segments. */
export type KeyPath<T, D extends number = 6> = [D] extends [never]
  ? never
  : T extends readonly (infer E)[]
    ? `${number}` | `${number}.${KeyPath<E, Prev[D]>}`
    : T extends object
      ? { [K in KeyOf<T>]: K | SubPath<K, NonNullable<T[K]>, Prev[D]> }[KeyOf<T>]
      : never;

/** Paths below key `K` whose value is `V`; distributes over unions (`string | { id: string }` has `K.id`). */
type SubPath<K extends string, V, D extends number> = V extends object ? `${K}.${KeyPath<V, D>}` : never;

/** The type of the value at dot path `P` in `T`. */
export type KeyValue<T, P extends string> = P extends `${infer H}.${infer R}`
  ? T extends readonly (infer E)[]
    ? KeyValue<E, R>
    : H extends keyof T ? KeyValueIn<NonNullable<T[H]>, R> : unknown
  : T extends readonly (infer E)[]
    ? E
    : P extends keyof T ? T[P] : unknown;

/** The element type of an array type (what `appendToArray` takes); `unknown` for an untyped store, as in conf. */
export type ArrayItem<A> = unknown extends A ? unknown : NonNullable<A> extends readonly (infer E)[] ? E : never;

/** An object of dot paths and their values, for `set(object)` (electron-store accepts dot paths as keys). */
export type KeyValues<T> = { [P in KeyPath<T>]?: KeyValue<T, P> };

/** KeyValue distributed over a union, keeping only its members that have the path. */
type KeyValueIn<V, P extends string> = V extends object ? KeyValue<V, P> : never;

/** A migration step, as in electron-store/conf: `store` reads and writes the document being migrated. */
export type Migration = (store: MigrationStore) => void;

/** The store handed to a migration (the subset of electron-store's API that migrations use). */
export interface MigrationStore {
  get(key: string, defaultValue?: unknown): unknown;
  set(key: string | Record<string, unknown>, value?: unknown): void;
  has(key: string): boolean;
  delete(key: string): void;
  readonly store: Record<string, unknown>;
}

/** One store, defined once and shared by main, daemon and renderer. */
export interface StoreDefinition<T = Record<string, unknown>> {
  /** File name without extension: `<cwd>/<name>.json`. Letters, digits, `-`, `_`, `.`. */
  name: string;
  /** JSON Schema (draft 2020-12 or 07 keywords) for the whole document. */
  schema?: object;
  defaults?: Partial<T>;
  /** Data version (semver) that drives `migrations`. */
  version?: string;
  migrations?: Record<string, Migration>;
  /** Dot-path patterns (`*` = one segment) encrypted at rest and hidden from windows by default. */
  encryptedKeys?: string[];
  history?: { maxEntries?: number; maxBytes?: number };
  backups?: { max?: number; intervalMs?: number };
  /** strict (default): writes resolve after fdatasync; relaxed: after memory, flushed within 100 ms. */
  durability?: 'strict' | 'relaxed';
  /** Watch `<name>.json` for hand edits (default true). */
  watch?: boolean;
  /** Quota on the serialized document, in bytes. */
  maxBytes?: number;
}

/** Per-client permissions. Patterns are dot paths where `*` matches one segment and a pattern covers what lies below it. */
export interface ClientPolicy {
  stores?: '*' | Record<string, { read?: string[]; write?: string[]; hidden?: string[] }>;
  /** backups.restore, rollback, import, clear (default: main yes, windows no). */
  admin?: boolean;
  maxWritesPerSecond?: number;
  /** Request budget in cost units per second (a write costs 1, a snapshot or export 20); default 1,000 for windows, none for main. */
  maxRequestsPerSecond?: number;
}

/** Who made a change: a client id, `external` (hand edit), `rollback`, `restore`, `migration`. */
export type ChangeSource = string;

/** One committed write as seen by clients. */
export interface ChangeInfo {
  rev: number;
  ops: Operation[];
  source: ChangeSource;
}

/** One history record (a journal record). */
export interface HistoryEntry {
  rev: number;
  time: number;
  source: ChangeSource;
  ops: Operation[];
  inverse: Operation[];
}

/** A backup's metadata. */
export interface BackupInfo {
  id: string;
  time: number;
  reason: string;
  rev: number;
  /** sha256 of the file; absent for a client that may not read the whole store (a digest is an offline oracle). */
  sha256?: string;
  /** Size of the file; absent for a client that may not read the whole store. */
  bytes?: number;
  /** 'client': created by a window; such backups rotate among themselves and never evict the others. */
  by?: 'client';
}

/** What `info()` reports. */
export interface StoreInfo {
  name: string;
  path: string;
  rev: number;
  checkpointRev: number;
  bytes: number;
  keys: number;
  journal: { segments: number; records: number; bytes: number };
  backups: number;
  durability: 'strict' | 'relaxed';
  /**
   * What happened at open. `source`: the checkpoint (normal), a `new` store, or a rebuild — from a `backup`
   * (`backupId`) plus the journal, from the defaults plus the whole `journal`, or from the `defaults` alone when nothing
   * valid was left. `baseRev`: the rev the replay started from; `replayed`: journal records applied on top;
   * `lostRevs`: revs that existed but could not be recovered; `keptAside`: evidence files (never deleted);
   * `problems`: what was found, in words.
   */
  recovery: {
    replayed: number;
    source: 'checkpoint' | 'backup' | 'journal' | 'defaults' | 'new';
    baseRev?: number;
    backupId?: string;
    lostRevs?: { from: number; to: number };
    problems: string[];
    keptAside: string[];
  };
  counters: { writes: number; rejected: number; groups: number; fsyncs: number; checkpoints: number };
  latencyMs: { commitP50: number; commitP99: number };
  /** Encrypted key patterns this client may not read though its policy would otherwise show them (tools mask them). */
  encryptedKept: string[];
}

/** Options of a write. */
export interface WriteOptions {
  /** Compare-and-set: the write fails with CONFLICT unless the store is still at this rev. */
  ifRev?: number;
}

/** The client API, identical in main and in windows. */
export interface StoreClient<T extends object = Record<string, unknown>> {
  readonly name: string;
  readonly rev: number;
  /** A copy of the whole document, from the local cache. */
  readonly store: T;
  /** Number of top-level keys (electron-store's `size`). */
  readonly size: number;
  /** The store file's path (electron-store's `path`). */
  readonly path: string;
  /** `for (const [key, value] of store)`: the top-level entries, as copies (electron-store's iterator). */
  [Symbol.iterator](): IterableIterator<[string, unknown]>;
  get<P extends KeyPath<T>>(key: P): KeyValue<T, P> | undefined;
  get<P extends KeyPath<T>>(key: P, defaultValue: NonNullable<KeyValue<T, P>>): NonNullable<KeyValue<T, P>>;
  /**
   * The cache's own value at `key`, not a copy: its identity changes exactly when the value does (what React's
   * useSyncExternalStore needs). Never mutate it; use `get` for a copy.
   */
  peek<P extends KeyPath<T>>(key: P): Readonly<KeyValue<T, P>> | undefined;
  has(key: KeyPath<T>): boolean;
  set<P extends KeyPath<T>>(key: P, value: KeyValue<T, P>, options?: WriteOptions): Promise<{ rev: number }>;
  set(values: KeyValues<T>, options?: WriteOptions): Promise<{ rev: number }>;
  delete(key: KeyPath<T>, options?: WriteOptions): Promise<{ rev: number }>;
  /** Appends to the array at `key` in one atomic write, creating it when missing (electron-store's appendToArray). */
  appendToArray<P extends KeyPath<T>>(key: P, value: ArrayItem<KeyValue<T, P>>, options?: WriteOptions): Promise<{ rev: number }>;
  reset(...keys: KeyPath<T>[]): Promise<{ rev: number }>;
  clear(options?: WriteOptions): Promise<{ rev: number }>;
  patch(ops: Operation[], options?: WriteOptions): Promise<{ rev: number }>;
  onDidChange<P extends KeyPath<T>>(key: P, callback: (newValue: KeyValue<T, P> | undefined, oldValue: KeyValue<T, P> | undefined) => void): () => void;
  onDidAnyChange(callback: (newDoc: T, oldDoc: T, change: ChangeInfo) => void): () => void;
  history(query?: { sinceRev?: number; key?: KeyPath<T>; limit?: number }): Promise<HistoryEntry[]>;
  rollback(to: { rev: number } | { time: string | number }): Promise<{ rev: number }>;
  readonly backups: {
    list(): Promise<BackupInfo[]>;
    create(reason?: string): Promise<BackupInfo>;
    restore(id: string): Promise<{ rev: number }>;
    verify(id: string): Promise<{ ok: boolean; problems: string[] }>;
  };
  export(): Promise<string>;
  import(json: string): Promise<{ rev: number }>;
  info(): Promise<StoreInfo>;
  /** Stops listening; the connection stays open for other stores. */
  close(): void;
}
