import path from 'node:path';
import { startStoreDaemon } from '../../client-main/index.ts';
import { defineStore } from '../../protocol/define.ts';
import { StoreError } from '../../protocol/errors.ts';
import type { CliContext } from '../context.ts';
import { findStores } from '../folder.ts';
import { UsageError } from '../output.ts';

/**
 * `inspect <folder>`: runs the daemon on the folder (a worker, as a plain Node app would) and serves the inspector
 * page on 127.0.0.1 until Ctrl+C (SIGINT) or SIGTERM, then closes the daemon (drain, checkpoint, unlock).
 *
 * The stores: with `--stores`, the module's (opened as the app opens them: schema, migrations, encrypted keys — a
 * store the module defines but the folder lacks is created, as the app would); without it, the ones in the folder,
 * with no schema, and values encrypted at rest shown as [encrypted]. The daemon takes each store's lock, so while the
 * app runs this fails with STORE_LOCKED: inspect a running app from inside it with `daemon.openInspector()`.
 */
export async function inspect(ctx: CliContext): Promise<number> {
  const port = ctx.options.port === undefined ? 0 : Number(ctx.options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a TCP port number (0–65535).', 'inspect');
  const found = findStores(ctx.folder);
  if (ctx.options.stores === undefined && found.length === 0) {
    throw new StoreError('STORE_NOT_FOUND', `${ctx.folder} holds no store; pass the app's userData folder (or the daemon's cwd), or --stores to open the stores a module defines.`);
  }
  const stores = ctx.options.stores === undefined ? found.map((name) => defineStore({ name })) : path.resolve(ctx.options.stores);
  const daemon = await startStoreDaemon({ host: 'worker', cwd: ctx.folder, stores, ...(ctx.key && { encryptionKey: ctx.key }) });
  const failed = Object.entries(daemon.failedStores);
  try {
    // A running app holds every store of its folder: one locked store means it runs.
    const locked = failed.find(([, error]) => error.code === 'STORE_LOCKED');
    if (locked) {
      throw new StoreError('STORE_LOCKED', `Store "${locked[0]}" in ${ctx.folder} is open in a running app: quit it first, or inspect it from inside the app with daemon.openInspector().`, { store: locked[0], cause: locked[1] });
    }
    for (const [name, error] of failed) ctx.out.note(`store "${name}" did not open: ${error.code}: ${error.message}`);
    const inspector = await daemon.openInspector({ port });
    ctx.out.result({ url: inspector.url }, () => `Inspector: ${inspector.url}\n(open it once in a browser; the link's token works once.) Ctrl+C stops.`);
    // Listeners stay until the daemon has closed: proper-lockfile's signal-exit re-raises a signal that no other
    // listener handles, which would kill the process before the stores are checkpointed and unlocked.
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      await stopped;
      ctx.out.progress('closing the stores');
      await daemon.close();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    await daemon.close();
  }
  return 0;
}
