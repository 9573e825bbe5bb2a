import type { Operation } from 'rfc6902';
import { StoreError } from './errors.ts';
import { fromPointer, getAt, joinKey, parseKey, toPointer } from './keys.ts';
import type { WriteRequest } from './messages.ts';
import type { JsonObject } from './types.ts';
import { checkJsonValue } from './values.ts';

/**
 * The one interpreter of writes. The client (early checks, before posting), the daemon's policy gate (which paths a
 * write declares) and the engine (applying it to a draft) all call `parseWrite`, so a write means the same thing on
 * every side and each side parses a key once.
 */

/** What a parsed write applies itself to (the daemon's Draft): every change goes through these three. */
export interface WriteTarget {
  readonly doc: JsonObject;
  set(segments: readonly string[], value: unknown): void;
  remove(segments: readonly string[]): void;
  patchOp(op: Operation, index: number): void;
}

/** What applying a write needs from its store. */
export interface WriteContext {
  /** The store's defaults (reset, clear). */
  readonly defaults: JsonObject;
  /** Rollback: undoes every committed write after `to` on the target (throws CONFLICT/BACKUP_NOT_FOUND). */
  undoAfter(to: RollbackTarget, target: WriteTarget): void;
}

/** Where a rollback goes. */
export type RollbackTarget = { rev: number } | { time: number };

/**
 * Writes the daemon makes on a client's behalf from other requests: `import()` and `backups.restore()` replace the
 * whole document, `rollback()` undoes history. They are parsed (and authorized) exactly like client writes.
 */
export type AdminWrite =
  | { kind: 'import'; doc: unknown; ifRev?: number }
  | { kind: 'restore'; doc: unknown; ifRev?: number }
  | { kind: 'rollback'; to: unknown; ifRev?: number };

/** Any write the engine commits. */
export type AnyWrite = WriteRequest | AdminWrite;

/** A checked write: what it touches (for the policy gate) and how to apply it (for the engine). */
export interface ParsedWrite {
  readonly kind: AnyWrite['kind'];
  readonly ifRev?: number;
  /** Paths the write changes, as the request names them (whole-document writes name none: see `wholeDocument`). */
  readonly writes: readonly (readonly string[])[];
  /** Paths whose value the write depends on (`test`, and `from` of `move`/`copy`). */
  readonly reads: readonly (readonly string[])[];
  /** clear, import, restore, rollback: the changed paths are known only once applied to the document. */
  readonly wholeDocument: boolean;
  /** The operation's name when it needs an admin client (as the error message says it). */
  readonly admin?: string;
  /** Validate the whole document after it (its changes are not a few named paths). */
  readonly validateAll: boolean;
  /** The values the write carries (set, setMany, append, patch), so a quota can refuse it from their size first. */
  readonly values?: readonly unknown[];
  apply(target: WriteTarget, context: WriteContext): void;
}

type KeyParser = (key: unknown, store?: string) => string[];

/**
 * Checks a write's shape, keys and values and returns it parsed. Throws INVALID_KEY / NOT_SERIALIZABLE (a StoreError
 * naming the key) synchronously; nothing about the store's current document is consulted here.
 */
export function parseWrite(request: unknown, store?: string, parse: KeyParser = parseKey): ParsedWrite {
  if (request === null || typeof request !== 'object') throw new StoreError('INVALID_KEY', 'A write request must be an object.', { store });
  const r = request as AnyWrite;
  const ifRev = checkIfRev(r.ifRev, store);
  switch (r.kind) {
    case 'set': {
      // The hot path (every set() on a UI thread parses here first): one plain object, no spreads.
      const segments = parse(r.key, store);
      checkJsonValue(r.value, r.key, store);
      const value = r.value;
      return write('set', ifRev, [segments], (t) => t.set(segments, value), [value]);
    }
    case 'setMany': {
      const values = r.values as unknown;
      if (!isPlainObject(values)) throw new StoreError('NOT_SERIALIZABLE', 'set(object) takes a plain object of key paths and values.', { store });
      const entries = Object.keys(values).map((k) => {
        if (k === '__proto__') throw new StoreError('INVALID_KEY', 'The object has an own "__proto__" key, which is not allowed.', { store, key: k });
        const segments = parse(k, store);
        checkJsonValue(values[k], k, store);
        return [segments, values[k]] as const;
      });
      return write('setMany', ifRev, entries.map(([s]) => s), (t) => entries.forEach(([s, v]) => t.set(s, v)), entries.map(([, v]) => v));
    }
    case 'append': {
      const segments = parse(r.key, store);
      checkJsonValue(r.value, `${r.key}.-`, store);
      const value = r.value;
      return write('append', ifRev, [segments], (t) => {
          const current = getAt(t.doc, segments);
          if (current === undefined) return t.set(segments, [value]);
          if (!Array.isArray(current)) {
            throw new StoreError('INVALID_KEY', `appendToArray: "${r.key}" is already set to a non-array value; delete it or set an array first.`, { store, key: r.key });
          }
          t.patchOp({ op: 'add', path: toPointer([...segments, '-']), value }, 0);
      }, [value]);
    }
    case 'delete': {
      const segments = parse(r.key, store);
      return write('delete', ifRev, [segments], (t) => t.remove(segments));
    }
    case 'reset': {
      if (!Array.isArray(r.keys)) throw new StoreError('INVALID_KEY', 'reset() takes key paths.', { store });
      const paths = r.keys.map((k) => parse(k, store));
      // electron-store semantics: a key with a default goes back to it; a key without one is left as it is. conf
      // looks the key up among the defaults by its top-level name, so a dot path into a default object resets nothing.
      return write('reset', ifRev, paths, (t, ctx) => paths.forEach((segments) => {
        const def = segments.length === 1 ? getAt(ctx.defaults, segments) : undefined;
        if (def !== undefined) t.set(segments, structuredClone(def));
      }));
    }
    case 'clear':
      return { ...write('clear', ifRev, [], (t, ctx) => replaceDocument(t, ctx.defaults)), wholeDocument: true, admin: 'clear()' };
    case 'patch': {
      if (!Array.isArray(r.ops)) throw new StoreError('INVALID_KEY', 'patch() takes an array of rfc6902 operations.', { store });
      const writes: string[][] = [];
      const reads: string[][] = [];
      const ops = r.ops.map((op, i) => checkOperation(op, i, store, writes, reads));
      const values = ops.flatMap((op) => ('value' in op ? [op.value] : []));
      return { ...write('patch', ifRev, writes, (t) => ops.forEach((op, i) => t.patchOp(op, i)), values), reads };
    }
    case 'import':
    case 'restore': {
      const doc = documentOf(r.doc, store);
      const admin = r.kind === 'import' ? 'import()' : 'backups.restore()';
      return { ...write(r.kind, ifRev, [], (t) => replaceDocument(t, doc)), wholeDocument: true, validateAll: true, admin };
    }
    case 'rollback': {
      const to = rollbackTarget(r.to, store);
      return { ...write('rollback', ifRev, [], (t, ctx) => ctx.undoAfter(to, t)), wholeDocument: true, validateAll: true, admin: 'rollback()' };
    }
    default:
      throw new StoreError('INVALID_KEY', `Unknown write kind "${String((r as { kind: unknown }).kind)}".`, { store });
  }
}

const NO_PATHS: readonly (readonly string[])[] = [];

/** A parsed write that names its paths (the common case). */
function write(kind: ParsedWrite['kind'], ifRev: number | undefined, writes: readonly (readonly string[])[], apply: ParsedWrite['apply'], values?: readonly unknown[]): ParsedWrite {
  return { kind, ifRev, writes, reads: NO_PATHS, wholeDocument: false, validateAll: false, apply, values };
}

function checkIfRev(ifRev: unknown, store: string | undefined): number | undefined {
  if (ifRev === undefined) return undefined;
  if (typeof ifRev !== 'number' || !Number.isSafeInteger(ifRev) || ifRev < 0) {
    throw new StoreError('INVALID_KEY', `ifRev must be a non-negative integer rev; got ${String(ifRev)}.`, { store });
  }
  return ifRev;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An imported or restored document: a JSON object; conf's `__internal__` in it is dropped (the daemon keeps its own). */
function documentOf(value: unknown, store: string | undefined): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StoreError('NOT_SERIALIZABLE', 'The imported document must be a JSON object.', { store });
  }
  const { __internal__: _internal, ...doc } = value as Record<string, unknown>;
  checkJsonValue(doc, '(document)', store);
  return doc as JsonObject;
}

function rollbackTarget(to: unknown, store: string | undefined): RollbackTarget {
  const t = to as { rev?: unknown; time?: unknown } | null;
  if (t && typeof t === 'object' && typeof t.rev === 'number' && Number.isInteger(t.rev) && t.rev >= 0) return { rev: t.rev };
  if (t && typeof t === 'object' && (typeof t.time === 'number' || typeof t.time === 'string')) {
    const time = typeof t.time === 'number' ? t.time : Date.parse(t.time);
    if (!Number.isFinite(time)) throw new StoreError('INVALID_KEY', `rollback: "${String(t.time)}" is not a date.`, { store });
    return { time };
  }
  throw new StoreError('INVALID_KEY', 'rollback takes { rev: number } or { time: ISO string | epoch ms }.', { store });
}

/** Makes the document equal `next` with one op per top-level key that differs (so per-key listeners still work). */
export function replaceDocument(target: WriteTarget, next: JsonObject): void {
  for (const key of Object.keys(target.doc)) if (!Object.hasOwn(next, key)) target.remove([key]);
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(target.doc, key) || JSON.stringify(target.doc[key]) !== JSON.stringify(next[key])) target.set([key], structuredClone(next[key]));
  }
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Shape-checks one client-supplied rfc6902 operation and records the paths it writes and reads. */
function checkOperation(op: unknown, index: number, store: string | undefined, writes: string[][], reads: string[][]): Operation {
  if (op === null || typeof op !== 'object') throw new StoreError('INVALID_KEY', `patch op ${index} is not an object.`, { store });
  const o = op as Record<string, unknown>;
  if (typeof o.op !== 'string' || !OPS.has(o.op)) throw new StoreError('INVALID_KEY', `patch op ${index}: "op" must be one of add, remove, replace, move, copy, test.`, { store });
  const path = fromPointer(o.path, store);
  if (o.op === 'test') reads.push(path);
  else writes.push(path);
  if (o.op === 'move' || o.op === 'copy') {
    const from = fromPointer(o.from, store);
    reads.push(from);
    if (o.op === 'move') writes.push(from);
  }
  if (o.op === 'add' || o.op === 'replace' || o.op === 'test') {
    if (!('value' in o)) throw new StoreError('NOT_SERIALIZABLE', `patch op ${index} (${o.op}) needs a "value".`, { store });
    checkJsonValue(o.value, joinKey(path) || '(root)', store);
  }
  return op as Operation;
}
