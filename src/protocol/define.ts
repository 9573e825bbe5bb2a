import { isStoreName } from './store-name.ts';
import type { StoreDefinition } from './types.ts';

const MARK = Symbol.for('electron-store-daemon.definition');

/** Defines a store once, for main (types), the daemon (migrations) and windows (types). A malformed definition throws a TypeError. */
export function defineStore<T extends object>(def: StoreDefinition<T>): StoreDefinition<T> {
  if (!def || typeof def !== 'object' || !isStoreName(def.name)) {
    throw new TypeError(`defineStore: name must be letters, digits, "-", "_" or "." (it becomes a file name); got ${JSON.stringify(def?.name)}.`);
  }
  if (def.durability !== undefined && def.durability !== 'strict' && def.durability !== 'relaxed') {
    throw new TypeError(`defineStore(${def.name}): durability is 'strict' or 'relaxed'.`);
  }
  Object.defineProperty(def, MARK, { value: true, enumerable: false });
  return def;
}

/** True for an object made by defineStore (in any copy of the package). */
export function isStoreDefinition(value: unknown): value is StoreDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
}
