import crypto from 'node:crypto';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Daemon } from '../../daemon/daemon.ts';
import type { DaemonHost } from '../../daemon/host/host.ts';
import { INSPECTOR_POLICY } from '../../inspector/serve/policy.ts';
import { serveInspector } from '../../inspector/serve/server.ts';
import type { ControlFromDaemon } from '../../protocol/control.ts';
import { defineStore } from '../../protocol/define.ts';
import { StoreError, toStoreError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/messages.ts';
import type { CliContext } from '../context.ts';
import { findStores } from '../folder.ts';
import { UsageError } from '../output.ts';

/**
 * `inspect <folder>`: runs the daemon on the folder, in this process (the CLI is a daemon-side tool: there is no UI
 * thread to keep free), and serves the inspector page on 127.0.0.1 until Ctrl+C (SIGINT) or SIGTERM; then it closes
 * the stores (drain, checkpoint, unlock). Each tab gets its own daemon port under the inspector policy.
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
  const host: DaemonHost = {
    kind: 'worker',
    onMessage: () => {},
    post: (message) => {
      const m = message as ControlFromDaemon;
      if (m.t === 'external-change-rejected') ctx.out.note(`a hand edit of ${m.store}.json was rejected (${m.error.message}); its text is kept as ${m.keptAs}`);
    },
    exit: () => {},
  };
  const daemon = new Daemon(host);
  try {
    await daemon.init({
      t: 'init', protocol: PROTOCOL_VERSION, daemonId: `cli-inspect-${process.pid}`, cwd: ctx.folder,
      stores: ctx.options.stores === undefined ? found.map((name) => defineStore({ name })) : path.resolve(ctx.options.stores),
      ...(ctx.key && { encryptionKey: ctx.key }),
    });
    const opened = new Set(daemon.storeNames());
    for (const name of found.filter((n) => !opened.has(n))) {
      let error: StoreError;
      try {
        daemon.store(name);
        continue;
      } catch (e) {
        error = toStoreError(e, 'IO_FAILED', name);
      }
      // A running app holds every store of its folder: one locked store means it runs.
      if (error.code === 'STORE_LOCKED') {
        throw new StoreError('STORE_LOCKED', `Store "${name}" in ${ctx.folder} is open in a running app: quit it first, or inspect it from inside the app with daemon.openInspector().`, { store: name, cause: error });
      }
      ctx.out.note(`store "${name}" did not open: ${error.code}: ${error.message}`);
    }
    const server = await serveInspector({
      port,
      createPort: () => {
        const { port1, port2 } = new MessageChannel();
        daemon.connect(`inspector-${crypto.randomBytes(4).toString('hex')}`, port1, INSPECTOR_POLICY, false);
        return port2;
      },
    });
    ctx.out.result({ url: server.url }, () => `Inspector: ${server.url}\n(open it once in a browser; the link's token works once.) Ctrl+C stops.`);
    // The listeners stay until the process ends: conf's atomically (when-exit) sends the signal again as soon as it
    // has seen it, and proper-lockfile's signal-exit re-raises one that no other listener handles — either would kill
    // the process before the stores are checkpointed and unlocked.
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await stopped;
    ctx.out.progress('closing the stores');
    await server.close();
    await daemon.close();
  } finally {
    await daemon.close();
  }
  return 0;
}
