import type { ParsedWrite, WriteTarget } from '../../protocol/write.ts';
import type { JsonObject } from '../../protocol/types.ts';
import type { AckTag } from './types.ts';

/** Options of a write the daemon makes itself (external edit, migration). */
export interface SubmitOptions {
  ifRev?: number;
  /** Validate the whole document instead of the changed paths. */
  validateAll?: boolean;
  /** false: do not validate (a document migrations have yet to reshape). */
  validate?: boolean;
  /** conf bookkeeping this write changes (a migration's version): journaled with the record, applied on commit. */
  internal?: Record<string, unknown>;
  /**
   * Commit a record (a new rev) even when the write changes nothing. For writers that may not read everything they
   * write: "no new rev" would tell them the value was already what they wrote — an oracle for guessing a hidden value.
   */
  alwaysCommits?: boolean;
}

/**
 * The narrow view of a store that features working *through* it (backups, migrations, the watcher) and the RPC layer
 * get: the committed state, a way to submit writes and to run work at a commit point. Nothing reaches the engine's
 * fields; everything that changes the document goes through the commit queue.
 */
export interface StoreHandle {
  readonly name: string;
  /** The committed document (only stable inside `whenCommitted`). */
  readonly doc: JsonObject;
  readonly rev: number;
  /** conf's internal data (its migration version), as committed. */
  readonly internal: Record<string, unknown>;
  readonly closed: boolean;
  /**
   * Queues a client write that `parseWrite` checked; `authorize` sees the paths it actually changed; `ack` puts its
   * ack into the group's `onCommit` call.
   */
  submitWrite(write: ParsedWrite, source: string, authorize?: (paths: readonly string[][]) => void, ack?: AckTag, options?: Pick<SubmitOptions, 'alwaysCommits'>): Promise<{ rev: number }>;
  /** Queues a write the daemon makes itself. */
  submit(source: string, apply: (target: WriteTarget) => void, options?: SubmitOptions): Promise<{ rev: number }>;
  /** A copy of the committed document as it was at `rev` (see records.ts documentAt); call inside `whenCommitted`. */
  documentAt(rev: number): JsonObject;
  /** Runs `fn` with the committed document (never one with an in-flight group applied). */
  whenCommitted<T>(fn: () => T): Promise<Awaited<T>>;
  /** Checkpoints now if the file is behind; call only when idle. Returns whether the file is current. */
  checkpointNow(options?: { force?: boolean }): boolean;
  /** Rewrites the checkpoint even when current (a hand edit was merged or rejected); call only when idle. */
  rewriteCheckpoint(): void;
  /** Notes a problem for `info().recovery.problems`, and the evidence file it kept aside, if any. */
  reportProblem(message: string, keptAside?: string): void;
}
