import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../../protocol/errors.ts';
import type { BackupInfo, JsonObject } from '../../protocol/types.ts';
import type { StoreEngine } from '../engine/store-engine.ts';
import type { DocumentValidator } from './validator.ts';
import { INTERNAL_KEY } from '../storage/checkpoint.ts';

const ID_RE = /^\d{8}T\d{12}Z-r\d+-[a-z0-9-]{1,60}$/;

/** A backup read back and checked: the document and conf's internal data (migration version) it was taken with. */
export interface CheckedBackup {
  info: BackupInfo;
  doc: JsonObject;
  internal: Record<string, unknown>;
}

/**
 * Rotating full copies of one store under `backups/<name>/`: `<id>.json` (the document in the checkpoint's format,
 * `__internal__` included, so a backup can also be copied over `<name>.json` by hand) and `<id>.meta.json`
 * ({id, time, reason, rev, sha256, bytes}), each written to a temp file, fsynced and renamed, data before metadata —
 * a backup without metadata does not exist (leftovers of a crash are removed at the next rotation).
 */
export class BackupManager {
  readonly dir: string;
  readonly #max: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly engine: StoreEngine, readonly validator: DocumentValidator | undefined) {
    this.dir = path.join(engine.ctx.cwd, 'backups', engine.name);
    const max = engine.def.backups?.max ?? 10;
    if (!Number.isInteger(max) || max < 1) throw new StoreError('BACKUP_NOT_FOUND', `Store "${engine.name}": backups.max must be a positive integer.`, { store: engine.name });
    this.#max = max;
  }

  /** Starts the periodic schedule (default every 24 h). */
  schedule(): void {
    const every = this.engine.def.backups?.intervalMs ?? 24 * 60 * 60 * 1000;
    if (!(every > 0)) return;
    this.#timer = setInterval(() => void this.create('scheduled').catch(() => {}), every);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #startup: Promise<void> = Promise.resolve();

  /** Takes the 'start' backup on the next turn, once the store serves; `settled()` waits for it. */
  startBackup(onError: (error: Error) => void): void {
    this.#startup = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.engine.whenCommitted(() => this.createNow('start')))
      .then(() => {}, (error: Error) => onError(error));
  }

  /** Resolves once the start-up backup is on disk (or failed). */
  settled(): Promise<void> {
    return this.#startup;
  }

  /** Takes a backup of the committed document. */
  create(reason: string): Promise<BackupInfo> {
    return this.engine.whenCommitted(() => this.createNow(reason));
  }

  /** A backup that must exist before a destructive step; failure aborts that step. */
  createSafe(reason: string): Promise<BackupInfo> {
    return this.create(reason).catch((error: unknown) => {
      throw new StoreError('IO_FAILED', `Could not take the "${reason}" backup (${(error as Error).message}); the operation was not started.`, { store: this.engine.name, cause: error });
    });
  }

  /** Synchronous: only when the engine is idle (the document is the committed one). */
  createNow(reason: string): BackupInfo {
    const cleanReason = reason.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 40) || 'manual';
    const time = Date.now();
    const stamp = new Date(time).toISOString().replace(/[-:.]/g, '').replace('Z', '');
    let id = `${stamp.slice(0, 8)}T${stamp.slice(9)}${String(process.hrtime.bigint() % 1000n).padStart(3, '0')}Z-r${this.engine.rev}-${cleanReason}`;
    while (fs.existsSync(path.join(this.dir, `${id}.json`))) id += '-x';
    const file = { ...this.engine.cipher.sealDoc(this.engine.doc), [INTERNAL_KEY]: { ...this.engine.internal, storeDaemon: { rev: this.engine.rev, time } } };
    const data = Buffer.from(JSON.stringify(file, undefined, '\t'));
    const info: BackupInfo = { id, time, reason: cleanReason, rev: this.engine.rev, sha256: sha256(data), bytes: data.length };
    const seam = this.engine.fsSeam;
    seam.guard('backup.write', this.dir, () => {
      fs.mkdirSync(this.dir, { recursive: true });
      writeAtomic(path.join(this.dir, `${id}.json`), data);
      seam.crashPoint('backup.data-written');
      writeAtomic(path.join(this.dir, `${id}.meta.json`), Buffer.from(JSON.stringify(info)));
    });
    seam.syncDir(this.dir);
    this.#rotate();
    return info;
  }

  /** The rev of the newest backup (recovery rebuilds from it, so the journal is kept back to it), or undefined. */
  newestRev(): number | undefined {
    return this.list()[0]?.rev;
  }

  list(): BackupInfo[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: BackupInfo[] = [];
    for (const n of names) {
      if (!n.endsWith('.meta.json')) continue;
      try {
        const info = JSON.parse(fs.readFileSync(path.join(this.dir, n), 'utf8')) as BackupInfo;
        if (ID_RE.test(info.id) && fs.existsSync(path.join(this.dir, `${info.id}.json`))) out.push(info);
      } catch {
        // A torn metadata file: the backup was never completed.
      }
    }
    return out.sort((a, b) => b.time - a.time || b.id.localeCompare(a.id));
  }

  count(): number {
    return this.list().length;
  }

  #find(id: unknown): BackupInfo {
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      throw new StoreError('BACKUP_NOT_FOUND', `"${String(id).slice(0, 80)}" is not a backup id; take one from backups.list().`, { store: this.engine.name });
    }
    const info = this.list().find((b) => b.id === id);
    if (!info) throw new StoreError('BACKUP_NOT_FOUND', `No backup "${id}" for store "${this.engine.name}"; take one from backups.list().`, { store: this.engine.name });
    return info;
  }

  /** Reads and checks a backup: hash, parse, schema. */
  verify(id: unknown): { ok: boolean; problems: string[] } {
    const info = this.#find(id);
    return this.#check(info).result;
  }

  #check(info: BackupInfo): { result: { ok: boolean; problems: string[] }; doc?: JsonObject; internal: Record<string, unknown> } {
    const problems: string[] = [];
    let doc: JsonObject | undefined;
    let internal: Record<string, unknown> = {};
    let data: Buffer;
    try {
      data = fs.readFileSync(path.join(this.dir, `${info.id}.json`));
    } catch (error) {
      return { result: { ok: false, problems: [`the backup file cannot be read: ${(error as Error).message}`] }, internal };
    }
    if (sha256(data) !== info.sha256) problems.push('sha256 does not match the metadata (the file changed or is damaged)');
    try {
      const parsed: unknown = JSON.parse(data.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push('the backup is not a JSON object');
      } else {
        const { [INTERNAL_KEY]: rawInternal, ...rest } = parsed as Record<string, unknown>;
        try {
          doc = this.engine.cipher.unsealDoc(rest as JsonObject);
        } catch (error) {
          problems.push((error as Error).message);
        }
        if (rawInternal && typeof rawInternal === 'object' && !Array.isArray(rawInternal)) {
          const { storeDaemon: _meta, ...conf } = rawInternal as Record<string, unknown>;
          internal = conf;
        }
      }
    } catch (error) {
      problems.push(`the backup is not valid JSON: ${(error as Error).message}`);
    }
    if (doc && this.validator) {
      for (const issue of this.validator.validateAll(doc)) problems.push(`schema: ${issue.instancePath || '(root)'} ${issue.message}`);
    }
    return { result: { ok: problems.length === 0, problems }, doc, internal };
  }

  /** Reads a backup that verifies (hash, parse, schema); BACKUP_NOT_FOUND / VALIDATION_FAILED otherwise. */
  read(id: unknown): CheckedBackup {
    const info = this.#find(id);
    const checked = this.#check(info);
    if (!checked.result.ok || !checked.doc) {
      throw new StoreError('VALIDATION_FAILED', `Backup ${info.id} failed verification: ${checked.result.problems.join('; ')}.`, { store: this.engine.name, details: checked.result });
    }
    return { info, doc: checked.doc, internal: checked.internal };
  }

  /** Restores a verified backup as one ordinary write (journaled, broadcast, undoable); backs up first. */
  async restore(id: unknown, source: string): Promise<{ rev: number }> {
    const info = this.#find(id);
    const checked = this.#check(info);
    if (!checked.result.ok || !checked.doc) {
      throw new StoreError('VALIDATION_FAILED', `Backup ${info.id} failed verification: ${checked.result.problems.join('; ')}. Nothing was restored.`, { store: this.engine.name, details: checked.result });
    }
    await this.createSafe('before-restore');
    return this.engine.replaceAll(checked.doc, source === 'restore' ? source : `restore:${source}`);
  }

  /** Newest backup that passes verification, for start-up recovery; `skipped` lists the ones that did not. */
  newestValid(skipped: string[] = []): CheckedBackup | undefined {
    for (const info of this.list()) {
      const checked = this.#check(info);
      if (checked.result.ok && checked.doc) return { info, doc: checked.doc, internal: checked.internal };
      skipped.push(`backup ${info.id} is not usable: ${checked.result.problems.join('; ')}`);
    }
    return undefined;
  }

  /** Deletes backups past `max` (metadata first: a half-deleted backup no longer exists) and crash leftovers. */
  #rotate(): void {
    const all = this.list();
    for (const old of all.slice(this.#max)) {
      fs.rmSync(path.join(this.dir, `${old.id}.meta.json`), { force: true });
      this.engine.fsSeam.crashPoint('backup.rotate');
      fs.rmSync(path.join(this.dir, `${old.id}.json`), { force: true });
    }
    const kept = new Set(all.slice(0, this.#max).map((b) => b.id));
    for (const name of fs.readdirSync(this.dir)) {
      const id = name.replace(/\.json$/, '');
      const leftover = name.includes('.tmp-') || (name.endsWith('.json') && !name.endsWith('.meta.json') && ID_RE.test(id) && !kept.has(id));
      if (leftover) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** temp file → fsync → rename: a reader sees the old file or the new one, never half of it. */
export function writeAtomic(file: string, data: Buffer): void {
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
