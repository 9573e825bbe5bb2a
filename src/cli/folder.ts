import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { FieldCipher } from '../daemon/features/encryption.ts';
import { BackupFiles } from '../daemon/storage/backup-files.ts';
import { CheckpointFile, INTERNAL_KEY } from '../daemon/storage/checkpoint.ts';
import { FsSeam } from '../daemon/storage/fs-seam.ts';
import { Journal } from '../daemon/storage/journal.ts';
import { SEGMENT_RE } from '../daemon/storage/segment-files.ts';
import { StoreError } from '../protocol/errors.ts';
import { isStoreName } from '../protocol/store-name.ts';
import type { JsonObject } from '../protocol/types.ts';
import { STALE_MS } from '../daemon/storage/lock.ts';


/** Names of files a store keeps aside as evidence: `<name>.corrupt-….json`, `<name>.rejected-….json`. */
const EVIDENCE_RE = /\.(corrupt|rejected)-[^/]*\.jsonl?$/;

/** The folder must exist; the CLI never creates one. */
export function checkFolder(folder: string): string {
  const abs = path.resolve(folder);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new StoreError('IO_FAILED', `No folder ${abs}; pass the app's store folder (its userData, or the daemon's cwd).`);
  }
  if (!st.isDirectory()) throw new StoreError('IO_FAILED', `${abs} is a file; pass the app's store folder (its userData, or the daemon's cwd).`);
  return abs;
}

function readdir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * The stores in a folder: a `<name>.json` the daemon wrote (it carries `__internal__.storeDaemon`), a journal folder
 * `storeHistory/<name>/` with segments, or backups under `backups/<name>/`. Other JSON files of an app's userData are
 * not stores.
 */
export function findStores(folder: string): string[] {
  const names = new Set<string>();
  for (const e of readdir(folder)) {
    if (!e.isFile() || !e.name.endsWith('.json') || EVIDENCE_RE.test(e.name)) continue;
    const name = e.name.slice(0, -'.json'.length);
    if (!isStoreName(name)) continue;
    try {
      if (fs.readFileSync(path.join(folder, e.name), 'utf8').includes('"storeDaemon"')) names.add(name);
    } catch {
      // Unreadable: not one we can tell is a store.
    }
  }
  for (const e of readdir(path.join(folder, 'storeHistory'))) {
    if (e.isDirectory() && isStoreName(e.name) && readdir(path.join(folder, 'storeHistory', e.name)).some((f) => SEGMENT_RE.test(f.name))) names.add(e.name);
  }
  for (const e of readdir(path.join(folder, 'backups'))) {
    if (e.isDirectory() && isStoreName(e.name) && readdir(path.join(folder, 'backups', e.name)).some((f) => f.name.endsWith('.meta.json'))) names.add(e.name);
  }
  return [...names].sort();
}

/** STORE_NOT_FOUND unless the folder holds a store of that name (a write would otherwise create a new one). */
export function requireStore(folder: string, name: string): void {
  if (!isStoreName(name)) throw new StoreError('STORE_NOT_FOUND', `${JSON.stringify(name)} is not a valid store name; use letters, digits, "-", "_" and "."; \`list\` shows the stores in the folder.`);
  if (findStores(folder).includes(name)) return;
  const exists = fs.existsSync(path.join(folder, `${name}.json`));
  if (exists) return;
  throw new StoreError('STORE_NOT_FOUND', `No store "${name}" in ${folder}; \`electron-store-daemon list ${folder}\` shows the stores there.`, { store: name });
}

/** What the checkpoint file holds, read without conf (which could write to it). */
export type CheckpointRead =
  | { state: 'missing'; rev: 0 }
  | { state: 'bad'; reason: string; rev: 0 }
  | { state: 'ok'; doc: JsonObject; internal: Record<string, unknown>; rev: number; time: number; text: string; shape?: string };

/**
 * One store's files, for reading without the lock: checkpoint, journal, backups, the lock's state and evidence kept
 * aside. Uses the daemon's own storage classes, and only their methods that do not write.
 */
export class StoreFiles {
  readonly checkpoint: CheckpointFile;
  readonly journal: Journal;
  readonly backups: BackupFiles;

  constructor(readonly folder: string, readonly name: string, options: { validate?: (doc: JsonObject) => ReadonlyArray<{ instancePath: string; message?: string }> } = {}) {
    const fsSeam = new FsSeam();
    const plain = new FieldCipher(name, [], undefined);
    this.checkpoint = new CheckpointFile({
      cwd: folder, name, StoreClass: Conf, fsSeam, markFile: path.join(folder, 'storeHistory', '.marks', `${name}.json`),
    });
    this.journal = new Journal(path.join(folder, 'storeHistory', name), fsSeam);
    // max only matters when writing (rotation); listing and verifying never write.
    this.backups = new BackupFiles({ dir: path.join(folder, 'backups', name), store: name, max: 1, fsSeam, cipher: plain, validate: options.validate });
  }

  /** The checkpoint as it is on disk (sealed values stay sealed). */
  readCheckpoint(): CheckpointRead {
    const inspected = this.checkpoint.inspect();
    if (inspected.state === 'missing') return { state: 'missing', rev: 0 };
    if (inspected.state === 'bad') return { state: 'bad', reason: inspected.reason, rev: 0 };
    const { [INTERNAL_KEY]: rawInternal, ...doc } = inspected.raw;
    const internalOk = rawInternal === undefined || (rawInternal !== null && typeof rawInternal === 'object' && !Array.isArray(rawInternal));
    const internal = internalOk && rawInternal ? rawInternal as Record<string, unknown> : {};
    const meta = internal.storeDaemon as { rev?: unknown; time?: unknown } | undefined;
    const revOk = meta === undefined || (meta !== null && typeof meta === 'object' && Number.isSafeInteger(meta.rev) && (meta.rev as number) >= 0);
    const rev = revOk && meta ? meta.rev as number : 0;
    const time = typeof meta?.time === 'number' ? meta.time : 0;
    // What recovery would refuse the file for (besides the schema): the same checks as its checkRaw.
    const shape = !internalOk ? `its ${INTERNAL_KEY} is not an object` : !revOk ? 'its recorded rev is not a non-negative integer' : undefined;
    return { state: 'ok', doc: doc as JsonObject, internal, rev, time, text: inspected.text, ...(shape && { shape }) };
  }

  /** Bytes of `<name>.json`, or undefined when it is missing. */
  fileBytes(): number | undefined {
    try {
      return fs.statSync(this.checkpoint.path).size;
    } catch {
      return undefined;
    }
  }

  /** Whether a daemon holds the store's lock now (a fresh lock), and its pid when the owner note says. */
  lock(): { held: boolean; pid?: number } {
    const lockPath = `${this.checkpoint.path}.lock`;
    let st: fs.Stats;
    try {
      st = fs.statSync(lockPath);
    } catch {
      return { held: false };
    }
    if (Date.now() - st.mtimeMs >= STALE_MS) return { held: false };
    try {
      const note = JSON.parse(fs.readFileSync(`${this.checkpoint.path}.lock-owner`, 'utf8')) as { pid?: unknown };
      if (typeof note.pid === 'number') return { held: true, pid: note.pid };
    } catch {
      // No owner note: held, holder unknown.
    }
    return { held: true };
  }

  /** Evidence the daemon kept aside for this store (never deleted): corrupt checkpoints and journal segments, rejected hand edits. */
  evidence(): string[] {
    const out: string[] = [];
    for (const e of readdir(this.folder)) {
      const kept = e.name.startsWith(`${this.name}.corrupt-`) || e.name.startsWith(`${this.name}.rejected-`);
      if (e.isFile() && kept && EVIDENCE_RE.test(e.name)) out.push(path.join(this.folder, e.name));
    }
    for (const e of readdir(this.journal.dir)) {
      if (e.isFile() && EVIDENCE_RE.test(e.name)) out.push(path.join(this.journal.dir, e.name));
    }
    return out.sort();
  }
}
