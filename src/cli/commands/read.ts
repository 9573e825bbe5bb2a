import { queryHistory } from '../../daemon/engine/history.ts';
import { parseKey } from '../../protocol/keys.ts';
import type { BackupInfo, HistoryEntry } from '../../protocol/types.ts';
import type { CliContext } from '../context.ts';
import { findStores, requireStore, StoreFiles } from '../folder.ts';
import { formatBytes, formatTime, opLine } from '../format.ts';
import { UsageError } from '../output.ts';
import { Lens, MASK } from '../sealed.ts';
import { table, type Cell } from '../table.ts';
import { readView, type StoreView } from '../view.ts';

/**
 * Read-only commands: they read the files directly, without the lock, so they work while the app runs — and then
 * show the state as of a moment ago. They never write anything.
 */

/** The stderr note every read-only command leaves in human mode. */
function readNote(ctx: CliContext, stores: string[]): void {
  const held = stores.map((s) => [s, new StoreFiles(ctx.folder, s).lock()] as const).filter(([, l]) => l.held);
  if (held.length > 0) {
    const who = held.map(([s, l]) => (l.pid ? `pid ${l.pid} holds the lock of "${s}"` : `"${s}" is locked`)).join(', ');
    ctx.out.note(`the app is running (${who}): read without the lock, so this view may be a moment old.`);
  } else {
    ctx.out.note('read without the lock: if the app is running, this view may be a moment old.');
  }
}

/** The store's view, with its caveats as notes. */
function view(ctx: CliContext, name: string): { files: StoreFiles; view: StoreView } {
  requireStore(ctx.folder, name);
  const files = new StoreFiles(ctx.folder, name);
  const v = readView(files);
  for (const p of v.problems) ctx.out.note(p);
  return { files, view: v };
}

function maskedNote(ctx: CliContext, lens: Lens): void {
  if (lens.sealed > 0 && !lens.canDecrypt) ctx.out.note(`${lens.sealed} encrypted value(s) shown as ${MASK}; pass --key-file to decrypt them.`);
}

export interface StoreSummary {
  name: string;
  rev: number;
  checkpointRev: number;
  /** `<name>.json` in bytes (absent when the file is missing). */
  fileBytes?: number;
  journal: { segments: number; bytes: number; records: number };
  backups: number;
  /** The app holds the store's lock now. */
  inUse: boolean;
  pid?: number;
  /** Files the daemon kept aside (corrupt checkpoints or segments, rejected hand edits). */
  evidence: string[];
  /** Why the store could not be read, when it could not. */
  problem?: string;
}

export function summarize(ctx: CliContext, name: string): StoreSummary {
  const files = new StoreFiles(ctx.folder, name);
  const lock = files.lock();
  const js = files.journal.stats();
  const base = {
    name, fileBytes: files.fileBytes(), backups: files.backups.count(), inUse: lock.held,
    ...(lock.pid !== undefined && { pid: lock.pid }), evidence: files.evidence(),
  };
  try {
    const v = readView(files);
    return { ...base, rev: v.rev, checkpointRev: v.checkpointRev, journal: { ...js, records: v.tail.length } };
  } catch (error) {
    return { ...base, rev: 0, checkpointRev: 0, journal: { ...js, records: 0 }, problem: (error as Error).message };
  }
}

export function list(ctx: CliContext): void {
  const names = findStores(ctx.folder);
  const stores = names.map((n) => summarize(ctx, n));
  readNote(ctx, names);
  ctx.out.result({ folder: ctx.folder, stores }, () => {
    if (stores.length === 0) return `No stores in ${ctx.folder}.`;
    const rows: Cell[][] = stores.map((s) => [
      s.name, s.rev, s.fileBytes === undefined ? 'missing' : formatBytes(s.fileBytes), s.journal.segments, formatBytes(s.journal.bytes),
      s.journal.records, s.backups, s.inUse ? `yes${s.pid ? ` (pid ${s.pid})` : ''}` : 'no',
    ]);
    const extra = stores.flatMap((s) => [
      ...(s.problem ? [`${s.name}: ${s.problem}`] : []),
      ...(s.evidence.length > 0 ? [`${s.name}: ${s.evidence.length} file(s) kept aside as evidence: ${s.evidence.join(', ')}`] : []),
    ]);
    return [table(['store', 'rev', 'file', 'segments', 'journal', 'records', 'backups', 'in use'], rows), ...extra].join('\n');
  });
}

/** `get <folder> <store> [key]`: the whole document, or the value at a dot path. */
export function get(ctx: CliContext): number {
  const [name, key] = ctx.args;
  const segments = key === undefined ? [] : parseKey(key, name);
  const { view: v } = view(ctx, name);
  const lens = new Lens(name, ctx.key);
  const found = valueAt(lens.show(v.doc), segments);
  readNote(ctx, [name]);
  maskedNote(ctx, lens);
  if (found === undefined) {
    // As `git config` does for a missing key: nothing on stdout (or found: false), exit code 1.
    ctx.out.result({ store: name, rev: v.rev, ...(key !== undefined && { key }), found: false }, () => '');
    ctx.out.note(`store "${name}" has no value at "${key}" (rev ${v.rev}).`);
    return 1;
  }
  ctx.out.result({ store: name, rev: v.rev, ...(key !== undefined && { key }), found: true, value: found },
    () => (typeof found === 'string' ? found : JSON.stringify(found, undefined, 2)));
  return 0;
}

/** The value at `segments`; `[encrypted]` when the path runs through a masked value. */
function valueAt(doc: unknown, segments: readonly string[]): unknown {
  let node = doc;
  for (const s of segments) {
    if (node === MASK) return MASK;
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, s)) return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

function nonNegative(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${option} takes a non-negative integer; got "${value}".`);
  return Number(value);
}

/** `history <folder> <store> [--key K] [--since REV] [--limit N]`: journal records, oldest first. */
export function history(ctx: CliContext): void {
  const [name] = ctx.args;
  const sinceRev = nonNegative(ctx.options.since, 'since');
  const limit = nonNegative(ctx.options.limit, 'limit');
  if (limit === 0) throw new UsageError('--limit takes a positive integer.');
  const { files, view: v } = view(ctx, name);
  const lens = new Lens(name, ctx.key);
  const entries: HistoryEntry[] = queryHistory(files.journal, v.rev, name, { sinceRev, key: ctx.options.key, limit })
    .map(({ anchors: _anchors, ...e }) => ({ ...e, ops: lens.showOps(e.ops), inverse: lens.showOps(e.inverse) }));
  readNote(ctx, [name]);
  maskedNote(ctx, lens);
  const first = files.journal.firstRev();
  if (entries.length === 0 && first !== undefined && (sinceRev ?? 0) + 1 < first) ctx.out.note(`history before rev ${first} is no longer kept.`);
  if (entries.length === (limit ?? 100)) ctx.out.note(`showing the newest ${entries.length} records; --limit N or --since REV for others.`);
  ctx.out.result({ store: name, rev: v.rev, entries }, () => {
    if (entries.length === 0) return `No history${ctx.options.key ? ` touching "${ctx.options.key}"` : ''} in store "${name}" (rev ${v.rev}).`;
    const rows: Cell[][] = [];
    for (const e of entries) {
      e.ops.forEach((op, i) => rows.push(i === 0 ? [e.rev, formatTime(e.time), e.source, opLine(op)] : ['', '', '', opLine(op)]));
      if (e.ops.length === 0) rows.push([e.rev, formatTime(e.time), e.source, '(no change)']);
    }
    return table(['rev', 'time (UTC)', 'source', 'change'], rows);
  });
}

/** `export <folder> <store>`: the document as tab-indented JSON (what StoreClient.export() gives), `{store, rev, doc}` with --json. */
export function exportStore(ctx: CliContext): void {
  const [name] = ctx.args;
  const { view: v } = view(ctx, name);
  const lens = new Lens(name, ctx.key);
  const doc = lens.show(v.doc);
  readNote(ctx, [name]);
  if (lens.sealed > 0 && !lens.canDecrypt) ctx.out.note(`${lens.sealed} encrypted value(s) exported as ${MASK}; \`import\` refuses such a file. Pass --key-file to export them decrypted.`);
  ctx.out.result({ store: name, rev: v.rev, doc }, () => JSON.stringify(doc, undefined, '\t'));
}

/** `backups <folder> <store> list`: newest first, read from the metadata files. */
export function listBackups(ctx: CliContext): void {
  const [name] = ctx.args;
  requireStore(ctx.folder, name);
  const files = new StoreFiles(ctx.folder, name);
  const backups: BackupInfo[] = files.backups.list();
  readNote(ctx, [name]);
  ctx.out.result({ store: name, backups }, () => {
    if (backups.length === 0) return `No backups of store "${name}".`;
    return table(['id', 'time (UTC)', 'reason', 'rev', 'size'], backups.map((b) => [b.id, formatTime(b.time), b.reason, b.rev, b.bytes === undefined ? '-' : formatBytes(b.bytes)]));
  });
}
