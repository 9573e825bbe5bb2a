import path from 'node:path';
import { StoreError } from '../protocol/errors.ts';
import type { DaemonLauncher } from './daemon-process.ts';
import { checkDaemonOptions, type DaemonOptions } from './options.ts';
import { StoreDaemon } from './store-daemon.ts';
import { workerLauncher } from './worker-launcher.ts';

export { StoreDaemon, type MainStoreClient, type StoreDaemonEvents, type SupervisorState, type WebContentsLike } from './store-daemon.ts';
export type { DaemonOptions } from './options.ts';
export type { Inspector, InspectorOptions } from './inspector.ts';
export type { DaemonPort } from '../protocol/endpoint.ts';
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
  checkDaemonOptions(options);
  const host = options.host ?? (inElectronMain() ? 'utility-process' : 'worker');
  let launcher: DaemonLauncher;
  let cwd: string;
  let electronWiring: ((daemon: StoreDaemon) => void) | undefined;
  if (host === 'utility-process') {
    if (!inElectronMain()) throw new StoreError('DAEMON_UNAVAILABLE', 'host \'utility-process\' needs Electron\'s main process; in plain Node use host \'worker\' (the default there).');
    const electronSide = await import('./utility-process-launcher.ts');
    await electronSide.whenReady();
    launcher = electronSide.utilityProcessLauncher(options);
    // As electron-store: userData by default, and a relative cwd is inside userData.
    cwd = path.resolve(electronSide.defaultCwd(), options.cwd ?? '.');
    electronWiring = (daemon) => electronSide.wireWindows(daemon, options);
  } else {
    if (options.cwd === undefined) throw new TypeError('cwd is required outside Electron: pass the folder for the store files, e.g. startStoreDaemon({ stores, cwd: "./data" }).');
    launcher = workerLauncher;
    cwd = path.resolve(options.cwd);
  }
  const daemon = new StoreDaemon(options, launcher, cwd);
  await daemon.start();
  electronWiring?.(daemon);
  return daemon;
}
