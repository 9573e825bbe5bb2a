import { useCallback, useSyncExternalStore } from 'react';
import type { KeyPath, KeyValue, StoreClient } from '../protocol/types.ts';

/** The value at `key`, re-rendering when it changes (useSyncExternalStore over the client's cache). Treat it as read-only. */
export function useStoreValue<T extends object, P extends KeyPath<T>>(client: StoreClient<T>, key: P): KeyValue<T, P> | undefined {
  const subscribe = useCallback((notify: () => void) => client.onDidChange(key, () => notify()), [client, key]);
  // The cache's own value: its identity changes exactly when the value does, so React can compare snapshots.
  const getSnapshot = useCallback(() => client.peek(key) as KeyValue<T, P> | undefined, [client, key]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
