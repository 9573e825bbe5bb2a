import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { connectStore } from '../../src/client-renderer/index.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { FsSeam, errnoError, type FsFaults, type FsOp } from '../../src/daemon/storage/fs-seam.ts';
import type { DaemonHost } from '../../src/daemon/host/host.ts';
import type { ControlToDaemon } from '../../src/protocol/control.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts';
import type { StoreClient, StoreDefinition } from '../../src/protocol/types.ts';
import { settingsDef } from '../helpers.ts';

/** Injects errno failures at named file operations and tells listeners about every operation the seam sees. */
export class Faults implements FsFaults {
  /** op → errno code to fail it with (ENOSPC, EIO, EACCES…), until deleted. */
  readonly plan = new Map<FsOp, string>();
  readonly seen: FsOp[] = [];
  readonly #listeners = new Set<(op: FsOp, failed: boolean) => void>();

  check(op: FsOp, path: string): NodeJS.ErrnoException | undefined {
    this.seen.push(op);
    const code = this.plan.get(op);
    for (const l of this.#listeners) l(op, code !== undefined);
    return code ? errnoError(code, op, path) : undefined;
  }

  /** Calls `listener` on every operation; returns the unsubscribe function (for waitFor). */
  on(listener: (op: FsOp, failed: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  count(op: FsOp): number {
    return this.seen.filter((o) => o === op).length;
  }
}

/**
 * The real Daemon in this thread, with a custom FsSeam (the file-system seam, not a mock: real files, real fsyncs),
 * serving real clients over real MessagePorts. `crashedDaemonId` opens the folder as the restart after a crash of
 * that daemon would.
 */
export async function inProcessDaemon(cwd: string, faults: FsFaults, options: { stores?: StoreDefinition[]; tuning?: Extract<ControlToDaemon, { t: 'init' }>['tuning']; crashedDaemonId?: string; keepOpen?: boolean } = {}) {
  const host: DaemonHost = { kind: 'worker', onMessage: () => {}, post: () => {}, exit: () => {} };
  const daemon = new Daemon(host, { fsSeam: new FsSeam(faults) });
  const daemonId = randomUUID();
  await daemon.init({
    t: 'init', protocol: PROTOCOL_VERSION, daemonId, cwd, stores: options.stores ?? [settingsDef()],
    ...(options.tuning && { tuning: options.tuning }), ...(options.crashedDaemonId && { previousDaemonId: options.crashedDaemonId }),
  });
  if (!options.keepOpen) after(() => daemon.close());
  const client = <T extends object>(name = 'settings'): Promise<StoreClient<T>> => {
    const { port1, port2 } = new MessageChannel();
    daemon.connect(randomUUID().slice(0, 8), port2, undefined, true);
    return connectStore<T>(name, { port: port1 });
  };
  return { daemon, daemonId, client };
}
