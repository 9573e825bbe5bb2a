/**
 * The browser tests' harness: Debian's Chromium driven by playwright-core (never a downloaded browser), a page served
 * from 127.0.0.1, the shipped sandboxed preload (dist's preload-auto.cjs, built fresh) run as the page's preload, and
 * the test process playing Electron's main: it hands the window daemon ports.
 *
 * A page cannot hold a Node MessagePort, so each port main "posts" is a real DOM MessageChannel made in the page: its
 * port1 goes to the preload exactly as Electron delivers one (`ipcRenderer.on(channel, (event) => event.ports)`), and
 * its port2 is bridged to a `daemon.createPort()` in Node — page → Node through a Playwright binding, Node → page
 * through `page.evaluate`, in order. The client-daemon messages are plain data, so nothing is lost on the way. When the
 * page navigates away the bridge closes the daemon port, as a window's port closes with its document in Electron.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import type { StoreDaemon } from '../../src/client-main/index.ts';
import { PORT_CHANNEL, PORT_MESSAGE } from '../../src/protocol/port-handoff.ts';
import { tmpDir } from '../helpers.ts';
import { repoRoot } from '../packaging/helpers.ts';

/** The Chromium binary: $ESD_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.ESD_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function whyNoChromium(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  return `SKIPPED: no Chromium at ${CHROMIUM}, so the page tests in a real browser did not run. Install it with \`sudo apt-get install -y chromium\` (Debian/Ubuntu; .ci/run does this), or point ESD_CHROMIUM at a Chromium or Chrome binary.`;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Chromium with a fresh user-data-dir; `close()` ends it and removes the folder. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'esd-chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page bundle (test/browser/page.ts with connectStore and React, for browsers) and the init script (the preload). */
export async function buildPageAssets(): Promise<{ pageJs: string; initScript: string }> {
  const page = await build({
    absWorkingDir: repoRoot,
    entryPoints: ['test/browser/page.ts'],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'warning',
  });
  const out = tmpDir('esd-browser-preload-');
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'bundle-preload.mjs'), out], { cwd: repoRoot, stdio: 'pipe' });
  const preload = fs.readFileSync(path.join(out, 'preload-auto.cjs'), 'utf8');
  return { pageJs: page.outputFiles[0].text, initScript: preloadInitScript(preload) };
}

/**
 * Runs the shipped preload as Electron runs a sandboxed one (a function of require, process, exports, module, whose
 * require knows electron), with an `ipcRenderer` that main (this test) drives through `window.esdMain`.
 */
function preloadInitScript(preload: string): string {
  return `(() => {
  const listeners = new Map();
  // send: the preload asks main for its port when it starts; main (this test) posts ports through esdMain instead.
  const ipcRenderer = { on(channel, listener) { if (!listeners.has(channel)) listeners.set(channel, []); listeners.get(channel).push(listener); return ipcRenderer; }, send() {} };
  const bridged = new Map();
  const main = {
    postPort(id) {
      const { port1, port2 } = new MessageChannel();
      bridged.set(id, port2);
      port2.onmessage = (event) => window.esdToDaemon(id, event.data);
      for (const listener of listeners.get(${JSON.stringify(PORT_CHANNEL)}) ?? []) listener({ sender: ipcRenderer, ports: [port1] }, { type: ${JSON.stringify(PORT_MESSAGE)} });
    },
    fromDaemon(id, messages) {
      const port = bridged.get(id);
      if (port) for (const message of messages) port.postMessage(message);
    },
  };
  Object.defineProperty(window, 'esdMain', { value: main });
  const require = (name) => {
    if (name === 'electron' || name === 'electron/renderer') return { ipcRenderer };
    throw new Error('module not found: ' + name);
  };
  const module = { exports: {} };
  (function (require, process, exports, module) {
${preload}
  })(require, {}, module.exports, module);
})();`;
}

/** Serves `routes` (path → [content type, body]) on 127.0.0.1 until `close()`. */
export async function serve(routes: Record<string, [string, string]>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': route[0], 'cache-control': 'no-store' }).end(route[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The test's side of main: hands `page` daemon ports and relays their traffic. */
export class PortBridge {
  #next = 0;
  readonly #ports = new Map<number, MessagePort>();
  readonly #queues = new Map<number, unknown[]>();

  private constructor(readonly page: Page, readonly daemon: StoreDaemon) {}

  static async install(page: Page, daemon: StoreDaemon): Promise<PortBridge> {
    const bridge = new PortBridge(page, daemon);
    await page.exposeBinding('esdToDaemon', (_source, id: number, data: unknown) => bridge.#ports.get(id)?.postMessage(data));
    // A new document: the old one's ports are gone with it (Electron closes them; the daemon drops those clients).
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) bridge.closeAll();
    });
    return bridge;
  }

  /** As main's webContents.postMessage(PORT_CHANNEL, {type: PORT_MESSAGE}, [port]) at dom-ready. */
  async postPort(): Promise<number> {
    const id = ++this.#next;
    const port = this.daemon.createPort() as MessagePort;
    this.#ports.set(id, port);
    port.on('message', (data: unknown) => this.#relay(id, data));
    await this.page.evaluate((n) => (window as unknown as { esdMain: { postPort(id: number): void } }).esdMain.postPort(n), id);
    return id;
  }

  /** Daemon → page, in order: one evaluate at a time, carrying whatever queued meanwhile. */
  #relay(id: number, data: unknown): void {
    const queue = this.#queues.get(id);
    if (queue) {
      queue.push(data);
      return;
    }
    const pending = [data];
    this.#queues.set(id, pending);
    void (async () => {
      while (pending.length > 0 && this.#ports.has(id)) {
        const batch = pending.splice(0);
        await this.page
          .evaluate(([n, messages]) => (window as unknown as { esdMain: { fromDaemon(id: number, m: unknown[]): void } }).esdMain.fromDaemon(n, messages), [id, batch] as const)
          .catch(() => {}); // the document is gone: so are its ports
      }
      this.#queues.delete(id);
    })();
  }

  closeAll(): void {
    for (const port of this.#ports.values()) port.close();
    this.#ports.clear();
  }

  get open(): number {
    return this.#ports.size;
  }
}
