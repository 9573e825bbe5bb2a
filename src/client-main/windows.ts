// Electron-only: how windows get their ports. Loaded with the utility-process launcher, never in plain Node.
import { app, BrowserWindow, type MessagePortMain, type WebContents } from 'electron';
import { DAEMON_GONE, PORT_CHANNEL, PORT_MESSAGE } from '../protocol/port-handoff.ts';
import type { ClientPolicy } from '../protocol/types.ts';
import type { StoreError } from '../protocol/errors.ts';
import type { DaemonOptions } from './options.ts';
import { rememberElectronApp } from './quit.ts';
import type { Reattachable, StoreDaemon, WebContentsLike } from './store-daemon.ts';

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
