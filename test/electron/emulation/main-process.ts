/**
 * The emulated Electron main process: `app`, `BrowserWindow`/`webContents`, `utilityProcess`, `safeStorage`.
 * Utility processes and renderers are worker threads started through child.ts; what crosses to them are real
 * Node MessagePorts behind the emulated ports (ports.ts). Behaviour follows Electron 45's documentation; what
 * the library does not use is left out rather than faked.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort as NodeMessagePort, type WorkerOptions } from 'node:worker_threads';
import { assertCloneable, checkTransfer, detachAll, MessageChannelMain, MessagePortMain } from './ports.ts';
import { CHILD_URL, PAGE_QUERY } from './setup.ts';

export { MessageChannelMain, MessagePortMain };

/** Electron's `Event`: `preventDefault()` and `defaultPrevented`, plus the event's own fields. */
export type ElectronEvent<T extends object = object> = T & { preventDefault(): void; readonly defaultPrevented: boolean };

function electronEvent<T extends object>(fields: T = {} as T): ElectronEvent<T> {
  let prevented = false;
  return Object.defineProperties(fields, {
    preventDefault: { value: () => void (prevented = true), enumerable: true },
    defaultPrevented: { get: () => prevented, enumerable: true },
  }) as ElectronEvent<T>;
}

/** Data every child thread gets (see child.ts). */
export type ChildData =
  | { kind: 'utility'; modulePath: string; args: string[]; control: NodeMessagePort; pid: number }
  | { kind: 'renderer'; url: string; preload: string | undefined; sandboxed: boolean; scripts: string[] };

/** Starts a worker that becomes an emulated child process; it runs TypeScript through tsx like the tests do. */
function startChild(data: ChildData, options: WorkerOptions = {}): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(CHILD_URL)}); })`;
  const transferList = data.kind === 'utility' ? [data.control] : [];
  return new Worker(code, { ...options, eval: true, workerData: data, transferList: [...(options.transferList ?? []), ...transferList] });
}

// ---------------------------------------------------------------------------------------------------------------
// app

/** Electron's `app`: paths, version, ready, and the quit sequence. */
export class App extends EventEmitter {
  #ready = false;
  #readyPromise: Promise<void>;
  #paths = new Map<string, string>();
  #name = 'electron-emulation';
  #version = '1.0.0';
  #quitting = false;
  /** Set once the emulated process "exited" (after quit or exit): the exit code. */
  exitCode: number | undefined;

  constructor() {
    super();
    this.#readyPromise = new Promise((resolve) => {
      setImmediate(() => {
        this.#ready = true;
        this.emit('will-finish-launching');
        this.emit('ready', electronEvent(), {});
        resolve();
      });
    });
  }

  isReady(): boolean {
    return this.#ready;
  }

  whenReady(): Promise<void> {
    return this.#readyPromise;
  }

  getName(): string {
    return this.#name;
  }

  setName(name: string): void {
    this.#name = name;
  }

  getVersion(): string {
    return this.#version;
  }

  /** Emulation only: what `getVersion()` reports (Electron reads it from the app's package.json). */
  setVersionForTests(version: string): void {
    this.#version = version;
  }

  getPath(name: string): string {
    const set = this.#paths.get(name);
    if (set) return set;
    let value: string;
    switch (name) {
      case 'home': value = os.homedir(); break;
      case 'temp': value = os.tmpdir(); break;
      case 'appData': value = path.join(os.tmpdir(), `electron-emulation-${process.pid}`, 'appData'); break;
      case 'userData': value = path.join(this.getPath('appData'), this.#name); break;
      case 'sessionData': value = this.getPath('userData'); break;
      case 'logs': value = path.join(this.getPath('userData'), 'logs'); break;
      default: throw new Error(`Failed to get '${name}' path`);
    }
    if (name === 'userData' || name === 'appData') fs.mkdirSync(value, { recursive: true });
    return value;
  }

  setPath(name: string, value: string): void {
    if (!path.isAbsolute(value)) throw new Error(`Path must be absolute: ${value}`);
    this.#paths.set(name, value);
  }

  /**
   * Electron's Browser::Quit: before-quit (preventable) -> every window is asked to close (each 'close' preventable and
   * each page's beforeunload able to cancel; one cancelled close cancels the quit, the windows already closed stay
   * closed) -> once all are closed: will-quit (preventable) -> quit -> the process exits (utility processes die with
   * it). Without windows it goes straight to will-quit.
   */
  quit(): void {
    if (this.#quitting || this.exitCode !== undefined) return;
    const beforeQuit = electronEvent();
    this.emit('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    this.#quitting = true;
    const windows = BrowserWindow.getAllWindows();
    if (windows.length === 0) this.#notifyAndShutdown();
    else for (const win of windows) win.close();
  }

  #notifyAndShutdown(): void {
    if (this.exitCode !== undefined) return;
    const willQuit = electronEvent();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) {
      this.#quitting = false;
      return;
    }
    this.emit('quit', electronEvent(), 0);
    this.exit(0);
  }

  /** Exits at once: no before-quit/will-quit, windows destroyed, utility processes killed. */
  exit(code = 0): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    for (const win of BrowserWindow.getAllWindows()) win.destroy();
    // The browser process going takes its children with it, started or not.
    for (const child of utilityProcesses) child.emulationEnd();
    emulation.emit('exit', code);
  }

  get isQuitting(): boolean {
    return this.#quitting;
  }

  /** @internal A window's close was cancelled ('close' prevented or beforeunload): a quit under way is cancelled. */
  windowCloseCancelled(): void {
    this.#quitting = false;
  }

  /** @internal A window closed: the last one ends a quit under way (will-quit), else 'window-all-closed' or a quit. */
  windowClosed(): void {
    if (this.exitCode !== undefined || BrowserWindow.getAllWindows().length > 0) return;
    if (this.#quitting) this.#notifyAndShutdown();
    else if (this.listenerCount('window-all-closed') > 0) this.emit('window-all-closed');
    else this.quit();
  }
}

let theApp: App | undefined;
/** The process's `app` (created on first use, so other threads never start one). */
export function getApp(): App {
  return (theApp ??= new App());
}

// ---------------------------------------------------------------------------------------------------------------
// BrowserWindow and webContents

let nextWebContentsId = 1;
const allWebContents = new Map<number, WebContents>();

interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  /** Electron's default: sandboxed unless nodeIntegration is on (Electron 20+). */
  sandbox?: boolean;
  nodeIntegration?: boolean;
}

/** What `webContents.getType()` reports (Electron's WebContents::Type names). */
export type WebContentsType = 'window' | 'browserView' | 'webview' | 'remote' | 'backgroundPage' | 'offscreen';

type RendererMessage =
  | { kind: 'dom-ready' }
  | { kind: 'load' }
  | { kind: 'exec-result'; id: number; ok: true; value: unknown }
  | { kind: 'exec-result'; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'beforeunload-result'; id: number; canceled: boolean }
  | { kind: 'ipc-send'; channel: string; args: unknown[] }
  | { kind: 'ipc-invoke'; id: number; channel: string; args: unknown[] };

/**
 * Pages served at http(s) or custom-protocol URLs: the emulation has no network and no `protocol.handle`, so a
 * test maps an origin to a folder (`emulation.serve('http://localhost:5173', dir)`); the page's scripts are then
 * that folder's files, while the page's `location` is the URL it was loaded from.
 */
const served = new Map<string, string>();

/** `scheme://host` of a URL (Node gives 'null' as the origin of non-special schemes; Chromium does not for standard ones). */
export function originOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'file:') return 'file://';
  return `${u.protocol}//${u.host}`;
}

/** The file a URL's document comes from: file: URLs themselves, served origins mapped to their folder. */
function fileOf(url: string): string | undefined {
  if (url.startsWith('file:')) return fileURLToPath(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const dir = served.get(originOf(url));
  return dir ? path.join(dir, decodeURIComponent(u.pathname)) : undefined;
}

/** The script URLs (file: URLs) a page runs: `<script src>` of an HTML file, or the file itself when it is a script. */
function pageScripts(url: string): string[] {
  const file = fileOf(url);
  if (!file || !fs.existsSync(file)) return [];
  const fileUrl = pathToFileURL(file).href;
  if (/\.(m?js|ts)$/.test(file)) return [fileUrl];
  if (!/\.html?$/.test(file)) return [];
  const html = fs.readFileSync(file, 'utf8');
  return [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>/gi)].map((m) => new URL(m[1], fileUrl).href);
}

const FRAME_DISPOSED = 'Render frame was disposed before WebFrameMain could be accessed';
let nextProcessId = 1000;

/**
 * Electron's `WebFrameMain` of a document's main frame (the parts we use). One per document here: when the document
 * goes (navigation, crash, destroy) the frame is disposed and its getters throw, as Electron's do.
 */
export class WebFrameMain {
  readonly processId: number;
  readonly routingId = 1;
  readonly #url: string;
  #disposed = false;

  constructor(url: string, processId: number) {
    this.#url = url;
    this.processId = processId;
  }

  #check(): void {
    if (this.#disposed) throw new Error(FRAME_DISPOSED);
  }

  get url(): string {
    this.#check();
    return this.#url;
  }

  get origin(): string {
    this.#check();
    return this.#url === '' ? '' : originOf(this.#url);
  }

  get top(): WebFrameMain {
    return this;
  }

  get parent(): null {
    return null;
  }

  get detached(): boolean {
    return this.#disposed;
  }

  isDestroyed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  dispose(): void {
    this.#disposed = true;
  }
}

/** Electron's `IpcMainEvent` / `IpcMainInvokeEvent` (the parts we use). */
export interface IpcMainEvent {
  type: 'frame';
  sender: WebContents;
  senderFrame: WebFrameMain | null;
  processId: number;
  frameId: number;
  ports: MessagePortMain[];
}

/**
 * Electron's `ipcMain`: what preloads send with `ipcRenderer.send(channel, ...args)` arrives as
 * `ipcMain.on(channel, (event, ...args))` (after the sender's own 'ipc-message'); `ipcRenderer.invoke` reaches the one
 * `ipcMain.handle(channel)` handler, whose result (or error) goes back to the renderer.
 */
export class IpcMain extends EventEmitter {
  readonly #handlers = new Map<string, (event: IpcMainEvent, ...args: unknown[]) => unknown>();

  handle(channel: string, handler: (event: IpcMainEvent, ...args: unknown[]) => unknown): void {
    if (this.#handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    if (typeof handler !== 'function') throw new TypeError(`Expected handler to be a function, but found type '${typeof handler}'`);
    this.#handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.#handlers.delete(channel);
  }

  /** @internal */
  handlerFor(channel: string): ((event: IpcMainEvent, ...args: unknown[]) => unknown) | undefined {
    return this.#handlers.get(channel);
  }
}

export const ipcMain = new IpcMain();

/**
 * A web contents (a window's, a view's or a `<webview>` guest's): navigation events, `postMessage` into the
 * preload, `executeJavaScript` in the page, IPC from the preload, beforeunload, renderer crashes.
 */
export class WebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly #prefs: WebPreferences;
  readonly #type: WebContentsType;
  #renderer: Worker | undefined;
  #frame = new WebFrameMain('', nextProcessId++);
  #url = '';
  #loading = false;
  #destroyed = false;
  /** The renderer crashed and no new document was loaded since: the main frame is disposed. */
  #crashed = false;
  #navigation = 0;
  #requestId = 0;
  #requests = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #loaded: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(prefs: WebPreferences, type: WebContentsType = 'window') {
    super();
    this.#prefs = prefs;
    this.#type = type;
    allWebContents.set(this.id, this);
    // Electron emits it from the web contents' own initialisation, for every kind of web contents.
    getApp().emit('web-contents-created', electronEvent({ sender: this }), this);
  }

  getType(): WebContentsType {
    return this.#type;
  }

  getURL(): string {
    return this.#url;
  }

  isLoading(): boolean {
    return this.#loading;
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  /** True after the renderer crashed, until a new page load. */
  isCrashed(): boolean {
    return this.#crashed;
  }

  /** The current document's main frame. */
  get mainFrame(): WebFrameMain {
    this.#alive();
    return this.#frame;
  }

  #alive(): void {
    if (this.#destroyed) throw new TypeError('Object has been destroyed');
  }

  loadFile(filePath: string): Promise<void> {
    return this.loadURL(pathToFileURL(path.resolve(filePath)).href);
  }

  /**
   * Navigates: did-start-loading, did-start-navigation, the old document goes away (its ports with it), did-navigate
   * (committed), a new renderer runs the preload then the page's scripts, dom-ready (scripts ran, their top-level
   * awaits not waited for), did-stop-loading, did-finish-load (scripts finished). Resolves on did-finish-load.
   */
  loadURL(url: string): Promise<void> {
    this.#alive();
    const navigation = ++this.#navigation;
    this.#loaded?.reject(new Error(`ERR_ABORTED (-3) loading '${this.#url}'`));
    const loaded = new Promise<void>((resolve, reject) => (this.#loaded = { resolve, reject }));
    loaded.catch(() => {});
    this.#loading = true;
    this.emit('did-start-loading');
    this.emit('did-start-navigation', electronEvent({ url, isSameDocument: false, isMainFrame: true, frame: null, initiator: null }), url, false, true, 0, 0);
    setImmediate(() => {
      if (navigation !== this.#navigation || this.#destroyed) return;
      this.#endRenderer(new Error('The page was navigated away.'));
      this.#url = url;
      this.#crashed = false;
      this.#frame = new WebFrameMain(url, nextProcessId++);
      this.emit('did-navigate', electronEvent({ url }), url, 200, 'OK');
      this.#startRenderer(url, navigation);
    });
    return loaded;
  }

  reload(): void {
    if (this.#url) void this.loadURL(this.#url).catch(() => {});
  }

  #startRenderer(url: string, navigation: number): void {
    const preload = this.#prefs.preload;
    // Electron 20+: a renderer is sandboxed unless sandbox: false or nodeIntegration: true.
    const sandboxed = this.#prefs.sandbox ?? !this.#prefs.nodeIntegration;
    const worker = startChild({ kind: 'renderer', url, preload, sandboxed, scripts: pageScripts(url) });
    this.#renderer = worker;
    worker.on('message', (message: RendererMessage) => {
      if (worker !== this.#renderer) return;
      if (message.kind === 'dom-ready') {
        this.emit('dom-ready');
      } else if (message.kind === 'load') {
        if (navigation !== this.#navigation) return;
        this.#loading = false;
        this.emit('did-stop-loading');
        this.emit('did-finish-load');
        this.#loaded?.resolve();
      } else if (message.kind === 'exec-result') {
        const pending = this.#takeRequest(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      } else if (message.kind === 'beforeunload-result') {
        this.#takeRequest(message.id)?.resolve(message.canceled);
      } else if (message.kind === 'ipc-send') {
        this.#dispatchIpc(message.channel, message.args);
      } else if (message.kind === 'ipc-invoke') {
        void this.#dispatchInvoke(worker, message.id, message.channel, message.args);
      }
    });
    worker.on('error', (error) => console.error('[electron emulation] renderer failed:', error));
    worker.on('exit', (code) => {
      // A renderer that ends by itself (not navigated away or destroyed) is a renderer process gone.
      if (worker === this.#renderer) this.#rendererGone(code === 0 ? 'clean-exit' : 'crashed', code);
    });
  }

  #takeRequest(id: number): { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined {
    const pending = this.#requests.get(id);
    this.#requests.delete(id);
    return pending;
  }

  #ipcEvent(): IpcMainEvent {
    const frame = this.#frame;
    return electronEvent({ type: 'frame' as const, sender: this, senderFrame: frame.isDestroyed() ? null : frame, processId: frame.processId, frameId: frame.routingId, ports: [] });
  }

  /** `ipcRenderer.send`: the sender's 'ipc-message', then `ipcMain`'s listeners (Electron's ipc-dispatch order). */
  #dispatchIpc(channel: string, args: unknown[]): void {
    const event = this.#ipcEvent();
    this.emit('ipc-message', event, channel, ...args);
    ipcMain.emit(channel, event, ...args);
  }

  async #dispatchInvoke(worker: Worker, id: number, channel: string, args: unknown[]): Promise<void> {
    const handler = ipcMain.handlerFor(channel);
    let reply: { ok: true; value: unknown } | { ok: false; error: string };
    if (!handler) {
      reply = { ok: false, error: `Error: No handler registered for '${channel}'` };
    } else {
      try {
        reply = { ok: true, value: await handler(this.#ipcEvent(), ...args) };
      } catch (error) {
        console.error(`Error occurred in handler for '${channel}':`, error);
        reply = { ok: false, error: String(error) };
      }
    }
    if (worker === this.#renderer) worker.postMessage({ kind: 'ipc-invoke-result', id, ...reply });
  }

  /** Ends the current document: its renderer and every port it held are gone. */
  #endRenderer(reason: Error): void {
    const worker = this.#renderer;
    this.#renderer = undefined;
    this.#frame.dispose();
    this.#failRequests(reason);
    void worker?.terminate();
  }

  /** The renderer process died under the document: the frame is disposed, 'render-process-gone' follows (async, as in Electron). */
  #rendererGone(reason: 'crashed' | 'clean-exit' | 'killed', exitCode: number): void {
    this.#endRenderer(new Error(FRAME_DISPOSED));
    this.#crashed = true;
    if (this.#loading) {
      this.#loading = false;
      this.#loaded?.reject(new Error(`ERR_FAILED (-2): the renderer process of '${this.#url}' is gone`));
    }
    setImmediate(() => {
      if (!this.#destroyed) this.emit('render-process-gone', electronEvent(), { reason, exitCode });
    });
  }

  /** Crashes the renderer process (Electron: `forcefullyCrashRenderer()`); a reload or a new load starts a new one. */
  forcefullyCrashRenderer(): void {
    if (!this.#renderer) return;
    this.#rendererGone('crashed', 1);
  }

  #failRequests(reason: Error): void {
    const pending = [...this.#requests.values()];
    this.#requests.clear();
    for (const p of pending) p.reject(reason);
  }

  /**
   * Sends `message` on `channel` to the page's preload (`ipcRenderer.on(channel, (event, message) => event.ports)`);
   * transferred ports arrive as DOM MessagePorts. Without a listener the message, and its ports, are dropped. As
   * Electron's WebFrameMain::PostMessage: the ports are taken (neutered) first, then a disposed frame (a crashed
   * renderer not reloaded) throws — the message and its ports are lost.
   */
  postMessage(channel: string, message: unknown, ...rest: [transfer?: MessagePortMain[]]): void {
    this.#alive();
    if (typeof channel !== 'string') throw new TypeError(`Error processing argument at index 0, conversion failure from ${String(channel)}`);
    const transfer = checkTransfer(rest, 2);
    assertCloneable(message);
    const ports = detachAll(transfer);
    if (this.#crashed) {
      for (const p of ports) p.close();
      throw new Error(FRAME_DISPOSED);
    }
    if (!this.#renderer) {
      for (const p of ports) p.close();
      return;
    }
    this.#renderer.postMessage({ kind: 'ipc', channel, data: message, ports }, ports);
  }

  /** Evaluates `code` in the page (awaiting a returned promise) and resolves with the cloned result. */
  executeJavaScript(code: string): Promise<unknown> {
    this.#alive();
    return this.#rendererRequest('exec', { code }).catch((error: Error) => {
      throw error.message === 'no renderer' ? new Error('Script failed to execute, this normally means an error was thrown. Check the renderer console for the error.') : error;
    });
  }

  #rendererRequest(kind: string, extra: object = {}): Promise<unknown> {
    const renderer = this.#renderer;
    if (!renderer) return Promise.reject(new Error('no renderer'));
    const id = ++this.#requestId;
    return new Promise((resolve, reject) => {
      this.#requests.set(id, { resolve, reject });
      renderer.postMessage({ kind, id, ...extra });
    });
  }

  /**
   * @internal Runs the page's beforeunload handlers (a window closing). Resolves true when the page cancelled the
   * unload and main did not override it: 'will-prevent-unload' (preventDefault() there lets the unload go ahead).
   */
  async beforeUnload(): Promise<boolean> {
    if (!this.#renderer) return false;
    const canceled = await this.#rendererRequest('beforeunload').catch(() => false);
    if (!canceled || this.#destroyed) return false;
    const event = electronEvent();
    this.emit('will-prevent-unload', event);
    return !event.defaultPrevented;
  }

  /** Closes the page (views and guests): destroyed at once, without beforeunload (Electron's default). */
  close(): void {
    this.destroy();
  }

  #windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | undefined;

  /** Electron's `setWindowOpenHandler`: decides each `window.open` / target=_blank of the page (default: allow). */
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.#windowOpenHandler = handler;
  }

  /** The page asks for a new window (window.open): what the handler answers (tests). */
  emulationWindowOpen(url: string): 'allow' | 'deny' {
    return this.#windowOpenHandler?.({ url }).action ?? 'allow';
  }

  /** @internal */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#loaded?.reject(new Error('ERR_ABORTED (-3): the web contents was destroyed'));
    this.#endRenderer(new Error(FRAME_DISPOSED));
    allWebContents.delete(this.id);
    this.emit('destroyed');
  }
}

/** Electron's `webContents` module. */
export const webContents = {
  getAllWebContents: (): WebContents[] => [...allWebContents.values()],
  fromId: (id: number): WebContents | undefined => allWebContents.get(id),
};

/** Electron's `WebContentsView`: a view with its own web contents (type 'window', as Electron reports it). */
export class WebContentsView extends EventEmitter {
  readonly webContents: WebContents;

  constructor(options: { webPreferences?: WebPreferences } = {}) {
    super();
    if (!getApp().isReady()) throw new Error('Cannot create WebContentsView before app is ready');
    this.webContents = new WebContents(options.webPreferences ?? {}, 'window');
  }
}

/** Electron's deprecated `BrowserView` (a WebContentsView whose web contents reports type 'browserView'). */
export class BrowserView extends EventEmitter {
  readonly webContents: WebContents;

  constructor(options: { webPreferences?: WebPreferences } = {}) {
    super();
    if (!getApp().isReady()) throw new Error('Cannot create BrowserView before app is ready');
    this.webContents = new WebContents(options.webPreferences ?? {}, 'browserView');
  }
}

/**
 * Emulation only: the web contents Electron creates for a `<webview>` guest (type 'webview') or another kind, as an
 * app would receive it in 'web-contents-created'.
 */
export function emulationCreateWebContents(type: WebContentsType, webPreferences: WebPreferences = {}): WebContents {
  return new WebContents(webPreferences, type);
}

const allWindows = new Set<BrowserWindow>();
let nextWindowId = 1;

/** Electron's `BrowserWindow` (no pixels: a window is its web contents and its lifecycle events). */
export class BrowserWindow extends EventEmitter {
  readonly id = nextWindowId++;
  readonly webContents: WebContents;
  #destroyed = false;

  static getAllWindows(): BrowserWindow[] {
    return [...allWindows];
  }

  static fromWebContents(contents: WebContents): BrowserWindow | null {
    return [...allWindows].find((w) => w.webContents === contents) ?? null;
  }

  constructor(options: { show?: boolean; webPreferences?: WebPreferences } = {}) {
    super();
    if (!getApp().isReady()) throw new Error('Cannot create BrowserWindow before app is ready');
    this.webContents = new WebContents(options.webPreferences ?? {}, 'window');
    allWindows.add(this);
    getApp().emit('browser-window-created', electronEvent(), this);
  }

  loadFile(filePath: string): Promise<void> {
    return this.webContents.loadFile(filePath);
  }

  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Asks the window to close, as Electron's NativeWindow::NotifyWindowCloseButtonClicked: 'close' (preventable), then
   * the page's beforeunload (a page that cancels it keeps the window, unless main calls preventDefault() on
   * 'will-prevent-unload'), then it is destroyed ('closed'). A cancelled close cancels a quit under way.
   */
  close(): void {
    if (this.#destroyed) return;
    setImmediate(() => void this.#runClose());
  }

  async #runClose(): Promise<void> {
    if (this.#destroyed) return;
    const event = electronEvent();
    this.emit('close', event);
    if (event.defaultPrevented) {
      getApp().windowCloseCancelled();
      return;
    }
    const canceled = await this.webContents.beforeUnload();
    if (this.#destroyed) return;
    if (canceled) {
      getApp().windowCloseCancelled();
      return;
    }
    this.destroy();
  }

  /** Closes at once, without 'close' or beforeunload. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.webContents.destroy();
    allWindows.delete(this);
    this.emit('closed');
    getApp().windowClosed();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// utilityProcess

type StdioMode = 'pipe' | 'ignore' | 'inherit';

function stdioModes(stdio: string | string[] | undefined): [StdioMode, StdioMode] {
  if (stdio === undefined) return ['inherit', 'inherit'];
  const all = typeof stdio === 'string' ? ['ignore', stdio, stdio] : stdio;
  if (all[0] !== undefined && all[0] !== 'ignore') throw new Error('stdin value other than ignore is not supported.');
  const ok = (m: string | undefined): StdioMode => {
    if (m === 'pipe' || m === 'ignore' || m === 'inherit') return m;
    throw new Error(`Invalid stdio value: ${String(m)}`);
  };
  return [ok(all[1] ?? 'inherit'), ok(all[2] ?? 'inherit')];
}

export interface ForkOptions {
  env?: Record<string, string | undefined>;
  execArgv?: string[];
  cwd?: string;
  stdio?: string | string[];
  serviceName?: string;
}

/** Every utility process forked in this process, in order (emulation only: tests inspect them). */
export const utilityProcesses: UtilityProcess[] = [];

/**
 * The OS process behind an emulated utility process. A utility process is a worker thread here, but in Electron it is
 * an OS process of its own, and the library relies on that: the store lock's owner note names the daemon's pid, and a
 * later daemon takes the lock over at once when that pid no longer runs. So each utility process gets a real, tiny OS
 * process whose pid is its `pid` (and its `process.pid` inside). It lives exactly as long as the utility process: it
 * is killed and reaped before 'exit' is emitted, and it ends by itself when the whole app dies (its stdin, a pipe
 * from main, reaches EOF) — a little after the app, as a real utility process notices its browser process is gone.
 * It shares main's stderr, as Chromium's children do, so whoever reads an app's stderr sees it close only once the
 * app's utility processes are gone too.
 */
function spawnPidHolder(): ChildProcess {
  const holder = process.platform === 'win32'
    ? spawn(process.execPath, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => process.exit(0))'], { stdio: ['pipe', 'ignore', 'inherit'], windowsHide: true })
    : spawn('cat', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  holder.on('error', (error) => console.error('[electron emulation] could not start a utility process\'s OS process:', error));
  holder.unref();
  (holder.stdin as unknown as { unref(): void } | null)?.unref();
  return holder;
}

/**
 * Electron's `UtilityProcess`: 'spawn', 'message' (what the child posts on `process.parentPort`), 'exit' (code);
 * `postMessage(message, [transfer])`, `kill()`, `pid`, `stdout`/`stderr` (streams with stdio 'pipe', else null).
 * - An uncaught exception in the child ends it (exit code 1) and its stack goes to its stderr.
 * - An unhandled promise rejection does not: Electron's NodeService runs Node with
 *   `unhandled_rejections = "warn-with-error-code"` (shell/services/node/node_service.cc): a warning on stderr,
 *   `process.exitCode = 1`, and the process keeps running.
 * - `kill()` reports exit code 0: UtilityProcessWrapper::HandleTermination turns the SIGTERM/SIGKILL of a kill() into
 *   0 ("still a graceful shutdown case"). A utility process killed from outside (emulationKillProcess(), like
 *   `kill -9 <pid>`) reports the signal number, 9.
 * - `pid` is a real OS pid (see spawnPidHolder), undefined before 'spawn' and after 'exit'.
 */
export class UtilityProcess extends EventEmitter {
  pid: number | undefined;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  readonly serviceName: string;
  readonly #worker: Worker;
  readonly #control: NodeMessagePort;
  readonly #stderrSink: Writable | undefined;
  readonly #holder: ChildProcess;
  #holderExited: Promise<void>;
  #exited = false;
  #ending = false;
  /** Set by kill(): the exit is reported with code 0. */
  #killed = false;
  /** Set when the OS process was killed from outside: the exit is reported with this code. */
  #signalled: number | undefined;
  #requests = new Map<number, (value: unknown) => void>();
  #nextRequest = 0;

  constructor(modulePath: string, args: string[], options: ForkOptions) {
    super();
    const [outMode, errMode] = stdioModes(options.stdio);
    this.serviceName = options.serviceName ?? 'Node Utility Process';
    this.#holder = spawnPidHolder();
    this.#holderExited = new Promise((resolve) => {
      this.#holder.once('exit', () => resolve());
      this.#holder.once('error', () => resolve());
    });
    this.#holder.once('exit', () => {
      // The OS process died while the utility process was running: the whole utility process is gone.
      if (this.#ending || this.#exited) return;
      this.#signalled = 9;
      this.#ending = true;
      void this.#worker.terminate();
    });
    const { port1, port2 } = new MessageChannel();
    this.#control = port1;
    this.#worker = startChild(
      { kind: 'utility', modulePath: path.resolve(modulePath), args, control: port2, pid: this.#holder.pid ?? -1 },
      // Like Electron: the child's environment is `env` when given (it replaces, not extends), else a copy of ours.
      { stdout: true, stderr: true, env: options.env ?? { ...process.env }, argv: args },
    );
    const route = (stream: Readable, mode: StdioMode, inherit: Writable): PassThrough | undefined => {
      if (mode === 'ignore') {
        stream.resume();
        return undefined;
      }
      if (mode === 'inherit') {
        stream.pipe(inherit, { end: false });
        return undefined;
      }
      const through = new PassThrough();
      stream.pipe(through);
      return through;
    };
    const out = route(this.#worker.stdout, outMode, process.stdout);
    const err = route(this.#worker.stderr, errMode, process.stderr);
    this.stdout = out ?? null;
    this.stderr = err ?? null;
    this.#stderrSink = errMode === 'pipe' ? err : errMode === 'inherit' ? process.stderr : undefined;

    this.#worker.on('online', () => {
      if (this.#ending) return;
      this.pid = this.#holder.pid;
      this.emit('spawn');
    });
    this.#worker.on('message', (message: { kind: string; data?: unknown }) => {
      if (message?.kind === 'message') this.emit('message', message.data);
    });
    this.#worker.on('error', (error: Error) => {
      // What Node prints for an uncaught exception before the process dies.
      this.#stderrSink?.write(`Uncaught ${error?.stack ?? String(error)}\n`);
    });
    this.#worker.on('exit', (workerCode) => {
      this.#ending = true;
      this.#control.close();
      // The OS process is gone (killed and reaped) before main hears of the exit, as Chromium reaps with waitpid.
      this.#holder.ref();
      if (this.#holder.exitCode === null && this.#holder.signalCode === null) this.#holder.kill('SIGKILL');
      void this.#holderExited.then(() => {
        this.#exited = true;
        this.pid = undefined;
        for (const resolve of this.#requests.values()) resolve(undefined);
        this.#requests.clear();
        const code = this.#killed ? 0 : this.#signalled ?? workerCode;
        this.emit('exit', code);
        this.stdout = null;
        this.stderr = null;
      });
    });
    this.#control.on('message', (reply: { id?: number; event?: string; value: unknown }) => {
      if (reply.event === 'ports') {
        this.emit('emulation-open-ports', reply.value);
        return;
      }
      this.#requests.get(reply.id!)?.(reply.value);
      this.#requests.delete(reply.id!);
    });
    this.#control.unref();
  }

  postMessage(message: unknown, ...rest: [transfer?: MessagePortMain[]]): void {
    const transfer = checkTransfer(rest, 1);
    assertCloneable(message);
    const ports = detachAll(transfer);
    if (this.#exited || this.#ending) {
      for (const p of ports) p.close();
      return;
    }
    this.#worker.postMessage({ kind: 'message', data: message, ports }, ports);
  }

  /** Terminates the child; true if it was running. Its 'exit' reports code 0 (see the class comment). */
  kill(): boolean {
    if (this.#ending || this.#exited || this.pid === undefined) return false;
    this.#killed = true;
    this.#ending = true;
    void this.#worker.terminate();
    return true;
  }

  /** @internal The app exits: the child goes with it whatever its state (reported like a kill()). */
  emulationEnd(): void {
    if (this.#ending || this.#exited) return;
    this.#killed = true;
    this.#ending = true;
    void this.#worker.terminate();
  }

  /** Emulation only: SIGKILLs the utility process's OS process from outside (as `kill -9 <pid>` would). */
  emulationKillProcess(): void {
    if (!this.#ending && !this.#exited) this.#holder.kill('SIGKILL');
  }

  #request(op: string, extra: object = {}): Promise<unknown> {
    if (this.#exited) return Promise.resolve(undefined);
    const id = ++this.#nextRequest;
    return new Promise((resolve) => {
      this.#requests.set(id, resolve);
      this.#control.ref();
      this.#control.postMessage({ id, op, ...extra });
    }).finally(() => {
      if (this.#requests.size === 0 && !this.#exited) this.#control.unref();
    });
  }

  /** Emulation only: how many MessagePortMain the child holds open (neither closed nor transferred). */
  async emulationOpenPorts(): Promise<number> {
    return (await this.#request('open-ports')) as number;
  }

  /**
   * Emulation only: resolves once the child holds `count` open MessagePortMain (one per connected client of the
   * daemon), watching the child's port count change rather than polling it.
   */
  async emulationUntilOpenPorts(count: number, ms = 20_000): Promise<void> {
    let listener: ((n: number) => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reached = new Promise<void>((resolve, reject) => {
      listener = (n: number) => n === count && resolve();
      this.on('emulation-open-ports', listener);
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${count} open ports in the utility process`)), ms);
    });
    try {
      this.#control.ref();
      const now = (await this.#request('watch-ports')) as number;
      if (now !== count) await reached;
    } finally {
      clearTimeout(timer);
      this.off('emulation-open-ports', listener!);
      if (this.#requests.size === 0 && !this.#exited) this.#control.unref();
    }
  }

  /** Emulation only: throws an uncaught exception inside the child (it crashes, as a real process would). */
  emulationCrash(message = 'emulated crash'): void {
    void this.#request('crash', { message });
  }
}

/** Electron's `utilityProcess` module. */
export const utilityProcess = {
  fork(modulePath: string, args: string[] = [], options: ForkOptions = {}): UtilityProcess {
    if (!getApp().isReady()) throw new Error('utilityProcess cannot be created before app is ready.');
    if (typeof modulePath !== 'string') throw new TypeError('Invalid modulePath: expected a string');
    const child = new UtilityProcess(modulePath, args, options);
    utilityProcesses.push(child);
    return child;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// safeStorage

interface KeychainKey {
  id: number;
  key: Buffer;
}

/**
 * Electron's `safeStorage` backed by an emulated OS keychain: AES-256-GCM under the keychain's current key. Tests
 * can rotate the key (old ciphertext still decrypts, with `shouldReEncrypt: true`), reset the keychain (old
 * ciphertext no longer decrypts), or make encryption unavailable.
 */
export class SafeStorage {
  #keys: KeychainKey[] = [{ id: 1, key: crypto.randomBytes(32) }];
  /** Emulation only: false = no usable OS keychain. */
  available = true;
  /**
   * Emulation only: what `getSelectedStorageBackend()` reports once the app is ready (Linux): 'gnome_libsecret', or
   * 'basic_text' when no keyring was found (Chromium then encrypts with a hard-coded password).
   */
  backend = 'gnome_libsecret';
  /**
   * Emulation only: how many more decryptStringAsync calls reject as temporarily unavailable (a locked keyring;
   * Electron's os_crypt_async flags.temporarily_unavailable). Infinity = locked until set back.
   */
  temporarilyUnavailable = 0;

  isEncryptionAvailable(): boolean {
    return this.available && getApp().isReady();
  }

  async isAsyncEncryptionAvailable(): Promise<boolean> {
    await getApp().whenReady();
    return this.available;
  }

  getSelectedStorageBackend(): string {
    return getApp().isReady() ? this.backend : 'unknown';
  }

  setUsePlainTextEncryption(_usePlainText: boolean): void {}

  encryptString(plainText: string): Buffer {
    if (!this.isEncryptionAvailable()) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
    if (typeof plainText !== 'string') throw new TypeError('Error processing argument at index 0, conversion failure from ' + String(plainText));
    const current = this.#keys[this.#keys.length - 1];
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', current.key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v1'), Buffer.from([current.id]), iv, cipher.getAuthTag(), body]);
  }

  decryptString(encrypted: Buffer): string {
    return this.#decrypt(encrypted).result;
  }

  // The async API's errors are Electron's (shell/browser/api/electron_api_safe_storage.cc).
  async encryptStringAsync(plainText: string): Promise<Buffer> {
    if (!getApp().isReady()) throw new Error('safeStorage cannot be used before app is ready');
    if (!(await this.isAsyncEncryptionAvailable())) throw new Error('Error while encrypting the text provided to safeStorage.encryptStringAsync.');
    return this.encryptString(plainText);
  }

  async decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    if (!getApp().isReady()) throw new Error('safeStorage cannot be used before app is ready');
    if (!Buffer.isBuffer(encrypted)) throw new Error('Expected the first argument of decryptStringAsync() to be a buffer');
    if (this.temporarilyUnavailable > 0) {
      this.temporarilyUnavailable--;
      throw new Error('safeStorage.decryptStringAsync is temporarily unavailable. Please try again.');
    }
    if (!(await this.isAsyncEncryptionAvailable())) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptStringAsync.');
    try {
      return this.#decrypt(encrypted);
    } catch {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptStringAsync.');
    }
  }

  #decrypt(encrypted: Buffer): { shouldReEncrypt: boolean; result: string } {
    const fail = () => new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    if (!Buffer.isBuffer(encrypted) || encrypted.length < 31 || encrypted.subarray(0, 2).toString() !== 'v1') throw fail();
    const key = this.#keys.find((k) => k.id === encrypted[2]);
    if (!key) throw fail();
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.key, encrypted.subarray(3, 15));
      decipher.setAuthTag(encrypted.subarray(15, 31));
      const result = Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString('utf8');
      return { result, shouldReEncrypt: key !== this.#keys[this.#keys.length - 1] };
    } catch {
      throw fail();
    }
  }

  /** Emulation only: the keychain gets a new key; data under the old one still decrypts but should be re-encrypted. */
  rotateKey(): void {
    const last = this.#keys[this.#keys.length - 1];
    this.#keys.push({ id: last.id + 1, key: crypto.randomBytes(32) });
  }

  /** Emulation only: the keychain entry is lost; nothing encrypted before decrypts any more. */
  resetKeychain(): void {
    const last = this.#keys[this.#keys.length - 1];
    this.#keys = [{ id: last.id + 1, key: crypto.randomBytes(32) }];
  }
}

let theSafeStorage: SafeStorage | undefined;
export function getSafeStorage(): SafeStorage {
  return (theSafeStorage ??= new SafeStorage());
}

/**
 * Electron's `shell.openPath`: resolves to '' on success and to an error text otherwise (it never rejects). The
 * emulation opens nothing; it records the paths (and emits 'open-path') so tests can see what the app opened.
 */
export const shell = {
  openedPaths: [] as string[],
  async openPath(file: string): Promise<string> {
    if (!fs.existsSync(file)) return `Failed to open path: ${file}`;
    shell.openedPaths.push(file);
    emulation.emit('open-path', file);
    return '';
  },
};

/**
 * Emulation-wide: 'exit' (code) when the emulated main process exits (app.quit/app.exit); `serve(origin, dir)` makes
 * pages at that origin (http(s)://host:port, or a custom protocol such as app://bundle) load from the folder `dir`.
 */
export const emulation = Object.assign(new EventEmitter(), {
  serve(origin: string, dir: string): void {
    served.set(originOf(origin), dir);
  },
});
