/**
 * The page side in a real browser (Chromium): the renderer entry bundled for browsers, the shipped sandboxed preload,
 * real DOM MessagePorts transferred by window.postMessage, against a real daemon (worker host) whose ports the test,
 * playing Electron's main, hands the page (see harness.ts). Skipped, saying how to install Chromium, where there is none.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type Settings, startDaemon, tmpDir, untilRev } from '../helpers.ts';
import { repoRoot } from '../packaging/helpers.ts';
import { buildPageAssets, launchChromium, PortBridge, serve, whyNoChromium } from './harness.ts';

type SetOutcome = { ok: true; rev: number } | { ok: false; name: string; code: unknown; message: string; isStoreError: boolean };
interface EsdPage {
  startConnect(name: string): void;
  connected(name: string): Promise<{ doc: Record<string, unknown>; rev: number }>;
  get(name: string, key: string): unknown;
  set(name: string, key: string, value: unknown): Promise<SetOutcome>;
  untilValue(name: string, key: string, value: unknown): Promise<void>;
  mountExample(): void;
  untilRendered(value: unknown): Promise<void>;
  renders(): unknown[];
}
/** Calls `window.esdPage[method](...args)` in the page (evaluate sends the function's text, not its closure). */
function call<K extends keyof EsdPage>(page: Page, method: K, ...args: Parameters<EsdPage[K]>): Promise<Awaited<ReturnType<EsdPage[K]>>> {
  return page.evaluate(([m, a]) => ((window as unknown as { esdPage: Record<string, (...x: unknown[]) => unknown> }).esdPage[m] as (...x: unknown[]) => unknown)(...a), [method, args] as const) as Promise<Awaited<ReturnType<EsdPage[K]>>>;
}

const HTML = (title: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<style>body { margin: 0; padding: 24px; background: #c9d3de; }</style></head>
<body><div id="root"></div><script src="/page.js"></script></body></html>`;

const why = whyNoChromium();

if (why) {
  test('page tests in Chromium', { skip: why }, () => {});
} else {
  describe('the page in Chromium', () => {
    let context: BrowserContext;
    let url: string;
    const cleanup: Array<() => Promise<void>> = [];

    before(async () => {
      const assets = await buildPageAssets();
      const server = await serve({ '/': ['text/html', HTML('esd page')], '/example': ['text/html', HTML('electron-store-daemon example')], '/page.js': ['text/javascript', assets.pageJs] });
      cleanup.push(server.close);
      url = server.url;
      const chromium = await launchChromium();
      cleanup.push(chromium.close);
      context = chromium.context;
      await context.addInitScript(assets.initScript);
    });
    after(async () => {
      for (const close of cleanup.reverse()) await close();
    });

    /** A fresh tab with a fresh daemon and the bridge that plays main; the page's errors fail the test. */
    async function openPage(route = '/'): Promise<{ page: Page; bridge: PortBridge; daemon: Awaited<ReturnType<typeof startDaemon>>; errors: Error[] }> {
      const daemon = await startDaemon(tmpDir());
      const page = await context.newPage();
      after(() => page.close());
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      const bridge = await PortBridge.install(page, daemon);
      await page.goto(url + route);
      return { page, bridge, daemon, errors };
    }

    test('connectStore before the port arrives and after it (the preload holds it); the page reads the document', async () => {
      const { page, bridge, errors } = await openPage();
      // Before: the page asks first, main's port comes later.
      await call(page, 'startConnect', 'settings');
      await bridge.postPort();
      const first = await call(page, 'connected', 'settings');
      assert.deepEqual(first.doc, { theme: 'auto', fontSize: 14 });

      // After: a new document; main posts its port at once, the page connects later.
      await page.reload();
      await bridge.postPort();
      await call(page, 'startConnect', 'settings');
      const second = await call(page, 'connected', 'settings');
      assert.deepEqual(second.doc, { theme: 'auto', fontSize: 14 });
      assert.deepEqual(errors, []);
    });

    test('live both ways: a write by main appears in the page, a write by the page in main', async () => {
      const { page, bridge, daemon, errors } = await openPage();
      const main = await daemon.store<Settings>('settings');
      await bridge.postPort();
      await call(page, 'startConnect', 'settings');
      await call(page, 'connected', 'settings');

      await main.set('theme', 'dark');
      await call(page, 'untilValue', 'settings', 'theme', 'dark');
      assert.equal(await call(page, 'get', 'settings', 'theme'), 'dark');

      const outcome = await call(page, 'set', 'settings', 'window', { width: 800 });
      assert.ok(outcome.ok, JSON.stringify(outcome));
      await untilRev(main, outcome.rev);
      assert.deepEqual(main.get('window'), { width: 800 });
      assert.deepEqual(errors, []);
    });

    test('a rejected write is a StoreError with its code in the page; the cache keeps the old value', async () => {
      const { page, bridge, errors } = await openPage();
      await bridge.postPort();
      await call(page, 'startConnect', 'settings');
      await call(page, 'connected', 'settings');
      const outcome = await call(page, 'set', 'settings', 'fontSize', 1000);
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok);
      assert.equal(outcome.name, 'StoreError');
      assert.equal(outcome.code, 'VALIDATION_FAILED');
      assert.equal(outcome.isStoreError, true, 'instanceof StoreError in the page');
      assert.match(outcome.message, /fontSize/);
      assert.equal(await call(page, 'get', 'settings', 'fontSize'), 14);
      assert.deepEqual(errors, []);
    });

    test('a reload gets a fresh client: the old document\'s port is closed, the new one reads what changed meanwhile and syncs', async () => {
      const { page, bridge, daemon, errors } = await openPage();
      const main = await daemon.store<Settings>('settings');
      await bridge.postPort();
      await call(page, 'startConnect', 'settings');
      await call(page, 'connected', 'settings');
      await call(page, 'set', 'settings', 'theme', 'light');

      await page.reload();
      assert.equal(bridge.open, 0, 'the old document\'s port was closed with it');
      await main.set('fontSize', 18); // while the new document has no client yet
      await bridge.postPort();
      await call(page, 'startConnect', 'settings');
      const fresh = await call(page, 'connected', 'settings');
      assert.deepEqual(fresh.doc, { theme: 'light', fontSize: 18 });
      assert.equal(fresh.rev, main.rev);
      await main.set('theme', 'dark');
      await call(page, 'untilValue', 'settings', 'theme', 'dark');
      assert.deepEqual(errors, []);
    });

    test('React: the example re-renders on a change made in main, writes through useStore; a screenshot goes to test/.artifacts', async () => {
      const { page, bridge, daemon, errors } = await openPage('/example');
      const main = await daemon.store<Settings>('settings');
      await page.setViewportSize({ width: 520, height: 320 });
      await call(page, 'mountExample');
      await bridge.postPort();
      await call(page, 'untilRendered', 'auto');

      await main.set('theme', 'dark');
      await main.set('fontSize', 16);
      await call(page, 'untilRendered', 'dark');
      assert.equal(await page.textContent('#theme'), 'theme: dark');

      // The page's button writes through the hook's setValue; main sees it.
      const before = main.rev;
      await page.click('button:text("light")');
      await call(page, 'untilRendered', 'light');
      await untilRev(main, before + 1);
      assert.equal(main.get('theme'), 'light');
      await main.set('theme', 'dark');
      await call(page, 'untilRendered', 'dark');
      // Every change re-rendered the component, in order (undefined: the render while connecting).
      const renders = await call(page, 'renders');
      assert.deepEqual(renders.filter((r, i) => r !== undefined && r !== renders[i - 1]), ['auto', 'dark', 'light', 'dark']);

      const shots = path.join(repoRoot, 'test', '.artifacts');
      fs.mkdirSync(shots, { recursive: true });
      await page.locator('#card').screenshot({ path: path.join(shots, 'browser-example.png') });
      assert.ok(fs.statSync(path.join(shots, 'browser-example.png')).size > 1000);
      assert.deepEqual(errors, []);
    });
  });
}
