import { expose, type Endpoint } from 'comlink';
import { muxPort, type MuxedPort, type PortLike } from '../protocol/endpoint.ts';
import { StoreError, toStoreError } from '../protocol/errors.ts';
import { DAEMON_METHODS, PROTOCOL_VERSION, type DaemonEvent, type Result, type RpcApi, type WriteAcks, type WriteMessage } from '../protocol/messages.ts';
import { parseWrite } from '../protocol/write.ts';
import type { CommitRecord, GroupAck } from './engine/store-engine.ts';
import { WHOLE_DOCUMENT_UNIT, type OpenStore, type Requester } from './open-store.ts';
import type { Policy } from './policy.ts';
import { EventFlow } from './event-flow.ts';

/**
 * What each request kind costs against a client's request budget (policy.maxRequestsPerSecond): whole-document work
 * (snapshots, exports, history pages, backups) costs more than a write, which has its own write budget as well.
 */
const REQUEST_COST: Partial<Record<keyof RpcApi, number>> = {
  subscribe: 20, snapshot: 20, exportStore: 20, importStore: 20, history: 10, rollback: 20,
  backupsCreate: 20, backupsRestore: 20, backupsVerify: 10, backupsList: 5, info: 5,
};

/** The refusal of a request over budget, made once: a flood of them must not cost an Error (and its stack) each. */
const OVER_BUDGET = { ok: false, error: new StoreError('RATE_LIMITED', 'This client sends more requests than its budget allows; slow down (policy.maxRequestsPerSecond).').toJSON() } as const;

/** The error of a write the gate refused (WriteMessage.refused), from what the message says of it. */
function gateRefusal(refused: unknown): StoreError {
  const r = refused as { code?: unknown; message?: unknown } | null;
  const code = r?.code === 'RATE_LIMITED' || r?.code === 'NOT_SERIALIZABLE' ? r.code : 'QUOTA_EXCEEDED';
  return new StoreError(code, typeof r?.message === 'string' ? r.message.slice(0, 500) : 'The write was refused before it reached the store daemon.');
}

/** What a connection needs from the daemon. */
export interface ConnectionHost {
  /** The open store, or a StoreError (STORE_NOT_FOUND, MIGRATION_FAILED, STORE_LOCKED…). */
  store(name: string): OpenStore;
  storeNames(): string[];
  encryptedKeys(name: string): string[];
  onClosed(connection: Connection): void;
}

/**
 * One client (main, a window, a worker) on its own port: the RPC adapter. It checks each message's shape (windows are
 * untrusted), resolves the store and the client's policy gate for it, and hands the request to the open store; it
 * pushes change events for the stores the client subscribed to, filtered by what the client may see.
 */
export class Connection {
  readonly id: string;
  readonly #mux: MuxedPort;
  readonly #host: ConnectionHost;
  readonly #policy: Policy;
  readonly #subs = new Map<string, () => void>();
  readonly #requesters = new Map<string, Requester>();
  /** Writes whose ack has not been sent yet: acked in their group's change event, or on their own if none carries it. */
  readonly #unacked = new Set<number>();
  readonly #flow = new EventFlow();
  #greeted = false;
  #closed = false;

  constructor(id: string, port: PortLike, policy: Policy, host: ConnectionHost) {
    this.id = id;
    this.#host = host;
    this.#policy = policy;
    this.#mux = muxPort(port);
    port.onClose(() => this.close());
    expose(this.#api(), guardEndpoint(this.#mux.endpoint, (method) => this.#policy.takeRequestTokens(REQUEST_COST[method as keyof RpcApi] ?? 1)));
    this.#mux.onWrite((data) => this.#onWrite(data));
    this.#mux.onSeen((n) => {
      if (this.#flow.seen(n)) this.#resyncAll();
    });
  }

  /**
   * A write from the client (unchecked: windows are untrusted). Its ack goes out with the group's change event to this
   * connection (see the subscription in `subscribe`); a write no event carries — a no-op, a store this connection does
   * not subscribe to — is acked on its own once committed, and a failed one gets a `nack` with its error.
   */
  #onWrite(data: unknown): void {
    const w = data as Partial<WriteMessage> | null;
    // Without an id there is nothing to answer: a client of ours always sends one.
    if (!w || typeof w !== 'object' || typeof w.id !== 'number' || !Number.isSafeInteger(w.id)) return;
    const id = w.id;
    const name = typeof w.store === 'string' ? w.store : '';
    // Budgeted before anything else is looked at, like every comlink request.
    if (!this.#policy.takeRequestTokens(1)) return this.#send({ t: 'nack', store: name, id, error: OVER_BUDGET.error });
    if (w.refused !== undefined) return this.#send({ t: 'nack', store: name, id, error: gateRefusal(w.refused).toJSON() });
    try {
      if (this.#closed) throw new StoreError('CLOSED', 'This connection is closed.');
      const { store, client } = this.#open(w.store);
      const parsed = parseWrite(w.request, store.name);
      this.#unacked.add(id);
      store.write(parsed, client, { owner: this, id }).then(({ rev }) => {
        if (this.#unacked.delete(id)) this.#send({ t: 'acks', store: name, acks: [[id, rev]] });
      }, (error: unknown) => {
        this.#unacked.delete(id);
        this.#send({ t: 'nack', store: name, id, error: toStoreError(error, 'IO_FAILED').toJSON() });
      });
    } catch (error) {
      this.#send({ t: 'nack', store: name, id, error: toStoreError(error, 'IO_FAILED').toJSON() });
    }
  }

  /** This connection's acks among a group's, taken (each is sent once). */
  #takeAcks(acks: readonly GroupAck[]): WriteAcks | undefined {
    let mine: WriteAcks | undefined;
    for (const a of acks) {
      if (a.tag.owner === this && this.#unacked.delete(a.tag.id)) (mine ??= []).push([a.tag.id, a.rev]);
    }
    return mine;
  }

  #send(event: DaemonEvent): void {
    try {
      this.#mux.sendEvent(event);
      this.#flow.sent();
    } catch {
      // The peer is gone; its pending writes fail on its side when the port closes.
    }
  }

  /**
   * A change event, unless the client lags (see event-flow.ts): then it is dropped, and the acks it carried go out on
   * their own — a writer is answered even while its events are held back.
   */
  #sendChange(event: Extract<DaemonEvent, { t: 'changes' | 'changes-json' }>, chars: number): void {
    if (this.#flow.admitChange(chars, () => this.#send({ t: 'lagging' }))) return this.#send(event);
    if (event.acks) this.#send({ t: 'acks', store: event.store, acks: event.acks });
  }

  /** The client has caught up after lagging: each store it follows gets one resync (a snapshot at the current rev). */
  #resyncAll(): void {
    for (const name of this.#subs.keys()) {
      try {
        this.#send({ t: 'resync', store: name, rev: this.#host.store(name).engine.rev });
      } catch {
        // The store closed meanwhile: nothing to catch up on.
      }
    }
  }

  #open(name: unknown): { store: OpenStore; client: Requester } {
    if (!this.#greeted) throw new StoreError('PROTOCOL_MISMATCH', 'Call hello() with the protocol version before anything else.');
    if (typeof name !== 'string') throw new StoreError('STORE_NOT_FOUND', `Store names are strings; got ${typeof name}.`);
    const store = this.#host.store(name);
    // Compiled once per store and connection: this runs for every request.
    let client = this.#requesters.get(name);
    if (!client) {
      client = { id: this.id, policy: this.#policy, access: this.#policy.access(name, this.#host.encryptedKeys(name)) };
      this.#requesters.set(name, client);
    }
    if (!client.access.allowed) throw new StoreError('PERMISSION_DENIED', `This client may not open store "${name}"; add it to the client's policy.stores.`, { store: name });
    return { store, client };
  }

  /** Work over a whole copy of the document that no cache shares: charged by its size (see WHOLE_DOCUMENT_UNIT). */
  #chargeWholeDocument(store: OpenStore): void {
    this.#policy.chargeRequestTokens(Math.ceil(store.engine.bytes / WHOLE_DOCUMENT_UNIT));
  }

  #api(): RpcApi {
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
      subscribe: (name) => run(() => {
        const { store, client } = this.#open(name);
        const { engine } = store;
        const access = client.access;
        // Registered and snapshotted in one idle moment: every later commit reaches this client as an event.
        return engine.whenCommitted(() => {
          // The port may have closed while this waited for a commit point: a listener added now would never go.
          if (this.#closed) throw new StoreError('CLOSED', 'This connection is closed.');
          if (!this.#subs.has(engine.name)) {
            this.#subs.set(engine.name, engine.onCommit((records, groupAcks) => {
              const acks = groupAcks.length > 0 ? this.#takeAcks(groupAcks) : undefined;
              // The group's JSON text is made once for every client; its length stands for the event's size.
              const json = sharedJson(records);
              if (!access.filtersReads) {
                this.#sendChange(acks ? { t: 'changes-json', store: engine.name, json, acks } : { t: 'changes-json', store: engine.name, json }, json.length);
                return;
              }
              // A change the client may not see still carries its rev (and the acks): the cache's rev keeps up.
              const changes = records.map((r) => ({ rev: r.rev, ops: access.filterOps(r.ops, engine.doc, r.anchors), source: r.source }));
              this.#sendChange(acks ? { t: 'changes', store: engine.name, changes, acks, chars: json.length } : { t: 'changes', store: engine.name, changes, chars: json.length }, json.length);
            }));
          }
          // A copy taken now: comlink posts the reply a few microtasks later, when the next commit group may already
          // be changing the live document.
          return { rev: engine.rev, json: store.viewJson(client), path: engine.checkpoint.path };
        });
      }),
      unsubscribe: (name) => run(() => {
        if (typeof name === 'string') {
          this.#subs.get(name)?.();
          this.#subs.delete(name);
        }
        return null;
      }),
      snapshot: (name) => run(() => {
        const { store, client } = this.#open(name);
        const { engine } = store;
        return engine.whenCommitted(() => ({ rev: engine.rev, json: store.viewJson(client), path: engine.checkpoint.path }));
      }),
      history: (name, query) => run(() => {
        const { store, client } = this.#open(name);
        // Charged by the records a page may hold, beyond the admission cost: pages read journal records.
        const limit = (query as { limit?: unknown } | null)?.limit;
        const records = typeof limit === 'number' && limit > 0 ? Math.min(limit, 1000) : 100;
        this.#policy.chargeRequestTokens(Math.ceil(records / 25));
        return store.history(query, client.access);
      }),
      rollback: (name, to) => run(() => {
        const { store, client } = this.#open(name);
        return store.rollback(to, client);
      }),
      backupsList: (name) => run(() => {
        const { store, client } = this.#open(name);
        return store.listBackups(client);
      }),
      backupsCreate: (name, reason) => run(() => {
        const { store, client } = this.#open(name);
        this.#chargeWholeDocument(store);
        return store.createBackup(reason, client);
      }),
      backupsRestore: (name, id) => run(() => {
        const { store, client } = this.#open(name);
        return store.restore(id, client);
      }),
      backupsVerify: (name, id) => run(() => {
        const { store, client } = this.#open(name);
        this.#chargeWholeDocument(store);
        return store.verifyBackup(id, client);
      }),
      exportStore: (name) => run(() => {
        const { store, client } = this.#open(name);
        return store.engine.whenCommitted(() => store.viewJson(client, true));
      }),
      importStore: (name, json) => run(() => {
        const { store, client } = this.#open(name);
        return store.import(json, client);
      }),
      info: (name) => run(() => {
        const { store, client } = this.#open(name);
        return store.info(client);
      }),
    };
  }

  /** Tells the client the daemon is going away, then closes the port. */
  notifyClosing(): void {
    if (this.#closed) return;
    this.#send({ t: 'closing' });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#subs.values()) off();
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
 * comlink's `expose` would serve GET/SET/CONSTRUCT/ENDPOINT on any property path of the API object. Windows are
 * untrusted, so only `APPLY` of an allow-listed method with plain (RAW) arguments reaches it; anything else gets
 * a PROTOCOL_MISMATCH reply (when it carries an id to reply to) or is dropped.
 */
function guardEndpoint(endpoint: Endpoint, admit: (method: string) => boolean): Endpoint {
  type L = (event: { data: unknown }) => void;
  const wrapped = new Map<unknown, L>();
  const reply = (id: unknown, error: Result<never> & { ok: false }) => {
    if (typeof id !== 'string' || id.length > 200) return;
    endpoint.postMessage({ id, type: 'RAW', value: error });
  };
  const reject = (id: unknown, message: string) => reply(id, { ok: false, error: new StoreError('PROTOCOL_MISMATCH', message).toJSON() });
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
        // Budgeted before its arguments are looked at: a flood is refused at the cost of this check.
        if (!admit(m.path[0])) {
          reply(m.id, OVER_BUDGET);
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
