import { useCallback, useMemo, useRef, useState } from 'react';
import { toStoreError, type StoreError } from '../../protocol/errors.ts';
import type { KeyPath, KeyValue, StoreClient, StoreDefinition } from '../../protocol/types.ts';
import { useResolvedStore } from './provider.ts';
import type { StoreSource } from './source.ts';
import { useValueOf } from './value.ts';

/** The new value for setValue, or a function of the current one (read from the cache when the write starts). */
export type StoreValueUpdate<V> = V | ((current: V | undefined) => V);

/** What useStore returns besides the value and its setter. */
export interface StoreWriteState {
  /** True while a write started by this hook's setValue has not resolved (durable) or rejected. */
  pending: boolean;
  /** The last write's StoreError (e.g. VALIDATION_FAILED), or the connection's; cleared by the next successful write. */
  error: StoreError | undefined;
  /** True while a store named through the provider is still connecting (the value is undefined meanwhile). */
  loading: boolean;
}

/** `[value, setValue, { pending, error, loading }]`; setValue resolves to true once durable, false if it failed (never rejects). */
export type UseStoreResult<V> = [value: V | undefined, setValue: (value: StoreValueUpdate<V>) => Promise<boolean>, state: StoreWriteState];

interface WriteTracking {
  pending: number;
  error: StoreError | undefined;
  /** The sequence number of the write that set `error`: only a later write's success clears it. */
  errorSeq: number;
}

/**
 * `[value, setValue, { pending, error, loading }]` for one key, like useState but stored: the value re-renders only
 * when that key changes (anywhere: main, other windows), setValue is `client.set(key, value)` (the durable write).
 * Takes a client, or a definition or name served by the nearest StoreProvider.
 */
export function useStore<T extends object, P extends KeyPath<T>>(store: StoreClient<T> | StoreDefinition<T>, key: P): UseStoreResult<KeyValue<T, P>>;
export function useStore<T extends object = Record<string, unknown>, P extends KeyPath<T> = KeyPath<T>>(name: string, key: P): UseStoreResult<KeyValue<T, P>>;
export function useStore<T extends object, P extends KeyPath<T>>(store: StoreSource<T>, key: P): UseStoreResult<KeyValue<T, P>> {
  const resolved = useResolvedStore<T>(store);
  const { client, error: connectError, loading } = resolved.state;
  const value = useValueOf(client, key);
  const [tracking, setTracking] = useState<WriteTracking>({ pending: 0, error: undefined, errorSeq: 0 });
  const seq = useRef(0);
  const whenReady = resolved.whenReady;

  const setValue = useCallback(
    async (update: StoreValueUpdate<KeyValue<T, P>>): Promise<boolean> => {
      const mine = ++seq.current;
      setTracking((t) => ({ ...t, pending: t.pending + 1 }));
      let target: StoreClient<T> | undefined;
      try {
        // A client at hand is written to at once, so writes keep the order of the calls.
        target = client ?? (await whenReady());
        const next = typeof update === 'function' ? (update as (current: KeyValue<T, P> | undefined) => KeyValue<T, P>)(target.get(key)) : update;
        await target.set(key, next);
        setTracking((t) => ({ pending: t.pending - 1, error: t.errorSeq < mine ? undefined : t.error, errorSeq: t.errorSeq }));
        return true;
      } catch (error) {
        const storeError = toStoreError(error, 'IO_FAILED', target?.name);
        setTracking((t) => ({ pending: t.pending - 1, error: storeError, errorSeq: Math.max(t.errorSeq, mine) }));
        return false;
      }
    },
    [client, whenReady, key],
  );

  const pending = tracking.pending > 0;
  const error = tracking.error ?? connectError;
  const state = useMemo<StoreWriteState>(() => ({ pending, error, loading }), [pending, error, loading]);
  return [value, setValue, state];
}
