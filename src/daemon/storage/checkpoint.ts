import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import type { JsonObject, Migration } from '../../protocol/types.ts';
import type { FieldCipher } from '../features/encryption.ts';
import type { FsSeam } from './fs-seam.ts';
import { stamp } from './segment-files.ts';
import { CheckpointMarks, type CheckpointMark } from './checkpoint-marks.ts';
import { tempName, writeTempInSlices } from './sliced-write.ts';

/** conf's (and electron-store's) private namespace in the file; we keep our rev beside its migration version. */
export const INTERNAL_KEY = '__internal__';

export interface CheckpointMeta {
  rev: number;
  time: number;
}

type ConfClass = typeof Conf;

/**
 * The class that owns the file format: electron-store when the daemon runs in Electron, conf (the class
 * electron-store extends: same format, same atomic write, same migrations) in the worker host.
 */
export async function loadStoreClass(host: 'utility-process' | 'worker'): Promise<ConfClass> {
  if (host === 'utility-process') {
    const mod = (await import('electron-store')) as unknown as { default: ConfClass };
    return mod.default;
  }
  return Conf;
}

export interface CheckpointFileOptions {
  cwd: string;
  name: string;
  StoreClass: ConfClass;
  fsSeam: FsSeam;
  defaults?: Record<string, unknown>;
  /** Seals values at encrypted paths in the file. */
  cipher?: FieldCipher;
  /**
   * Where the daemon records what it wrote (`{current, previous}`: sha256 and rev of its last two checkpoint texts),
   * so a start can tell the user's edits made while the app was closed from its own file.
   */
  markFile?: string;
}

export type { CheckpointMark } from './checkpoint-marks.ts';

/**
 * `<cwd>/<name>.json`, written whole through conf/electron-store (atomic temp-file + rename, fsynced).
 * It records the rev it contains under `__internal__.storeDaemon`, so open = load it + replay newer journal records.
 */
export class CheckpointFile {
  readonly path: string;
  readonly #opts: CheckpointFileOptions;
  #conf: Conf<Record<string, unknown>> | undefined;
  /** Only while opening: the last text parsed and its value (see `deserialize`). */
  #parsing: { text: string; value: unknown } | undefined;
  readonly #marks: CheckpointMarks;
  /** Moves on with every write of the file (see writeOffPath). */
  #version = 0;
  /** The mark conf's serialize hook recorded last: confirmed once conf's write returns (it reached the disk). */
  #recorded: CheckpointMark | undefined;

  constructor(opts: CheckpointFileOptions) {
    this.#opts = opts;
    this.path = path.join(opts.cwd, `${opts.name}.json`);
    this.#marks = new CheckpointMarks(opts.markFile, opts.fsSeam);
  }

  #options(extra: Record<string, unknown> = {}, own = true): Record<string, unknown> {
    // electron-store takes `name`, conf takes `configName`; passing both is harmless to each.
    return {
      cwd: this.#opts.cwd, name: this.#opts.name, configName: this.#opts.name, clearInvalidConfig: false,
      watch: false, accessPropertiesByDotNotation: true,
      // conf's own format (tab-indented JSON), captured so we know what is on disk without reading it back. conf calls
      // this right before it writes the file: the mark is recorded first, keeping the one before as `previous`, so a
      // crash between the two leaves a file the mark still knows.
      serialize: (value: unknown) => {
        // A migration's scratch file holds ciphertext too, also of values the migration itself writes.
        if (!own) return JSON.stringify(this.#sealRaw(value), undefined, '\t');
        const text = JSON.stringify(value, undefined, '\t');
        this.#recordMark(text, value);
        return text;
      },
      // At open, conf reads the file two or three times and we inspected it once already: parse each text once
      // (tens of ms at 10 MB). Each read gets its own copy of the top level; nothing mutates the parsed tree then.
      // A scratch instance opens what its serialize sealed.
      deserialize: own ? (text: string) => {
        const hit = this.#parsing?.text === text ? this.#parsing.value : undefined;
        const value: unknown = hit ?? JSON.parse(text);
        if (this.#parsing) this.#parsing = { text, value };
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : value;
      } : (text: string) => this.#unseal(JSON.parse(text) as Record<string, unknown>),
      ...extra,
    };
  }

  /**
   * Reads the file through the store class (which also fills in `defaults` the way electron-store does).
   * Throws what conf throws on a file it cannot parse; returns the document, conf's internal data and our meta.
   */
  load(): { doc: JsonObject; internal: Record<string, unknown>; meta: CheckpointMeta; existed: boolean } {
    const existed = fs.existsSync(this.path);
    this.#parsing ??= { text: '', value: undefined };
    let raw: Record<string, unknown>;
    try {
      this.#recorded = undefined;
      const conf = new this.#opts.StoreClass<Record<string, unknown>>(this.#options({ defaults: this.#opts.defaults }) as never);
      this.#conf = conf;
      // conf writes the file when it opens one without our defaults: that write landed.
      if (this.#recorded) this.#marks.confirm(this.#recorded);
      raw = conf.store as Record<string, unknown>;
    } finally {
      this.#parsing = undefined;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SyntaxError('the checkpoint is not a JSON object');
    const { [INTERNAL_KEY]: internalRaw, ...doc } = raw;
    const internal = (internalRaw && typeof internalRaw === 'object' ? internalRaw : {}) as Record<string, unknown>;
    const m = internal.storeDaemon as Partial<CheckpointMeta> | undefined;
    const meta = { rev: typeof m?.rev === 'number' ? m.rev : 0, time: typeof m?.time === 'number' ? m.time : 0 };
    return { doc: this.#opts.cipher?.active ? this.#opts.cipher.unsealDoc(doc as JsonObject) : doc as JsonObject, internal, meta, existed };
  }

  /**
   * Reads the file as bytes and says whether it is usable, without conf (which throws on a bad file, or would write
   * defaults into it): missing, unreadable (empty, truncated, garbage, not an object), or parsed.
   */
  inspect(): { state: 'missing' } | { state: 'bad'; reason: string; text?: string } | { state: 'ok'; raw: Record<string, unknown>; text: string } {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { state: 'missing' };
      return { state: 'bad', reason: `it cannot be read (${code ?? (error as Error).message})` };
    }
    if (text.trim() === '') return { state: 'bad', reason: 'it is empty', text };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return { state: 'bad', reason: `it is not valid JSON (${(error as Error).message})`, text };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { state: 'bad', reason: 'it is not a JSON object', text };
    // load() usually follows: conf's reads of this same text reuse this parse.
    this.#parsing = { text, value: parsed };
    // A wrong encryption key must stop the open (IO_FAILED), never count as a corrupt file. Once the key is known to
    // be right (its check matched), a value that does not open was altered: that is damage, and recovery handles it.
    try {
      return { state: 'ok', raw: this.#unseal(parsed as Record<string, unknown>), text };
    } catch (error) {
      if (!this.#opts.cipher?.keyVerified) throw error;
      return { state: 'bad', reason: (error as Error).message, text };
    }
  }

  /**
   * What the daemon last wrote here, or undefined when it never recorded a write (a new store, or one last written
   * by a version without marks or by electron-store itself).
   */
  mark(): CheckpointMark | undefined {
    return this.#marks.read().current;
  }

  /**
   * The file as the daemon knows it is on disk (sha256 and rev): the watcher ignores events whose content is that
   * (our own checkpoints), and a hand edit is diffed against the document at that rev (three-way). Its text is not
   * kept: at 10 MB it would be a 13 MB string held for nothing between edits.
   */
  onDisk(): CheckpointMark | undefined {
    return this.#marks.onDisk;
  }

  /** True when `text` is what the daemon knows is on disk (see onDisk). */
  isOnDisk(text: string): boolean {
    const mark = this.#marks.onDisk;
    return mark !== undefined && sha256(text) === mark.sha256;
  }

  /** True when `text` is one of the daemon's own last two writes (undefined: no mark to tell). */
  wrote(text: string): boolean | undefined {
    const mark = this.#marks.read();
    if (!mark.current) return undefined;
    const hash = sha256(text);
    const known = [mark.current, mark.previous].find((m) => m?.sha256 === hash);
    if (known) this.#marks.confirm(known);
    return known !== undefined;
  }

  #recordMark(text: string, value: unknown): void {
    if (!this.#opts.markFile) return;
    const meta = ((value as Record<string, unknown> | null)?.[INTERNAL_KEY] as { storeDaemon?: { rev?: unknown } } | undefined)?.storeDaemon;
    this.#recorded = { sha256: sha256(text), rev: typeof meta?.rev === 'number' ? meta.rev : 0 };
    this.#marks.save(this.#recorded);
  }

  /**
   * Deletes temp files of atomic writes a crash interrupted; call only while holding the lock. Only conf's exact
   * temp name (atomically's `<file>.tmp-<10 digits><6 hex>`) counts: store names may hold dots, and the checkpoint
   * of a store named `a.json.tmp-1` (`a.json.tmp-1.json`) must never look like a temp file of store `a`.
   */
  removeStaleTemps(): number {
    const temp = new RegExp(`^${escapeRegExp(path.basename(this.path))}\\.tmp-\\d{10}[a-f0-9]{6}$`);
    let removed = 0;
    for (const name of fs.readdirSync(this.#opts.cwd)) {
      if (!temp.test(name)) continue;
      fs.rmSync(path.join(this.#opts.cwd, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Renames the file to `<name>.corrupt-<time>.json` (evidence, never deleted); returns the new path. */
  moveAside(): string {
    const base = this.path.replace(/\.json$/, '');
    let to = `${base}.corrupt-${stamp()}.json`;
    for (let i = 2; fs.existsSync(to); i++) to = `${base}.corrupt-${stamp()}-${i}.json`;
    fs.renameSync(this.path, to);
    this.#conf = undefined;
    this.#opts.fsSeam.syncDir(this.#opts.cwd);
    return to;
  }

  /**
   * Runs electron-store's migrations (conf's `migrations` + `projectVersion`, its own machinery) on a scratch copy of
   * the document in the checkpoint format, and returns the migrated document and conf's internal data. The store's
   * own file is not touched: the caller journals the result, so a crash mid-migration can never leave a half-migrated
   * checkpoint or run a migration twice.
   */
  runMigrations(doc: JsonObject, internal: Record<string, unknown>, version: string, migrations: Record<string, Migration>): { doc: JsonObject; internal: Record<string, unknown> } {
    const prefix = `.${this.#opts.name}.migrating-`;
    // Leftovers of a migration a crash interrupted (we hold the store's lock, so none is running): mkdtemp's exact
    // name only, never the scratch folder of a store whose name extends this one's.
    const leftover = new RegExp(`^${escapeRegExp(prefix)}[A-Za-z0-9]{6}$`);
    for (const name of fs.readdirSync(this.#opts.cwd)) {
      if (leftover.test(name)) fs.rmSync(path.join(this.#opts.cwd, name), { recursive: true, force: true });
    }
    const scratch = fs.mkdtempSync(path.join(this.#opts.cwd, prefix));
    try {
      const seed = new this.#opts.StoreClass<Record<string, unknown>>(this.#options({ cwd: scratch }, false) as never);
      // The scratch instances seal on write and open on read (see #options): no file holds encrypted keys in clear,
      // while migrations see plain values, as they would in electron-store.
      seed.store = { ...structuredClone(doc), [INTERNAL_KEY]: structuredClone(internal) };
      const conf = new this.#opts.StoreClass<Record<string, unknown>>(this.#options({
        cwd: scratch, projectVersion: version, migrations, defaults: this.#opts.defaults,
      }, false) as never);
      const { [INTERNAL_KEY]: internalRaw, ...migrated } = conf.store as Record<string, unknown>;
      const nextInternal = (internalRaw && typeof internalRaw === 'object' ? internalRaw : {}) as Record<string, unknown>;
      return { doc: JSON.parse(JSON.stringify(migrated)) as JsonObject, internal: nextInternal };
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  #seal(doc: JsonObject): JsonObject {
    return this.#opts.cipher ? this.#opts.cipher.sealDoc(doc) : doc;
  }

  /** Seals the values of a file's content (its `__internal__` untouched). */
  #sealRaw(raw: unknown): unknown {
    if (!this.#opts.cipher?.active || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const { [INTERNAL_KEY]: internal, ...doc } = raw as Record<string, unknown>;
    return { ...this.#seal(doc as JsonObject), ...(internal !== undefined && { [INTERNAL_KEY]: internal }) };
  }

  /** Opens sealed values of a document read from the file (its `__internal__` untouched). */
  #unseal<D extends Record<string, unknown>>(raw: D): D {
    const cipher = this.#opts.cipher;
    if (!cipher?.active) return raw;
    const { [INTERNAL_KEY]: internal, ...doc } = raw;
    return { ...cipher.unsealDoc(doc as JsonObject), ...(internal !== undefined && { [INTERNAL_KEY]: internal }) } as unknown as D;
  }

  /** The file's content for a document at a rev: sealed values, and conf's internal data with our meta. */
  #fileValue(doc: JsonObject, internal: Record<string, unknown>, meta: CheckpointMeta): Record<string, unknown> {
    return { ...this.#seal(doc), [INTERNAL_KEY]: { ...internal, storeDaemon: meta } };
  }

  /**
   * The same file as `write`, without blocking the thread for the whole serialization (see sliced-write.ts): `doc` must
   * not change until this settles (the engine's copy-on-write guarantees it). Resolves false when `wanted()` turned
   * false, or another write of the file came first (nothing changed on disk), true once the file is renamed in.
   */
  async writeOffPath(doc: JsonObject, internal: Record<string, unknown>, meta: CheckpointMeta, options: { sliceMs: number; wanted(): boolean }): Promise<boolean> {
    const fsSeam = this.#opts.fsSeam;
    const version = this.#version;
    const wanted = () => version === this.#version && options.wanted();
    const written = await writeTempInSlices(this.path, this.#fileValue(doc, internal, meta), { ...options, wanted, fsSeam });
    if (!written) return false;
    let mark: Awaited<ReturnType<CheckpointMarks['prepare']>>;
    try {
      mark = await this.#marks.prepare({ sha256: written.sha256, rev: meta.rev });
    } catch (error) {
      // A document-sized temp file per failed attempt would fill the disk while the checkpointer retries.
      fs.rmSync(written.tmp, { force: true });
      throw error;
    }
    // An extra link keeps the old file's blocks alive through the rename: freeing 10 MB of extents inside renameSync
    // costs milliseconds; the link is removed in the thread pool afterwards. (A crash leaves it as a temp file.)
    const keep = tempName(this.path);
    const kept = await fs.promises.link(this.path, keep).then(() => true, () => false);
    const discard = () => [written.tmp, mark?.tmp, kept ? keep : undefined].forEach((f) => f && fs.rmSync(f, { force: true }));
    // From here on synchronous: no other checkpoint write can come between the check, the mark and the rename.
    if (!wanted()) {
      discard();
      return false;
    }
    try {
      // The mark first, as conf's serialize hook does: a crash between the two leaves a file the mark still knows.
      mark?.commit();
      fs.renameSync(written.tmp, this.path);
    } catch (error) {
      discard();
      throw error;
    }
    if (mark) this.#marks.confirm({ sha256: written.sha256, rev: meta.rev });
    this.#version++;
    fsSeam.syncDir(this.#opts.cwd);
    fsSeam.crashPoint('checkpoint.written');
    if (kept) void fs.promises.rm(keep, { force: true });
    return true;
  }

  /** Writes the whole document atomically; `internal` keeps conf's migration version. */
  write(doc: JsonObject, internal: Record<string, unknown>, meta: CheckpointMeta): void {
    const conf = this.#conf ?? (this.#conf = new this.#opts.StoreClass<Record<string, unknown>>(this.#options() as never));
    const value = this.#fileValue(doc, internal, meta);
    // An off-path write in flight must not rename an older document over this one.
    this.#version++;
    this.#recorded = undefined;
    this.#opts.fsSeam.guard('checkpoint.write', this.path, () => {
      conf.store = value;
    });
    if (this.#recorded) this.#marks.confirm(this.#recorded);
    this.#opts.fsSeam.syncDir(this.#opts.cwd);
    this.#opts.fsSeam.crashPoint('checkpoint.written');
  }
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
