import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../../protocol/errors.ts';
import type { BackupInfo, JsonObject } from '../../protocol/types.ts';
import type { FieldCipher } from '../features/encryption.ts';
import { INTERNAL_KEY } from './checkpoint.ts';
import { writeAtomic } from './atomic-write.ts';
import type { FsSeam } from './fs-seam.ts';

const ID_RE = /^\d{8}T\d{12}Z-r\d+-[a-z0-9-]{1,60}$/;

/** A backup read back and checked: the document and conf's internal data (migration version) it was taken with. */
export interface CheckedBackup {
  info: BackupInfo;
  doc: JsonObject;
  internal: Record<string, unknown>;
}

/** A store state to back up. */
export interface BackupState {
  doc: JsonObject;
  internal: Record<string, unknown>;
  rev: number;
}

export interface BackupFilesOptions {
  dir: string;
  store: string;
  max: number;
  fsSeam: FsSeam;
  cipher: FieldCipher;
  /** Schema check of a backup's document (the store's compiled schema); none without a schema. */
  validate?: (doc: JsonObject) => ReadonlyArray<{ instancePath: string; message?: string }>;
}

/**
 * Rotating full copies of one store under `backups/<name>/`: `<id>.json` (the document in the checkpoint's format,
 * `__internal__` included, so a backup can also be copied over `<name>.json` by hand) and `<id>.meta.json`
 * ({id, time, reason, rev, sha256, bytes}), each written to a temp file, fsynced and renamed, data before metadata —
 * a backup without metadata does not exist (leftovers of a crash are removed at the next rotation).
 * Storage only: what to back up and when is the backups feature's (features/backups.ts).
 */
export class BackupFiles {
  readonly dir: string;
  readonly #o: BackupFilesOptions;

  constructor(options: BackupFilesOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new StoreError('BACKUP_NOT_FOUND', `Store "${options.store}": backups.max must be a positive integer.`, { store: options.store });
    this.#o = options;
    this.dir = options.dir;
  }

  /**
   * Writes a backup of `state` and rotates old ones out. Backups a window asked for (`pool` 'client') rotate among
   * themselves: however many a window creates, it never evicts the automatic ones or main's.
   */
  write(state: BackupState, reason: string, pool: 'store' | 'client' = 'store'): BackupInfo {
    const cleanReason = reason.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 40) || 'manual';
    const time = Date.now();
    const stamp = new Date(time).toISOString().replace(/[-:.]/g, '').replace('Z', '');
    let id = `${stamp.slice(0, 8)}T${stamp.slice(9)}${String(process.hrtime.bigint() % 1000n).padStart(3, '0')}Z-r${state.rev}-${cleanReason}`;
    while (fs.existsSync(path.join(this.dir, `${id}.json`))) id += '-x';
    const file = { ...this.#o.cipher.sealDoc(state.doc), [INTERNAL_KEY]: { ...state.internal, storeDaemon: { rev: state.rev, time } } };
    const data = Buffer.from(JSON.stringify(file, undefined, '\t'));
    const info: BackupInfo = { id, time, reason: cleanReason, rev: state.rev, sha256: sha256(data), bytes: data.length, ...(pool === 'client' && { by: 'client' as const }) };
    const seam = this.#o.fsSeam;
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

  /** Complete backups, newest first. */
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
    const store = this.#o.store;
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      throw new StoreError('BACKUP_NOT_FOUND', `"${String(id).slice(0, 80)}" is not a backup id; take one from backups.list().`, { store });
    }
    const info = this.list().find((b) => b.id === id);
    if (!info) throw new StoreError('BACKUP_NOT_FOUND', `No backup "${id}" for store "${store}"; take one from backups.list().`, { store });
    return info;
  }

  /** Verdicts of verify() by backup id, with the file's state they were reached on (see verify). */
  readonly #verified = new Map<string, { state: string; result: { ok: boolean; problems: string[] } }>();

  /**
   * Reads and checks a backup: hash, parse, schema. A backup never changes once written, so the verdict is kept while
   * its file's inode, size and mtime stay the same: asking again (a page polling, a flood) costs a stat, not a read of
   * the whole file.
   */
  verify(id: unknown): { ok: boolean; problems: string[] } {
    const info = this.#find(id);
    let state: string;
    try {
      const stat = fs.statSync(path.join(this.dir, `${info.id}.json`));
      state = `${stat.ino}:${stat.size}:${stat.mtimeMs}:${info.sha256}`;
    } catch {
      return this.#check(info).result;
    }
    const known = this.#verified.get(info.id);
    if (known?.state === state) return known.result;
    const { result } = this.#check(info);
    this.#verified.set(info.id, { state, result });
    return result;
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
          doc = this.#o.cipher.unsealDoc(rest as JsonObject);
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
    if (doc && this.#o.validate) {
      for (const issue of this.#o.validate(doc)) problems.push(`schema: ${issue.instancePath || '(root)'} ${issue.message}`);
    }
    return { result: { ok: problems.length === 0, problems }, doc, internal };
  }

  /** Reads a backup that verifies (hash, parse, schema); BACKUP_NOT_FOUND / VALIDATION_FAILED otherwise. */
  read(id: unknown, failure = ''): CheckedBackup {
    const info = this.#find(id);
    const checked = this.#check(info);
    if (!checked.result.ok || !checked.doc) {
      throw new StoreError('VALIDATION_FAILED', `Backup ${info.id} failed verification: ${checked.result.problems.join('; ')}.${failure}`, { store: this.#o.store, details: checked.result });
    }
    return { info, doc: checked.doc, internal: checked.internal };
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

  /** Deletes backups past `max` in each pool (metadata first: a half-deleted backup no longer exists) and crash leftovers. */
  #rotate(): void {
    const all = this.list();
    const max = this.#o.max;
    const kept = new Set<string>();
    for (const pool of [all.filter((b) => b.by !== 'client'), all.filter((b) => b.by === 'client')]) {
      for (const b of pool.slice(0, max)) kept.add(b.id);
      for (const old of pool.slice(max)) {
        fs.rmSync(path.join(this.dir, `${old.id}.meta.json`), { force: true });
        this.#o.fsSeam.crashPoint('backup.rotate');
        fs.rmSync(path.join(this.dir, `${old.id}.json`), { force: true });
      }
    }
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
