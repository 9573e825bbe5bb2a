import { applyPatch, type Operation } from 'rfc6902';
import type { JsonObject } from '../../protocol/types.ts';
import type { Journal } from '../storage/journal.ts';

/**
 * Applies a record's ops in order; on the first that fails (or is malformed), undoes the ones before it with their
 * inverses and returns why. The document is then exactly as before the record.
 */
export function applyRecord(doc: JsonObject, ops: readonly Operation[], inverse: readonly Operation[]): string | undefined {
  for (let i = 0; i < ops.length; i++) {
    let error: Error | null;
    try {
      [error] = applyPatch(doc, [ops[i]]);
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new Error(String(thrown));
    }
    if (error) {
      for (let j = i - 1; j >= 0; j--) applyPatch(doc, [inverse[j]]);
      return error.message;
    }
  }
  return undefined;
}

/**
 * The document as it was at rev `at` — for the three-way merge of a hand edit, the rev of the checkpoint the edit
 * started from: a copy of the current document (at `rev`) with the later records undone through their inverses.
 * Without those records (history pruned, lost revs), a copy of the current document: the edit then wins wherever it
 * differs.
 */
export function documentAt(journal: Journal, doc: JsonObject, rev: number, at: number): JsonObject {
  const base = structuredClone(doc);
  if (at >= rev) return base;
  const records = journal.read(at + 1, rev);
  if (records.length !== rev - at) return base;
  for (let r = records.length - 1; r >= 0; r--) {
    if (applyRecord(base, [...records[r].inverse].reverse(), []) !== undefined) return structuredClone(doc);
  }
  return base;
}
