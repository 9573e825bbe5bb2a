import fs from 'node:fs';
import path from 'node:path';
import type { Operation } from 'rfc6902';
import { StoreError, toStoreError } from '../../protocol/errors.ts';
import { getAt, isPrefix, parseKey, fromPointer, joinKey } from '../../protocol/keys.ts';
import type { WriteRequest } from '../../protocol/messages.ts';
import type { HistoryEntry, JsonObject, StoreDefinition, StoreInfo } from '../../protocol/types.ts';
import { checkJsonValue } from '../../protocol/values.ts';
import { CheckpointFile, type CheckpointMeta } from '../storage/checkpoint.ts';
import { CommitQueue } from './commit-queue.ts';
import { Draft, size } from './draft.ts';
import { FieldCipher } from '../features/encryption.ts';
import { FsSeam } from '../storage/fs-seam.ts';
import { Journal } from '../storage/journal.ts';
import { LatencyWindow } from './latency.ts';
import { migrationPending } from '../features/migrations.ts';
import { recoverStore, type BackupSource } from '../features/recovery.ts';
import { DocumentValidator, validationError } from '../features/validator.ts';
import type Conf from 'conf';

/** What the engine needs from its surroundings (the daemon passes the real ones, tests may pass faults). */
export interface StoreContext {
  cwd: string;
  StoreClass: typeof Conf;
  fsSeam?: FsSeam;
  /** Checkpoint after this many journal records (default 1000) or bytes (default 8 MB) since the last one. */
  checkpointEvery?: { records?: number; bytes?: number; idleMs?: number };
  journalSegmentBytes?: number;
  /** 32 bytes from main; required when a store has encryptedKeys. */
  encryptionKey?: Uint8Array;
}

/** A committed write, as broadcast to subscribers. */
export interface CommitRecord {
  rev: number;
  time: number;
  source: string;
  ops: Operation[];
  /** Changed paths as segments (for key-scoped filtering). */
  paths: string[][];
}

/** A write waiting in the commit queue. */
interface Job {
  source: string;
  ifRev?: number;
  /** Applies the write to the draft; throws a StoreError to reject it. */
  build(draft: Draft): void;
  /** Checks the changed paths against the writer's policy before anything is journaled. */
  authorize?(paths: readonly string[][]): void;
  /** Validate the whole document instead of the changed paths (import, restore). */
  validateAll?: boolean;
  /** conf bookkeeping this write changes (a migration's version): journaled with the record, applied on commit. */
  internal?: Record<string, unknown>;
  resolve(result: { rev: number }): void;
  reject(error: StoreError): void;
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks a store name: it becomes a file name, so no separators or dot-dot. */
export function checkStoreName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.includes('..')) {
    throw new StoreError('STORE_NOT_FOUND', `"${String(name)}" is not a valid store name; use letters, digits, "-", "_" and ".".`);
  }
  return name;
}

/**
 * One store in the daemon: the authoritative document and its rev in memory, the commit pipeline
 * (check → apply to draft → validate → journal → group fdatasync → publish → broadcast → resolve),
 * lazy checkpoints through conf/electron-store, and open-time replay.
 */
export class StoreEngine {
  readonly name: string;
  readonly def: StoreDefinition;
  readonly checkpoint: CheckpointFile;
  readonly journal: Journal;
  readonly fsSeam: FsSeam;
  /** Encryption at rest of `encryptedKeys` (identity when there are none). */
  readonly cipher: FieldCipher;
  doc: JsonObject = {};
  rev = 0;
  #internal: Record<string, unknown> = {};
  #checkpointRev = 0;
  #sinceCheckpoint = { records: 0, bytes: 0 };
  #idleTimer: NodeJS.Timeout | undefined;
  #approxBytes = 0;
  #validator: DocumentValidator | undefined;
  #queue: CommitQueue<Job>;
  #listeners = new Set<(records: CommitRecord[]) => void>();
  #closed = false;
  /** relaxed mode: acknowledged records whose append failed, retried first with the next group. */
  #unflushed: string[] = [];
  #unflushedFirstRev = 0;
  #opts: Required<NonNullable<StoreContext['checkpointEvery']>>;
  #counters = { writes: 0, rejected: 0, groups: 0, fsyncs: 0, checkpoints: 0 };
  #latency = new LatencyWindow(1024);
  #recovery: StoreInfo['recovery'] = { replayed: 0, source: 'new', problems: [], keptAside: [] };
  #defaults: JsonObject;
  /** Failed checkpoints retry on a growing delay (never a busy loop); the journal holds everything meanwhile. */
  #checkpointRetry: { timer: NodeJS.Timeout | undefined; delay: number } = { timer: undefined, delay: 0 };
  #flushRetryDelay = 0;
  /**
   * The rev the journal must be kept back to for start-up recovery (the newest backup's): a store rebuilt from that
   * backup replays the journal from there. Set by the daemon's BackupManager.
   */
  journalFloor: (() => number | undefined) | undefined;

  constructor(def: StoreDefinition, readonly ctx: StoreContext) {
    this.name = checkStoreName(def.name);
    this.def = def;
    this.fsSeam = ctx.fsSeam ?? new FsSeam();
    this.#defaults = structuredClone((def.defaults ?? {}) as JsonObject);
    this.cipher = new FieldCipher(this.name, def.encryptedKeys, ctx.encryptionKey);
    this.checkpoint = new CheckpointFile({ cwd: ctx.cwd, name: this.name, StoreClass: ctx.StoreClass, fsSeam: this.fsSeam, defaults: this.#defaults, cipher: this.cipher });
    this.journal = new Journal(path.join(ctx.cwd, 'storeHistory', this.name), this.fsSeam, { segmentBytes: ctx.journalSegmentBytes });
    this.journal.cipher = this.cipher;
    this.#opts = { records: 1000, bytes: 32 * 1024 * 1024, idleMs: 2000, ...ctx.checkpointEvery };
    this.#queue = new CommitQueue((jobs) => this.#commitGroup(jobs));
    if (def.schema !== undefined) {
      if (typeof def.schema !== 'object' || def.schema === null) {
        throw new StoreError('VALIDATION_FAILED', `Store "${this.name}": schema must be a JSON Schema object.`, { store: this.name });
      }
      try {
        this.#validator = new DocumentValidator(def.schema);
      } catch (error) {
        throw new StoreError('VALIDATION_FAILED', `Store "${this.name}": its schema does not compile (${(error as Error).message}); fix the schema in defineStore().`, { store: this.name });
      }
    }
  }

  /** Changes below an encrypted path are journaled as a replace of that path (see Draft). */
  readonly #enclosing = (path: readonly string[]): string[] | undefined => (this.cipher.active ? this.cipher.enclosing(path) : undefined);

  get durability(): 'strict' | 'relaxed' {
    return this.def.durability ?? 'strict';
  }

  /**
   * Start-up recovery (see recovery.ts): loads the checkpoint and replays newer journal records, or rebuilds from the
   * newest valid backup plus the journal when the checkpoint is unusable. Throws only IO_FAILED (nothing readable
   * could be written back); bad data never throws.
   */
  open(options: { backups?: BackupSource } = {}): void {
    const recovered = recoverStore({
      name: this.name, checkpoint: this.checkpoint, journal: this.journal, validator: this.#validator,
      defaults: this.#defaults, backups: options.backups, migrationPending: (internal) => migrationPending(this.def, internal),
    });
    this.doc = recovered.doc;
    this.#internal = recovered.internal;
    this.#checkpointRev = recovered.checkpointRev;
    this.rev = recovered.rev;
    this.#recovery = recovered.report;
    this.#sinceCheckpoint.records = recovered.report.replayed;
    // Recovery already validated a checkpoint it opened as is; validate again only what replay or a rebuild produced.
    const validated = recovered.report.source === 'checkpoint' && recovered.report.replayed === 0;
    if (this.#validator && !validated && !migrationPending(this.def, this.#internal)) {
      const issues = this.#validator.validateAll(this.doc);
      if (issues.length > 0) this.#recovery.problems.push(`the document does not match the schema at open: ${issues.map((i) => `${i.instancePath} ${i.message}`).join('; ')}`);
    }
    this.#approxBytes = size(this.doc);
    this.journal.openForAppend(this.rev + 1);
  }

  /** The store's compiled schema (one per store: compiling costs tens of ms at start). */
  get validator(): DocumentValidator | undefined {
    return this.#validator;
  }

  /** conf's internal data (its migration version), as committed. */
  get internal(): Record<string, unknown> {
    return this.#internal;
  }

  /** Subscribes to committed writes: called once per group with its records, in rev order. */
  onCommit(listener: (records: CommitRecord[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `fn` with the committed document (never one with an in-flight group applied). */
  whenCommitted<T>(fn: () => T): Promise<T> {
    return new Promise((resolve, reject) => this.#queue.whenIdle(() => {
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    }));
  }

  /** Queues a client write. `source` names the client. */
  write(request: WriteRequest, source: string, authorize?: Job['authorize']): Promise<{ rev: number }> {
    try {
      const build = this.#builder(request);
      return this.#submit({ source, ifRev: request.ifRev, build, authorize });
    } catch (error) {
      return Promise.reject(toStoreError(error, 'INVALID_KEY', this.name));
    }
  }

  /** Queues an internal write (rollback, restore, import, external edit). */
  submit(source: string, build: (draft: Draft) => void, options: { ifRev?: number; validateAll?: boolean; authorize?: Job['authorize']; internal?: Record<string, unknown> } = {}): Promise<{ rev: number }> {
    return this.#submit({ source, build, ...options });
  }

  #submit(job: Omit<Job, 'resolve' | 'reject'>): Promise<{ rev: number }> {
    if (this.#closed) return Promise.reject(new StoreError('CLOSED', `Store "${this.name}" is closed; reopen it to write.`, { store: this.name }));
    if (job.ifRev !== undefined && (typeof job.ifRev !== 'number' || !Number.isSafeInteger(job.ifRev) || job.ifRev < 0)) {
      return Promise.reject(new StoreError('INVALID_KEY', `ifRev must be a non-negative integer rev; got ${String(job.ifRev)}.`, { store: this.name }));
    }
    return new Promise((resolve, reject) => this.#queue.push({ ...job, resolve, reject }));
  }

  /** Checks a request's shape and turns it into a draft builder. Throws synchronously on bad input. */
  #builder(request: WriteRequest): (draft: Draft) => void {
    const store = this.name;
    if (request === null || typeof request !== 'object') throw new StoreError('INVALID_KEY', 'A write request must be an object.', { store });
    switch (request.kind) {
      case 'set': {
        const segments = parseKey(request.key, store);
        checkJsonValue(request.value, request.key, store);
        const value = request.value;
        return (d) => d.set(segments, value);
      }
      case 'setMany': {
        const values = request.values;
        if (values === null || typeof values !== 'object' || Array.isArray(values) || Object.getPrototypeOf(values) !== Object.prototype && Object.getPrototypeOf(values) !== null) {
          throw new StoreError('NOT_SERIALIZABLE', 'set(object) takes a plain object of key paths and values.', { store });
        }
        const entries = Object.keys(values).map((k) => {
          if (k === '__proto__') throw new StoreError('INVALID_KEY', 'The object has an own "__proto__" key, which is not allowed.', { store, key: k });
          const segments = parseKey(k, store);
          checkJsonValue(values[k], k, store);
          return [segments, values[k]] as const;
        });
        return (d) => entries.forEach(([segments, value]) => d.set(segments, value));
      }
      case 'delete': {
        const segments = parseKey(request.key, store);
        return (d) => d.remove(segments);
      }
      case 'reset': {
        if (!Array.isArray(request.keys)) throw new StoreError('INVALID_KEY', 'reset() takes key paths.', { store });
        const paths = request.keys.map((k) => parseKey(k, store));
        // electron-store semantics: a key with a default goes back to it; a key without one is left as it is.
        return (d) => paths.forEach((segments) => {
          const def = getAt(this.#defaults, segments);
          if (def !== undefined) d.set(segments, structuredClone(def));
        });
      }
      case 'clear':
        return (d) => replaceDocument(d, this.#defaults);
      case 'patch': {
        if (!Array.isArray(request.ops)) throw new StoreError('INVALID_KEY', 'patch() takes an array of rfc6902 operations.', { store });
        const ops = request.ops.map((op, i) => checkOperation(op, i, store));
        return (d) => ops.forEach((op, i) => d.patchOp(op, i));
      }
      default:
        throw new StoreError('INVALID_KEY', `Unknown write kind "${String((request as { kind: unknown }).kind)}".`, { store });
    }
  }

  async #commitGroup(jobs: Job[]): Promise<void> {
    const started = performance.now();
    const accepted: Array<{ job: Job; draft: Draft; record: CommitRecord; line: string }> = [];
    const firstRev = this.rev + 1;
    for (const job of jobs) {
      if (this.#closed) {
        job.reject(new StoreError('CLOSED', `Store "${this.name}" is closing; the write was not applied.`, { store: this.name }));
        continue;
      }
      const draft = new Draft(this.doc, this.name, this.#enclosing);
      try {
        if (job.ifRev !== undefined && job.ifRev !== this.rev) {
          throw new StoreError('CONFLICT', `Store "${this.name}" is at rev ${this.rev}, not ${job.ifRev}; read again and retry.`, { store: this.name, details: { rev: this.rev, ifRev: job.ifRev } });
        }
        job.build(draft);
        job.authorize?.(draft.paths);
        if (this.#validator && draft.ops.length > 0) {
          const issues = job.validateAll ? this.#validator.validateAll(this.doc) : this.#validator.validateChanged(this.doc, draft.paths);
          if (issues.length > 0) throw validationError(this.name, issues);
        }
        if (this.def.maxBytes !== undefined && draft.byteDelta > 0 && this.#approxBytes + draft.byteDelta > this.def.maxBytes) {
          throw new StoreError('QUOTA_EXCEEDED', `Store "${this.name}" would grow to about ${this.#approxBytes + draft.byteDelta} bytes, over its maxBytes of ${this.def.maxBytes}. Delete data first.`, { store: this.name });
        }
      } catch (error) {
        draft.undo();
        this.#counters.rejected++;
        job.reject(toStoreError(error, 'INVALID_KEY', this.name));
        continue;
      }
      if (draft.ops.length === 0 && !job.internal) {
        // Nothing changed (e.g. delete of a missing key): no rev, no record.
        accepted.push({ job, draft, record: undefined as never, line: '' });
        continue;
      }
      const rev = ++this.rev;
      const time = Date.now();
      const record: CommitRecord = { rev, time, source: job.source, ops: draft.ops, paths: draft.paths };
      // Serialized now: later drafts in this group may mutate objects the document shares with nothing else,
      // but the record must say exactly what this write did.
      const line = this.journal.encode({ rev, time, source: job.source, ops: draft.ops, inverse: draft.inverse, ...(job.internal && { internal: job.internal }) });
      this.#approxBytes += draft.byteDelta;
      accepted.push({ job, draft, record, line });
    }
    const lines = [...this.#unflushed, ...accepted.filter((a) => a.line !== '').map((a) => a.line)];
    const appendFrom = this.#unflushed.length > 0 ? this.#unflushedFirstRev : firstRev;
    this.#unflushed = [];
    if (lines.length > 0) {
      const relaxed = this.durability === 'relaxed';
      if (relaxed) this.#publish(accepted);
      try {
        this.#counters.groups++;
        this.#counters.fsyncs++;
        await this.journal.append(lines, appendFrom);
      } catch (error) {
        if (!relaxed) {
          for (let i = accepted.length - 1; i >= 0; i--) accepted[i].draft.undo();
          this.rev = firstRev - 1;
          this.#approxBytes = size(this.doc);
          const err = new StoreError('IO_FAILED', `Could not make the write durable (${(error as Error).message}); nothing was written. Free disk space or fix permissions and retry.`, { store: this.name, cause: error });
          for (const a of accepted) a.job.reject(err);
          this.#counters.rejected += accepted.length;
          return;
        }
        // relaxed: already acknowledged; keep the records and retry them with the next group (or a timer).
        this.#unflushed = lines;
        this.#unflushedFirstRev = appendFrom;
        this.#problem(`relaxed flush failed, will retry: ${(error as Error).message}`);
        this.#flushRetryDelay = Math.min(Math.max(this.#flushRetryDelay * 2, 100), 5000);
        setTimeout(() => this.#queue.push({ source: 'flush', build: () => {}, resolve: () => {}, reject: () => {} }), this.#flushRetryDelay).unref();
        return;
      }
      this.#flushRetryDelay = 0;
      this.#sinceCheckpoint.records += lines.length;
      this.#sinceCheckpoint.bytes += lines.reduce((n, l) => n + l.length, 0);
      if (!relaxed) this.#publish(accepted);
    } else {
      for (const a of accepted) a.job.resolve({ rev: this.rev });
    }
    this.#latency.add(performance.now() - started);
    this.#maybeCheckpoint();
  }

  #publish(accepted: Array<{ job: Job; record: CommitRecord; line: string }>): void {
    const records: CommitRecord[] = [];
    for (const a of accepted) {
      if (a.line === '') continue;
      if (a.job.internal) this.#internal = { ...this.#internal, ...a.job.internal };
      this.#counters.writes++;
      records.push(a.record);
    }
    // One event per group, not per write: under load a group holds hundreds of writes, and every message costs
    // each client a task on its UI thread.
    if (records.length > 0) for (const l of this.#listeners) l(records);
    for (const a of accepted) a.job.resolve({ rev: a.line === '' ? this.rev : a.record.rev });
  }

  /**
   * A checkpoint rewrites the whole document to retire the journal since the last one. Unless tuned explicitly, it
   * waits until that journal is at least twice the document's size (1–16 MB), so a large store is not rewritten every
   * 1,000 small writes (bench/PROFILE.md §3: 19 ms at 1 MB, 147 ms at 10 MB, each holding the commit queue), while
   * start-up replay stays bounded. The idle timer and close() checkpoint regardless.
   */
  #checkpointDue(): boolean {
    const since = this.#sinceCheckpoint;
    if (since.bytes >= this.#opts.bytes) return true;
    if (since.records < this.#opts.records) return false;
    if (this.ctx.checkpointEvery?.records !== undefined) return true;
    return since.bytes >= Math.min(16 * 1024 * 1024, Math.max(1024 * 1024, 2 * this.#approxBytes));
  }

  #maybeCheckpoint(): void {
    if (this.#checkpointDue()) {
      this.#queue.whenIdle(() => this.checkpointNow());
      return;
    }
    clearTimeout(this.#idleTimer);
    // setTimeout treats delays past 2^31-1 ms as 1 ms; "never" must stay never.
    this.#idleTimer = setTimeout(() => this.#queue.whenIdle(() => this.checkpointNow()), Math.min(this.#opts.idleMs, 2 ** 31 - 1));
    this.#idleTimer.unref();
  }

  /**
   * Writes the whole document through conf/electron-store if it is newer than the file, then prunes journal segments
   * nothing needs any more: kept back to the oldest of the checkpoint's rev, the newest backup's rev (recovery rebuilds
   * from it) and `history.maxEntries`. Call only when idle. Returns whether the file is now current.
   * `force`: also when relaxed records are not yet in the journal (close: their data must not be lost).
   */
  checkpointNow(options: { force?: boolean } = {}): boolean {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#checkpointRetry.timer);
    this.#checkpointRetry.timer = undefined;
    if (this.rev === this.#checkpointRev && fs.existsSync(this.checkpoint.path)) return true;
    // Never checkpoint past what the journal holds: relaxed records not yet flushed would be lost from history.
    if (this.#unflushed.length > 0 && !options.force) return false;
    try {
      const meta: CheckpointMeta = { rev: this.rev, time: Date.now() };
      this.checkpoint.write(this.doc, this.#internal, meta);
    } catch (error) {
      // The journal still holds everything. Retry on a growing delay, also when no further write comes.
      this.#problem(`checkpoint failed, will retry: ${(error as Error).message}`);
      const retry = this.#checkpointRetry;
      retry.delay = Math.min(Math.max(retry.delay * 2, Math.min(this.#opts.idleMs, 1000), 10), 30_000);
      if (!this.#closed) {
        retry.timer = setTimeout(() => this.#queue.whenIdle(() => this.checkpointNow()), retry.delay);
        retry.timer.unref();
      }
      return false;
    }
    this.#checkpointRetry.delay = 0;
    this.#checkpointRev = this.rev;
    this.#sinceCheckpoint = { records: 0, bytes: 0 };
    this.#counters.checkpoints++;
    const keep = this.def.history?.maxEntries ?? 1000;
    const floor = this.journalFloor?.();
    try {
      this.journal.prune(Math.min(this.#checkpointRev, this.rev - keep, floor ?? Number.MAX_SAFE_INTEGER));
    } catch (error) {
      this.#problem(`journal prune failed: ${(error as Error).message}`);
    }
    return true;
  }

  /** Notes a problem for info().recovery.problems (bounded; a repeat of the last note is not stacked). */
  reportProblem(message: string): void {
    this.#problem(message);
  }

  #problem(message: string): void {
    const problems = this.#recovery.problems;
    if (problems[problems.length - 1] === message) return;
    problems.push(message);
    if (problems.length > 100) problems.splice(0, problems.length - 100);
  }

  /** Rewrites the checkpoint from memory even when it is current (a hand edit was rejected or merged). Call only when idle. */
  rewriteCheckpoint(): void {
    this.#checkpointRev = -1;
    this.checkpointNow();
  }

  /** History records with rev > sinceRev, optionally touching `key`, newest `limit`, oldest first. */
  history(query: { sinceRev?: number; key?: string; limit?: number } = {}): HistoryEntry[] {
    const since = query.sinceRev ?? 0;
    if (typeof since !== 'number' || !Number.isInteger(since) || since < 0) throw new StoreError('INVALID_KEY', 'history: sinceRev must be a non-negative number.', { store: this.name });
    const limit = query.limit ?? 100;
    if (typeof limit !== 'number' || limit < 1 || !Number.isInteger(limit)) throw new StoreError('INVALID_KEY', 'history: limit must be a positive integer.', { store: this.name });
    const keySegments = query.key === undefined ? undefined : parseKey(query.key, this.name);
    let entries = this.journal.read(since + 1, this.rev);
    if (keySegments) {
      entries = entries.filter((e) => e.ops.some((op) => {
        const p = fromPointer(op.path, this.name);
        return isPrefix(keySegments, p) || isPrefix(p, keySegments);
      }));
    }
    return entries.slice(-limit);
  }

  /** Undoes every write after the target as one new write (itself undoable). */
  rollback(to: { rev?: unknown; time?: unknown }, source: string): Promise<{ rev: number }> {
    let target: number;
    if (to && typeof to === 'object' && typeof to.rev === 'number' && Number.isInteger(to.rev) && to.rev >= 0) {
      target = to.rev;
    } else if (to && typeof to === 'object' && (typeof to.time === 'number' || typeof to.time === 'string')) {
      const t = typeof to.time === 'number' ? to.time : Date.parse(to.time);
      if (!Number.isFinite(t)) throw new StoreError('INVALID_KEY', `rollback: "${String(to.time)}" is not a date.`, { store: this.name });
      const after = this.journal.read(0, this.rev).filter((r) => r.time > t);
      target = after.length > 0 ? after[0].rev - 1 : this.rev;
    } else {
      throw new StoreError('INVALID_KEY', 'rollback takes { rev: number } or { time: ISO string | epoch ms }.', { store: this.name });
    }
    if (target > this.rev) throw new StoreError('CONFLICT', `rollback: rev ${target} is ahead of the store (rev ${this.rev}).`, { store: this.name });
    return this.submit(source, (draft) => {
      if (target >= this.rev) return;
      const records = this.journal.read(target + 1, this.rev);
      if (records.length !== this.rev - target || records[0]?.rev !== target + 1) {
        throw new StoreError('BACKUP_NOT_FOUND', `rollback: history before rev ${records[0]?.rev ?? this.rev} is no longer kept; restore a backup instead.`, { store: this.name });
      }
      for (let r = records.length - 1; r >= 0; r--) {
        const inv = records[r].inverse;
        for (let i = inv.length - 1; i >= 0; i--) draft.patchOp(inv[i], i);
      }
    }, { validateAll: true });
  }

  /** Replaces the whole document (import, restore) as one journaled write. */
  replaceAll(next: unknown, source: string): Promise<{ rev: number }> {
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      throw new StoreError('NOT_SERIALIZABLE', 'The imported document must be a JSON object.', { store: this.name });
    }
    const { __internal__: _internal, ...doc } = next as Record<string, unknown>;
    checkJsonValue(doc, '(document)', this.name);
    return this.submit(source, (draft) => replaceDocument(draft, doc as JsonObject), { validateAll: true });
  }

  info(): StoreInfo {
    const js = this.journal.stats();
    return {
      name: this.name, path: this.checkpoint.path, rev: this.rev, checkpointRev: this.#checkpointRev,
      bytes: this.#approxBytes, keys: Object.keys(this.doc).length,
      journal: { segments: js.segments, records: this.rev - this.#checkpointRev, bytes: js.bytes },
      backups: 0, durability: this.durability, recovery: structuredClone(this.#recovery),
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
    await this.whenCommitted(async () => {
      const pending = this.#unflushed;
      this.#unflushed = [];
      if (pending.length > 0) {
        try {
          await this.journal.append(pending, this.#unflushedFirstRev);
        } catch (error) {
          this.#problem(`relaxed records could not be journaled at close (${(error as Error).message}); the checkpoint holds them`);
        }
      }
      this.checkpointNow({ force: true });
    });
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#checkpointRetry.timer);
    this.journal.closeSync();
  }

  /** Closes the files without a checkpoint (a store that failed to open after recovery, e.g. MIGRATION_FAILED). */
  abandon(): void {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#checkpointRetry.timer);
    this.journal.closeSync();
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/** Makes the document equal `next` with one op per top-level key that differs (so per-key listeners still work). */
function replaceDocument(draft: Draft, next: JsonObject): void {
  for (const key of Object.keys(draft.doc)) if (!Object.hasOwn(next, key)) draft.remove([key]);
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(draft.doc, key) || JSON.stringify(draft.doc[key]) !== JSON.stringify(next[key])) draft.set([key], structuredClone(next[key]));
  }
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Shape-checks one client-supplied rfc6902 operation. */
function checkOperation(op: unknown, index: number, store: string): Operation {
  if (op === null || typeof op !== 'object') throw new StoreError('INVALID_KEY', `patch op ${index} is not an object.`, { store });
  const o = op as Record<string, unknown>;
  if (typeof o.op !== 'string' || !OPS.has(o.op)) throw new StoreError('INVALID_KEY', `patch op ${index}: "op" must be one of add, remove, replace, move, copy, test.`, { store });
  fromPointer(o.path, store);
  if (o.op === 'move' || o.op === 'copy') fromPointer(o.from, store);
  if (o.op === 'add' || o.op === 'replace' || o.op === 'test') {
    if (!('value' in o)) throw new StoreError('NOT_SERIALIZABLE', `patch op ${index} (${o.op}) needs a "value".`, { store });
    checkJsonValue(o.value, joinKey(fromPointer(o.path, store)) || '(root)', store);
  }
  return op as Operation;
}
