/** A store's schema at open: compiled (or taken from the schema cache) once, and the defaults checked against it. */
import path from 'node:path';
import { StoreError } from '../protocol/errors.ts';
import type { JsonObject, StoreDefinition } from '../protocol/types.ts';
import { DocumentValidator } from './features/validator.ts';

/** Where a store's compiled schema is kept between starts (features/schema-cache.ts). */
export function schemaCacheFile(cwd: string, name: string): string {
  return path.join(cwd, 'storeHistory', '.marks', `${name}.schema-cache.json`);
}

export function compileSchema(def: StoreDefinition, cacheFile: string | undefined): DocumentValidator | undefined {
  if (def.schema === undefined) return undefined;
  if (typeof def.schema !== 'object' || def.schema === null) {
    throw new StoreError('VALIDATION_FAILED', `Store "${def.name}": schema must be a JSON Schema object.`, { store: def.name });
  }
  try {
    return new DocumentValidator(def.schema, cacheFile);
  } catch (error) {
    throw new StoreError('VALIDATION_FAILED', `Store "${def.name}": its schema does not compile (${(error as Error).message}); fix the schema in defineStore().`, { store: def.name });
  }
}

/**
 * The store's defaults as conf computes them: the `default` of each top-level property of the schema, then `defaults`
 * over them (conf's #captureSchemaDefaults + #applyDefaultValues). Like conf, nested `default`s are not collected (and
 * unlike conf's ajv `useDefaults`, they are not filled in by validation either: a write never changes what it did not
 * name). Defaults that break the schema refuse to open the store, as conf throws at construction; `required` at the root
 * is left to the document (an existing file may hold the required keys).
 */
export function defaultsOf(def: StoreDefinition, validator: DocumentValidator | undefined): JsonObject {
  const fromSchema: JsonObject = {};
  const properties = (def.schema as { properties?: unknown } | undefined)?.properties;
  if (properties && typeof properties === 'object') {
    for (const [key, sub] of Object.entries(properties)) {
      if (sub && typeof sub === 'object' && Object.hasOwn(sub, 'default') && (sub as { default?: unknown }).default !== undefined) {
        fromSchema[key] = (sub as { default: JsonObject[string] }).default;
      }
    }
  }
  const defaults = structuredClone({ ...fromSchema, ...(def.defaults ?? {}) } as JsonObject);
  // The whole validator on the defaults checks what validating each top-level key as a change would (the root's shape
  // and each default's subtree), with the one validator a start already has (a cached schema compiles nothing).
  const issues = Object.keys(defaults).length === 0 ? [] : validator?.validateAll(defaults)
    .filter((i) => !(i.instancePath === '' && i.keyword === 'required')) ?? [];
  if (issues.length > 0) {
    throw new StoreError('VALIDATION_FAILED', `Store "${def.name}": its defaults do not match its schema (${issues.map((i) => `${i.instancePath || '(root)'} ${i.message}`).join('; ')}); fix defaults (or the schema's defaults) in defineStore().`, {
      store: def.name, details: issues,
    });
  }
  return defaults;
}
