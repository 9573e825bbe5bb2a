import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { OpenStore, type Requester } from '../daemon/open-store.ts';
import { Policy } from '../daemon/policy.ts';
import { StoreError, toStoreError } from '../protocol/errors.ts';
import type { StoreDefinition } from '../protocol/types.ts';
import type { CliContext } from './context.ts';
import { requireStore, StoreFiles } from './folder.ts';
import { containsSealed, SEALED_PREFIX, sealedPatterns } from './sealed.ts';
import { readView } from './view.ts';

export interface WriteSession {
  store: OpenStore;
  requester: Requester;
  /** The store has values encrypted at rest (by its definition, or sealed values in its files). */
  encrypted: boolean;
  /** The engine opens and seals encrypted values (a key was given); otherwise they pass through as ciphertext. */
  decrypts: boolean;
}

/**
 * Runs `fn` on the store opened through the daemon's own open sequence (lock → recover → engine → migrate → backups),
 * as a trusted requester (every key, admin), then closes it (drain, checkpoint, release the lock).
 *
 * - While the app runs, the lock is held: STORE_LOCKED, saying to quit the app first.
 * - No watcher (the CLI is gone before a hand edit could matter).
 * - Without a stores module the store's own settings are unknown: backups are not rotated away (max is raised above
 *   the backups there are), history retention is the default one.
 * - Encrypted stores: with `--key-file` the engine decrypts and seals as the daemon does (the stores module's
 *   `encryptedKeys`, or the paths sealed in the files now); without it, writes that only move existing ciphertext
 *   around (rollback, restore, backups, compact) run on the ciphertext; `plaintext` writes (import) refuse.
 */
export async function withStore<T>(ctx: CliContext, name: string, options: { plaintext?: boolean }, fn: (session: WriteSession) => Promise<T>): Promise<T> {
  requireStore(ctx.folder, name);
  const files = new StoreFiles(ctx.folder, name);
  const given = ctx.defs.get(name);
  let def: StoreDefinition = { ...(given ?? { name }), watch: false };
  if (!given) def.backups = { max: Math.max(10, files.backups.count() + 3) };

  let sealedInFiles = false;
  let patterns = new Set<string>();
  try {
    const view = readView(files);
    sealedInFiles = containsSealed(view.doc) || view.tail.some((r) => containsSealed(r.ops));
    patterns = sealedPatterns(view.doc);
  } catch {
    // A damaged checkpoint (the open below recovers it): whether anything is sealed, the files' text tells.
    sealedInFiles = mentionsSealed(files);
  }
  const defined = (given?.encryptedKeys?.length ?? 0) > 0;
  const encrypted = defined || sealedInFiles;
  if (encrypted && !ctx.key && (defined || options.plaintext)) {
    throw new StoreError('IO_FAILED', `Store "${name}" has encrypted values; pass --key-file with its 32-byte encryption key${options.plaintext ? ' (the imported values must be sealed as the app would)' : ' (its stores module lists encryptedKeys, which the schema checks need in clear)'}.`, { store: name });
  }
  if (encrypted && ctx.key && !defined) {
    def.encryptedKeys = [...patterns];
    if (options.plaintext) ctx.out.note(`no stores module: values are sealed at the paths sealed now (${def.encryptedKeys.join(', ') || 'none'}); pass --stores so the store's own encryptedKeys decide.`);
  }
  if (!encrypted || !ctx.key) def = { ...def, encryptedKeys: undefined };

  let store: OpenStore;
  try {
    store = await OpenStore.open(def, { cwd: ctx.folder, StoreClass: Conf, ...(encrypted && ctx.key && { encryptionKey: ctx.key }) }, {
      daemonId: `cli-${process.pid}`,
      onRejected: (r) => ctx.out.note(`a hand edit of ${name}.json made while the app was closed was rejected (${r.error.message}); its text is kept as ${r.keptAs}`),
    });
  } catch (error) {
    const e = toStoreError(error, 'IO_FAILED', name);
    if (e.code === 'STORE_LOCKED') {
      const holder = (e.details as { holder?: string } | undefined)?.holder;
      throw new StoreError('STORE_LOCKED', `Store "${name}" in ${ctx.folder} is open in a running app${holder ? ` (${holder})` : ''}: quit the app first, then run this command again. Read-only commands (list, get, history, export, verify, backups list) work while it runs.`, { store: name, details: e.details, cause: e });
    }
    throw e;
  }
  const policy = new Policy(undefined, true);
  const requester: Requester = { id: 'cli', access: policy.access(name, []), policy };
  try {
    const problems = (await store.info(requester)).recovery.problems;
    for (const p of problems) ctx.out.note(`at open: ${p}`);
    return await fn({ store, requester, encrypted, decrypts: encrypted && ctx.key !== undefined });
  } finally {
    await store.close();
  }
}

/** True if the checkpoint, a journal segment or the newest backup holds a sealed value (read as text). */
function mentionsSealed(files: StoreFiles): boolean {
  const newest = files.backups.list()[0];
  const texts = [files.checkpoint.path, ...files.journal.segments().map((s) => s.file), ...(newest ? [path.join(files.backups.dir, `${newest.id}.json`)] : [])];
  return texts.some((file) => {
    try {
      return fs.readFileSync(file, 'utf8').includes(SEALED_PREFIX);
    } catch {
      return false;
    }
  });
}
