import { StoreError } from '../protocol/errors.ts';
import type { DaemonPort } from '../protocol/endpoint.ts';
export type { DaemonPort, PortLike } from '../protocol/endpoint.ts';
import type { StoreClient } from '../protocol/types.ts';
import { CachedStore } from '../client/cached-store.ts';
import { ClientConnection } from '../client/connection.ts';
import { DAEMON_GONE, PORT_MESSAGE, PORT_REQUEST } from '../protocol/port-handoff.ts';

export { StoreError } from '../protocol/errors.ts';
export type * from '../protocol/types.ts';

export { PORT_MESSAGE } from '../protocol/port-handoff.ts';

/** Options of connectStore. */
export interface ConnectOptions {
  /** A port from daemon.createPort() (another worker or process) instead of the one the preload forwards. */
  port?: DaemonPort;
  /** How long to wait for a port and the daemon's hello before TIMEOUT (default 10 s). */
  timeoutMs?: number;
  /** How long any request may go unanswered before it rejects with TIMEOUT (default 60 s). */
  requestTimeoutMs?: number;
}

const byPort = new WeakMap<object, ClientConnection>();
let pageConnection: ClientConnection | undefined;

interface PageWindow {
  addEventListener(type: 'message', listener: (event: { data?: unknown; ports?: readonly unknown[]; source?: unknown }) => void): void;
  postMessage(message: unknown, targetOrigin: string): void;
}

/**
 * The page's shared connection (every store opened in this page uses it): asks the preload for the port, and takes
 * every port the preload forwards (first load, daemon restart). Only messages the window posted to itself count,
 * so a framed page cannot slip in a port of its own.
 */
function pageConnectionFor(options: ConnectOptions): ClientConnection {
  if (pageConnection) return pageConnection;
  const w = (globalThis as { window?: PageWindow }).window;
  if (!w || typeof w.addEventListener !== 'function' || typeof w.postMessage !== 'function') {
    throw new StoreError('TIMEOUT', 'connectStore() without a port needs a browser window whose preload calls exposeStorePort(); elsewhere pass { port: daemon.createPort() }.');
  }
  const conn = new ClientConnection(undefined, { timeoutMs: options.timeoutMs, requestTimeoutMs: options.requestTimeoutMs });
  pageConnection = conn;
  w.addEventListener('message', (event) => {
    if (event.source !== w) return;
    const data = event.data as { type?: unknown } | null;
    if (!data || typeof data !== 'object') return;
    if (data.type === PORT_MESSAGE && event.ports && event.ports[0]) {
      void conn.attach(event.ports[0]).catch(() => {});
    } else if (data.type === DAEMON_GONE) {
      conn.fail('DAEMON_UNAVAILABLE', 'The store daemon went away (crashed or was stopped); the request did not complete. Main restarts it; retry then.', false);
    }
  });
  w.postMessage({ type: PORT_REQUEST }, '*');
  return conn;
}

function connectionFor(options: ConnectOptions): ClientConnection {
  if (options.port === undefined) return pageConnectionFor(options);
  if (options.port === null || typeof options.port !== 'object') throw new StoreError('DAEMON_UNAVAILABLE', 'options.port must be a MessagePort from daemon.createPort().');
  const conn = byPort.get(options.port) ?? new ClientConnection(options.port, { timeoutMs: options.timeoutMs, requestTimeoutMs: options.requestTimeoutMs });
  byPort.set(options.port, conn);
  return conn;
}

const NO_PORT = 'No store port reached this page: is exposeStorePort() called in the window\'s preload (see README, Quick start in Electron), and does main run startStoreDaemon() with attachWindows on (or call daemon.attach(webContents))?';

/**
 * Opens a store client. In a window it uses the port the preload forwarded (and the ones that replace it); pass
 * `port` (from `daemon.createPort()`) for another worker or process. Clients opened on the same port share it.
 */
export async function connectStore<T extends object = Record<string, unknown>>(name: string, options: ConnectOptions = {}): Promise<StoreClient<T>> {
  const conn = connectionFor(options);
  await conn.ready(NO_PORT, options.timeoutMs);
  return CachedStore.open<T>(conn, name);
}

/** The names of the stores the daemon serves (whether or not this client may open them), on the same port as connectStore. */
export async function storeNames(options: ConnectOptions = {}): Promise<string[]> {
  const conn = connectionFor(options);
  await conn.ready(NO_PORT, options.timeoutMs);
  return [...conn.storeNames];
}
