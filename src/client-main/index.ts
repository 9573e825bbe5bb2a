import path from 'node:path';
import { StoreError } from '../protocol/errors.ts';
import type { DaemonLauncher } from './daemon-process.ts';
import { StoreDaemon, type DaemonOptions } from './store-daemon.ts';
import { workerLauncher } from './worker-launcher.ts';

export { StoreDaemon, type DaemonOptions, type DaemonPort, type StoreDaemonEvents } from './store-daemon.ts';
export { StoreError } from '../protocol/errors.ts';
export { closeOnQuit, type CloseOnQuitOptions, type QuitApp } from './quit.ts';
export { loadEncryptionKey, rewrapEncryptionKey, type EncryptionKeyOptions } from './encryption-key.ts';
export type * from '../protocol/types.ts';

/** True in Electron's main process (where `electron` may be imported). */
function inElectronMain(): boolean {
  return Boolean(process.versions.electron) && (process as { type?: string }).type === 'browser';
}

/** Starts the store daemon (a utility process in Electron, a worker elsewhere) and resolves once it serves. */
export async function startStoreDaemon(options: DaemonOptions): Promise<StoreDaemon> {
  if (!options || typeof options !== 'object') throw new StoreError('STORE_NOT_FOUND', 'startStoreDaemon(options): pass { stores, cwd }.');
  const host = options.host ?? (inElectronMain() ? 'utility-process' : 'worker');
  if (host !== 'utility-process' && host !== 'worker') throw new StoreError('DAEMON_UNAVAILABLE', `host must be 'utility-process' or 'worker'; got ${String(host)}.`);
  if (options.encryptionKey !== undefined && (!(options.encryptionKey instanceof Uint8Array) || options.encryptionKey.length !== 32)) {
    throw new StoreError('IO_FAILED', 'encryptionKey must be a 32-byte Uint8Array (see loadEncryptionKey() for a safeStorage-wrapped one).');
  }
  let launcher: DaemonLauncher;
  let cwd = options.cwd;
  let electronWiring: ((daemon: StoreDaemon) => void) | undefined;
  if (host === 'utility-process') {
    if (!inElectronMain()) throw new StoreError('DAEMON_UNAVAILABLE', 'host \'utility-process\' needs Electron\'s main process; in plain Node use host \'worker\' (the default there).');
    const electronSide = await import('./electron.ts');
    await electronSide.whenReady();
    launcher = electronSide.utilityProcessLauncher(options);
    cwd ??= electronSide.defaultCwd();
    electronWiring = (daemon) => electronSide.wireWindows(daemon, options);
  } else {
    launcher = workerLauncher;
  }
  if (typeof cwd !== 'string' || !path.isAbsolute(cwd)) {
    throw new StoreError('IO_FAILED', `cwd must be an absolute folder for the store files (got ${JSON.stringify(cwd)}); in plain Node it is required.`);
  }
  const daemon = new StoreDaemon(options, launcher, cwd);
  await daemon.start();
  electronWiring?.(daemon);
  return daemon;
}
