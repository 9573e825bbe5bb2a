/**
 * Inside an emulated renderer (a worker thread): the page's `window` (an EventTarget whose `postMessage(message,
 * targetOrigin, transfer)` dispatches a 'message' event with `data`, `ports` and `source === window` in a later
 * task) and the preload's `ipcRenderer` (`on(channel, (event, message) => event.ports)` with DOM MessagePorts).
 * Preload and page share the window, as the isolated and main worlds of one frame do.
 */
import { EventEmitter } from 'node:events';
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
    this.location = { href: url, origin: url.startsWith('file:') ? 'file://' : new URL(url).origin };
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

/** Electron's `ipcRenderer` in a preload: receives what main sends with `webContents.postMessage`. */
export class IpcRenderer extends EventEmitter {
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

type FromMain = { kind: 'ipc'; channel: string; data: unknown; ports: NodeMessagePort[] } | { kind: 'exec'; id: number; code: string };

/** Becomes the renderer: window, ipc, the preload, then the page's scripts; reports dom-ready and load to main. */
export async function runRenderer(data: { url: string; preload: string | undefined; scripts: string[] }): Promise<void> {
  const win = new EmulatedWindow(data.url);
  Object.assign(globalThis, { window: win, self: win, location: win.location });
  // A page's uncaught errors are logged, they do not kill the renderer.
  process.on('uncaughtException', (error) => console.error('Uncaught (in page)', error));
  process.on('unhandledRejection', (error) => console.error('Uncaught (in promise, in page)', error));
  parentPort!.on('message', (message: FromMain) => {
    if (message.kind === 'ipc') ipcRenderer.deliver(message.channel, message.data, message.ports);
    else if (message.kind === 'exec') void exec(message.id, message.code);
  });
  if (data.preload) {
    try {
      await import(pathToFileURL(data.preload).href);
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
