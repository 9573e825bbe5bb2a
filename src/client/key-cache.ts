import { parseKey } from '../protocol/keys.ts';

const keyCache = new Map<string, string[]>();

/** Parsed dot paths, memoized: `get()` is on the hot path and keys repeat. The arrays are shared: never mutate them. */
export function segmentsOf(key: unknown, store?: string): string[] {
  if (typeof key === 'string') {
    const hit = keyCache.get(key);
    if (hit) return hit;
  }
  const segments = parseKey(key, store);
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(key as string, segments);
  return segments;
}
