import { StoreError } from '../protocol/errors.ts';
import type { StoreClient } from '../protocol/types.ts';
import { CachedStore } from './client.ts';
import { ClientConnection } from './connection.ts';

export { StoreError } from '../protocol/errors.ts';
export { CachedStore } from './client.ts';
export { ClientConnection } from './connection.ts';
export type * from '../protocol/types.ts';

/** The message the preload posts to the page with the daemon port in its transfer list. */
export const PORT_MESSAGE = 'electron-store-daemon:port';

const byPort = new WeakMap<object, ClientConnection>();
let pageConnection: ClientConnection | undefined;

/** The page's shared connection: takes every port the preload forwards (first load, daemon restart). */
function pageConnectionFor(timeoutMs: number | undefined): ClientConnection {
  if (pageConnection) return pageConnection;
  const conn = new ClientConnection(undefined, { timeoutMs });
  pageConnection = conn;
  const w = (globalThis as { window?: { addEventListener(t: string, l: (e: { data?: unknown; ports?: readonly unknown[]; source?: unknown }) => void): void } }).window;
  if (!w || typeof w.addEventListener !== 'function') {
    throw new StoreError('TIMEOUT', 'connectStore() without a port needs a browser window with the preload\'s exposeStorePort(); elsewhere pass { port: daemon.createPort() }.');
  }
  w.addEventListener('message', (event) => {
    const data = event.data as { type?: unknown } | null;
    if (data && typeof data === 'object' && data.type === PORT_MESSAGE && event.ports && event.ports[0]) {
      void conn.attach(event.ports[0]).catch(() => {});
    }
  });
  return conn;
}

/**
 * Opens a store client. In a window it uses the port the preload forwarded (and the ones that replace it); pass
 * `port` (from `daemon.createPort()`) for another worker or process. Clients opened on the same port share it.
 */
export async function connectStore<T extends object = Record<string, unknown>>(name: string, options: { port?: unknown; timeoutMs?: number } = {}): Promise<StoreClient<T>> {
  let conn: ClientConnection;
  if (options.port !== undefined) {
    if (options.port === null || typeof options.port !== 'object') throw new StoreError('DAEMON_UNAVAILABLE', 'options.port must be a MessagePort from daemon.createPort().');
    conn = byPort.get(options.port) ?? new ClientConnection(options.port, { timeoutMs: options.timeoutMs });
    byPort.set(options.port, conn);
  } else {
    conn = pageConnectionFor(options.timeoutMs);
  }
  await conn.ready('No store port reached this page: is exposeStorePort() called in the window\'s preload, and was the window created after startStoreDaemon()?');
  return CachedStore.open<T>(conn, name);
}
