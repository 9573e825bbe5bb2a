import { createContext, createElement, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactElement, type ReactNode } from 'react';
import { StoreError, toStoreError } from '../../protocol/errors.ts';
import type { DaemonPort } from '../../protocol/endpoint.ts';
import type { StoreClient, StoreDefinition } from '../../protocol/types.ts';
import { connectStore } from '../index.ts';
import { clientOf, nameOf, type StoreSource } from './source.ts';

/** What useStoreClient reports: loading, then either the client or the error that ended the connection attempt. */
export type StoreClientState<T extends object = Record<string, unknown>> =
  | { client: undefined; loading: true; error: undefined; retry: () => void }
  | { client: StoreClient<T>; loading: false; error: undefined; retry: () => void }
  | { client: undefined; loading: false; error: StoreError; retry: () => void };

/** Props of StoreProvider: the options every `connectStore(name, options)` of its subtree gets. */
export interface StoreProviderProps {
  /** A port from `daemon.createPort()` (tests, workers); in a window leave it out to use the preload's port. */
  port?: DaemonPort;
  /** How long a connection waits for the daemon (connectStore's `timeoutMs`). */
  timeoutMs?: number;
  /** Opens a client (default `connectStore`); called once per store name with `{ port, timeoutMs }`. */
  connect?: StoreConnector;
  children?: ReactNode;
}

/** The options StoreProvider passes to its connector. */
export interface StoreConnectOptions {
  port?: DaemonPort;
  timeoutMs?: number;
}

/** How StoreProvider opens a client: `connectStore` or anything with its signature. */
export type StoreConnector = <T extends object>(name: string, options: StoreConnectOptions) => Promise<StoreClient<T>>;

interface CacheConfig {
  options: StoreConnectOptions;
  connect: StoreConnector;
}

/** One store of a provider: the connection promise, its state (replaced, never mutated), and who listens. */
class CacheEntry<T extends object> {
  state!: StoreClientState<T>;
  /** Settles (never rejects) when the current attempt does: what Suspense waits on. */
  settled!: Promise<void>;
  #promise!: Promise<StoreClient<T>>;
  #listeners = new Set<() => void>();
  #cache: ClientCache;
  #name: string;

  constructor(cache: ClientCache, name: string) {
    this.#cache = cache;
    this.#name = name;
    this.#start();
  }

  #start(): void {
    let promise: Promise<StoreClient<T>>;
    try {
      promise = this.#cache.config.connect<T>(this.#name, { ...this.#cache.config.options });
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#promise = promise;
    this.state = { client: undefined, loading: true, error: undefined, retry: this.retry };
    this.settled = promise.then(
      (client) => {
        if (this.#promise !== promise || this.#cache.disposed) {
          client.close();
          return;
        }
        this.#set({ client, loading: false, error: undefined, retry: this.retry });
      },
      (error: unknown) => {
        if (this.#promise !== promise) return;
        this.#set({ client: undefined, loading: false, error: toStoreError(error, 'DAEMON_UNAVAILABLE', this.#name), retry: this.retry });
      },
    );
  }

  #set(state: StoreClientState<T>): void {
    this.state = state;
    for (const l of [...this.#listeners]) l();
  }

  /** The client, waiting for the connection; rejects with the connection's error. */
  readonly whenReady = (): Promise<StoreClient<T>> => this.#promise;

  /** Connects again after the provider closed its clients and was mounted again (see ClientCache.mount). */
  reopen(): void {
    this.#start();
    for (const l of [...this.#listeners]) l();
  }

  /** After a failed connection, tries again (no-op otherwise). */
  readonly retry = (): void => {
    if (!this.state.error || this.#cache.disposed) return;
    this.#start();
    for (const l of [...this.#listeners]) l();
  };

  readonly subscribe = (notify: () => void): (() => void) => {
    this.#listeners.add(notify);
    return () => this.#listeners.delete(notify);
  };

  readonly getState = (): StoreClientState<T> => this.state;

  close(): void {
    if (this.state.client) this.state.client.close();
  }
}

/** A provider's clients, one connection attempt per store name. */
class ClientCache {
  readonly config: CacheConfig;
  disposed = false;
  #entries = new Map<string, CacheEntry<object>>();
  #mounted = 0;

  constructor(config: CacheConfig) {
    this.config = config;
  }

  entry<T extends object>(name: string): CacheEntry<T> {
    let entry = this.#entries.get(name) as CacheEntry<T> | undefined;
    if (!entry) {
      entry = new CacheEntry<T>(this, name);
      this.#entries.set(name, entry as unknown as CacheEntry<object>);
    }
    return entry;
  }

  mount(): () => void {
    this.#mounted++;
    if (this.disposed) {
      // Mounted again after its clients were closed: React's <Activity> hides a subtree by running its effect cleanups
      // and shows it again with the same state. Each store connects again, its hooks see loading, then the client.
      this.disposed = false;
      for (const entry of this.#entries.values()) entry.reopen();
    }
    return () => {
      this.#mounted--;
      // Deferred: StrictMode unmounts and mounts again at once, and the clients must survive that.
      queueMicrotask(() => {
        if (this.#mounted > 0 || this.disposed) return;
        this.disposed = true;
        for (const entry of this.#entries.values()) entry.close();
      });
    };
  }
}

const CacheContext = createContext<ClientCache | undefined>(undefined);

/**
 * Shares one client per store name with its subtree: `useStoreClient(name)`, `useStore(name, key)` and
 * `useStoreDocument(name)` below it connect once (`connectStore(name, { port, timeoutMs })` on first use) and reuse
 * the client. The props are read when the provider mounts (give it a new `key` to change them); its clients are
 * closed when it unmounts.
 */
export function StoreProvider(props: StoreProviderProps): ReactElement {
  const { port, timeoutMs, connect } = props;
  const [cache] = useState(
    () => new ClientCache({ options: { ...(port !== undefined && { port }), ...(timeoutMs !== undefined && { timeoutMs }) }, connect: connect ?? connectStore }),
  );
  useEffect(() => cache.mount(), [cache]);
  return createElement(CacheContext.Provider, { value: cache }, props.children);
}

/** A resolved store source: its state and how to wait for its client (internal to the hooks). */
export interface ResolvedStore<T extends object> {
  state: StoreClientState<T>;
  whenReady: () => Promise<StoreClient<T>>;
}

const noSubscribe = (): (() => void) => () => {};

/** The client behind any StoreSource: a client as it is, a definition or name through the provider. Internal. */
export function useResolvedStore<T extends object>(source: StoreSource<T>, suspense = false): ResolvedStore<T> {
  const cache = useContext(CacheContext);
  const direct = clientOf(source);
  const name = nameOf(source);
  if (!direct && !cache) {
    throw new StoreError('STORE_NOT_FOUND', `Store "${String(name)}" was named in a hook outside any <StoreProvider>: render a <StoreProvider> above it, or pass a client from connectStore().`, { store: name });
  }
  const entry = direct || !cache || name === undefined ? undefined : cache.entry<T>(name);
  const directResolved = useMemo<ResolvedStore<T> | undefined>(
    () => (direct ? { state: { client: direct, loading: false, error: undefined, retry: () => {} }, whenReady: () => Promise.resolve(direct) } : undefined),
    [direct],
  );
  const getState = entry ? entry.getState : (): StoreClientState<T> => (directResolved as ResolvedStore<T>).state;
  const state = useSyncExternalStore(entry ? entry.subscribe : noSubscribe, getState, getState);
  if (suspense && entry) {
    if (state.loading) throw entry.settled;
    if (state.error) throw state.error;
  }
  return entry ? { state, whenReady: entry.whenReady } : (directResolved as ResolvedStore<T>);
}

/**
 * The provider's client for store `name` (or definition): `{ client, loading, error, retry }`, re-rendering when the
 * connection settles. With `{ suspense: true }` it instead suspends while connecting (throws the promise to the nearest
 * `<Suspense>`) and throws the connection error to the nearest error boundary, so `client` is always there.
 */
export function useStoreClient<T extends object>(store: StoreDefinition<T>, options: { suspense: true }): StoreClientState<T> & { client: StoreClient<T> };
export function useStoreClient<T extends object = Record<string, unknown>>(name: string, options: { suspense: true }): StoreClientState<T> & { client: StoreClient<T> };
export function useStoreClient<T extends object>(store: StoreDefinition<T>, options?: { suspense?: boolean }): StoreClientState<T>;
export function useStoreClient<T extends object = Record<string, unknown>>(name: string, options?: { suspense?: boolean }): StoreClientState<T>;
export function useStoreClient<T extends object>(store: StoreDefinition<T> | string, options: { suspense?: boolean } = {}): StoreClientState<T> {
  return useResolvedStore<T>(store, options.suspense === true).state;
}
