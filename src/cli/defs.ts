import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStoreDefinition } from '../protocol/define.ts';
import { StoreError } from '../protocol/errors.ts';
import type { StoreDefinition } from '../protocol/types.ts';

/**
 * `--stores <module>`: the module that exports the app's defineStore() results (what the daemon's `stores` path
 * names), for schema checks, encrypted keys, retention and backup settings. Without it the CLI works from the files
 * alone.
 */
export async function loadStoresModule(file: string | undefined): Promise<Map<string, StoreDefinition>> {
  const defs = new Map<string, StoreDefinition>();
  if (file === undefined) return defs;
  const abs = path.resolve(file);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (error) {
    throw new StoreError('IO_FAILED', `Could not load the stores module ${abs} (${(error as Error).message}); pass the module that exports your defineStore() results (built JavaScript when running the built CLI).`, { cause: error });
  }
  for (const value of Object.values(mod)) {
    if (isStoreDefinition(value)) defs.set(value.name, value);
  }
  if (defs.size === 0) throw new StoreError('STORE_NOT_FOUND', `${abs} exports no store made with defineStore().`);
  return defs;
}
