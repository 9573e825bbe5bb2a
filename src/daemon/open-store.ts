import fs from 'node:fs';
import path from 'node:path';
import type Conf from 'conf';
import { StoreError } from '../protocol/errors.ts';
import { checkStoreName } from '../protocol/store-name.ts';
import type { BackupInfo, HistoryEntry, JsonObject, StoreDefinition, StoreInfo } from '../protocol/types.ts';
import { parseWrite, type ParsedWrite } from '../protocol/write.ts';
import type { CheckpointTuning } from './engine/checkpoint-schedule.ts';
import type { AckTag, OpeningState } from './engine/types.ts';
import { StoreEngine } from './engine/store-engine.ts';
import { size } from './engine/draft.ts';
import { compileSchema, defaultsOf, schemaCacheFile } from './store-schema.ts';
import { BackupService } from './features/backups.ts';
import { FieldCipher } from './features/encryption.ts';
import { migrateAtOpen, migrationPending } from './features/migrations.ts';
import { recoverStore } from './features/recovery.ts';
import { ExternalEdits, type ExternalRejection } from './features/external-edits.ts';
import { ExternalEditWatcher } from './features/watcher.ts';
import type { Policy, StoreAccess } from './policy.ts';
import { writeAtomic } from './storage/atomic-write.ts';
import { BackupFiles } from './storage/backup-files.ts';
import { CheckpointFile } from './storage/checkpoint.ts';
import { FsSeam } from './storage/fs-seam.ts';
import { Journal } from './storage/journal.ts';
import { StoreLock } from './storage/lock.ts';

/** What opening a store needs from the daemon (tests may pass faults or tuning). */
export interface StoreContext {
  cwd: string;
  StoreClass: typeof Conf;
  fsSeam?: FsSeam;
  checkpointEvery?: CheckpointTuning;
  journalSegmentBytes?: number;
  /** 32 bytes from main; required when a store has encryptedKeys. */
  encryptionKey?: Uint8Array;
}

/** A client making a request: its id (the change source) and its policy gate for this store. */
export interface Requester {
  id: string;
  access: StoreAccess;
  policy: Policy;
}

/** A backup's metadata as a client sees it: no digest or size of content it may not read (an offline oracle). */
function redactBackup(info: BackupInfo, access: StoreAccess): BackupInfo {
  if (!access.filtersReads) return info;
  const { sha256: _sha, bytes: _bytes, ...rest } = info;
  return rest;
}

/** Writes that wipe or replace data take a backup first, and do not happen without it (SPEC §6.11). */
/** How long the start backup and the watcher wait for a first read before they start anyway. */
const AFTER_FIRST_READ_MS = 1000;

const BACKUP_BEFORE: Partial<Record<ParsedWrite['kind'], string>> = { clear: 'before-clear', import: 'before-import', restore: 'before-restore' };

/** The files of one store and what reads them, made once: a schema compiles once per store (tens of ms). */
function storeParts(def: StoreDefinition, ctx: StoreContext, options: { cacheSchema?: boolean } = {}) {
  const name = checkStoreName(def.name);
  const fsSeam = ctx.fsSeam ?? new FsSeam();
  const validator = compileSchema(def, options.cacheSchema ? schemaCacheFile(ctx.cwd, name) : undefined);
  const defaults = defaultsOf(def, validator);
  const cipher = new FieldCipher(name, def.encryptedKeys, ctx.encryptionKey);
  verifyKey(cipher, keyCheckFile(ctx.cwd, name), name);
  const historyDir = path.join(ctx.cwd, 'storeHistory', name);
  const checkpoint = new CheckpointFile({ cwd: ctx.cwd, name, StoreClass: ctx.StoreClass, fsSeam, defaults, cipher, // Store names never start with a dot: `.marks` is nobody's history folder.
    markFile: path.join(ctx.cwd, 'storeHistory', '.marks', `${name}.json`),
  });
  const journal = new Journal(historyDir, fsSeam, { segmentBytes: ctx.journalSegmentBytes, cipher });
  const backupFiles = new BackupFiles({
    dir: path.join(ctx.cwd, 'backups', name), store: name, max: def.backups?.max ?? 10, fsSeam, cipher,
    validate: validator && ((doc) => validator.validateAll(doc)),
  });
  return { def, defaults, cipher, validator, checkpoint, journal, backupFiles };
}

/** Where a store's encryption key check lives (beside the checkpoint marks: no store name starts with a dot). */
function keyCheckFile(cwd: string, name: string): string {
  return path.join(cwd, 'storeHistory', '.marks', `${name}.key-check`);
}

/**
 * Refuses a wrong key before anything is read as data: a MAC of a constant under the key, stored with the store.
 * A store without one (new, or written by an older version) gets it once it opened with this key (recordKey).
 */
function verifyKey(cipher: FieldCipher, file: string, name: string): void {
  if (!cipher.active) return;
  let stored: string;
  try {
    stored = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return;
  }
  if (stored !== cipher.keyCheck()) {
    throw new StoreError('IO_FAILED', `Store "${name}" was written with another encryptionKey; nothing was opened or changed. Pass the key it was written with (loadEncryptionKey() returns the same key each run).`, { store: name });
  }
  cipher.keyVerified = true;
}

function recordKey(cipher: FieldCipher, cwd: string, name: string): void {
  if (!cipher.active || cipher.keyVerified) return;
  const file = keyCheckFile(cwd, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeAtomic(file, Buffer.from(cipher.keyCheck()));
  cipher.keyVerified = true;
}

/** Recovery, then the engine on what it recovered (the journal is kept back to the newest backup, which recovery would rebuild from). */
function startEngine(parts: ReturnType<typeof storeParts>, ctx: StoreContext): { engine: StoreEngine; opening: OpeningState } {
  const { def, checkpoint, journal, validator, defaults, backupFiles } = parts;
  const opening = recoverStore({
    name: def.name, checkpoint, journal, validator, defaults, backups: backupFiles,
    migrationPending: (internal) => migrationPending(def, internal),
  });
  const engine = new StoreEngine({
    def, checkpoint, journal, cipher: parts.cipher, validator, defaults, opening,
    checkpointEvery: ctx.checkpointEvery, journalFloor: () => backupFiles.newestRev(),
  });
  return { engine, opening };
}

/** A recovered engine without lock, migrations, backups or watcher: what engine-level tests drive directly. */
export function openEngine(def: StoreDefinition, ctx: StoreContext): StoreEngine {
  return startEngine(storeParts(def, ctx), ctx).engine;
}

/**
 * Bytes of whole-document work that cost one unit of a client's request budget: serializing a view nobody shared yet,
 * writing a backup, reading and checking one. At the default budget a window gets about 8 MB of it per second,
 * however it spreads that over requests.
 */
export const WHOLE_DOCUMENT_UNIT = 8 * 1024;

/**
 * One open store: its engine and the features around it, and the operations clients ask for. The operations that need
 * more than a write (a backup first, a backup's content, the policy gate) are composed here, beside each other.
 */
export class OpenStore {
  #deferred: ReturnType<typeof setTimeout> | undefined;

  private constructor(readonly engine: StoreEngine, readonly backups: BackupService, readonly lock: StoreLock, readonly watcher: ExternalEditWatcher | undefined) {
    this.#deferred = setTimeout(() => this.#afterFirstRead(), AFTER_FIRST_READ_MS);
    this.#deferred.unref?.();
  }

  /**
   * What a start does not need before its first read — the start backup (it writes the whole document) and the
   * watcher (chokidar loaded and set up) — begins once the first read is served (on the next turn, after its reply was
   * posted), or after AFTER_FIRST_READ_MS when nobody reads (bench/PROFILE.md, Round 2 — start).
   */
  #afterFirstRead(): void {
    if (this.#deferred === undefined) return;
    clearTimeout(this.#deferred);
    this.#deferred = undefined;
    setImmediate(() => {
      this.backups.startBackupNow();
      if (!this.engine.closed) void this.watcher?.start();
    });
  }

  /** Opens a store in one visible sequence: lock → recover → engine → migrate → backups → watch. */
  static async open(def: StoreDefinition, ctx: StoreContext, options: {
    daemonId: string; previousDaemonId?: string; onRejected(rejection: ExternalRejection): void;
  }): Promise<OpenStore> {
    const lock = new StoreLock(ctx.cwd, checkStoreName(def.name), options.daemonId);
    await lock.acquire({ previousDaemonId: options.previousDaemonId });
    let engine: StoreEngine | undefined;
    try {
      const parts = storeParts(def, ctx, { cacheSchema: true });
      const started = startEngine(parts, ctx);
      engine = started.engine;
      // The data opened with this key: from now on a store opened with another key is refused up front.
      recordKey(parts.cipher, ctx.cwd, def.name);
      if (lock.tookOver) engine.reportProblem(`took over the store lock at once: ${lock.tookOver}`);
      const backups = new BackupService(parts.backupFiles, engine, def.backups);
      const edits = new ExternalEdits({
        store: engine, checkpoint: parts.checkpoint, cipher: parts.cipher, backups, defaults: parts.defaults,
        validates: (internal) => !migrationPending(def, internal), onRejected: options.onRejected,
      });
      // What the user did to the file while the app was closed comes first: migrations then see the file's version.
      await edits.afterOpen(started.opening.closedEdit);
      await migrateAtOpen(engine, def, parts.checkpoint, backups);
      // The start backup and the watcher wait for the first read (see #afterFirstRead). Serving matters more than
      // this backup; info() says when it failed.
      const opened = engine;
      backups.startBackup((error) => opened.reportProblem(`the start-up backup failed: ${error.message}`));
      backups.schedule();
      const watcher = def.watch === false ? undefined : new ExternalEditWatcher(engine, parts.checkpoint, edits);
      void parts.validator?.saveCache();
      return new OpenStore(engine, backups, lock, watcher);
    } catch (error) {
      engine?.abandon();
      await lock.release();
      throw error;
    }
  }

  get name(): string {
    return this.engine.name;
  }

  /** The committed document (read it only at a commit point). */
  get doc(): JsonObject {
    return this.engine.doc;
  }

  get rev(): number {
    return this.engine.rev;
  }

  /** Serialized views of the document, one per rev and view (whole, or one client's access), shared by every request. */
  readonly #views = new WeakMap<object, { rev: number; compact?: string; pretty?: string; keys?: number }>();
  readonly #wholeView = {};

  /**
   * The document as `access` may see it, as JSON text: serialized once per rev for every client that asks (clients that
   * see the whole store share one text), so a window that floods snapshot/export costs a cache lookup, not a
   * serialization of the store. Call at a commit point.
   */
  viewJson(client: Requester, pretty = false): string {
    this.#afterFirstRead();
    const { access } = client;
    const view = this.#view(access);
    // Made for this client (no one asked for this rev and view yet): whole-document work, charged by size.
    if ((pretty ? view.pretty : view.compact) === undefined) client.policy.chargeRequestTokens(Math.ceil(this.engine.bytes / WHOLE_DOCUMENT_UNIT));
    if (pretty) return (view.pretty ??= JSON.stringify(access.filterDoc(this.engine.doc), undefined, '\t'));
    return (view.compact ??= JSON.stringify(access.filterDoc(this.engine.doc)));
  }

  #view(access: StoreAccess): { rev: number; compact?: string; pretty?: string; keys?: number } {
    const key = access.filtersReads ? access : this.#wholeView;
    let view = this.#views.get(key);
    if (!view || view.rev !== this.engine.rev) this.#views.set(key, (view = { rev: this.engine.rev }));
    return view;
  }

  /**
   * A client's write: the policy gate, the rate limit, a backup first where the write destroys data, then commit.
   * `ack`: the connection waiting for it, which reads its ack from the group's commit event.
   */
  async write(write: ParsedWrite, client: Requester, ack?: AckTag): Promise<{ rev: number }> {
    client.access.authorize(write, this.engine.doc);
    client.policy.takeWriteToken(this.name);
    this.#refuseOversized(write);
    const before = BACKUP_BEFORE[write.kind];
    if (before) await this.backups.createSafe(before);
    const source = write.kind === 'restore' ? `restore:${client.id}` : client.id;
    return this.engine.submitWrite(write, source, (paths) => client.access.checkWrite(paths, this.engine.doc), ack, { alwaysCommits: client.access.filtersReads });
  }

  /**
   * A value that alone is larger than the quota can never fit: refused from its size, before it is built and
   * validated (a one-million-key object must not hold the commit queue for seconds to be refused).
   */
  #refuseOversized(write: ParsedWrite): void {
    const max = this.engine.def.maxBytes;
    if (max === undefined || write.values === undefined) return;
    let total = 0;
    for (const value of write.values) {
      total += size(value);
      if (total > max) throw new StoreError('QUOTA_EXCEEDED', `The write's values alone are over ${max} bytes, the maxBytes of store "${this.name}"; nothing was written.`, { store: this.name });
    }
  }

  /** Undoes every write after the target as one new write (itself undoable). */
  rollback(to: unknown, client: Requester): Promise<{ rev: number }> {
    client.access.checkAdmin('rollback()');
    return this.write(parseWrite({ kind: 'rollback', to }, this.name), client);
  }

  /** Restores a verified backup as one ordinary write (journaled, broadcast, undoable); backs up first. */
  restore(id: unknown, client: Requester): Promise<{ rev: number }> {
    client.access.checkAdmin('backups.restore()');
    const backup = this.backups.readForRestore(id);
    return this.write(parseWrite({ kind: 'restore', doc: backup.doc }, this.name), client);
  }

  /** Replaces the whole document with `json` (what export() returned). */
  import(json: unknown, client: Requester): Promise<{ rev: number }> {
    client.access.checkAdmin('import()');
    client.access.checkWholeStore('import()');
    if (typeof json !== 'string') throw new StoreError('NOT_SERIALIZABLE', 'import() takes a JSON string (what export() returned).', { store: this.name });
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new StoreError('NOT_SERIALIZABLE', `import(): the text is not JSON (${(error as Error).message}).`, { store: this.name });
    }
    return this.write(parseWrite({ kind: 'import', doc: parsed }, this.name), client);
  }

  /** History as the client may see it. */
  history(query: unknown, access: StoreAccess): HistoryEntry[] {
    const q = query === undefined || query === null ? {} : query;
    if (typeof q !== 'object') throw new StoreError('INVALID_KEY', 'history() takes { sinceRev?, key?, limit? }.', { store: this.name });
    // An op and its inverse concern the same path, so the same anchors serve both.
    return this.engine.history(q).map(({ anchors, ...e }) => ({ ...e, ops: access.filterOps(e.ops, this.engine.doc, anchors), inverse: access.filterOps(e.inverse, this.engine.doc, anchors) }))
      .filter((e) => e.ops.length > 0 || e.inverse.length > 0);
  }

  /**
   * An on-demand backup, rate-limited like a write (it copies the whole document). A window's backups rotate among
   * themselves, so they never evict the automatic ones or main's.
   */
  async createBackup(reason: unknown, client: Requester): Promise<BackupInfo> {
    if (reason !== undefined && typeof reason !== 'string') throw new StoreError('INVALID_KEY', 'backups.create(reason) takes a string.', { store: this.name });
    client.policy.takeWriteToken(this.name);
    const info = await this.backups.create(reason || 'manual', client.policy.trusted ? 'store' : 'client');
    return redactBackup(info, client.access);
  }

  async listBackups(client: Requester): Promise<BackupInfo[]> {
    await this.backups.settled();
    return this.backups.files.list().map((b) => redactBackup(b, client.access));
  }

  /** Verifies a backup; a client that may not read the whole store learns only whether it verifies. */
  verifyBackup(id: unknown, client: Requester): { ok: boolean; problems: string[] } {
    const result = this.backups.files.verify(id);
    if (!client.access.filtersReads || result.ok) return result;
    return { ok: false, problems: ['the backup does not verify (details are for clients that may read the whole store)'] };
  }

  /**
   * What info() tells a client. One that may not read the whole store gets nothing derived from what it cannot see:
   * sizes and key counts of its own view, no journal bytes, no recovery notes (they name paths and files).
   */
  async info(client: Requester): Promise<StoreInfo> {
    await this.backups.settled();
    const info = { ...this.engine.info(), backups: this.backups.files.count(), encryptedKept: client.access.encryptedKept };
    if (!client.access.filtersReads) return info;
    // From the view's text, shared per rev like snapshots: a flood of info() must not filter and serialize each time.
    const { bytes, keys } = await this.engine.whenCommitted(() => {
      const compact = this.viewJson(client);
      const view = this.#view(client.access);
      view.keys ??= Object.keys(JSON.parse(compact) as object).length;
      return { bytes: Buffer.byteLength(compact), keys: view.keys };
    });
    return {
      ...info, bytes, keys,
      journal: { ...info.journal, bytes: 0 },
      recovery: { ...info.recovery, problems: [], keptAside: [] },
    };
  }

  /** Stops the schedule and the watcher, drains and checkpoints the engine, releases the lock. */
  async close(): Promise<void> {
    clearTimeout(this.#deferred);
    this.#deferred = undefined;
    this.backups.stop();
    await this.backups.settled();
    await this.watcher?.close();
    await this.engine.validator?.saveCache();
    await this.engine.close();
    await this.lock.release();
  }
}
