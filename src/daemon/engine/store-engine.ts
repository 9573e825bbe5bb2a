import { StoreError, toStoreError } from '../../protocol/errors.ts';
import type { JsonObject, StoreDefinition, StoreInfo } from '../../protocol/types.ts';
import { parseWrite, type ParsedWrite, type WriteContext, type WriteTarget } from '../../protocol/write.ts';
import type { FieldCipher } from '../features/encryption.ts';
import { validationError, type DocumentValidator } from '../features/validator.ts';
import type { CheckpointFile } from '../storage/checkpoint.ts';
import type { Journal } from '../storage/journal.ts';
import { Checkpointer } from './checkpointer.ts';
import { CommitQueue } from './commit-queue.ts';
import { Draft, size } from './draft.ts';
import { historyFloor, queryHistory, undoAfter } from './history.ts';
import { documentAt } from './records.ts';
import { LatencyWindow } from './latency.ts';
import type { StoreHandle, SubmitOptions } from './store-handle.ts';
import type { AckTag, CommitRecord, EngineParts, GroupAck, RecoveryReport } from './types.ts';
export type { AckTag, CommitRecord, EngineParts, GroupAck, OpeningState, RecoveryReport } from './types.ts';

/** Called once per committed group (see `onCommit`). */
export type CommitListener = (records: CommitRecord[], acks: readonly GroupAck[]) => void;

/** A write waiting in the commit queue. */
interface Job extends SubmitOptions {
  source: string;
  /** Applies the write to the draft; throws a StoreError to reject it. */
  apply(draft: Draft): void;
  /** Checks the changed paths against the writer's policy before anything is journaled. */
  authorize?(paths: readonly string[][]): void;
  /** Set for client writes whose ack rides on the group's change event. */
  ack?: AckTag;
  resolve(result: { rev: number }): void;
  reject(error: StoreError): void;
}

interface Accepted {
  job: Job;
  draft: Draft;
  /** Undefined when the write changed nothing (no rev, no record). */
  record?: CommitRecord;
  line: string;
}

/**
 * One store in the daemon: the authoritative document and its rev in memory, and the commit pipeline
 * (apply to draft → authorize → validate → journal → group fdatasync → publish → broadcast → resolve).
 * Opening (recovery), migrations, backups and the watcher live outside and use it through `StoreHandle`.
 */
export class StoreEngine implements StoreHandle {
  readonly name: string;
  readonly def: StoreDefinition;
  readonly checkpoint: CheckpointFile;
  readonly journal: Journal;
  readonly cipher: FieldCipher;
  readonly validator: DocumentValidator | undefined;
  doc: JsonObject;
  rev: number;
  #internal: Record<string, unknown>;
  #bytes: number;
  readonly #queue: CommitQueue<Job>;
  readonly #checkpoints: Checkpointer;
  readonly #journalFloor: (() => number | undefined) | undefined;
  readonly #listeners = new Set<CommitListener>();
  readonly #context: WriteContext;
  #closed = false;
  /** relaxed mode: acknowledged records whose append failed, retried first with the next group. */
  #unflushed: string[] = [];
  #unflushedFirstRev = 0;
  #flushRetryDelay = 0;
  readonly #counters = { writes: 0, rejected: 0, groups: 0, fsyncs: 0, checkpoints: 0 };
  readonly #latency = new LatencyWindow(1024);
  readonly #recovery: RecoveryReport;

  constructor(parts: EngineParts) {
    this.def = parts.def;
    this.name = parts.def.name;
    this.checkpoint = parts.checkpoint;
    this.journal = parts.journal;
    this.cipher = parts.cipher;
    this.validator = parts.validator;
    this.#journalFloor = parts.journalFloor;
    const opening = parts.opening;
    this.doc = opening.doc;
    this.rev = opening.rev;
    this.#internal = opening.internal;
    this.#recovery = opening.report;
    this.#bytes = size(this.doc);
    this.#queue = new CommitQueue((jobs) => this.#commitGroup(jobs));
    this.#checkpoints = new Checkpointer(parts.checkpoint, {
      state: () => ({ doc: this.doc, rev: this.rev, internal: this.#internal, closed: this.#closed, bytes: this.#bytes, unflushed: this.#unflushed.length > 0 }),
      whenIdle: (fn) => this.#queue.whenIdle(fn), reportProblem: (message) => this.reportProblem(message), checkpointed: () => this.#pruneJournal(true),
    }, parts.checkpointEvery ?? {}, opening.checkpointRev);
    if (opening.checkpointRev < opening.rev) {
      // Replayed records count toward the next checkpoint, and a long replay is retired soon after the store serves
      // (off the path to the first read): an app killed before it ever reaches the threshold still gets its file
      // updated, and the next start replays at most about one threshold's worth.
      this.#checkpoints.schedule.recorded(opening.report.replayed, opening.replayedBytes);
      setImmediate(() => {
        if (!this.#closed && !this.#queue.busy) this.#checkpoints.schedule.afterCommit(this.#bytes);
      });
    }
    this.#context = { defaults: parts.defaults, undoAfter: (to, target) => undoAfter(this.journal, this.rev, this.name, to, target) };
    this.journal.openForAppend(this.rev + 1);
  }

  /** Changes below an encrypted path are journaled as a replace of that path (see Draft). */
  readonly #enclosing = (path: readonly string[]): string[] | undefined => (this.cipher.active ? this.cipher.enclosing(path) : undefined);

  /** A copy of the committed document as it was at `rev`; call inside `whenCommitted`. */
  documentAt(rev: number): JsonObject {
    return documentAt(this.journal, this.doc, this.rev, rev);
  }

  /** The document's size as compact JSON (what maxBytes counts). */
  get bytes(): number {
    return this.#bytes;
  }

  get durability(): 'strict' | 'relaxed' {
    return this.def.durability ?? 'strict';
  }

  get internal(): Record<string, unknown> {
    return this.#internal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Subscribes to committed writes: called once per group with its records, in rev order, and the acks of the
   * group's tagged writes (before their promises resolve).
   */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  whenCommitted<T>(fn: () => T): Promise<Awaited<T>> {
    return new Promise((resolve, reject) => this.#queue.whenIdle(() => {
      try {
        Promise.resolve(fn()).then(resolve, reject);
      } catch (e) {
        reject(e);
      }
    }));
  }

  /** Queues a write as a client sends it (parsed here). */
  write(request: unknown, source: string): Promise<{ rev: number }> {
    try {
      return this.submitWrite(parseWrite(request, this.name), source);
    } catch (error) {
      return Promise.reject(toStoreError(error, 'INVALID_KEY', this.name));
    }
  }

  submitWrite(write: ParsedWrite, source: string, authorize?: (paths: readonly string[][]) => void, ack?: AckTag, options: Pick<SubmitOptions, 'alwaysCommits'> = {}): Promise<{ rev: number }> {
    return this.#submit({ source, ifRev: write.ifRev, validateAll: write.validateAll, apply: (d) => write.apply(d, this.#context), authorize, ack, ...options });
  }

  submit(source: string, apply: (target: WriteTarget) => void, options: SubmitOptions = {}): Promise<{ rev: number }> {
    return this.#submit({ source, apply, ...options });
  }

  #submit(job: Omit<Job, 'resolve' | 'reject'>): Promise<{ rev: number }> {
    if (this.#closed) return Promise.reject(new StoreError('CLOSED', `Store "${this.name}" is closed; reopen it to write.`, { store: this.name }));
    return new Promise((resolve, reject) => this.#queue.push({ ...job, resolve, reject }));
  }

  /** Applies, checks and encodes each job of a group; a rejected job is undone and does not disturb the others. */
  #prepare(jobs: Job[]): Accepted[] {
    const accepted: Accepted[] = [];
    for (const job of jobs) {
      if (this.#closed) {
        job.reject(new StoreError('CLOSED', `Store "${this.name}" is closing; the write was not applied.`, { store: this.name }));
        continue;
      }
      const draft = new Draft(this.doc, this.name, this.#enclosing, this.#checkpoints.cow);
      try {
        if (job.ifRev !== undefined && job.ifRev !== this.rev) {
          throw new StoreError('CONFLICT', `Store "${this.name}" is at rev ${this.rev}, not ${job.ifRev}; read again and retry.`, { store: this.name, details: { rev: this.rev, ifRev: job.ifRev } });
        }
        job.apply(draft);
        job.authorize?.(draft.paths);
        if (this.validator && draft.ops.length > 0 && job.validate !== false) {
          const issues = job.validateAll ? this.validator.validateAll(this.doc) : this.validator.validateChanged(this.doc, draft.paths);
          if (issues.length > 0) throw validationError(this.name, issues);
        }
        if (this.def.maxBytes !== undefined && draft.byteDelta > 0 && this.#bytes + draft.byteDelta > this.def.maxBytes) {
          throw new StoreError('QUOTA_EXCEEDED', `Store "${this.name}" would grow to ${this.#bytes + draft.byteDelta} bytes (compact JSON), over its maxBytes of ${this.def.maxBytes}. Delete data first.`, { store: this.name });
        }
      } catch (error) {
        draft.undo();
        this.#counters.rejected++;
        job.reject(toStoreError(error, 'INVALID_KEY', this.name));
        continue;
      }
      if (draft.ops.length === 0 && !job.internal && !job.alwaysCommits) {
        // Nothing changed (e.g. delete of a missing key): no rev, no record.
        accepted.push({ job, draft, line: '' });
        continue;
      }
      const rev = ++this.rev;
      const time = Date.now();
      const anchors = draft.anchors.some((a) => a >= 0) ? draft.anchors : undefined;
      const record: CommitRecord = { rev, time, source: job.source, ops: draft.ops, ...(anchors && { anchors }) };
      // Serialized now: later drafts in this group may mutate objects the document shares with nothing else,
      // but the record must say exactly what this write did.
      const line = this.journal.encode({ rev, time, source: job.source, ops: draft.ops, inverse: draft.inverse, ...(anchors && { anchors }), ...(job.internal && { internal: job.internal }) });
      this.#bytes += draft.byteDelta;
      accepted.push({ job, draft, record, line });
    }
    return accepted;
  }

  async #commitGroup(jobs: Job[]): Promise<void> {
    const started = performance.now();
    const firstRev = this.rev + 1;
    const accepted = this.#prepare(jobs);
    const lines = [...this.#unflushed, ...accepted.filter((a) => a.line !== '').map((a) => a.line)];
    const appendFrom = this.#unflushed.length > 0 ? this.#unflushedFirstRev : firstRev;
    this.#unflushed = [];
    if (lines.length === 0) {
      for (const a of accepted) a.job.resolve({ rev: this.rev });
    } else {
      const relaxed = this.durability === 'relaxed';
      if (relaxed) this.#publish(accepted);
      try {
        this.#counters.groups++;
        this.#counters.fsyncs++;
        await this.journal.append(lines, appendFrom);
      } catch (error) {
        if (relaxed) return this.#retryFlush(lines, appendFrom, error as Error);
        for (let i = accepted.length - 1; i >= 0; i--) accepted[i].draft.undo();
        this.rev = firstRev - 1;
        this.#bytes = size(this.doc);
        const err = new StoreError('IO_FAILED', `Could not make the write durable (${(error as Error).message}); nothing was written. Free disk space or fix permissions and retry.`, { store: this.name, cause: error });
        for (const a of accepted) a.job.reject(err);
        this.#counters.rejected += accepted.length;
        return;
      }
      this.#flushRetryDelay = 0;
      this.#checkpoints.schedule.recorded(lines.length, lines.reduce((n, l) => n + l.length, 0));
      if (!relaxed) this.#publish(accepted);
    }
    this.#latency.add(performance.now() - started);
    this.#checkpoints.schedule.afterCommit(this.#bytes);
  }

  /** relaxed: the records were already acknowledged; keep them and retry with the next group (or a timer). */
  #retryFlush(lines: string[], appendFrom: number, error: Error): void {
    this.#unflushed = lines;
    this.#unflushedFirstRev = appendFrom;
    this.reportProblem(`relaxed flush failed, will retry: ${error.message}`);
    this.#flushRetryDelay = Math.min(Math.max(this.#flushRetryDelay * 2, 100), 5000);
    setTimeout(() => this.#queue.push({ source: 'flush', apply: () => {}, resolve: () => {}, reject: () => {} }), this.#flushRetryDelay).unref();
  }

  #publish(accepted: Accepted[]): void {
    const records: CommitRecord[] = [];
    const acks: GroupAck[] = [];
    for (const a of accepted) {
      if (a.job.ack) acks.push({ tag: a.job.ack, rev: a.record ? a.record.rev : this.rev });
      if (!a.record) continue;
      if (a.job.internal) this.#internal = { ...this.#internal, ...a.job.internal };
      this.#counters.writes++;
      records.push(a.record);
    }
    // One event per group, not per write: under load a group holds hundreds of writes, and every message costs
    // each client a task on its UI thread. The writers' acks travel in it.
    if (records.length > 0) for (const l of this.#listeners) l(records, acks);
    for (const a of accepted) a.job.resolve({ rev: a.record ? a.record.rev : this.rev });
  }

  /**
   * Writes the whole document through conf/electron-store if it is newer than the file, then prunes journal segments
   * nothing needs any more (see #pruneJournal). Call only when idle. Returns whether the file is now current.
   * `force`: also when relaxed records are not yet in the journal (close: their data must not be lost).
   */
  checkpointNow(options: { force?: boolean } = {}): boolean {
    return this.#checkpoints.now(options.force);
  }

  /**
   * History keeps `maxEntries` records and at most `maxBytes` of journal, but never less than recovery needs: back to
   * the checkpoint and to the newest backup (a rebuild starts from it).
   */
  #pruneJournal(checkpointed = false): void {
    if (checkpointed) this.#counters.checkpoints++;
    const floor = this.#journalFloor?.() ?? Number.MAX_SAFE_INTEGER;
    try {
      this.journal.prune(Math.min(this.#checkpoints.rev, historyFloor(this.journal, this.rev, this.def.history), floor));
    } catch (error) {
      this.reportProblem(`journal prune failed: ${(error as Error).message}`);
    }
  }

  /** History records with rev > sinceRev, optionally touching `key`, newest `limit`, oldest first. */
  history(query: { sinceRev?: unknown; key?: unknown; limit?: unknown } = {}): ReturnType<typeof queryHistory> {
    return queryHistory(this.journal, this.rev, this.name, query);
  }

  rewriteCheckpoint(): void {
    this.#checkpoints.invalidate();
    this.checkpointNow();
  }

  /** Notes a problem for info().recovery.problems (bounded; a repeat of the last note is not stacked). */
  reportProblem(message: string, keptAside?: string): void {
    if (keptAside !== undefined) this.#recovery.keptAside.push(keptAside);
    const problems = this.#recovery.problems;
    if (problems[problems.length - 1] === message) return;
    problems.push(message);
    if (problems.length > 100) problems.splice(0, problems.length - 100);
  }

  info(): StoreInfo {
    const js = this.journal.stats();
    return {
      name: this.name, path: this.checkpoint.path, rev: this.rev, checkpointRev: this.#checkpoints.rev,
      bytes: this.#bytes, keys: Object.keys(this.doc).length,
      journal: { segments: js.segments, records: this.rev - this.#checkpoints.rev, bytes: js.bytes },
      backups: 0, encryptedKept: [], durability: this.durability, recovery: structuredClone(this.#recovery),
      counters: { ...this.#counters },
      latencyMs: { commitP50: this.#latency.quantile(0.5), commitP99: this.#latency.quantile(0.99) },
    };
  }

  /**
   * Drains queued writes, flushes relaxed records still waiting for the journal, checkpoints and closes the journal;
   * later writes fail with CLOSED. Nothing acknowledged is lost: if the journal cannot take the relaxed records, the
   * checkpoint (which holds their data) is written anyway.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.drain();
    this.#closed = true;
    try {
      await this.#flushAtClose();
    } finally {
      this.#checkpoints.cancel();
      this.journal.closeSync();
    }
  }

  async #flushAtClose(): Promise<void> {
    await this.whenCommitted(async () => {
      const pending = this.#unflushed;
      this.#unflushed = [];
      let unjournaled: Error | undefined;
      if (pending.length > 0) {
        try {
          await this.journal.append(pending, this.#unflushedFirstRev);
        } catch (error) {
          unjournaled = error as Error;
          this.reportProblem(`relaxed records could not be journaled at close (${unjournaled.message}); the checkpoint holds them`);
        }
      }
      // Also when the file was already current: a backup taken since may let more of the journal go.
      if (this.checkpointNow({ force: true })) this.#pruneJournal();
      else if (unjournaled) {
        // Neither the journal nor the checkpoint took acknowledged relaxed writes: close must not say all is well.
        throw new StoreError('IO_FAILED', `Store "${this.name}": ${pending.length} acknowledged relaxed write(s) could be neither journaled (${unjournaled.message}) nor checkpointed at close; they are lost.`, { store: this.name });
      }
    });
  }

  /** Closes the files without a checkpoint (a store that failed to open after recovery, e.g. MIGRATION_FAILED). */
  abandon(): void {
    this.#closed = true;
    this.#checkpoints.cancel();
    this.journal.closeSync();
  }
}
