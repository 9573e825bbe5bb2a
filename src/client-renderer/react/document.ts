import { useSyncExternalStore } from 'react';
import type { StoreClient, StoreDefinition } from '../../protocol/types.ts';
import { useResolvedStore } from './provider.ts';
import type { StoreSource } from './source.ts';

/**
 * One per client, shared by every useStoreDocument of it: the last document and the rev it belongs to. While someone
 * listens it is the `newDoc` of onDidAnyChange (the cache's own document, handed out without a copy and never mutated
 * afterwards, since the cache copies paths from the root while any-listeners exist). Otherwise a copy (`client.store`)
 * taken when the rev moved: unobserved, the cache may update its document in place, so an old reference is not kept.
 */
class DocumentTracker<T extends object> {
  #client: StoreClient<T>;
  #doc: T | undefined;
  #rev = -1;
  #listeners = new Set<() => void>();
  #off: (() => void) | undefined;

  constructor(client: StoreClient<T>) {
    this.#client = client;
  }

  readonly getSnapshot = (): Readonly<T> => {
    if (this.#doc === undefined || this.#client.rev !== this.#rev) {
      this.#doc = this.#client.store;
      this.#rev = this.#client.rev;
    }
    return this.#doc;
  };

  readonly subscribe = (notify: () => void): (() => void) => {
    this.#listeners.add(notify);
    this.#off ??= this.#client.onDidAnyChange((newDoc) => {
      this.#doc = newDoc;
      this.#rev = this.#client.rev;
      for (const l of [...this.#listeners]) l();
    });
    return () => {
      this.#listeners.delete(notify);
      if (this.#listeners.size === 0 && this.#off) {
        this.#off();
        this.#off = undefined;
      }
    };
  };
}

const trackers = new WeakMap<object, DocumentTracker<object>>();

function trackerOf<T extends object>(client: StoreClient<T>): DocumentTracker<T> {
  let tracker = trackers.get(client) as DocumentTracker<T> | undefined;
  if (!tracker) {
    tracker = new DocumentTracker(client);
    trackers.set(client, tracker as unknown as DocumentTracker<object>);
  }
  return tracker;
}

const noSubscribe = (): (() => void) => () => {};
const nothing = (): undefined => undefined;

/** The whole document of `client` (undefined without one), the same object until the next change. */
export function useDocumentOf<T extends object>(client: StoreClient<T> | undefined): Readonly<T> | undefined {
  const tracker = client ? trackerOf(client) : undefined;
  return useSyncExternalStore(tracker ? tracker.subscribe : noSubscribe, tracker ? tracker.getSnapshot : nothing, tracker ? tracker.getSnapshot : nothing);
}

/**
 * The whole document, re-rendering on any change and the same object between changes (safe as a memo dependency).
 * Takes a client, or a definition or name served by the nearest StoreProvider (undefined while it connects). Read-only.
 */
export function useStoreDocument<T extends object>(client: StoreClient<T>): Readonly<T>;
export function useStoreDocument<T extends object>(store: StoreDefinition<T>): Readonly<T> | undefined;
export function useStoreDocument<T extends object = Record<string, unknown>>(name: string): Readonly<T> | undefined;
export function useStoreDocument<T extends object>(store: StoreSource<T>): Readonly<T> | undefined {
  return useDocumentOf(useResolvedStore<T>(store).state.client);
}
