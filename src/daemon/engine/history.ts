import { StoreError } from '../../protocol/errors.ts';
import { fromPointer, isPrefix, parseKey } from '../../protocol/keys.ts';
import type { HistoryEntry, StoreDefinition } from '../../protocol/types.ts';
import type { RollbackTarget, WriteTarget } from '../../protocol/write.ts';
import type { Journal, JournalRecord } from '../storage/journal.ts';

/** The most records one history() call returns. */
export const MAX_PAGE = 1000;

/** History records with rev > sinceRev, optionally touching `key`, newest `limit`, oldest first. */
export function queryHistory(journal: Journal, rev: number, store: string, query: { sinceRev?: unknown; key?: unknown; limit?: unknown }): Array<HistoryEntry & Pick<JournalRecord, 'anchors'>> {
  const since = query.sinceRev ?? 0;
  if (typeof since !== 'number' || !Number.isInteger(since) || since < 0) throw new StoreError('INVALID_KEY', 'history: sinceRev must be a non-negative number.', { store });
  const limit = query.limit ?? 100;
  if (typeof limit !== 'number' || limit < 1 || !Number.isInteger(limit)) throw new StoreError('INVALID_KEY', 'history: limit must be a positive integer.', { store });
  const keySegments = query.key === undefined ? undefined : parseKey(query.key, store);
  // A page is at most MAX_PAGE records, and without a key filter only the records of that page are read: a client
  // asking again and again cannot make the daemon read the whole retained journal each time.
  const page = Math.min(limit, MAX_PAGE);
  let entries = journal.read(keySegments ? since + 1 : Math.max(since + 1, rev - page + 1), rev);
  if (keySegments) {
    entries = entries.filter((e) => e.ops.some((op) => {
      const p = fromPointer(op.path, store);
      return isPrefix(keySegments, p) || isPrefix(p, keySegments);
    }));
  }
  return entries.slice(-page);
}

/**
 * Rollback: applies the inverse of every record after the target, newest first, to the draft — one new write, itself
 * undoable. A time goes back to the last rev committed at or before it.
 */
export function undoAfter(journal: Journal, rev: number, store: string, to: RollbackTarget, target: WriteTarget): void {
  let targetRev: number;
  if ('rev' in to) {
    targetRev = to.rev;
  } else {
    const after = journal.read(0, rev).filter((r) => r.time > to.time);
    targetRev = after.length > 0 ? after[0].rev - 1 : rev;
  }
  if (targetRev > rev) throw new StoreError('CONFLICT', `rollback: rev ${targetRev} is ahead of the store (rev ${rev}).`, { store });
  if (targetRev >= rev) return;
  const records = journal.read(targetRev + 1, rev);
  if (records.length !== rev - targetRev || records[0]?.rev !== targetRev + 1) {
    throw new StoreError('BACKUP_NOT_FOUND', `rollback: history before rev ${records[0]?.rev ?? rev} is no longer kept; restore a backup instead.`, { store });
  }
  for (let r = records.length - 1; r >= 0; r--) {
    const inv = records[r].inverse;
    for (let i = inv.length - 1; i >= 0; i--) target.patchOp(inv[i], i);
  }
}

/** The rev history may be pruned up to: `maxEntries` records (default 1000) and at most `maxBytes` of journal kept. */
export function historyFloor(journal: Journal, rev: number, history: StoreDefinition['history']): number {
  const { maxEntries = 1000, maxBytes } = history ?? {};
  return Math.max(rev - maxEntries, maxBytes === undefined ? 0 : journal.floorForBytes(maxBytes));
}
