// Electron-only: loaded with a dynamic import, never in plain Node (importing `electron` outside Electron throws).
import fs from 'node:fs';
import { app, MessageChannelMain, shell, utilityProcess, type MessagePortMain } from 'electron';
import { StoreError } from '../protocol/errors.ts';
import type { DaemonLauncher, DaemonProcess, SpawnOptions } from './daemon-process.ts';
import type { DaemonOptions } from './options.ts';
import { packagedEntry } from './worker-launcher.ts';

export { wireWindows } from './windows.ts';

/** Resolves once Electron's app is ready (`utilityProcess.fork` and `safeStorage` need it). */
export function whenReady(): Promise<void> {
  return app.whenReady();
}

/** The default folder of the store files: the app's userData. */
export function defaultCwd(): string {
  return app.getPath('userData');
}

type LogFn = NonNullable<DaemonOptions['log']>;

const consoleLog: LogFn = (level, line) => (level === 'error' ? console.error : console.log)(`[store-daemon] ${line}`);

/** Calls `log` once per line of a child's output stream. */
function forwardLines(stream: NodeJS.ReadableStream | null, level: 'info' | 'error', log: LogFn): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding?.('utf8');
  stream.on('data', (chunk: string | Buffer) => {
    const lines = (rest + String(chunk)).split(/\r?\n/);
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) log(level, line);
  });
  stream.on('end', () => {
    if (rest) log(level, rest);
    rest = '';
  });
}

/** Runs the daemon in an Electron `utilityProcess`; clients get `MessageChannelMain` ports. */
export function utilityProcessLauncher(options: Pick<DaemonOptions, 'log'> = {}): DaemonLauncher {
  const log = options.log ?? consoleLog;
  return {
    kind: 'utility-process',
    defaultEntry: packagedEntry,
    openPath: (file) => shell.openPath(file),
    appVersion: () => app.getVersion(),
    channel() {
      const { port1, port2 } = new MessageChannelMain();
      return { local: port1, remote: port2 };
    },
    spawn(entry: string, spawnOptions: SpawnOptions = {}): DaemonProcess {
      if (!app.isReady()) throw new StoreError('DAEMON_UNAVAILABLE', 'The store daemon can only start after Electron\'s app is ready; await app.whenReady() before startStoreDaemon().');
      if (!fs.existsSync(entry)) {
        throw new StoreError('DAEMON_UNAVAILABLE', `The daemon entry ${entry} does not exist. If main is bundled (electron-vite, webpack), build electron-store-daemon/daemon as its own entry and pass its path as daemonPath (README: Bundling).`);
      }
      // An `env` replaces the child's environment rather than extending it: one is passed only as a copy of main's
      // plus the compile cache's folder. Secrets (the encryption key) go in the first message, never in argv or env.
      const child = utilityProcess.fork(entry, spawnOptions.args ?? [], { serviceName: spawnOptions.name ?? 'electron-store-daemon', stdio: 'pipe', ...(spawnOptions.env && { env: spawnOptions.env }) });
      forwardLines(child.stdout, 'info', log);
      forwardLines(child.stderr, 'error', log);
      let exitCode: number | null | undefined;
      const exitListeners: Array<(code: number | null) => void> = [];
      child.on('exit', (code: number) => {
        exitCode = code;
        for (const listener of exitListeners.splice(0)) listener(code);
      });
      child.on('error', (type: string, location: string) => log('error', `fatal ${type} in the daemon at ${location}`));
      return {
        post(message, port) {
          if (exitCode !== undefined) {
            // Nobody will take the port: close it so its other end learns at once.
            (port as MessagePortMain | undefined)?.close();
            return;
          }
          // Never postMessage(msg, undefined): Electron rejects a transfer argument that is not an array.
          if (port) child.postMessage(message, [port as MessagePortMain]);
          else child.postMessage(message);
        },
        onMessage: (listener) => void child.on('message', listener),
        onExit(listener) {
          if (exitCode !== undefined) queueMicrotask(() => listener(exitCode ?? null));
          else exitListeners.push(listener);
        },
        kill: () => void child.kill(),
      };
    },
  };
}

