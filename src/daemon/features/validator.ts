import { _, Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';
import { StoreError } from '../../protocol/errors.ts';
import { toPointer } from '../../protocol/keys.ts';
import { SchemaCache } from './schema-cache.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => void;
type StandaloneCode = (ajv: Ajv, validate: ValidateFunction) => string;
const standaloneCode = ((standaloneModule as unknown as { default?: StandaloneCode }).default ?? standaloneModule) as unknown as StandaloneCode;

type Schema = Record<string, unknown>;

/**
 * Keywords a schema node may carry for us to validate a change below it by validating only the changed child
 * plus the node's own shape. Any other keyword (allOf, if/then, dependentRequired, $ref, …) can relate siblings,
 * so such a node is validated whole.
 */
const OBJECT_KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties',
  'title', 'description', 'default', 'examples', '$comment', '$schema', '$id', 'definitions', '$defs', 'deprecated', 'readOnly', 'writeOnly']);
const REF_SIBLINGS = new Set(['$ref', 'title', 'description', 'default', 'examples', '$comment', '$schema', '$id', 'definitions', '$defs']);
const ARRAY_KEYWORDS = new Set(['type', 'items', 'minItems', 'maxItems', 'title', 'description', 'default', 'examples', '$comment',
  'deprecated', 'readOnly', 'writeOnly']);

export interface ValidationIssue {
  instancePath: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
}

/**
 * Validates a document against the store's JSON Schema after a write, at a cost that follows the size of the change:
 * for each changed path it walks down the schema while each node is a plain `properties`/`items` node, checks
 * each node's shape (its keys or length; children are `true`), and validates the deepest reached value with the
 * compiled subschema. The root schema is registered once so `$ref`s inside subschemas still resolve.
 */
export class DocumentValidator {
  #ajv: Ajv | undefined;
  readonly #root: Schema;
  readonly #is2020: boolean;
  readonly #full: ValidateFunction;
  readonly #byPointer = new Map<string, ValidateFunction>();
  readonly #shapeByPointer = new Map<string, ValidateFunction | null>();
  /** The whole-document validator came from the schema cache (nothing was compiled at start). */
  readonly fromCache: boolean;
  #toCache: { cache: SchemaCache; code: string } | undefined;
  #cacheSaved: Promise<void> | undefined;

  /** `cacheFile`: where this store's compiled schema is kept between starts (see SchemaCache); none, no cache. */
  constructor(schema: object, cacheFile?: string) {
    this.#root = schema as Schema;
    this.#is2020 = typeof this.#root.$schema === 'string' && this.#root.$schema.includes('2020-12');
    const cache = cacheFile === undefined ? undefined : new SchemaCache(cacheFile, schema, this.#is2020 ? '2020-12' : 'draft-07');
    const cached = cache?.load();
    this.fromCache = cached !== undefined;
    if (cached) {
      // ajv itself (instance, formats, subschemas) is built at the first write that needs a subschema.
      this.#full = cached;
    } else {
      const ajv = this.#instance(cache !== undefined);
      this.#full = ajv.getSchema('esd-root')!;
      if (cache) this.#toCache = { cache, code: standaloneCode(ajv, this.#full) };
    }
  }

  /**
   * Writes a freshly compiled validator to the cache — called once the store opened, so a store that never opens
   * leaves nothing behind. Resolves at once when there is nothing to write; the same promise on later calls.
   */
  saveCache(): Promise<void> {
    this.#cacheSaved ??= this.#toCache ? this.#toCache.cache.save(this.#toCache.code) : Promise.resolve();
    this.#toCache = undefined;
    return this.#cacheSaved;
  }

  /** The ajv instance holding the root schema, made on first need; `source` keeps the code for the cache. */
  #instance(source = false): Ajv {
    if (this.#ajv) return this.#ajv;
    // validateSchema off: checking the schema against ajv's meta-schema compiles the meta-schema first (~35 ms of
    // start-up, bench/PROFILE.md §6); a broken schema still fails to compile below, with ajv's message.
    // code.optimize off: ajv's optimization passes cost ~20 ms of start-up for a store schema and save little at run
    // time, where validation follows the size of the change anyway. code.formats names ajv-formats' formats the way
    // SchemaCache's loader provides them.
    const options = {
      allErrors: true, strict: false, validateSchema: false,
      code: { optimize: false, ...(source && { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` }) },
    } as const;
    const ajv = (this.#is2020 ? new Ajv2020(options) : new Ajv(options)) as Ajv;
    addFormats(ajv);
    const { $id: _id, ...rest } = this.#root;
    ajv.addSchema({ ...rest, $id: 'esd-root' }, 'esd-root');
    this.#ajv = ajv;
    return ajv;
  }

  /** Validates the whole document (open, import, external edits). */
  validateAll(doc: unknown): ValidationIssue[] {
    return this.#full(doc) ? [] : toIssues(this.#full.errors, '');
  }

  /** Validates `doc` after a change at the given paths (segments); only what the change can affect is checked. */
  validateChanged(doc: unknown, changedPaths: readonly (readonly string[])[]): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const done = new Set<string>();
    for (const path of changedPaths) {
      let schema: Schema | boolean = this.#root;
      let schemaPointer = '';
      let value: unknown = doc;
      let depth = 0;
      for (;;) {
        ({ schema, pointer: schemaPointer } = this.#follow(schema, schemaPointer));
        const instancePointer = toPointer(path.slice(0, depth));
        const key = `${schemaPointer}|${instancePointer}`;
        if (done.has(key)) break;
        const step: { schema: Schema | true; pointer: string; value: unknown } | null = depth < path.length ? this.#descend(schema, schemaPointer, value, path[depth]) : null;
        if (!step) {
          // Validate the whole subtree here: the change lies at or below it, and the schema cannot be split further.
          done.add(key);
          if (value !== undefined) {
            const validate = this.#compileAt(schemaPointer);
            if (!validate(value)) issues.push(...toIssues(validate.errors, instancePointer));
          }
          break;
        }
        // The node's own shape (keys, length), with children stubbed to `true`.
        const shape = this.#shapeAt(schemaPointer, schema as Schema);
        if (shape && !shape(value)) issues.push(...toIssues(shape.errors, instancePointer));
        if (step.schema === true) break;
        schema = step.schema;
        schemaPointer = step.pointer;
        value = step.value;
        depth++;
        if (value === undefined) {
          // The child was removed; the parent's shape check above covered `required`.
          break;
        }
      }
    }
    return issues;
  }

  /**
   * Follows a node that is only a local `$ref` (plus annotations) to its target, so schemas generated from TypeScript
   * types (`{ $ref: '#/definitions/Settings', definitions }`) still validate changes incrementally.
   */
  #follow(schema: Schema | boolean, pointer: string): { schema: Schema | boolean; pointer: string } {
    for (let hops = 0; hops < 16 && typeof schema === 'object' && typeof schema.$ref === 'string' && schema.$ref.startsWith('#/'); hops++) {
      if (!Object.keys(schema).every((k) => REF_SIBLINGS.has(k))) break;
      const target = schema.$ref.slice(1);
      let node: unknown = this.#root;
      for (const seg of target.slice(1).split('/')) {
        node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
      }
      if (node === undefined || (typeof node !== 'object' && typeof node !== 'boolean')) break;
      schema = node as Schema | boolean;
      pointer = target;
    }
    return { schema, pointer };
  }

  #descend(schema: Schema | boolean, pointer: string, value: unknown, segment: string):
    { schema: Schema | true; pointer: string; value: unknown } | null {
    if (typeof schema !== 'object' || value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      if (!Object.keys(schema).every((k) => ARRAY_KEYWORDS.has(k))) return null;
      const items = schema.items;
      if (items === undefined || items === true) return { schema: true, pointer, value: undefined };
      if (typeof items !== 'object' || Array.isArray(items)) return null;
      return { schema: items as Schema, pointer: `${pointer}/items`, value: (value as unknown[])[Number(segment)] };
    }
    if (!Object.keys(schema).every((k) => OBJECT_KEYWORDS.has(k))) return null;
    const props = (schema.properties ?? {}) as Record<string, Schema | boolean>;
    const child = Object.hasOwn(props, segment) ? props[segment] : (schema.additionalProperties ?? true);
    const childValue = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
    if (child === true) return { schema: true, pointer, value: childValue };
    if (child === false) return null;
    const childPointer = Object.hasOwn(props, segment)
      ? `${pointer}/properties/${escapeSegment(segment)}`
      : `${pointer}/additionalProperties`;
    return { schema: child as Schema, pointer: childPointer, value: childValue };
  }

  #compileAt(schemaPointer: string): ValidateFunction {
    let fn = this.#byPointer.get(schemaPointer);
    if (!fn) {
      fn = schemaPointer === '' ? this.#full : this.#instance().compile({ $ref: `esd-root#${schemaPointer}` });
      this.#byPointer.set(schemaPointer, fn);
    }
    return fn;
  }

  #shapeAt(schemaPointer: string, schema: Schema): ValidateFunction | null {
    if (this.#shapeByPointer.has(schemaPointer)) return this.#shapeByPointer.get(schemaPointer)!;
    const { properties, items, additionalProperties, definitions: _d, $defs: _dd, $id: _id, $schema: _s, ...own } = schema;
    const shape: Schema = { ...own };
    if (properties) shape.properties = Object.fromEntries(Object.keys(properties).map((k) => [k, true]));
    if (additionalProperties === false) shape.additionalProperties = false;
    const hasConstraint = Object.keys(shape).some((k) => !['title', 'description', 'default', 'examples', '$comment', 'properties', 'deprecated', 'readOnly', 'writeOnly'].includes(k));
    const fn = hasConstraint ? this.#instance().compile(shape) : null;
    void items;
    this.#shapeByPointer.set(schemaPointer, fn);
    return fn;
  }
}

function escapeSegment(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

function toIssues(errors: ErrorObject[] | null | undefined, prefix: string): ValidationIssue[] {
  return (errors ?? []).map((e) => ({
    instancePath: prefix + e.instancePath,
    message: e.message ?? 'is invalid',
    keyword: e.keyword,
    params: e.params as Record<string, unknown>,
  }));
}

/** The StoreError for a failed validation, carrying ajv's errors. */
export function validationError(store: string, issues: ValidationIssue[]): StoreError {
  const summary = issues.slice(0, 3).map((i) => `${i.instancePath || '(root)'} ${i.message}`).join('; ');
  return new StoreError('VALIDATION_FAILED', `The write does not match the store's schema: ${summary}. Nothing was written.`, {
    store, key: issues[0]?.instancePath, details: { errors: issues },
  });
}
