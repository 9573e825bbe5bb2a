import { StoreError } from './errors.ts';

/** Segments no key may contain: they reach Object.prototype or conf's private namespace. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor', '__internal__']);

/**
 * Splits an electron-store dot path into segments (`a.b\\.c` → `['a', 'b.c']`).
 * Throws INVALID_KEY for non-strings, empty keys or segments, and forbidden segments.
 */
export function parseKey(key: unknown, store?: string): string[] {
  if (typeof key !== 'string') {
    throw new StoreError('INVALID_KEY', `Keys are dot-path strings like "window.width"; got ${describe(key)}.`, { store });
  }
  if (key.length === 0) throw new StoreError('INVALID_KEY', 'The key is empty; pass a dot path like "window.width".', { store, key });
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const ch = key[i];
    if (ch === '\\' && key[i + 1] === '.') {
      current += '.';
      i++;
    } else if (ch === '.') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  checkSegments(segments, key, store);
  return segments;
}

/** Throws INVALID_KEY if any segment is empty or forbidden. */
export function checkSegments(segments: readonly string[], key: string, store?: string): void {
  for (const segment of segments) {
    if (segment.length === 0) {
      throw new StoreError('INVALID_KEY', `The key "${key}" has an empty segment; remove the extra dot.`, { store, key });
    }
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new StoreError('INVALID_KEY', `The key "${key}" uses the reserved segment "${segment}"; choose another name.`, { store, key });
    }
  }
}

/** Joins segments back into a dot path, escaping dots. */
export function joinKey(segments: readonly string[]): string {
  return segments.map((s) => s.replaceAll('.', '\\.')).join('.');
}

/** Segments → RFC 6901 JSON pointer. */
export function toPointer(segments: readonly string[]): string {
  if (segments.length === 0) return '';
  return '/' + segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

/** RFC 6901 JSON pointer → segments; INVALID_KEY if malformed or forbidden. */
export function fromPointer(pointer: unknown, store?: string): string[] {
  if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) {
    throw new StoreError('INVALID_KEY', `Patch paths are JSON pointers like "/window/width"; got ${describe(pointer)}.`, { store });
  }
  if (pointer === '') return [];
  const segments = pointer.slice(1).split('/');
  // Unescaping only when there is something to unescape: this runs for every op of every change event.
  if (pointer.includes('~')) for (let i = 0; i < segments.length; i++) segments[i] = segments[i].replaceAll('~1', '/').replaceAll('~0', '~');
  for (const segment of segments) {
    // Empty keys are INVALID_KEY in set(); a patch may not reach them either ("/a//b", "/").
    if (segment === '') throw new StoreError('INVALID_KEY', `The path "${pointer}" has an empty segment; remove the extra "/".`, { store, key: pointer });
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new StoreError('INVALID_KEY', `The path "${pointer}" uses the reserved segment "${segment}"; choose another name.`, { store, key: pointer });
    }
  }
  return segments;
}

/** Reads the value at `segments` (own properties only), or undefined. */
export function getAt(doc: unknown, segments: readonly string[]): unknown {
  let node = doc;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** True if `a` is `b` or lies below it (segment-wise prefix). */
export function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'null-prototype'} object`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return `${typeof value} ${String(value)}`;
}
