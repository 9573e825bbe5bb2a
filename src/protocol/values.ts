import { StoreError } from './errors.ts';
import { describe } from './keys.ts';

/** How deep a value may nest: a limit far past real settings, checked before a deep value could exhaust the stack. */
export const MAX_DEPTH = 1000;

/**
 * Throws NOT_SERIALIZABLE unless `value` is plain JSON: plain objects, arrays, strings, finite numbers,
 * booleans and null. Reports the dot path of the first offending value.
 */
export function checkJsonValue(value: unknown, key: string, store?: string): void {
  const seen = new Set<object>();
  let depth = 0;
  const walk = (v: unknown, path: string): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) fail(path, `${v} is not a finite number`);
        return;
      case 'undefined':
        fail(path, 'undefined is not JSON; use delete() to remove a key');
        return;
      case 'object': {
        if (v === null) return;
        if (seen.has(v)) fail(path, 'the value contains a cycle');
        // Checked before the stack runs out (a raw RangeError otherwise), and far past any real document.
        if (depth >= MAX_DEPTH) fail(key, `it is nested more than ${MAX_DEPTH} levels deep`);
        const proto = Object.getPrototypeOf(v);
        if (Array.isArray(v)) {
          if (proto !== Array.prototype && proto !== null) fail(path, 'array subclasses are not JSON');
          seen.add(v);
          depth++;
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) fail(`${path}.${i}`, 'sparse arrays are not JSON');
            walk(v[i], `${path}.${i}`);
          }
          depth--;
          seen.delete(v);
          return;
        }
        if (proto !== Object.prototype && proto !== null) {
          fail(path, `${describe(v)} is not a plain object; convert it (e.g. a Date to an ISO string)`);
        }
        seen.add(v);
        depth++;
        for (const k of Object.keys(v)) {
          if (k === '__proto__') {
            throw new StoreError('INVALID_KEY', `The value at "${path}" has an own "__proto__" key, which is not allowed.`, { store, key: path });
          }
          walk((v as Record<string, unknown>)[k], `${path}.${k}`);
        }
        if (Object.getOwnPropertySymbols(v).length > 0) fail(path, 'symbol keys are not JSON');
        depth--;
        seen.delete(v);
        return;
      }
      default:
        fail(path, `a ${typeof v} is not JSON`);
    }
  };
  const fail = (path: string, why: string): never => {
    throw new StoreError('NOT_SERIALIZABLE', `Cannot store the value at "${path}": ${why}. Store only plain JSON values.`, { store, key: path });
  };
  walk(value, key);
}
