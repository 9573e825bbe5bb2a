import { applyPatch, type Operation } from 'rfc6902';
import { StoreError } from '../../protocol/errors.ts';
import { fromPointer, getAt, joinKey, toPointer } from '../../protocol/keys.ts';
import type { JsonObject } from '../../protocol/types.ts';
import type { CopyOnWrite } from './copy-on-write.ts';

/**
 * A write being applied to the live document. Every change goes through `set`/`remove`, which emit the rfc6902 op
 * *and* its inverse from the old value at that path — ops are built from the write, never by diffing documents —
 * and apply the op with rfc6902. `undo()` puts the document back exactly (a rejected write changes nothing).
 */
export class Draft {
  readonly ops: Operation[] = [];
  readonly inverse: Operation[] = [];
  /** Changed paths, as segments, for incremental validation and key-scoped listeners. */
  readonly paths: string[][] = [];
  /**
   * Per op (and its inverse), the array it concerns, as the length of the op's path that names it: the array the path
   * runs through, or the path itself when the op adds, replaces or removes an array; -1 when no array is involved.
   * Decided against the document as the op found it: who may see an op inside an array depends on it (policy.ts),
   * and the document by the time the op is sent or read back from history may no longer have that array.
   */
  readonly anchors: number[] = [];
  /** Exact change in the compact-JSON size of the document, in bytes (the quota and info().bytes). */
  byteDelta = 0;

  /**
   * @param enclosing for encrypted keys: the encrypted path a change lies strictly below, if any. Such a change is
   * recorded as a replace of that whole path, because the journal holds its value only as one ciphertext.
   */
  constructor(readonly doc: JsonObject, readonly store: string, readonly enclosing?: (path: readonly string[]) => string[] | undefined,
    /** Set while a checkpoint serializes a frozen view of the document: changes copy what they would share with it. */
    readonly cow?: CopyOnWrite) {}

  /** electron-store `set` semantics: missing or non-object parents become objects. */
  set(segments: readonly string[], value: unknown): void {
    let node: unknown = this.doc;
    for (let i = 0; i < segments.length - 1; i++) {
      const child = childOf(node, segments[i], this.store, segments);
      if (child === null || typeof child !== 'object') {
        // Collapse the rest of the path into one nested value at the first missing (or scalar) segment.
        let nested: unknown = value;
        for (let j = segments.length - 1; j > i; j--) nested = { [segments[j]]: nested };
        this.#put(segments.slice(0, i + 1), nested);
        return;
      }
      node = child;
    }
    this.#put(segments, value);
  }

  /** Removes the value at `segments` if there is one; a missing key is not an error (electron-store's `delete`). */
  remove(segments: readonly string[]): void {
    const parent = getAt(this.doc, segments.slice(0, -1));
    const last = segments[segments.length - 1];
    if (parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, last)) return;
    if (Array.isArray(parent) && !isIndex(last, parent.length - 1)) return;
    const old = (parent as Record<string, unknown>)[last];
    const path = toPointer(segments);
    this.#apply({ op: 'remove', path }, { op: 'add', path, value: old }, segments, -memberSize(parent, last, old));
  }

  /** Applies one client-supplied rfc6902 op (all six kinds), normalized to add/remove/replace. */
  patchOp(op: Operation, index: number): void {
    const where = `patch op ${index} (${op.op} ${op.path})`;
    const segments = fromPointer(op.path, this.store);
    if (segments.length === 0) throw new StoreError('INVALID_KEY', `${where}: the root cannot be patched; patch its keys.`, { store: this.store });
    switch (op.op) {
      case 'add':
        return this.#add(segments, op.value, where);
      case 'replace':
        if (!this.#exists(segments)) throw missing(where, this.store);
        return this.#put(segments, op.value);
      case 'remove':
        if (!this.#exists(segments)) throw missing(where, this.store);
        return this.remove(segments);
      case 'move': {
        const from = fromPointer(op.from, this.store);
        if (!this.#exists(from)) throw missing(`${where} from ${op.from}`, this.store);
        const value = getAt(this.doc, from);
        this.remove(from);
        return this.#add(segments, value, where);
      }
      case 'copy': {
        const from = fromPointer(op.from, this.store);
        if (!this.#exists(from)) throw missing(`${where} from ${op.from}`, this.store);
        return this.#add(segments, structuredClone(getAt(this.doc, from)), where);
      }
      case 'test': {
        const [result] = applyPatch(this.doc, [op]);
        if (result) throw new StoreError('CONFLICT', `${where}: the test failed, the value there is different. Nothing was written.`, { store: this.store, key: joinKey(segments) });
        return;
      }
      default:
        throw new StoreError('INVALID_KEY', `patch op ${index}: unknown op "${String((op as { op: unknown }).op)}"; use add, remove, replace, move, copy or test.`, { store: this.store });
    }
  }

  /** Puts the document back as it was before this draft. */
  undo(): void {
    for (let i = this.inverse.length - 1; i >= 0; i--) {
      this.cow?.own(this.doc, fromPointer(this.inverse[i].path).slice(0, -1));
      const [err] = applyPatch(this.doc, [this.inverse[i]]);
      if (err) throw new Error(`internal: undo failed at ${this.inverse[i].path}: ${err.message}`);
    }
    this.ops.length = 0;
    this.inverse.length = 0;
    this.paths.length = 0;
    this.byteDelta = 0;
  }

  #exists(segments: readonly string[]): boolean {
    const parent = getAt(this.doc, segments.slice(0, -1));
    const last = segments[segments.length - 1];
    if (parent === null || typeof parent !== 'object') return false;
    if (Array.isArray(parent)) return isIndex(last, parent.length - 1);
    return Object.hasOwn(parent, last);
  }

  /** rfc6902 `add`: inserts into arrays (`-` appends), sets on objects. */
  #add(segments: readonly string[], value: unknown, where: string): void {
    const parent = getAt(this.doc, segments.slice(0, -1));
    const last = segments[segments.length - 1];
    if (parent === null || typeof parent !== 'object') throw missing(where, this.store);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : isIndex(last, parent.length) ? Number(last) : -1;
      if (index < 0) throw new StoreError('INVALID_KEY', `${where}: "${last}" is not an index of the array (0…${parent.length} or -).`, { store: this.store });
      const path = toPointer([...segments.slice(0, -1), String(index)]);
      this.#apply({ op: 'add', path, value }, { op: 'remove', path }, [...segments.slice(0, -1), String(index)], size(value) + (parent.length > 0 ? 1 : 0));
      return;
    }
    this.#put(segments, value);
  }

  /** Sets an existing parent's child: `replace` if present (inverse: old value), else `add` (inverse: remove). */
  #put(segments: readonly string[], value: unknown): void {
    const parent = getAt(this.doc, segments.slice(0, -1)) as Record<string, unknown> | unknown[];
    const last = segments[segments.length - 1];
    const path = toPointer(segments);
    if (Array.isArray(parent)) {
      if (!isIndex(last, parent.length)) {
        throw new StoreError('INVALID_KEY', `"${joinKey(segments)}": "${last}" is not an index of the array (0…${parent.length}).`, { store: this.store, key: joinKey(segments) });
      }
      if (Number(last) === parent.length) {
        this.#apply({ op: 'add', path, value }, { op: 'remove', path }, segments, size(value) + (parent.length > 0 ? 1 : 0));
        return;
      }
    }
    if (Object.hasOwn(parent, last)) {
      const old = (parent as Record<string, unknown>)[last];
      // Writing the value already there changes nothing: no op, so no rev and no change event (as electron-store,
      // which compares old and new before it notifies).
      if (jsonEqual(old, value)) return;
      this.#apply({ op: 'replace', path, value }, { op: 'replace', path, value: old }, segments, size(value) - size(old));
    } else {
      this.#apply({ op: 'add', path, value }, { op: 'remove', path }, segments, memberSize(parent, last, value, 1));
    }
  }

  #apply(op: Operation, inverse: Operation, segments: readonly string[], delta: number): void {
    const outer = this.enclosing?.(segments);
    const outerOld = outer ? structuredClone(getAt(this.doc, outer)) : undefined;
    // Under an encrypted path the op is recorded on the enclosing path, whose new value is known only afterwards.
    let anchor = arrayAnchor(this.doc, outer ?? segments, outer || !('value' in op) ? undefined : op.value);
    // The document gets its own copy of the value: the op stays as written for the journal and the broadcast,
    // whatever later ops of the same group do to the document.
    const applied = 'value' in op ? { ...op, value: structuredClone(op.value) } : op;
    this.cow?.own(this.doc, segments.slice(0, -1));
    const [err] = applyPatch(this.doc, [applied]);
    if (err) throw new StoreError('INVALID_KEY', `Cannot apply ${op.op} at ${op.path}: ${err.message}.`, { store: this.store, key: joinKey(segments) });
    if (outer) {
      const path = toPointer(outer);
      op = { op: 'replace', path, value: structuredClone(getAt(this.doc, outer)) };
      inverse = { op: 'replace', path, value: outerOld };
    }
    this.ops.push(op);
    this.inverse.push(inverse);
    if (outer && anchor === -1 && Array.isArray(getAt(this.doc, outer))) anchor = outer.length;
    this.anchors.push(anchor);
    this.paths.push([...segments]);
    this.byteDelta += delta;
  }
}

/** See Draft.anchors: walks `path` in `doc` as it is before the op; `value` is what the op puts there. */
function arrayAnchor(doc: unknown, path: readonly string[], value: unknown): number {
  let node = doc;
  for (let i = 0; i < path.length; i++) {
    if (Array.isArray(node)) return i;
    if (node === null || typeof node !== 'object') return -1;
    node = (node as Record<string, unknown>)[path[i]];
  }
  return Array.isArray(node) || Array.isArray(value) ? path.length : -1;
}

function childOf(node: unknown, segment: string, store: string, full: readonly string[]): unknown {
  if (Array.isArray(node)) {
    if (!isIndex(segment, node.length - 1)) {
      throw new StoreError('INVALID_KEY', `"${joinKey(full)}": "${segment}" is not an index of the array at that path.`, { store, key: joinKey(full) });
    }
    return node[Number(segment)];
  }
  return Object.hasOwn(node as object, segment) ? (node as Record<string, unknown>)[segment] : undefined;
}

function isIndex(segment: string, max: number): boolean {
  return /^(0|[1-9]\d*)$/.test(segment) && Number(segment) <= max;
}

function missing(where: string, store: string): StoreError {
  return new StoreError('INVALID_KEY', `${where}: nothing exists at that path.`, { store });
}

/** Bytes of a value serialized as compact JSON (UTF-8): what the quota (`maxBytes`) and `info().bytes` count. */
export function size(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

/**
 * Bytes one member of `parent` takes in compact JSON, with the comma that separates it from a sibling: the exact
 * change in the document's size when it is added (`adding` = 1: the parent does not hold it yet) or removed.
 */
function memberSize(parent: object, key: string, value: unknown, adding: 0 | 1 = 0): number {
  const siblings = (Array.isArray(parent) ? parent.length : Object.keys(parent).length) + adding - 1;
  const keyBytes = Array.isArray(parent) ? 0 : size(key) + 1;
  return keyBytes + size(value) + (siblings > 0 ? 1 : 0);
}

/** Structural equality of two JSON values (key order ignored, as in the document's meaning). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
