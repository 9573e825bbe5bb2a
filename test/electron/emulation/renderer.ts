/**
 * Inside an emulated renderer (a worker thread): the page's `window` (an EventTarget whose `postMessage(message,
 * targetOrigin, transfer)` dispatches a 'message' event with `data`, `ports` and `source === window` in a later
 * task) and the preload's `ipcRenderer` (`on(channel, (event, message) => event.ports)` with DOM MessagePorts;
 * `send` and `invoke` to main). Preload and page share the window, as the isolated and main worlds of one frame do.
 *
 * A sandboxed preload (Electron's default since 20) runs as Electron's lib/sandboxed_renderer/preload.ts runs it: the
 * file's text is compiled as the body of a function of (require, process, exports, module, Buffer, global,
 * setImmediate, clearImmediate) — so it must be one CommonJS script — and its `require` knows only Electron's short
 * list (lib/sandboxed_renderer/init.ts): electron, electron/common, electron/renderer, events, timers, url (and their
 * node: forms); anything else throws "module not found: <name>". A preload that is not sandboxed is imported as a
 * module (lenient: Node integration would load it with Node's loaders).
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import timers from 'node:timers';
import url from 'node:url';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import { parentPort, type MessagePort as NodeMessagePort } from 'node:worker_threads';
import { DomMessagePort, EmulatedMessageEvent } from './ports.ts';
import { PAGE_QUERY } from './setup.ts';

/** The page's window. */
export class EmulatedWindow extends EventTarget {
  readonly location: { href: string; origin: string };
  #onmessage: ((event: EmulatedMessageEvent) => void) | null = null;

  constructor(url: string) {
    super();
    const u = new URL(url);
    this.location = { href: url, origin: u.protocol === 'file:' ? 'file://' : `${u.protocol}//${u.host}` };
  }

  get window(): this {
    return this;
  }

  get self(): this {
    return this;
  }

  postMessage(message: unknown, targetOrigin: string | { targetOrigin?: string; transfer?: DomMessagePort[] } = '*', transfer: DomMessagePort[] = []): void {
    const list = typeof targetOrigin === 'object' ? targetOrigin.transfer ?? [] : transfer;
    const data = structuredClone(message);
    const ports = list.map((p) => new DomMessagePort(p.detach()));
    setImmediate(() => this.dispatchEvent(new EmulatedMessageEvent('message', { data, ports, origin: this.location.origin, source: this })));
  }

  get onmessage(): ((event: EmulatedMessageEvent) => void) | null {
    return this.#onmessage;
  }

  set onmessage(handler: ((event: EmulatedMessageEvent) => void) | null) {
    if (this.#onmessage) this.removeEventListener('message', this.#onmessage as EventListener);
    this.#onmessage = handler;
    if (handler) this.addEventListener('message', handler as EventListener);
  }
}

/** Electron's `IpcRendererEvent` (the parts we use). */
export interface IpcRendererEvent {
  sender: IpcRenderer;
  ports: DomMessagePort[];
}

let nextInvoke = 0;
const invokes = new Map<number, { channel: string; resolve: (value: unknown) => void; reject: (error: Error) => void }>();

/**
 * Electron's `ipcRenderer` in a preload: receives what main sends with `webContents.postMessage`; `send(channel,
 * ...args)` reaches `ipcMain.on(channel)` in main, `invoke(channel, ...args)` its `ipcMain.handle(channel)` handler.
 */
export class IpcRenderer extends EventEmitter {
  send(channel: string, ...args: unknown[]): void {
    if (typeof channel !== 'string') throw new TypeError('Missing required channel argument');
    parentPort!.postMessage({ kind: 'ipc-send', channel, args: structuredClone(args) });
  }

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const id = ++nextInvoke;
    const data = structuredClone(args);
    return new Promise((resolve, reject) => {
      invokes.set(id, { channel, resolve, reject });
      parentPort!.postMessage({ kind: 'ipc-invoke', id, channel, args: data });
    });
  }

  /** @internal A message from main; with nobody listening on the channel it is dropped, ports included. */
  deliver(channel: string, data: unknown, nodePorts: NodeMessagePort[]): void {
    const ports = nodePorts.map((p) => new DomMessagePort(p));
    if (this.listenerCount(channel) === 0) {
      for (const p of ports) p.close();
      return;
    }
    this.emit(channel, { sender: this, ports } satisfies IpcRendererEvent, data);
  }
}

export const ipcRenderer = new IpcRenderer();

/** Electron's `contextBridge` (the page and the preload share one global here: exposing is an assignment). */
export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    (globalThis as Record<string, unknown>)[key] = api;
  },
};

type FromMain =
  | { kind: 'ipc'; channel: string; data: unknown; ports: NodeMessagePort[] }
  | { kind: 'exec'; id: number; code: string }
  | { kind: 'beforeunload'; id: number }
  | { kind: 'ipc-invoke-result'; id: number; ok: true; value: unknown }
  | { kind: 'ipc-invoke-result'; id: number; ok: false; error: string };

/** Runs a sandboxed preload as Electron does (see the module comment). */
function runSandboxedPreload(file: string): void {
  const electronModule = { ipcRenderer, contextBridge };
  const loaded = new Map<string, unknown>([
    ['electron', electronModule], ['electron/common', electronModule], ['electron/renderer', electronModule],
    ['events', EventEmitter], ['node:events', EventEmitter], ['timers', timers], ['node:timers', timers], ['url', url], ['node:url', url],
  ]);
  const preloadRequire = (name: string): unknown => {
    if (loaded.has(name)) return loaded.get(name);
    throw new Error(`module not found: ${name}`);
  };
  const preloadProcess = Object.assign(new EventEmitter(), {
    type: 'renderer', sandboxed: true, contextIsolated: true, platform: process.platform, arch: process.arch,
    version: process.version, versions: process.versions, env: { ...process.env },
  });
  const fn = vm.compileFunction(fs.readFileSync(file, 'utf8'), ['require', 'process', 'exports', 'module', 'Buffer', 'global', 'setImmediate', 'clearImmediate'], { filename: file });
  const exports = {};
  fn(preloadRequire, preloadProcess, exports, { exports }, Buffer, globalThis, setImmediate, clearImmediate);
}

/** Becomes the renderer: window, ipc, the preload, then the page's scripts; reports dom-ready and load to main. */
export async function runRenderer(data: { url: string; preload: string | undefined; sandboxed: boolean; scripts: string[] }): Promise<void> {
  const win = new EmulatedWindow(data.url);
  // `self` stays the real global (in a browser it is the window, which is also the global, with all intrinsics): tsx's
  // es-module-lexer takes `self` as its asm.js stdlib on Node 24, and an EventTarget there broke every later import.
  Object.assign(globalThis, { window: win, location: win.location });
  // A page's uncaught errors are logged, they do not kill the renderer.
  process.on('uncaughtException', (error) => console.error('Uncaught (in page)', error));
  process.on('unhandledRejection', (error) => console.error('Uncaught (in promise, in page)', error));
  parentPort!.on('message', (message: FromMain) => {
    if (message.kind === 'ipc') ipcRenderer.deliver(message.channel, message.data, message.ports);
    else if (message.kind === 'exec') void exec(message.id, message.code);
    else if (message.kind === 'beforeunload') {
      // A page cancels the unload with event.preventDefault() in a 'beforeunload' listener.
      const event = new Event('beforeunload', { cancelable: true });
      win.dispatchEvent(event);
      parentPort!.postMessage({ kind: 'beforeunload-result', id: message.id, canceled: event.defaultPrevented });
    } else if (message.kind === 'ipc-invoke-result') {
      const pending = invokes.get(message.id);
      invokes.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(`Error invoking remote method '${pending?.channel}': ${message.error}`));
    }
  });
  if (data.preload) {
    try {
      if (data.sandboxed) runSandboxedPreload(data.preload);
      else await import(pathToFileURL(data.preload).href);
    } catch (error) {
      console.error(`Unable to load preload script: ${data.preload}\n`, error);
    }
  }
  const ran = new Set<string>();
  let domReady!: () => void;
  const domReadyFired = new Promise<void>((resolve) => (domReady = resolve));
  const check = () => {
    if (ran.size >= data.scripts.length) domReady();
  };
  const scriptRan = (url: string) => {
    ran.add(url.split('?')[0]);
    check();
  };
  (globalThis as { __electronEmulationScriptRan?: (url: string) => void }).__electronEmulationScriptRan = scriptRan;
  const loads = data.scripts.map((script) => {
    const marked = `${script}${script.includes('?') ? '&' : '?'}${PAGE_QUERY}`;
    return import(marked).catch((error: unknown) => {
      console.error('Uncaught (in page script)', error);
      scriptRan(script);
    });
  });
  if (data.scripts.length === 0) setImmediate(domReady);
  await domReadyFired;
  win.dispatchEvent(new Event('DOMContentLoaded'));
  parentPort!.postMessage({ kind: 'dom-ready' });
  await Promise.all(loads);
  win.dispatchEvent(new Event('load'));
  parentPort!.postMessage({ kind: 'load' });
}

async function exec(id: number, code: string): Promise<void> {
  try {
    const value: unknown = await (0, eval)(code);
    parentPort!.postMessage({ kind: 'exec-result', id, ok: true, value });
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ kind: 'exec-result', id, ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(error) } });
  }
}
