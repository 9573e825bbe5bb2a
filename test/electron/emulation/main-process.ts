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
  | { kind: 'utility'; modulePath: string; args: string[]; control: NodeMessagePort }
  | { kind: 'renderer'; url: string; preload: string | undefined; scripts: string[] };

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
   * before-quit (preventable) -> every window closes (each 'close' preventable, which cancels the quit) ->
   * will-quit (preventable) -> quit -> the process exits (utility processes die with it).
   */
  quit(): void {
    if (this.#quitting || this.exitCode !== undefined) return;
    const beforeQuit = electronEvent();
    this.emit('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    this.#quitting = true;
    setImmediate(() => {
      for (const win of BrowserWindow.getAllWindows()) {
        if (!win.requestClose()) {
          this.#quitting = false;
          return;
        }
      }
      const willQuit = electronEvent();
      this.emit('will-quit', willQuit);
      if (willQuit.defaultPrevented) {
        this.#quitting = false;
        return;
      }
      this.emit('quit', electronEvent(), 0);
      this.exit(0);
    });
  }

  /** Exits at once: no before-quit/will-quit, windows destroyed, utility processes killed. */
  exit(code = 0): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    for (const win of BrowserWindow.getAllWindows()) win.destroy();
    for (const child of utilityProcesses) child.kill();
    emulation.emit('exit', code);
  }

  get isQuitting(): boolean {
    return this.#quitting;
  }

  /** @internal A window closed outside of a quit. */
  windowClosed(): void {
    if (this.#quitting || this.exitCode !== undefined || BrowserWindow.getAllWindows().length > 0) return;
    if (this.listenerCount('window-all-closed') > 0) this.emit('window-all-closed');
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
  sandbox?: boolean;
  nodeIntegration?: boolean;
}

type RendererMessage =
  | { kind: 'dom-ready' }
  | { kind: 'load' }
  | { kind: 'exec-result'; id: number; ok: true; value: unknown }
  | { kind: 'exec-result'; id: number; ok: false; error: { name: string; message: string } };

/** The script URLs a page runs: `<script src>` of an HTML file, or the URL itself when it is a script. */
function pageScripts(url: string): string[] {
  if (!url.startsWith('file:')) return [];
  const file = fileURLToPath(url);
  if (/\.(m?js|ts)$/.test(file)) return [url];
  if (!/\.html?$/.test(file)) return [];
  const html = fs.readFileSync(file, 'utf8');
  return [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>/gi)].map((m) => new URL(m[1], url).href);
}

/** A window's web contents: navigation events, `postMessage` into the preload, `executeJavaScript` in the page. */
export class WebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly #prefs: WebPreferences;
  #renderer: Worker | undefined;
  #url = '';
  #loading = false;
  #destroyed = false;
  #navigation = 0;
  #execId = 0;
  #execs = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #loaded: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(prefs: WebPreferences) {
    super();
    this.#prefs = prefs;
    allWebContents.set(this.id, this);
  }

  getType(): 'window' {
    return 'window';
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

  #alive(): void {
    if (this.#destroyed) throw new TypeError('Object has been destroyed');
  }

  loadFile(filePath: string): Promise<void> {
    return this.loadURL(pathToFileURL(path.resolve(filePath)).href);
  }

  /**
   * Navigates: did-start-loading, did-start-navigation, the old document goes away (its ports with it), a new
   * renderer runs the preload then the page's scripts, dom-ready (scripts ran, their top-level awaits not waited
   * for), did-stop-loading, did-finish-load (scripts finished). Resolves on did-finish-load.
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
      this.#startRenderer(url, navigation);
    });
    return loaded;
  }

  reload(): void {
    if (this.#url) void this.loadURL(this.#url).catch(() => {});
  }

  #startRenderer(url: string, navigation: number): void {
    const worker = startChild({ kind: 'renderer', url, preload: this.#prefs.preload, scripts: pageScripts(url) });
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
        const pending = this.#execs.get(message.id);
        this.#execs.delete(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      }
    });
    worker.on('error', (error) => console.error('[electron emulation] renderer failed:', error));
    worker.on('exit', (code) => {
      if (worker !== this.#renderer) return;
      this.#renderer = undefined;
      this.#failExecs(new Error('Render frame was disposed before WebFrameMain could be accessed'));
      this.emit('render-process-gone', electronEvent(), { reason: code === 0 ? 'clean-exit' : 'crashed', exitCode: code });
    });
  }

  /** Ends the current document: its renderer and every port it held are gone. */
  #endRenderer(reason: Error): void {
    const worker = this.#renderer;
    this.#renderer = undefined;
    this.#failExecs(reason);
    void worker?.terminate();
  }

  #failExecs(reason: Error): void {
    const pending = [...this.#execs.values()];
    this.#execs.clear();
    for (const p of pending) p.reject(reason);
  }

  /**
   * Sends `message` on `channel` to the page's preload (`ipcRenderer.on(channel, (event, message) => event.ports)`);
   * transferred ports arrive as DOM MessagePorts. Without a listener the message, and its ports, are dropped.
   */
  postMessage(channel: string, message: unknown, ...rest: [transfer?: MessagePortMain[]]): void {
    this.#alive();
    if (typeof channel !== 'string') throw new TypeError(`Error processing argument at index 0, conversion failure from ${String(channel)}`);
    const transfer = checkTransfer(rest, 2);
    assertCloneable(message);
    const ports = detachAll(transfer);
    if (!this.#renderer) {
      for (const p of ports) p.close();
      return;
    }
    this.#renderer.postMessage({ kind: 'ipc', channel, data: message, ports }, ports);
  }

  /** Evaluates `code` in the page (awaiting a returned promise) and resolves with the cloned result. */
  executeJavaScript(code: string): Promise<unknown> {
    this.#alive();
    const renderer = this.#renderer;
    if (!renderer) return Promise.reject(new Error('Script failed to execute, this normally means an error was thrown. Check the renderer console for the error.'));
    const id = ++this.#execId;
    return new Promise((resolve, reject) => {
      this.#execs.set(id, { resolve, reject });
      renderer.postMessage({ kind: 'exec', id, code });
    });
  }

  /** @internal */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#loaded?.reject(new Error('ERR_ABORTED (-3): the web contents was destroyed'));
    this.#endRenderer(new Error('Render frame was disposed before WebFrameMain could be accessed'));
    allWebContents.delete(this.id);
    this.emit('destroyed');
  }
}

/** Electron's `webContents` module. */
export const webContents = {
  getAllWebContents: (): WebContents[] => [...allWebContents.values()],
  fromId: (id: number): WebContents | undefined => allWebContents.get(id),
};

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
    this.webContents = new WebContents(options.webPreferences ?? {});
    allWindows.add(this);
    getApp().emit('web-contents-created', electronEvent(), this.webContents);
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

  /** Asks the window to close: 'close' (preventable), then it is destroyed. */
  close(): void {
    if (this.#destroyed) return;
    setImmediate(() => this.requestClose());
  }

  /** @internal Runs the close sequence now; false if a 'close' listener prevented it. */
  requestClose(): boolean {
    if (this.#destroyed) return true;
    const event = electronEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.destroy();
    return true;
  }

  /** Closes at once, without 'close'. */
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
 * Electron's `UtilityProcess`: 'spawn', 'message' (what the child posts on `process.parentPort`), 'exit' (code);
 * `postMessage(message, [transfer])`, `kill()`, `pid`, `stdout`/`stderr` (streams with stdio 'pipe', else null).
 * An uncaught exception in the child ends it (exit code 1) and its stack goes to its stderr.
 */
export class UtilityProcess extends EventEmitter {
  pid: number | undefined;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  readonly serviceName: string;
  readonly #worker: Worker;
  readonly #control: NodeMessagePort;
  readonly #stderrSink: Writable | undefined;
  #exited = false;
  #requests = new Map<number, (value: unknown) => void>();
  #nextRequest = 0;

  constructor(modulePath: string, args: string[], options: ForkOptions) {
    super();
    const [outMode, errMode] = stdioModes(options.stdio);
    this.serviceName = options.serviceName ?? 'Node Utility Process';
    const { port1, port2 } = new MessageChannel();
    this.#control = port1;
    this.#worker = startChild(
      { kind: 'utility', modulePath: path.resolve(modulePath), args, control: port2 },
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
      this.pid = 100_000 + this.#worker.threadId;
      this.emit('spawn');
    });
    this.#worker.on('message', (message: { kind: string; data?: unknown }) => {
      if (message?.kind === 'message') this.emit('message', message.data);
    });
    this.#worker.on('error', (error: Error) => {
      // What Node prints for an uncaught exception before the process dies.
      this.#stderrSink?.write(`Uncaught ${error?.stack ?? String(error)}\n`);
    });
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      this.pid = undefined;
      this.#control.close();
      for (const resolve of this.#requests.values()) resolve(undefined);
      this.#requests.clear();
      this.emit('exit', code);
      this.stdout = null;
      this.stderr = null;
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
    if (this.#exited) {
      for (const p of ports) p.close();
      return;
    }
    this.#worker.postMessage({ kind: 'message', data: message, ports }, ports);
  }

  /** Terminates the child; true if it was running. */
  kill(): boolean {
    if (this.#exited) return false;
    void this.#worker.terminate();
    return true;
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

  isEncryptionAvailable(): boolean {
    return this.available && getApp().isReady();
  }

  async isAsyncEncryptionAvailable(): Promise<boolean> {
    await getApp().whenReady();
    return this.available;
  }

  getSelectedStorageBackend(): string {
    return getApp().isReady() ? 'gnome_libsecret' : 'unknown';
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

  async encryptStringAsync(plainText: string): Promise<Buffer> {
    if (!(await this.isAsyncEncryptionAvailable())) throw new Error('Encryption is not available.');
    return this.encryptString(plainText);
  }

  async decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    if (!(await this.isAsyncEncryptionAvailable())) throw new Error('Decryption is not available.');
    return this.#decrypt(encrypted);
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

/** Emulation-wide events: 'exit' (code) when the emulated main process exits (app.quit/app.exit). */
export const emulation = new EventEmitter();
