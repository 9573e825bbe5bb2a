// Electron-only side of startStoreDaemon: loaded with a dynamic import, never in plain Node.
import type { DaemonLauncher } from './daemon-process.ts';
import type { StoreDaemon, DaemonOptions } from './store-daemon.ts';
import { StoreError } from '../protocol/errors.ts';

export function utilityProcessLauncher(): DaemonLauncher {
  throw new StoreError('DAEMON_UNAVAILABLE', 'The utility-process host is not built yet.');
}

export function defaultCwd(): string {
  throw new StoreError('DAEMON_UNAVAILABLE', 'The utility-process host is not built yet.');
}

export function wireWindows(_daemon: StoreDaemon, _options: DaemonOptions): void {}
