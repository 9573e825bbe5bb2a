/**
 * The prebuilt preloads load the way Electron loads a sandboxed preload (lib/sandboxed_renderer/preload.ts): the
 * file's text compiled as the body of a function of (require, process, exports, module, Buffer, global, setImmediate,
 * clearImmediate), in the preload's own realm, with a `require` that knows only Electron's short list
 * (lib/sandboxed_renderer/init.ts) and throws "module not found" for anything else. Then main's port reaches the page.
 *
 * The page side is this test's realm (`connectStore` with the shared `window`); the daemon runs on the worker host,
 * whose ports are Node MessagePorts — DOM-compatible, and transferable by `window.postMessage` as a page's are.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import timers from 'node:timers';
import { test } from 'node:test';
import url from 'node:url';
import vm from 'node:vm';
import type { MessagePort } from 'node:worker_threads';
import { connectStore } from '../../src/client-renderer/index.ts';
import { PORT_CHANNEL, PORT_MESSAGE } from '../../src/protocol/port-handoff.ts';
import { type Settings, startDaemon, tmpDir, untilRev } from '../helpers.ts';
import { repoRoot } from './helpers.ts';

/** A 'message' event as a page's window dispatches it: data, ports, and the window as its source. */
class WindowMessageEvent extends Event {
  constructor(readonly data: unknown, readonly ports: readonly MessagePort[], readonly source: unknown) {
    super('message');
  }
}

/** The frame's window, shared by the preload's realm and the page (as the isolated and main worlds of one frame). */
class FrameWindow extends EventTarget {
  /** `postMessage(message, targetOrigin, transfer)`: cloned, ports transferred, delivered in a later task. */
  postMessage(message: unknown, _targetOrigin: string, transfer: MessagePort[] = []): void {
    const { data, ports } = structuredClone({ data: message, ports: transfer }, { transfer });
    setImmediate(() => this.dispatchEvent(new WindowMessageEvent(data, ports, this)));
  }
}

/** Electron's `ipcRenderer` as far as the preload uses it; `deliver` is main's `webContents.postMessage`. */
class IpcRenderer extends EventEmitter {
  /** What the preload sent main (`ipcRenderer.send`: it asks for its port on start); main's answer is `deliver`. */
  readonly sent: string[] = [];

  send(channel: string): void {
    this.sent.push(channel);
  }

  deliver(channel: string, message: unknown, ports: MessagePort[]): void {
    this.emit(channel, { sender: this, ports }, message);
  }
}

const SANDBOX_PARAMS = ['require', 'process', 'exports', 'module', 'Buffer', 'global', 'setImmediate', 'clearImmediate'];

/** Runs `file` as Electron runs a sandboxed preload; returns its module.exports and the modules it asked for. */
function runSandboxedPreload(file: string, win: FrameWindow, ipcRenderer: IpcRenderer): { exports: Record<string, unknown>; required: string[] } {
  const electron = { ipcRenderer };
  const modules = new Map<string, unknown>([
    ['electron', electron], ['electron/common', electron], ['electron/renderer', electron],
    ['events', EventEmitter], ['node:events', EventEmitter], ['timers', timers], ['node:timers', timers], ['url', url], ['node:url', url],
  ]);
  const required: string[] = [];
  const preloadRequire = (name: string) => {
    required.push(name);
    if (!modules.has(name)) throw new Error(`module not found: ${name}`);
    return modules.get(name);
  };
  // The preload's realm: its global is the window (no Node globals: no process, no require, no import()).
  const realm = vm.createContext({ window: win, console });
  const preloadProcess = Object.assign(new EventEmitter(), { type: 'renderer', sandboxed: true, contextIsolated: true, platform: process.platform, versions: process.versions });
  const fn = vm.compileFunction(fs.readFileSync(file, 'utf8'), SANDBOX_PARAMS, { filename: file, parsingContext: realm });
  const module = { exports: {} as Record<string, unknown> };
  fn(preloadRequire, preloadProcess, module.exports, module, Buffer, realm, setImmediate, clearImmediate);
  return { exports: module.exports, required };
}

function buildPreloads(): string {
  const out = tmpDir('esd-preload-build-');
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'bundle-preload.mjs'), out], { cwd: repoRoot, stdio: 'pipe' });
  return out;
}

test('the prebuilt preloads are single CommonJS scripts that require only electron', () => {
  const out = buildPreloads();
  for (const file of [path.join(out, 'client-renderer', 'preload.cjs'), path.join(out, 'preload-auto.cjs')]) {
    const text = fs.readFileSync(file, 'utf8');
    // Compiles as a function body (an ES module's import/export would be a SyntaxError there).
    assert.doesNotThrow(() => vm.compileFunction(text, SANDBOX_PARAMS), `${file} compiles as a sandboxed preload`);
    assert.deepEqual([...new Set([...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]))], ['electron'], `${file} requires only electron`);
  }
  // The library form exports exposeStorePort and does nothing until it is called; the auto form calls it.
  const ipc = new IpcRenderer();
  const lib = runSandboxedPreload(path.join(out, 'client-renderer', 'preload.cjs'), new FrameWindow(), ipc);
  assert.equal(typeof lib.exports.exposeStorePort, 'function');
  assert.equal(ipc.listenerCount(PORT_CHANNEL), 0);
  (lib.exports.exposeStorePort as () => void)();
  (lib.exports.exposeStorePort as () => void)();
  assert.equal(ipc.listenerCount(PORT_CHANNEL), 1, 'exposeStorePort() listens once, however often it is called');
  const auto = runSandboxedPreload(path.join(out, 'preload-auto.cjs'), new FrameWindow(), ipc);
  assert.deepEqual(auto.required, ['electron']);
  assert.equal(ipc.listenerCount(PORT_CHANNEL), 2);
});

test('a require outside Electron\'s short list fails the preload as a sandbox would (the harness can fail)', () => {
  const file = path.join(tmpDir('esd-preload-bad-'), 'bad.cjs');
  fs.writeFileSync(file, "require('electron'); require('node:fs');\n");
  assert.throws(() => runSandboxedPreload(file, new FrameWindow(), new IpcRenderer()), /module not found: node:fs/);
  const esm = path.join(path.dirname(file), 'esm.js');
  fs.writeFileSync(esm, "import { ipcRenderer } from 'electron';\n");
  assert.throws(() => runSandboxedPreload(esm, new FrameWindow(), new IpcRenderer()), { name: 'SyntaxError' });
});

test('preload-auto.cjs, run as a sandboxed preload, forwards main\'s port to the page: connectStore works and syncs', async (t) => {
  const out = buildPreloads();
  const daemon = await startDaemon(tmpDir());
  const main = await daemon.store<Settings>('settings');
  const win = new FrameWindow();
  const ipc = new IpcRenderer();
  runSandboxedPreload(path.join(out, 'preload-auto.cjs'), win, ipc);

  // Main posts the port (webContents.postMessage) before the page asks for it: the preload holds it.
  ipc.deliver(PORT_CHANNEL, { type: PORT_MESSAGE }, [daemon.createPort() as MessagePort]);
  (globalThis as { window?: unknown }).window = win;
  t.after(() => delete (globalThis as { window?: unknown }).window);
  const page = await connectStore<Settings>('settings', { timeoutMs: 10_000 });
  assert.equal(page.get('theme'), 'auto');

  const { rev } = await page.set('theme', 'dark');
  await untilRev(main, rev);
  assert.equal(main.get('theme'), 'dark');
  const fromMain = await main.set('fontSize', 20);
  await untilRev(page, fromMain.rev);
  assert.equal(page.get('fontSize'), 20);
});
