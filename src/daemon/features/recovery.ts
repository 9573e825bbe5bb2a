import { StoreError } from '../../protocol/errors.ts';
import type { JsonObject } from '../../protocol/types.ts';
import { applyRecord, documentAt } from '../engine/records.ts';
import type { ClosedEdit, OpeningState, RecoveryReport } from '../engine/types.ts';
import type { CheckedBackup } from '../storage/backup-files.ts';
import { INTERNAL_KEY, type CheckpointFile } from '../storage/checkpoint.ts';
import type { Journal } from '../storage/journal.ts';
import type { DocumentValidator } from './validator.ts';

/** Where recovery may find a backup to rebuild from. */
export interface BackupSource {
  /** The newest backup that verifies (hash, parse, schema); pushes why others were skipped. */
  newestValid(skipped: string[]): CheckedBackup | undefined;
}

export interface RecoveryInput {
  name: string;
  checkpoint: CheckpointFile;
  journal: Journal;
  validator?: DocumentValidator;
  defaults: JsonObject;
  backups?: BackupSource;
  /** True when migrations will run on a document with this conf data: its old shape need not fit the schema yet. */
  migrationPending?(internal: Record<string, unknown>): boolean;
}

interface Base {
  doc: JsonObject;
  internal: Record<string, unknown>;
  rev: number;
  source: RecoveryReport['source'];
  backupId?: string;
}

/**
 * Start-up recovery (SPEC §6.8), in this order:
 * 1. The checkpoint `<name>.json`, if it reads, parses to an object, carries a sane rev and fits the schema.
 * 2. Otherwise (truncated, garbage, empty, failing the schema, or missing while a journal or backups exist) it is
 *    renamed `<name>.corrupt-<time>.json` and the store is rebuilt from the newest backup that verifies.
 * 3. Without a usable backup, from the defaults plus the whole journal if it still starts at rev 1.
 * 4. Otherwise from the defaults alone; every piece of evidence stays on disk and the report says so.
 * Then journal records newer than the base are replayed (a torn last record is dropped). A rebuilt store is
 * checkpointed at once, at the highest rev it ever had, so revs never go backwards. Never throws for bad data;
 * throws IO_FAILED only when the rebuilt state cannot be written.
 */
export function recoverStore(input: RecoveryInput): OpeningState {
  const { checkpoint, journal, name } = input;
  const problems: string[] = [];
  const keptAside: string[] = [];
  let base: Base | undefined;
  let knownRev = 0;
  let needsBase = false;

  try {
    checkpoint.removeStaleTemps();
  } catch {
    // Only clutter: the checkpoint itself is what matters.
  }
  const inspected = checkpoint.inspect();
  // The daemon's mark tells its own file from the user's: an edit or a deletion made while the app was closed is
  // applied on top of the daemon's own last state after the open (SPEC §6.8, §6.10), never replayed over.
  let closedEdit: ClosedEdit | undefined;
  const mark = checkpoint.mark();
  if (inspected.state === 'ok' && checkpoint.wrote(inspected.text) === false) {
    const { [INTERNAL_KEY]: rawInternal, ...edited } = inspected.raw;
    const { storeDaemon: _meta, ...internal } = (rawInternal && typeof rawInternal === 'object' && !Array.isArray(rawInternal) ? rawInternal : {}) as Record<string, unknown>;
    closedEdit = { kind: 'edit', doc: edited as JsonObject, internal, base: {}, text: inspected.text };
    knownRev = Math.max(knownRev, mark?.rev ?? 0);
    problems.push(`${name}.json was edited while the app was closed: the edit is applied on top of the daemon's own last state`);
    needsBase = true;
  } else if (inspected.state === 'ok') {
    const why = checkRaw(inspected.raw, input);
    knownRev = Math.max(knownRev, metaRev(inspected.raw) ?? 0);
    if (why === undefined) {
      try {
        const loaded = checkpoint.load();
        base = { doc: loaded.doc, internal: loaded.internal, rev: loaded.meta.rev, source: 'checkpoint' };
      } catch (error) {
        keepAside(`it cannot be loaded (${(error as Error).message})`);
      }
    } else {
      keepAside(why);
    }
  } else if (inspected.state === 'bad') {
    const keptAs = keepAside(inspected.reason);
    // Damage and a broken hand edit look the same; either way the daemon's state stands and the text is kept.
    if (mark) closedEdit = { kind: 'rejected', keptAs, reason: inspected.reason };
  } else if (mark) {
    closedEdit = { kind: 'deleted' };
    knownRev = Math.max(knownRev, mark.rev);
    problems.push(`${name}.json was deleted while the app was closed: the store is reset to its defaults (undoable; a backup holds the state before)`);
    needsBase = true;
  } else if (journal.exists()) {
    problems.push(`checkpoint ${name}.json is missing although the store has a journal`);
    needsBase = true;
  }

  function keepAside(reason: string): string {
    let to: string;
    try {
      to = checkpoint.moveAside();
      keptAside.push(to);
      problems.push(`checkpoint ${name}.json was unusable: ${reason}; kept aside as ${to}`);
    } catch (error) {
      throw new StoreError('IO_FAILED', `Store "${name}": the checkpoint is unusable (${reason}) and could not be moved aside (${(error as Error).message}). Check the folder's permissions.`, { store: name, cause: error });
    }
    needsBase = true;
    return to;
  }

  const skipped: string[] = [];
  let backup: CheckedBackup | undefined;
  if (!base && !needsBase) {
    // A missing file with no journal: a new store, or a folder whose files were lost but whose backups remain.
    backup = input.backups?.newestValid(skipped);
    if (backup) {
      problems.push(`checkpoint ${name}.json and its journal are missing, but backups exist`);
    } else {
      const loaded = checkpoint.load();
      base = { doc: loaded.doc, internal: loaded.internal, rev: loaded.meta.rev, source: 'new' };
    }
  } else if (!base) {
    backup = input.backups?.newestValid(skipped);
  }

  if (!base) {
    problems.push(...skipped);
    if (backup) {
      base = { doc: backup.doc, internal: backup.internal, rev: backup.info.rev, source: 'backup', backupId: backup.info.id };
      problems.push(`rebuilt from backup ${backup.info.id} (rev ${backup.info.rev}) plus the journal`);
    } else if (journal.firstRev() === 1) {
      base = { doc: structuredClone(input.defaults), internal: {}, rev: 0, source: 'journal' };
      problems.push('no usable backup: rebuilt from the defaults plus the whole journal (kept since rev 1)');
    } else {
      base = { doc: structuredClone(input.defaults), internal: {}, rev: 0, source: 'defaults' };
      knownRev = Math.max(knownRev, journal.lastRevOnDisk());
      keptAside.push(...journal.moveAllAside());
      problems.push('nothing valid to rebuild from (no usable checkpoint, backup or complete journal): started from the defaults; the evidence is kept aside');
    }
  }

  const replay = journal.replay(base.rev);
  problems.push(...replay.problems);
  keptAside.push(...replay.keptAside);
  knownRev = Math.max(knownRev, replay.lastRevOnDisk);
  const doc = base.doc;
  let internal = base.internal;
  let rev = base.rev;
  let replayed = 0;
  for (const record of replay.records) {
    // Fast path: the records are add/remove/replace ops that applied when they were written, and their values come
    // fresh from JSON.parse — no checks, clones or inverses to build (about half of replay's time, PROFILE.md §8).
    // One op at a time: rfc6902 applies every op of a list even after one fails, and a record is all or nothing.
    const failure = applyRecord(doc, record.ops, record.inverse);
    if (failure !== undefined) {
      problems.push(`journal record ${record.rev} does not apply to the document (${failure}); replay stopped at rev ${rev}, later records were kept aside`);
      keptAside.push(...journal.cutAfter(rev));
      break;
    }
    if (record.internal) internal = { ...internal, ...record.internal };
    rev = record.rev;
    replayed++;
  }

  const rebuilt = base.source !== 'checkpoint' && base.source !== 'new';
  let lostRevs: RecoveryReport['lostRevs'];
  if (knownRev > rev) {
    lostRevs = { from: rev + 1, to: knownRev };
    problems.push(`revs ${rev + 1}…${knownRev} could not be recovered (their records are kept aside); the store continues at rev ${knownRev}`);
    rev = knownRev;
  }
  let checkpointRev = base.source === 'checkpoint' || base.source === 'new' ? base.rev : 0;
  if (closedEdit?.kind === 'edit') closedEdit.base = documentAt(journal, doc, rev, mark?.rev ?? rev);
  // A pending edit or deletion keeps the user's file as it is until the edit is committed and the file rewritten:
  // a crash before then finds the same edit at the next start.
  const pending = closedEdit?.kind === 'edit' || closedEdit?.kind === 'deleted';
  if ((rebuilt || lostRevs) && !pending) {
    // Persist the rebuilt state now: the next start must not depend on this rebuild again.
    try {
      checkpoint.write(doc, internal, { rev, time: Date.now() });
      checkpointRev = rev;
    } catch (error) {
      throw new StoreError('IO_FAILED', `Store "${name}": rebuilt the document but could not write it (${(error as Error).message}); nothing was changed on disk except evidence kept aside. Free disk space or fix permissions and restart.`, { store: name, cause: error });
    }
  }

  // A checkpoint opened as is was validated above; validate what replay or a rebuild produced (unless migrations will
  // first reshape it). Serving goes on: the report says what does not fit.
  const validated = base.source === 'checkpoint' && replayed === 0;
  if (input.validator && !validated && !input.migrationPending?.(internal)) {
    const issues = input.validator.validateAll(doc);
    if (issues.length > 0) problems.push(`the document does not match the schema at open: ${issues.map((i) => `${i.instancePath} ${i.message}`).join('; ')}`);
  }

  return {
    doc, internal, rev, checkpointRev, replayedBytes: replay.bytes, ...(closedEdit && { closedEdit }),
    report: {
      replayed, source: base.source, problems, keptAside, baseRev: base.rev,
      ...(base.backupId !== undefined && { backupId: base.backupId }),
      ...(lostRevs && { lostRevs }),
    },
  };
}

/** Why a parsed checkpoint cannot be trusted, or undefined. */
function checkRaw(raw: Record<string, unknown>, input: RecoveryInput): string | undefined {
  const internal = raw[INTERNAL_KEY];
  if (internal !== undefined && (internal === null || typeof internal !== 'object' || Array.isArray(internal))) return `its ${INTERNAL_KEY} is not an object`;
  const meta = (internal as Record<string, unknown> | undefined)?.storeDaemon as Record<string, unknown> | undefined;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || !Number.isSafeInteger(meta.rev) || (meta.rev as number) < 0)) {
    return 'its recorded rev is not a non-negative integer';
  }
  if (!input.validator) return undefined;
  if (input.migrationPending?.((internal ?? {}) as Record<string, unknown>)) return undefined;
  const { [INTERNAL_KEY]: _i, ...doc } = raw;
  const issues = input.validator.validateAll({ ...input.defaults, ...doc });
  if (issues.length === 0) return undefined;
  return `it does not match the schema (${issues.slice(0, 3).map((i) => `${i.instancePath || '(root)'} ${i.message}`).join('; ')})`;
}

function metaRev(raw: Record<string, unknown>): number | undefined {
  const rev = ((raw[INTERNAL_KEY] as Record<string, unknown> | undefined)?.storeDaemon as { rev?: unknown } | undefined)?.rev;
  return typeof rev === 'number' && Number.isSafeInteger(rev) && rev >= 0 ? rev : undefined;
}

