import { useCallback, useEffect, useReducer, useRef, useSyncExternalStore } from 'react';
import type { KeyPath, KeyValue, StoreClient } from '../../protocol/types.ts';

const noSubscribe = (): (() => void) => () => {};
const nothing = (): undefined => undefined;

/**
 * The value at `key` of `client` (undefined without a client), re-rendering only when that value changes. Shared by
 * useStoreValue and useStore.
 *
 * The snapshot is `client.peek(key)`: the cache's own value, whose identity changes exactly when the value does while
 * someone listens to the key. Between a render and the subscription (React subscribes in a passive effect, possibly a
 * task later) nobody may listen, and the cache then updates an unobserved object in place, keeping its identity; so the
 * subscription compares the rev seen at commit with the client's and re-renders once if a change slipped in.
 */
export function useValueOf<T extends object, P extends KeyPath<T>>(client: StoreClient<T> | undefined, key: P): KeyValue<T, P> | undefined {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const committed = useRef<{ rev: number; value: unknown } | undefined>(undefined);
  const rev = client?.rev;
  let rendered: unknown;
  // Declared before useSyncExternalStore so it runs before that hook's subscribe effect in the same commit.
  useEffect(() => {
    committed.current = rev === undefined ? undefined : { rev, value: rendered };
  });
  const subscribe = useCallback(
    (notify: () => void): (() => void) => {
      if (!client) return () => {};
      const off = client.onDidChange(key, () => notify());
      const seen = committed.current;
      if (seen && client.rev !== seen.rev) {
        const now: unknown = client.peek(key);
        if (now === seen.value && typeof now === 'object' && now !== null) rerender();
        else notify();
      }
      return off;
    },
    [client, key],
  );
  const getSnapshot = useCallback(() => (client ? (client.peek(key) as KeyValue<T, P> | undefined) : undefined), [client, key]);
  rendered = useSyncExternalStore(client ? subscribe : noSubscribe, client ? getSnapshot : nothing, client ? getSnapshot : nothing);
  return rendered as KeyValue<T, P> | undefined;
}

/** The value at `key`, re-rendering only when it changes (useSyncExternalStore over the client's cache). Treat it as read-only. */
export function useStoreValue<T extends object, P extends KeyPath<T>>(client: StoreClient<T>, key: P): KeyValue<T, P> | undefined {
  return useValueOf(client, key);
}
