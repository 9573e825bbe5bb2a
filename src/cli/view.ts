import { applyRecord } from '../daemon/engine/records.ts';
import type { JournalRecord } from '../daemon/storage/segment-files.ts';
import { StoreError } from '../protocol/errors.ts';
import type { JsonObject } from '../protocol/types.ts';
import type { StoreFiles } from './folder.ts';

/** A store as the files show it now: the checkpoint plus the journal records after it (values still sealed). */
export interface StoreView {
  doc: JsonObject;
  /** The rev the view is at (the checkpoint's, plus the records applied). */
  rev: number;
  checkpointRev: number;
  /** Records after the checkpoint that were applied. */
  tail: JournalRecord[];
  /** Why the view stops short of the journal's end, if it does. */
  problems: string[];
}

/**
 * Reads the store's current state without the lock, the way recovery would at the next start: the checkpoint, then
 * every journal record after its rev, in order, each applied whole or not at all. Nothing is written (recovery's
 * repairs — cutting a torn tail, moving evidence aside — are the daemon's, under the lock).
 */
export function readView(files: StoreFiles): StoreView {
  const cp = files.readCheckpoint();
  if (cp.state === 'bad') {
    throw new StoreError('IO_FAILED', `${files.name}.json cannot be used: ${cp.reason}. The app rebuilds it from backups and the journal at its next start; \`verify\` lists what is damaged.`, { store: files.name });
  }
  const doc: JsonObject = cp.state === 'ok' ? cp.doc : {};
  const problems: string[] = [];
  if (cp.state === 'missing') {
    const first = files.journal.firstRev();
    if (first !== undefined && first > 1) problems.push(`${files.name}.json is missing and the journal starts at rev ${first}: this view holds only the journal's changes (the app rebuilds from a backup at its next start)`);
  }
  const tail: JournalRecord[] = [];
  let rev = cp.rev;
  for (const record of files.journal.read(cp.rev + 1)) {
    if (record.rev !== rev + 1) {
      problems.push(`the journal has no rev ${rev + 1} (next is ${record.rev}); this view stops at rev ${rev}`);
      break;
    }
    const failure = applyRecord(doc, record.ops, record.inverse);
    if (failure !== undefined) {
      problems.push(`journal record ${record.rev} does not apply (${failure}); this view stops at rev ${rev}`);
      break;
    }
    tail.push(record);
    rev = record.rev;
  }
  return { doc, rev, checkpointRev: cp.rev, tail, problems };
}
