import type { ControlToDaemon } from '../protocol/control.ts';
import { StoreError } from '../protocol/errors.ts';
import { checkPolicyShape } from '../protocol/policy-shape.ts';
import { isStoreName } from '../protocol/store-name.ts';
import type { ClientPolicy, StoreDefinition } from '../protocol/types.ts';
import { checkJsonValue } from '../protocol/values.ts';
import { checkWindowOrigins } from './origins.ts';

/** Options of `startStoreDaemon`. */
export interface DaemonOptions {
  /** Store definitions (plain data), or the absolute path of a module whose defineStore exports are the stores. */
  stores: StoreDefinition[] | string;
  /**
   * Folder of the store files. Default `app.getPath('userData')` in Electron; required in plain Node. A relative path
   * resolves against userData in Electron (as electron-store does) and against `process.cwd()` elsewhere.
   */
  cwd?: string;
  /** Where the daemon runs; default 'utility-process' in Electron's main process, 'worker' elsewhere. */
  host?: 'utility-process' | 'worker';
  /** 32 bytes; never sent to windows. */
  encryptionKey?: Uint8Array;
  /**
   * Hand every window and view a port (default true in Electron): BrowserWindows, WebContentsViews, BrowserViews and
   * offscreen windows, present and future. `<webview>` guests, DevTools and extension pages get none (attach one
   * with `daemon.attach(webContents, policy)` if you must).
   */
  attachWindows?: boolean;
  /**
   * Origins whose pages get a port besides the app's own (`file:` pages and custom-protocol pages such as
   * `app://…`), e.g. a dev server: `['http://localhost:5173']`. A page of any other origin gets no port, whether
   * attached automatically or with `daemon.attach()`, and a page that navigates to one loses its port.
   */
  windowOrigins?: string[];
  /** The policy windows get (default: every store, no admin, encrypted keys hidden). */
  windowPolicy?: ClientPolicy;
  /** Supervisor: at most `maxRestarts` (default 5) restarts of a crashed daemon within `windowMs` (default 60 s). */
  restart?: { maxRestarts?: number; windowMs?: number };
  /** The daemon entry file to start (default: the package's own); for apps that bundle main. */
  daemonPath?: string;
  /** How long `close()` waits for the daemon to flush before killing it (default 5000 ms). */
  closeTimeoutMs?: number;
  /** Engine tuning for tests and benchmarks (checkpoint cadence, journal segment size). */
  tuning?: Extract<ControlToDaemon, { t: 'init' }>['tuning'];
  /** Where the utility process's stdout ('info') and stderr ('error') lines go; default: main's console. */
  log?: (level: 'info' | 'error', line: string) => void;
}

/**
 * Checks startStoreDaemon's options before anything is spawned. A malformed option is a programmer error: a TypeError
 * that says what to pass (as conf does). A definition that cannot reach the daemon is NOT_SERIALIZABLE, naming the key.
 */
export function checkDaemonOptions(options: unknown): DaemonOptions {
  if (!options || typeof options !== 'object') throw new TypeError('startStoreDaemon(options): pass { stores, cwd }.');
  const o = options as DaemonOptions;
  if (o.host !== undefined && o.host !== 'utility-process' && o.host !== 'worker') throw new TypeError(`host must be 'utility-process' or 'worker'; got ${String(o.host)}.`);
  if (o.encryptionKey !== undefined && (!(o.encryptionKey instanceof Uint8Array) || o.encryptionKey.length !== 32)) {
    throw new TypeError('encryptionKey must be a 32-byte Uint8Array (see loadEncryptionKey() for a safeStorage-wrapped one).');
  }
  if (o.cwd !== undefined && (typeof o.cwd !== 'string' || o.cwd === '')) throw new TypeError(`cwd must be a folder path; got ${JSON.stringify(o.cwd)}.`);
  for (const key of ['closeTimeoutMs'] as const) {
    if (o[key] !== undefined && !(typeof o[key] === 'number' && o[key] >= 0)) throw new TypeError(`${key} must be a non-negative number of milliseconds.`);
  }
  if (o.daemonPath !== undefined && typeof o.daemonPath !== 'string') throw new TypeError('daemonPath must be the path of the daemon entry file.');
  if (o.log !== undefined && typeof o.log !== 'function') throw new TypeError('log must be a function (level, line) => void.');
  checkPolicyShape(o.windowPolicy);
  checkWindowOrigins(o.windowOrigins);
  plainStores(o.stores);
  return o;
}

/** Definitions as plain data for the daemon: functions cannot cross a port, so migrations need the module path. */
export function plainStores(stores: unknown): StoreDefinition[] | string {
  if (typeof stores === 'string') return stores;
  if (!Array.isArray(stores)) throw new TypeError('stores must be an array of defineStore() results or the absolute path of a module exporting them.');
  return stores.map((def: StoreDefinition) => {
    if (!def || typeof def !== 'object' || !isStoreName(def.name)) {
      throw new TypeError(`Each store must be made with defineStore({ name, … }); got ${JSON.stringify(def?.name ?? def)}.`);
    }
    if (def.migrations && Object.keys(def.migrations).length > 0) {
      throw new TypeError(`Store "${def.name}" has migrations, which are functions and cannot be sent to the daemon; pass stores as the path of the module that defines them (require.resolve('./stores')).`);
    }
    const { migrations: _m, ...rest } = def;
    // Everything else crosses to the daemon by structured clone; say which key cannot, instead of a DataCloneError.
    for (const field of ['defaults', 'schema'] as const) {
      if (rest[field] !== undefined) checkJsonValue(rest[field], field, def.name);
    }
    try {
      structuredClone(rest);
    } catch (error) {
      throw new StoreError('NOT_SERIALIZABLE', `Store "${def.name}": its definition cannot be sent to the daemon (${(error as Error).message}); keep it plain data.`, { store: def.name });
    }
    return rest;
  });
}
