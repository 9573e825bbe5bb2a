import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ControlFromDaemon, ControlToDaemon } from '../protocol/control.ts';
import { isStoreDefinition } from '../protocol/define.ts';
import { adaptPort } from '../protocol/endpoint.ts';
import { StoreError, toStoreError, type SerializedStoreError } from '../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../protocol/messages.ts';
import { checkStoreName } from '../protocol/store-name.ts';
import type { StoreDefinition } from '../protocol/types.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { gatedPort, maxMessageBytes } from './gated-port.ts';
import { describe, reportFatal, type DaemonHost } from './host/host.ts';
import { OpenStore, type StoreContext } from './open-store.ts';
import { Policy } from './policy.ts';
import { loadStoreClass } from './storage/checkpoint.ts';
import { FsSeam, announceAndPause } from './storage/fs-seam.ts';

/** Seams a test may set when it runs the daemon in-process. */
export interface DaemonSeams {
  fsSeam?: FsSeam;
}

/**
 * The daemon: opens every store, serves one Connection per client port, and answers main's control messages
 * (init, connect, close). It never knows whether it runs in a utility process or a worker — `DaemonHost` hides that.
 */
export class Daemon implements ConnectionHost {
  readonly #stores = new Map<string, OpenStore>();
  readonly #failed = new Map<string, StoreError>();
  readonly #defs = new Map<string, StoreDefinition>();
  readonly #connections = new Set<Connection>();
  #closing: Promise<void> | undefined;
  #daemonId = '';
  readonly #fsSeam: FsSeam;

  constructor(readonly host: DaemonHost, options: DaemonSeams = {}) {
    this.#fsSeam = options.fsSeam ?? new FsSeam();
  }

  /** Wires the host channel; the first message must be `init`. */
  listen(): void {
    let initialized: Promise<void> | undefined;
    this.host.onMessage((data, ports) => {
      const msg = data as ControlToDaemon | null;
      if (!msg || typeof msg !== 'object') return;
      if (msg.t === 'init') {
        initialized ??= this.init(msg).then(
          () => this.host.post({ t: 'ready', stores: [...this.#stores.keys()], failed: this.#failedJson(), maxMessageBytes: maxMessageBytes(this.#defs.values()) }),
          (error: unknown) => this.host.post({ t: 'init-failed', error: toStoreError(error, 'IO_FAILED').toJSON() }),
        );
      } else if (msg.t === 'connect') {
        void (initialized ?? Promise.resolve()).then(() => this.connect(msg.clientId, ports[0], msg.policy, msg.trusted, msg.gated === true)).catch(() => {
          // Not a port: only main sends these, and one bad message must not take the daemon down.
        });
      } else if (msg.t === 'close') {
        // After a start-up still under way (a restart being closed): never exit halfway through opening a store.
        void (initialized ?? Promise.resolve()).then(() => this.close()).then(() => {
          this.host.post({ t: 'closed' });
          this.host.exit(0);
        }, (error: unknown) => {
          // A close that fails (relaxed writes neither journaled nor checkpointed, a disk error) must neither leave a
          // daemon that never answers nor end it silently: main hears why (an 'error' event) and sees a non-zero exit.
          reportFatal(this.host, 'IO_FAILED', `The store daemon could not close cleanly (${describe(error)}). Writes that resolved in strict durability are in the journal and are replayed at the next start.`);
        });
      }
    });
  }

  #failedJson(): Record<string, SerializedStoreError> {
    return Object.fromEntries([...this.#failed].map(([k, v]) => [k, v.toJSON()]));
  }

  async init(msg: Extract<ControlToDaemon, { t: 'init' }>): Promise<void> {
    if (msg.protocol !== PROTOCOL_VERSION) {
      throw new StoreError('PROTOCOL_MISMATCH', `main speaks protocol ${msg.protocol}, the daemon ${PROTOCOL_VERSION}; the daemon entry file is from another version of electron-store-daemon.`);
    }
    if (typeof msg.cwd !== 'string' || !path.isAbsolute(msg.cwd)) throw new StoreError('IO_FAILED', `cwd must be an absolute folder; got ${String(msg.cwd)}.`);
    try {
      fs.mkdirSync(msg.cwd, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it (or a folder above it) is a file, not a folder' : (error as Error).message;
      throw new StoreError('IO_FAILED', `The store folder ${msg.cwd} cannot be used: ${why}. Pass a folder as cwd.`, { cause: error });
    }
    this.#daemonId = msg.daemonId;
    const pause = msg.tuning?.crashPauseMs;
    if (typeof pause === 'number' && pause > 0) this.#fsSeam.onCrashPoint = announceAndPause(pause, msg.tuning?.crashPoints);
    // In Electron a store without `version` migrates to the app's version, as electron-store's projectVersion does.
    const appVersion = typeof msg.appVersion === 'string' && msg.appVersion !== '' ? msg.appVersion : undefined;
    const defs = (await loadDefinitions(msg.stores)).map((def) => (def.version === undefined && appVersion ? { ...def, version: appVersion } : def));
    const StoreClass = await loadStoreClass(this.host.kind);
    const ctx: StoreContext = {
      cwd: msg.cwd, StoreClass, fsSeam: this.#fsSeam,
      checkpointEvery: { records: msg.tuning?.checkpointRecords, idleMs: msg.tuning?.checkpointIdleMs, offPathBytes: msg.tuning?.checkpointOffPathBytes },
      journalSegmentBytes: msg.tuning?.journalSegmentBytes,
    };
    if (msg.encryptionKey !== undefined) {
      if (!(msg.encryptionKey instanceof Uint8Array) || msg.encryptionKey.length !== 32) {
        throw new StoreError('IO_FAILED', 'The encryption key must be 32 bytes (a Uint8Array).');
      }
      ctx.encryptionKey = msg.encryptionKey;
    }
    // Drop undefined tuning so store defaults apply.
    ctx.checkpointEvery = Object.fromEntries(Object.entries(ctx.checkpointEvery ?? {}).filter(([, v]) => v !== undefined));
    await Promise.all(defs.map((def) => this.#open(def, ctx, msg.previousDaemonId)));
  }

  async #open(def: StoreDefinition, ctx: StoreContext, previousDaemonId: string | undefined): Promise<void> {
    const name = def.name;
    this.#defs.set(name, def);
    try {
      const open = await OpenStore.open(def, ctx, {
        daemonId: this.#daemonId, previousDaemonId,
        onRejected: (r) => this.host.post({ t: 'external-change-rejected', store: r.store, keptAs: r.keptAs, error: r.error.toJSON() } satisfies ControlFromDaemon),
      });
      this.#stores.set(name, open);
    } catch (error) {
      this.#failed.set(name, toStoreError(error, 'IO_FAILED', name));
    }
  }

  /**
   * Attaches a client port. `trusted` (main's own clients) gets admin and sees encrypted keys by default. `gated`: the
   * port comes from the gate, which sends messages as serialized bytes (see gated-port.ts).
   */
  connect(clientId: string, port: unknown, policy: unknown, trusted: boolean, gated = false): Connection | undefined {
    if (this.#closing || !port) return undefined;
    let p: Policy;
    const adapted = gated ? gatedPort(adaptPort(port)) : adaptPort(port);
    try {
      p = new Policy(policy as never, trusted === true);
    } catch {
      adapted.close();
      return undefined;
    }
    const connection = new Connection(String(clientId), adapted, p, this);
    this.#connections.add(connection);
    adapted.start();
    return connection;
  }

  store(name: string): OpenStore {
    const open = this.#stores.get(name);
    if (open) {
      if (open.engine.closed) throw new StoreError('CLOSED', `Store "${name}" is closed.`, { store: name });
      return open;
    }
    const failed = this.#failed.get(name);
    if (failed) throw failed;
    checkStoreName(name);
    throw new StoreError('STORE_NOT_FOUND', `No store "${name}" is defined; known stores: ${[...this.#stores.keys()].join(', ') || 'none'}. Add it to startStoreDaemon({ stores }).`, { store: name });
  }

  storeNames(): string[] {
    return [...this.#stores.keys()];
  }

  encryptedKeys(name: string): string[] {
    return this.#defs.get(name)?.encryptedKeys ?? [];
  }

  onClosed(connection: Connection): void {
    this.#connections.delete(connection);
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Stops taking writes, drains and checkpoints every store, releases the locks. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const c of this.#connections) c.notifyClosing();
      await Promise.all([...this.#stores.values()].map((store) => store.close()));
      for (const c of [...this.#connections]) c.close();
    })();
    return this.#closing;
  }
}

/** Store definitions from the init message: plain data, or the exports of a module (which may carry migrations). */
async function loadDefinitions(stores: StoreDefinition[] | string): Promise<StoreDefinition[]> {
  let defs: StoreDefinition[];
  if (typeof stores === 'string') {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(stores).href)) as Record<string, unknown>;
    } catch (error) {
      throw new StoreError('IO_FAILED', `Could not load the stores module ${stores} (${(error as Error).message}); pass the absolute path of the module that exports your defineStore() results, and check that it loads on its own.`, { cause: error });
    }
    defs = Object.values(mod).filter(isStoreDefinition);
    if (defs.length === 0) throw new StoreError('STORE_NOT_FOUND', `${stores} exports no store made with defineStore().`);
  } else if (Array.isArray(stores)) {
    defs = stores;
  } else {
    throw new StoreError('STORE_NOT_FOUND', 'stores must be an array of store definitions or the path of a module exporting them.');
  }
  const seen = new Set<string>();
  for (const def of defs) {
    if (!def || typeof def !== 'object') throw new StoreError('STORE_NOT_FOUND', 'A store definition must be an object made with defineStore().');
    checkStoreName(def.name);
    if (seen.has(def.name)) throw new StoreError('STORE_NOT_FOUND', `Two stores are named "${def.name}"; names must be unique.`);
    seen.add(def.name);
  }
  return defs;
}
