// Electron-only side of startStoreDaemon: loaded with a dynamic import, never in plain Node (importing `electron`
// outside Electron throws).
import fs from 'node:fs';
import { app, BrowserWindow, MessageChannelMain, utilityProcess, type MessagePortMain, type WebContents } from 'electron';
import { StoreError } from '../protocol/errors.ts';
import type { ClientPolicy } from '../protocol/types.ts';
import { DAEMON_GONE, PORT_CHANNEL, PORT_MESSAGE } from '../protocol/port-handoff.ts';
import type { DaemonLauncher, DaemonProcess } from './daemon-process.ts';
import { rememberElectronApp } from './quit.ts';
import type { DaemonOptions, Reattachable, StoreDaemon, WebContentsLike } from './store-daemon.ts';
import { packagedEntry } from './worker-launcher.ts';

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
    channel() {
      const { port1, port2 } = new MessageChannelMain();
      return { local: port1, remote: port2 };
    },
    spawn(entry: string): DaemonProcess {
      if (!app.isReady()) throw new StoreError('DAEMON_UNAVAILABLE', 'The store daemon can only start after Electron\'s app is ready; await app.whenReady() before startStoreDaemon().');
      if (!fs.existsSync(entry)) {
        throw new StoreError('DAEMON_UNAVAILABLE', `The daemon entry ${entry} does not exist. If main is bundled (electron-vite, webpack), build electron-store-daemon/daemon as its own entry and pass its path as daemonPath (README: Bundling).`);
      }
      // No `env`: a non-empty env replaces the child's environment rather than extending it. Secrets (the
      // encryption key) go in the first message, never in argv or env.
      const child = utilityProcess.fork(entry, [], { serviceName: 'electron-store-daemon', stdio: 'pipe' });
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

/** The window client of one webContents: a fresh port per page load (and per daemon restart). */
interface WindowClient extends Reattachable {
  readonly contents: WebContents;
  /** The current document was sent a port. */
  hasPort: boolean;
}

/**
 * Wires Electron's side of a started daemon: `daemon.attach(webContents)`, `closeOnQuit(daemon)` without an app
 * argument, and — unless `attachWindows` is false — every BrowserWindow, present and future, attached with
 * `windowPolicy`.
 */
export function wireWindows(daemon: StoreDaemon, options: DaemonOptions): void {
  rememberElectronApp(daemon, app);
  const windows = new Map<WebContents, WindowClient>();

  const attach = (contents: WebContents, policy: ClientPolicy | undefined) => {
    if (contents.isDestroyed()) return;
    const existing = windows.get(contents);
    if (existing) {
      existing.policy = policy;
      if (isLoaded(contents)) reissue(existing);
      return;
    }
    const client: WindowClient = {
      contents,
      policy,
      trusted: false,
      hasPort: false,
      deliver(port) {
        if (contents.isDestroyed()) {
          (port as MessagePortMain).close();
          return false;
        }
        contents.postMessage(PORT_CHANNEL, { type: PORT_MESSAGE }, [port as MessagePortMain]);
        client.hasPort = true;
        return true;
      },
    };
    windows.set(contents, client);
    // A new document (load, reload, navigation) needs a new port; its old one died with the old document, and the
    // daemon drops that client when the port closes. dom-ready is the first moment the new document exists with its
    // preload run (listening); in-page navigations keep the document and the port.
    const onNavigate = (details: { isMainFrame?: boolean; isSameDocument?: boolean }) => {
      if (details?.isMainFrame !== false && details?.isSameDocument !== true) client.hasPort = false;
    };
    const onDomReady = () => reissue(client);
    // Attached between dom-ready and load (a window that was already loading): catch up at load.
    const onLoaded = () => {
      if (!client.hasPort) reissue(client);
    };
    contents.on('did-start-navigation', onNavigate);
    contents.on('dom-ready', onDomReady);
    contents.on('did-finish-load', onLoaded);
    contents.once('destroyed', () => {
      contents.removeListener('did-start-navigation', onNavigate);
      contents.removeListener('dom-ready', onDomReady);
      contents.removeListener('did-finish-load', onLoaded);
      daemon.detachClient(client);
      windows.delete(contents);
    });
    if (isLoaded(contents)) reissue(client);
  };

  const reissue = (client: WindowClient) => {
    daemon.detachClient(client);
    try {
      daemon.attachClient(client);
    } catch (error) {
      // Closed: the window simply gets no port (its connectStore times out, its clients report CLOSED).
      if ((error as StoreError)?.code !== 'CLOSED') throw error;
    }
  };

  daemon.useWebContentsAttacher((contents: WebContentsLike, policy) => attach(contents as WebContents, policy));

  daemon.on('exit', ({ expected }) => {
    if (expected) return;
    // DOM MessagePorts have no 'close' event: tell each page its pending requests will not be answered.
    for (const contents of windows.keys()) {
      if (!contents.isDestroyed()) contents.postMessage(PORT_CHANNEL, { type: DAEMON_GONE });
    }
  });

  if (options.attachWindows === false) return;
  for (const win of BrowserWindow.getAllWindows()) attach(win.webContents, options.windowPolicy);
  const onWindow = (_event: unknown, win: BrowserWindow) => attach(win.webContents, options.windowPolicy);
  app.on('browser-window-created', onWindow);
  daemon.on('exit', ({ expected }) => {
    if (expected) app.removeListener('browser-window-created', onWindow);
  });
}

/** A document is there (and its preload ran): attach now rather than wait for the next dom-ready. */
function isLoaded(contents: WebContents): boolean {
  return !contents.isLoading() && contents.getURL() !== '';
}
