import { createPatch, type Operation } from 'rfc6902';
import { toPointer } from '../../protocol/keys.ts';
import type { JsonObject } from '../../protocol/types.ts';

/** Subtrees larger than this are replaced whole: rfc6902's createPatch is quadratic in array positions. */
const DIFF_LIMIT = 64 * 1024;

/**
 * Ops that turn `base` (the last checkpoint) into `edited` (the hand-edited file), compared by top-level key.
 * Arrays and large subtrees are replaced whole; small objects get rfc6902's fine-grained patch so a hand edit of one
 * nested field merges with concurrent writes to its siblings.
 */
export function diffDocuments(base: JsonObject, edited: JsonObject): Operation[] {
  const ops: Operation[] = [];
  for (const key of Object.keys(base)) {
    if (!Object.hasOwn(edited, key)) ops.push({ op: 'remove', path: toPointer([key]) });
  }
  for (const key of Object.keys(edited)) {
    const path = toPointer([key]);
    if (!Object.hasOwn(base, key)) {
      ops.push({ op: 'add', path, value: edited[key] });
      continue;
    }
    const before = JSON.stringify(base[key]);
    const after = JSON.stringify(edited[key]);
    if (before === after) continue;
    const a = base[key];
    const b = edited[key];
    const plainObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
    if (plainObjects && before.length + after.length < DIFF_LIMIT) {
      for (const op of createPatch(a, b)) ops.push({ ...op, path: path + op.path, ...('from' in op ? { from: path + op.from } : {}) } as Operation);
    } else {
      ops.push({ op: 'replace', path, value: b });
    }
  }
  return ops;
}
