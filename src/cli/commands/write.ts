import fs from 'node:fs';
import path from 'node:path';
import type { Operation } from 'rfc6902';
import { diffDocuments } from '../../daemon/features/document-diff.ts';
import { StoreError } from '../../protocol/errors.ts';
import type { BackupInfo, JsonObject } from '../../protocol/types.ts';
import type { CliContext } from '../context.ts';
import { StoreFiles } from '../folder.ts';
import { formatBytes, formatTime, opLine } from '../format.ts';
import { withStore, type WriteSession } from '../open.ts';
import { UsageError } from '../output.ts';
import { containsMask, containsSealed, Lens, MASK } from '../sealed.ts';
import { fields, table } from '../table.ts';

/**
 * Commands that change a store. Each opens it through the daemon's own open sequence, holding its lock (so they fail
 * with STORE_LOCKED while the app runs), as a trusted admin requester, and closes it again (checkpoint, unlock).
 */

/**
 * What a whole-document write changed, net, by top-level key (a rollback's record lists every undo step; people want
 * the difference). `before` is the document when the session opened it.
 */
function netChange(ctx: CliContext, session: WriteSession, before: JsonObject): Operation[] {
  return new Lens(session.store.name, session.decrypts ? undefined : ctx.key).showOps(diffDocuments(before, session.store.doc));
}

function changeLines(ops: Operation[]): string {
  if (ops.length === 0) return '';
  const shown = ops.slice(0, 50).map((op) => `  ${opLine(op)}`);
  if (ops.length > 50) shown.push(`  … and ${ops.length - 50} more`);
  return `\n${shown.join('\n')}`;
}

/** `backups <folder> <store> create [--reason R]` and `backups <folder> <store> restore <id>`. */
export async function backupsWrite(ctx: CliContext, action: 'create' | 'restore'): Promise<void> {
  const [name, , id] = ctx.args;
  if (action === 'create') {
    const backup: BackupInfo = await withStore(ctx, name, {}, ({ store, requester }) => store.createBackup(ctx.options.reason ?? 'manual', requester));
    ctx.out.result({ store: name, backup }, () => `Backup of "${name}" created:\n${fields([
      ['id', backup.id], ['time', formatTime(backup.time)], ['reason', backup.reason], ['rev', backup.rev], ['size', backup.bytes === undefined ? undefined : formatBytes(backup.bytes)], ['sha256', backup.sha256],
    ])}`);
    return;
  }
  if (id === undefined) throw new UsageError('backups restore takes the id of a backup (see `backups <folder> <store> list`).', 'backups');
  const result = await withStore(ctx, name, {}, async (session) => {
    const previousRev = session.store.rev;
    const before = structuredClone(session.store.doc);
    ctx.out.progress(`restoring backup ${id} (a before-restore backup is taken first)`);
    const { rev } = await session.store.restore(id, session.requester);
    return { previousRev, rev, changes: netChange(ctx, session, before) };
  });
  ctx.out.result({ store: name, restored: id, ...result }, () => result.rev === result.previousRev
    ? `Store "${name}" already equals backup ${id}: nothing changed (rev ${result.rev}).`
    : `Restored backup ${id} into "${name}": rev ${result.previousRev} → ${result.rev}.${changeLines(result.changes)}`);
}

/** `rollback <folder> <store> --rev N | --time T`: undoes every write after the target as one new write. */
export async function rollback(ctx: CliContext): Promise<void> {
  const [name] = ctx.args;
  const { rev: revArg, time: timeArg } = ctx.options;
  if ((revArg === undefined) === (timeArg === undefined)) throw new UsageError('rollback takes exactly one of --rev N or --time T (ISO date or epoch ms).', 'rollback');
  let to: { rev: number } | { time: string | number };
  if (revArg !== undefined) {
    if (!/^\d+$/.test(revArg)) throw new UsageError(`--rev takes a non-negative integer; got "${revArg}".`, 'rollback');
    to = { rev: Number(revArg) };
  } else {
    to = { time: /^\d+$/.test(timeArg!) ? Number(timeArg) : timeArg! };
    if (typeof to.time === 'string' && !Number.isFinite(Date.parse(to.time))) throw new UsageError(`--time takes an ISO date or epoch ms; got "${timeArg}".`, 'rollback');
  }
  const result = await withStore(ctx, name, {}, async (session) => {
    const previousRev = session.store.rev;
    const before = structuredClone(session.store.doc);
    const { rev } = await session.store.rollback(to, session.requester);
    return { previousRev, rev, changes: netChange(ctx, session, before) };
  });
  ctx.out.result({ store: name, to, ...result }, () => result.rev === result.previousRev
    ? `Store "${name}" is already at that point: nothing to roll back (rev ${result.rev}).`
    : `Rolled "${name}" back to ${'rev' in to ? `rev ${to.rev}` : `its state at ${new Date(to.time).toISOString()}`} as one new write: rev ${result.previousRev} → ${result.rev}.${changeLines(result.changes)}`);
}

/** `import <folder> <store> <file>`: replaces the document with the file's (what `export` printed), as one write. */
export async function importStore(ctx: CliContext): Promise<void> {
  const [name, file] = ctx.args;
  const abs = path.resolve(file);
  let text: string;
  try {
    const size = fs.statSync(abs).size;
    ctx.out.progress(`reading ${abs} (${formatBytes(size)})`);
    text = fs.readFileSync(abs, 'utf8');
  } catch (error) {
    throw new StoreError('IO_FAILED', `Cannot read ${abs} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { store: name });
  }
  ctx.out.progress('parsing');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new StoreError('NOT_SERIALIZABLE', `${abs} is not JSON (${(error as Error).message}); import takes what \`export\` printed.`, { store: name });
  }
  if (containsMask(doc)) {
    throw new StoreError('VALIDATION_FAILED', `${abs} holds "${MASK}" placeholders: it was exported without --key-file, and importing it would overwrite the encrypted values. Export again with --key-file.`, { store: name });
  }
  const result = await withStore(ctx, name, { plaintext: true }, async (session) => {
    // Values still sealed in the file (a copy of a store file) are opened first: the engine seals them again.
    let json = text;
    if (session.decrypts && containsSealed(doc)) json = JSON.stringify(new Lens(name, ctx.key).show(doc));
    const previousRev = session.store.rev;
    ctx.out.progress(`importing into "${name}" at rev ${previousRev} (a before-import backup first, then validation and the journal)`);
    const { rev } = await session.store.import(json, session.requester);
    ctx.out.progress('checkpointing and releasing the lock');
    return { previousRev, rev };
  });
  ctx.out.result({ store: name, file: abs, ...result, bytes: Buffer.byteLength(text) }, () => result.rev === result.previousRev
    ? `Store "${name}" already holds that document: nothing changed (rev ${result.rev}).`
    : `Imported ${abs} into "${name}": rev ${result.previousRev} → ${result.rev}.`);
}

/** `compact <folder> <store>`: checkpoint now and prune the journal segments retention allows. */
export async function compact(ctx: CliContext): Promise<void> {
  const [name] = ctx.args;
  const files = new StoreFiles(ctx.folder, name);
  const def = ctx.defs.get(name);
  const before = { ...files.journal.stats(), fileBytes: files.fileBytes() ?? 0 };
  const rev = await withStore(ctx, name, {}, async ({ store }) => {
    ctx.out.progress(`checkpointing "${name}" at rev ${store.rev} and pruning the journal`);
    await store.engine.whenCommitted(() => store.engine.rewriteCheckpoint());
    return store.rev;
  });
  const after = { ...files.journal.stats(), fileBytes: files.fileBytes() ?? 0 };
  const retention = { maxEntries: def?.history?.maxEntries ?? 1000, ...(def?.history?.maxBytes !== undefined && { maxBytes: def.history.maxBytes }), fromStoresModule: def !== undefined };
  if (!def) ctx.out.note('no stores module: the default retention was used (history.maxEntries 1000); pass --stores to use the store\'s own.');
  ctx.out.result({ store: name, rev, checkpointRev: rev, journal: { before, after }, retention }, () => [
    `Compacted "${name}" at rev ${rev}.`,
    table(['', 'segments', 'journal', `${name}.json`], [
      ['before', before.segments, formatBytes(before.bytes), formatBytes(before.fileBytes)],
      ['after', after.segments, formatBytes(after.bytes), formatBytes(after.fileBytes)],
    ]),
    'The journal keeps what recovery needs: records after the newest backup and the last history.maxEntries.',
  ].join('\n'));
}
