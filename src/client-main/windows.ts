// Electron-only: how windows get their ports. Loaded with the utility-process launcher, never in plain Node.
import { app, ipcMain, webContents as allWebContents, type IpcMainEvent, type MessagePortMain, type WebContents } from 'electron';
import { DAEMON_GONE, PORT_CHANNEL, PORT_MESSAGE, PORT_REQUEST_CHANNEL, type PortKind } from '../protocol/port-handoff.ts';
import type { ClientPolicy } from '../protocol/types.ts';
import type { StoreError } from '../protocol/errors.ts';
import type { DaemonOptions } from './options.ts';
import { checkWindowOrigins, isAllowedPage } from './origins.ts';
import { rememberElectronApp } from './quit.ts';
import type { Reattachable, StoreDaemon, WebContentsLike } from './store-daemon.ts';

/**
 * The kinds of web contents (`webContents.getType()`) that get a port without `daemon.attach()`: BrowserWindows and
 * WebContentsViews ('window'), BrowserViews ('browserView'), offscreen windows. Never `<webview>` guests ('webview',
 * usually other people's content), DevTools ('remote') or extension background pages.
 */
const ATTACHED_TYPES = new Set(['window', 'browserView', 'offscreen']);

/** The client of one web contents: a fresh port per document (and per daemon restart). */
interface WindowClient extends Reattachable {
  readonly contents: WebContents;
  /** The current document was sent a port. */
  hasPort: boolean;
  /** The current document's preload asked for its port (so dom-ready need not push one). */
  requested: boolean;
  /** The renderer is gone (crashed, killed) and no new document has loaded since: nothing can be posted to it. */
  rendererGone: boolean;
  /** How the next port goes out (see port-handoff.ts); 'replace' unless set just before. */
  nextKind: PortKind | undefined;
}

/**
 * Posts to a window's preload. `webContents.postMessage` throws when the renderer crashed and was not reloaded
 * ("Render frame was disposed before WebFrameMain could be accessed"; Electron's WebFrameMain::PostMessage), after it
 * took the ports: a failed post closes the port (its daemon end then drops the client) and reports false.
 */
function post(contents: WebContents, message: object, port?: MessagePortMain): boolean {
  try {
    if (contents.isDestroyed()) throw new Error('destroyed');
    if (port) contents.postMessage(PORT_CHANNEL, message, [port]);
    else contents.postMessage(PORT_CHANNEL, message);
    return true;
  } catch {
    port?.close();
    return false;
  }
}

/**
 * Wires Electron's side of a started daemon: `daemon.attach(webContents)`, `closeOnQuit(daemon)` without an app
 * argument, the preload's port requests, and — unless `attachWindows` is false — every window and view, present and
 * future, attached with `windowPolicy`. Whatever the web contents, only pages of allowed origins get a port.
 */
export function wireWindows(daemon: StoreDaemon, options: DaemonOptions): void {
  rememberElectronApp(daemon, app);
  const origins = checkWindowOrigins(options.windowOrigins);
  const windows = new Map<WebContents, WindowClient>();
  /** +1 per daemon crash: ports of a new daemon are never duplicates of the old one's. */
  let generation = 0;
  const allowed = (url: string) => isAllowedPage(url, origins);

  const attach = (contents: WebContents, policy: ClientPolicy | undefined) => {
    if (contents.isDestroyed()) return;
    const existing = windows.get(contents);
    if (existing) {
      existing.policy = policy;
      if (isLoaded(contents)) reissue(existing, 'replace');
      return;
    }
    const client: WindowClient = {
      contents,
      policy,
      trusted: false,
      hasPort: false,
      requested: false,
      rendererGone: false,
      nextKind: undefined,
      deliver(port) {
        const kind = client.nextKind ?? 'replace';
        client.nextKind = undefined;
        // A window whose renderer is gone is detached until its next document; a page of another origin gets nothing.
        if (client.rendererGone || !allowed(contents.getURL()) || !post(contents, { type: PORT_MESSAGE, generation, kind }, port as MessagePortMain)) {
          (port as MessagePortMain).close();
          client.hasPort = false;
          return false;
        }
        client.hasPort = true;
        return true;
      },
    };
    windows.set(contents, client);
    // A new document (load, reload, navigation) needs a new port; its old one died with the old document, and the
    // daemon drops that client when the port closes. dom-ready is the first moment the new document exists with its
    // preload run (listening). Decided when the navigation commits ('did-navigate': main frame, a new document), not
    // when it starts: one that never commits (a download, a 204, a will-navigate the app prevented) leaves the old
    // document, its port, and its right to a new port after a daemon restart; in-page navigations keep all three.
    const onNavigate = (_event: unknown, url?: string) => {
      client.hasPort = false;
      client.requested = false;
      // Now on a page that may not have a port: no new port for it, not even after a daemon restart.
      if (typeof url !== 'string' || !allowed(url)) daemon.detachClient(client);
    };
    const onDomReady = () => {
      client.rendererGone = false;
      if (!(client.requested && client.hasPort)) reissue(client, 'push');
    };
    // Attached between dom-ready and load (a window that was already loading): catch up at load.
    const onLoaded = () => {
      client.rendererGone = false;
      if (!client.hasPort) reissue(client, 'push');
    };
    // The renderer crashed or was killed: its document and port are gone, and posting to it throws until a reload.
    const onGone = () => {
      client.rendererGone = true;
      client.hasPort = false;
      daemon.detachClient(client);
    };
    contents.on('did-navigate', onNavigate);
    contents.on('dom-ready', onDomReady);
    contents.on('did-finish-load', onLoaded);
    contents.on('render-process-gone', onGone);
    contents.once('destroyed', () => {
      contents.removeListener('did-navigate', onNavigate);
      contents.removeListener('dom-ready', onDomReady);
      contents.removeListener('did-finish-load', onLoaded);
      contents.removeListener('render-process-gone', onGone);
      daemon.detachClient(client);
      windows.delete(contents);
    });
    if (isLoaded(contents)) reissue(client, 'push');
  };

  const reissue = (client: WindowClient, kind: PortKind) => {
    daemon.detachClient(client);
    if (!allowed(client.contents.getURL())) return;
    client.nextKind = kind;
    try {
      daemon.attachClient(client);
    } catch (error) {
      // Closed: the window simply gets no port (its connectStore times out, its clients report CLOSED).
      if ((error as StoreError)?.code !== 'CLOSED') throw error;
    } finally {
      client.nextKind = undefined;
    }
  };

  // The preload asks for its document's port (pull): answered with a fresh one when the asking frame is the main
  // frame of an attached web contents, showing a page of an allowed origin.
  const onPortRequest = (event: IpcMainEvent) => {
    const client = windows.get(event.sender);
    const frame = event.senderFrame;
    if (!client || !frame || frame.parent !== null) return;
    let url: string;
    try {
      url = frame.url;
    } catch {
      return; // the document that asked is gone
    }
    if (!allowed(url)) return;
    client.rendererGone = false;
    client.requested = true;
    reissue(client, 'reply');
  };
  ipcMain.on(PORT_REQUEST_CHANNEL, onPortRequest);

  daemon.useWebContentsAttacher((contents: WebContentsLike, policy) => attach(contents as WebContents, policy));

  daemon.on('exit', ({ expected }) => {
    if (expected) {
      ipcMain.removeListener(PORT_REQUEST_CHANNEL, onPortRequest);
      return;
    }
    generation++;
    // Tell each page its pending requests will not be answered (for Chromium versions whose DOM MessagePorts have no
    // 'close' event). A window whose renderer is gone is skipped, one whose post fails is left alone: either gets its
    // port back with its next document.
    for (const client of windows.values()) if (!client.rendererGone && client.hasPort) post(client.contents, { type: DAEMON_GONE });
  });

  if (options.attachWindows === false) return;
  const autoAttach = (contents: WebContents) => {
    if (ATTACHED_TYPES.has(contents.getType())) attach(contents, options.windowPolicy);
  };
  for (const contents of allWebContents.getAllWebContents()) autoAttach(contents);
  const onCreated = (_event: unknown, contents: WebContents) => autoAttach(contents);
  app.on('web-contents-created', onCreated);
  daemon.on('exit', ({ expected }) => {
    if (expected) app.removeListener('web-contents-created', onCreated);
  });
}

/** A document is there (and its preload ran): attach now rather than wait for the next dom-ready. */
function isLoaded(contents: WebContents): boolean {
  return !contents.isLoading() && contents.getURL() !== '' && !contents.isCrashed();
}
