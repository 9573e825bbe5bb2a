import { expose } from 'comlink';
import { StoreError, toStoreError } from '../protocol/errors.ts';
import { fromPointer, joinKey, parseKey } from '../protocol/keys.ts';
import type { Endpoint } from 'comlink';
import { muxPort, type MuxedPort, type PortLike } from '../protocol/endpoint.ts';
import { DAEMON_METHODS, PROTOCOL_VERSION, type DaemonApi, type Result, type WriteRequest } from '../protocol/messages.ts';
import type { StoreAccess, Policy } from './policy.ts';
import type { CommitRecord, StoreEngine } from './engine/store-engine.ts';
import type { BackupManager } from './features/backups.ts';

/** What a connection needs from the daemon. */
export interface ConnectionHost {
  /** The open store, or a StoreError (STORE_NOT_FOUND, MIGRATION_FAILED, STORE_LOCKED…). */
  store(name: string): StoreEngine;
  backups(name: string): BackupManager;
  storeNames(): string[];
  encryptedKeys(name: string): string[];
  /** Encrypts/decrypts values at encrypted paths for export/import (identity without encryption). */
  onClosed(connection: Connection): void;
}

/**
 * One client (main, a window, a worker) on its own port: the comlink-exposed API, every argument checked
 * (windows are untrusted), reads filtered by policy, and pushed change events for the stores it subscribed to.
 */
export class Connection {
  readonly id: string;
  readonly #mux: MuxedPort;
  readonly #host: ConnectionHost;
  readonly #policy: Policy;
  readonly #subs = new Map<string, { off: () => void; access: StoreAccess }>();
  readonly #accessByStore = new Map<string, StoreAccess>();
  #greeted = false;
  #closed = false;

  constructor(id: string, port: PortLike, policy: Policy, host: ConnectionHost) {
    this.id = id;
    this.#host = host;
    this.#policy = policy;
    this.#mux = muxPort(port);
    port.onClose(() => this.close());
    expose(this.#api(), guardEndpoint(this.#mux.endpoint));
  }

  #access(name: unknown): { engine: StoreEngine; access: StoreAccess } {
    if (!this.#greeted) throw new StoreError('PROTOCOL_MISMATCH', 'Call hello() with the protocol version before anything else.');
    if (typeof name !== 'string') throw new StoreError('STORE_NOT_FOUND', `Store names are strings; got ${typeof name}.`);
    const engine = this.#host.store(name);
    // Compiled once per store and connection: this runs for every request.
    let access = this.#accessByStore.get(name);
    if (!access) this.#accessByStore.set(name, (access = this.#policy.access(name, this.#host.encryptedKeys(name))));
    if (!access.allowed) throw new StoreError('PERMISSION_DENIED', `This client may not open store "${name}"; add it to the client's policy.stores.`, { store: name });
    return { engine, access };
  }

  #api(): DaemonApi {
    const run = async <T>(fn: () => T | Promise<T>): Promise<Result<T>> => {
      try {
        if (this.#closed) throw new StoreError('CLOSED', 'This connection is closed.');
        return { ok: true, value: await fn() };
      } catch (error) {
        return { ok: false, error: toStoreError(error, 'IO_FAILED').toJSON() };
      }
    };
    return {
      hello: (protocol) => run(() => {
        if (protocol !== PROTOCOL_VERSION) {
          throw new StoreError('PROTOCOL_MISMATCH', `The client speaks protocol ${String(protocol)}, the daemon ${PROTOCOL_VERSION}; use the same electron-store-daemon version in main and renderer.`);
        }
        this.#greeted = true;
        return { protocol: PROTOCOL_VERSION, clientId: this.id, stores: this.#host.storeNames() };
      }),
      subscribe: (name) => run(async () => {
        const { engine, access } = this.#access(name);
        // Registered and snapshotted in one idle moment: every later commit reaches this client as an event.
        return engine.whenCommitted(() => {
          if (!this.#subs.has(engine.name)) {
            const off = engine.onCommit((records) => {
              if (!access.filtersReads) {
                this.#mux.sendEvent({ t: 'changes-json', store: engine.name, json: sharedJson(records) });
                return;
              }
              const changes = records.map((r) => ({ rev: r.rev, ops: access.filterOps(r.ops), source: r.source }));
              this.#mux.sendEvent({ t: 'changes', store: engine.name, changes });
            });
            this.#subs.set(engine.name, { off, access });
          }
          // A copy taken now: comlink posts the reply a few microtasks later, when the next commit group may already
          // be changing the live document.
          return { rev: engine.rev, json: JSON.stringify(access.filterDoc(engine.doc)) };
        });
      }),
      unsubscribe: (name) => run(() => {
        const sub = typeof name === 'string' ? this.#subs.get(name) : undefined;
        sub?.off();
        if (typeof name === 'string') this.#subs.delete(name);
        return null;
      }),
      snapshot: (name) => run(async () => {
        const { engine, access } = this.#access(name);
        return engine.whenCommitted(() => ({ rev: engine.rev, json: JSON.stringify(access.filterDoc(engine.doc)) }));
      }),
      write: (name, request: WriteRequest) => run(async () => {
        const { engine, access } = this.#access(name);
        if (request === null || typeof request !== 'object') throw new StoreError('INVALID_KEY', 'A write request must be an object.', { store: engine.name });
        if (request.kind === 'clear') access.checkAdmin('clear()');
        // Before the write is even tried: whether a path exists, or what a hidden value is, must not show through
        // which error comes back (a missing hidden key would say INVALID_KEY, a present one PERMISSION_DENIED).
        precheck(request, access, engine.name);
        this.#policy.takeWriteToken(engine.name);
        // clear() wipes the document: a backup first, and no clear without it (SPEC §6.11).
        if (request.kind === 'clear') await this.#host.backups(engine.name).createSafe('before-clear');
        return engine.write(request, this.id, (paths) => access.checkWrite(paths));
      }),
      history: (name, query) => run(() => {
        const { engine, access } = this.#access(name);
        const q = query === undefined || query === null ? {} : query;
        if (typeof q !== 'object') throw new StoreError('INVALID_KEY', 'history() takes { sinceRev?, key?, limit? }.', { store: engine.name });
        return engine.history(q).map((e) => ({ ...e, ops: access.filterOps(e.ops), inverse: access.filterOps(e.inverse) }))
          .filter((e) => e.ops.length > 0 || e.inverse.length > 0);
      }),
      rollback: (name, to) => run(() => {
        const { engine, access } = this.#access(name);
        access.checkAdmin('rollback()');
        return engine.rollback(to as { rev?: unknown; time?: unknown }, this.id);
      }),
      backupsList: (name) => run(async () => {
        const { engine } = this.#access(name);
        await this.#host.backups(engine.name).settled();
        return this.#host.backups(engine.name).list();
      }),
      backupsCreate: (name, reason) => run(() => {
        const { engine } = this.#access(name);
        if (reason !== undefined && typeof reason !== 'string') throw new StoreError('INVALID_KEY', 'backups.create(reason) takes a string.', { store: engine.name });
        // Each backup copies the whole document and rotates old ones out: rate-limited like a write.
        this.#policy.takeWriteToken(engine.name);
        return this.#host.backups(engine.name).create(reason || 'manual');
      }),
      backupsRestore: (name, id) => run(() => {
        const { engine, access } = this.#access(name);
        access.checkAdmin('backups.restore()');
        return this.#host.backups(engine.name).restore(id, this.id);
      }),
      backupsVerify: (name, id) => run(() => {
        const { engine } = this.#access(name);
        return this.#host.backups(engine.name).verify(id);
      }),
      exportStore: (name) => run(async () => {
        const { engine, access } = this.#access(name);
        return engine.whenCommitted(() => JSON.stringify(access.filterDoc(engine.doc), undefined, '\t'));
      }),
      importStore: (name, json) => run(async () => {
        const { engine, access } = this.#access(name);
        access.checkAdmin('import()');
        // import() replaces the whole document: a client that cannot see all of it would delete what it cannot see.
        if (access.filtersReads || access.filtersWrites) {
          throw new StoreError('PERMISSION_DENIED', 'import() needs a client that may read and write the whole store (no read, write or hidden patterns, and no encrypted keys kept from it).', { store: engine.name });
        }
        if (typeof json !== 'string') throw new StoreError('NOT_SERIALIZABLE', 'import() takes a JSON string (what export() returned).', { store: engine.name });
        let parsed: unknown;
        try {
          parsed = JSON.parse(json);
        } catch (error) {
          throw new StoreError('NOT_SERIALIZABLE', `import(): the text is not JSON (${(error as Error).message}).`, { store: engine.name });
        }
        await this.#host.backups(engine.name).createSafe('before-import');
        return engine.replaceAll(parsed, this.id);
      }),
      info: (name) => run(async () => {
        const { engine } = this.#access(name);
        await this.#host.backups(engine.name).settled();
        return { ...engine.info(), backups: this.#host.backups(engine.name).count() };
      }),
    };
  }

  /** Tells the client the daemon is going away, then closes the port. */
  notifyClosing(): void {
    if (this.#closed) return;
    try {
      this.#mux.sendEvent({ t: 'closing' });
    } catch {
      // The peer is already gone.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs.values()) sub.off();
    this.#subs.clear();
    try {
      this.#mux.port.close();
    } catch {
      // Already closed.
    }
    this.#host.onClosed(this);
  }
}

const groupJson = new WeakMap<CommitRecord[], string>();

/**
 * A group's changes as JSON, made once and posted to every unfiltered subscriber: posting a string costs the
 * daemon a copy, where posting the objects costs a structured clone per subscriber (bench/PROFILE.md §4).
 */
function sharedJson(records: CommitRecord[]): string {
  let json = groupJson.get(records);
  if (json === undefined) {
    json = JSON.stringify(records.map((r) => ({ rev: r.rev, ops: r.ops, source: r.source })));
    groupJson.set(records, json);
  }
  return json;
}

/**
 * Checks a write's target paths against the client's access before anything is evaluated: every written path must be
 * writable (not hidden, inside `write`), and every path a patch reads (`from` of move/copy, the path of `test`) visible.
 */
function precheck(request: WriteRequest, access: StoreAccess, store: string): void {
  if (!access.filtersWrites) return;
  const writes: string[][] = [];
  const reads: string[][] = [];
  switch (request.kind) {
    case 'set':
    case 'delete':
      writes.push(parseKey(request.key, store));
      break;
    case 'setMany':
      if (request.values && typeof request.values === 'object') for (const k of Object.keys(request.values)) writes.push(parseKey(k, store));
      break;
    case 'reset':
      if (Array.isArray(request.keys)) for (const k of request.keys) writes.push(parseKey(k, store));
      break;
    case 'patch':
      if (!Array.isArray(request.ops)) break;
      for (const op of request.ops) {
        if (!op || typeof op !== 'object') continue;
        const o = op as { op?: unknown; path?: unknown; from?: unknown };
        if (o.op === 'test') reads.push(fromPointer(o.path, store));
        else writes.push(fromPointer(o.path, store));
        if (o.op === 'move') writes.push(fromPointer(o.from, store));
        if (o.op === 'move' || o.op === 'copy') reads.push(fromPointer(o.from, store));
      }
      break;
    default:
      break;
  }
  for (const path of reads) {
    if (!access.canReadWhole(path)) throw new StoreError('PERMISSION_DENIED', `This client may not read "${joinKey(path)}" in store "${store}".`, { store, key: joinKey(path) });
  }
  access.checkWrite(writes);
}

/**
 * comlink's `expose` would serve GET/SET/CONSTRUCT/ENDPOINT on any property path of the API object. Windows are
 * untrusted, so only `APPLY` of an allow-listed method with plain (RAW) arguments reaches it; anything else gets
 * a PROTOCOL_MISMATCH reply (when it carries an id to reply to) or is dropped.
 */
function guardEndpoint(endpoint: Endpoint): Endpoint {
  type L = (event: { data: unknown }) => void;
  const wrapped = new Map<unknown, L>();
  const reject = (id: unknown, message: string) => {
    if (typeof id !== 'string' || id.length > 200) return;
    const error = new StoreError('PROTOCOL_MISMATCH', message).toJSON();
    endpoint.postMessage({ id, type: 'RAW', value: { ok: false, error } satisfies Result<never> });
  };
  return {
    postMessage: (m: unknown, t?: Transferable[]) => endpoint.postMessage(m, t),
    start: endpoint.start,
    addEventListener: (type: string, listener: EventListenerOrEventListenerObject) => {
      const inner = listener as unknown as L;
      const guarded: L = (event) => {
        const m = event.data as { id?: unknown; type?: unknown; path?: unknown; argumentList?: unknown } | null;
        if (!m || typeof m !== 'object') return;
        if (m.type !== 'APPLY' || !Array.isArray(m.path) || m.path.length !== 1 || typeof m.path[0] !== 'string' || !DAEMON_METHODS.has(m.path[0])) {
          reject(m.id, `Unknown request ${JSON.stringify(m.type)} ${JSON.stringify(m.path)}; the daemon answers only its documented methods. Are main and renderer on the same version?`);
          return;
        }
        if (!Array.isArray(m.argumentList) || m.argumentList.some((a) => !a || typeof a !== 'object' || (a as { type?: unknown }).type !== 'RAW')) {
          reject(m.id, `Malformed arguments for ${m.path[0]}(); only plain data is accepted.`);
          return;
        }
        inner(event);
      };
      wrapped.set(listener, guarded);
      endpoint.addEventListener(type, guarded as unknown as EventListener);
    },
    removeEventListener: (type: string, listener: EventListenerOrEventListenerObject) => {
      const guarded = wrapped.get(listener);
      if (guarded) endpoint.removeEventListener(type, guarded as unknown as EventListener);
    },
  };
}
