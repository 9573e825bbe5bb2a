import type { StoreClient, StoreDefinition } from '../../protocol/types.ts';

/**
 * How a hook names its store: a connected client, a definition from `defineStore()` (which types keys and values), or
 * a bare store name (typed by the type argument). Definitions and names go through the nearest `<StoreProvider>`.
 */
export type StoreSource<T extends object = Record<string, unknown>> = StoreClient<T> | StoreDefinition<T> | string;

/** The client itself when `source` is one (it has `peek`), else undefined. */
export function clientOf<T extends object>(source: StoreSource<T>): StoreClient<T> | undefined {
  return typeof source === 'object' && source !== null && typeof (source as { peek?: unknown }).peek === 'function' ? (source as StoreClient<T>) : undefined;
}

/** The store name of a definition or name (undefined for a client). */
export function nameOf<T extends object>(source: StoreSource<T>): string | undefined {
  if (typeof source === 'string') return source;
  if (clientOf(source)) return undefined;
  return (source as StoreDefinition<T>).name;
}
