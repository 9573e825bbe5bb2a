import { useCallback, useSyncExternalStore } from 'react';
import { StoreError } from '../protocol/errors.ts';
import type { KeyPath, KeyValue, StoreClient } from '../protocol/types.ts';

interface Peekable {
  peek(key: string): unknown;
}

/** The value at `key`, re-rendering when it changes (useSyncExternalStore over the client's cache). Treat it as read-only. */
export function useStoreValue<T extends object, P extends KeyPath<T>>(client: StoreClient<T>, key: P): KeyValue<T, P> | undefined {
  const peekable = client as unknown as Partial<Peekable>;
  if (typeof peekable.peek !== 'function') {
    throw new StoreError('PROTOCOL_MISMATCH', 'useStoreValue() takes a client from connectStore() or daemon.store().');
  }
  const subscribe = useCallback((notify: () => void) => client.onDidChange(key, () => notify()), [client, key]);
  // The cache's own value: its identity changes exactly when the value does, so React can compare snapshots.
  const getSnapshot = useCallback(() => peekable.peek!(key) as KeyValue<T, P> | undefined, [client, key]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
