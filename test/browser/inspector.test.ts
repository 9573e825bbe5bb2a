/**
 * The inspector in a real browser (Debian's Chromium): `daemon.openInspector()` on the worker host serves the bundled
 * page on 127.0.0.1; the page connects through its WebSocket relay to a daemon port of its own, under the inspector's
 * policy. Main writes, the page shows it; the page rolls back, main's client changes. Skipped, saying how to install
 * Chromium, where there is none.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { defineStore } from '../../src/index.ts';
import { type Settings, settingsDef, startDaemon, tmpDir, waitFor } from '../helpers.ts';
import { repoRoot } from '../packaging/helpers.ts';
import { launchChromium, whyNoChromium } from './harness.ts';

const why = whyNoChromium();
const store = (page: Page, name: string) => page.locator(`[data-testid=store][data-store="${name}"]`);

async function connected(page: Page): Promise<void> {
  await page.getByTestId('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 15_000 });
}

if (why) {
  test('inspector in Chromium', { skip: why }, () => {});
} else {
  describe('the inspector in Chromium', () => {
    let context: BrowserContext;
    let close: () => Promise<void>;
    before(async () => {
      ({ context, close } = await launchChromium());
    });
    after(() => close());

    test('shows a write from main in the feed and the tree; "roll back to here" changes main\'s client; screenshot to test/.artifacts', async () => {
      const daemon = await startDaemon(tmpDir());
      const main = await daemon.store<Settings>('settings');
      await main.set('theme', 'dark');
      const before = main.rev;
      const inspector = await daemon.openInspector();
      assert.equal(inspector.kind, 'served');
      assert.match(inspector.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const page = await context.newPage();
      await page.goto(inspector.url);
      await connected(page);
      // The token went into a cookie and left the address bar.
      assert.doesNotMatch(page.url(), /token/);

      const { rev } = await main.set({ theme: 'light', window: { width: 800, height: 600 } });
      const row = page.locator(`[data-testid=feed-row][data-store=settings][data-rev="${rev}"]`);
      await row.waitFor();
      assert.match(await row.innerText(), /\/theme = "light"/);
      await store(page, 'settings').getByTestId('tree').filter({ hasText: 'theme: "light"' }).waitFor();
      assert.equal(await store(page, 'settings').getByTestId('rev').innerText(), `rev ${rev}`);

      // The key's timeline, and back to the rev before main's last write.
      await store(page, 'settings').locator('[data-testid=tree-key][data-key=theme]').click();
      const entry = store(page, 'settings').locator(`[data-testid=history-entry][data-rev="${before}"]`);
      await entry.waitFor();
      const back = waitFor<void>((done) => main.onDidChange('theme', (v) => v === 'dark' && done()), 'main to see the rollback');
      await entry.getByTestId('rollback').click();
      await entry.getByTestId('rollback').click();
      await back;
      assert.equal(main.get('theme'), 'dark');
      assert.equal(main.get('window'), undefined);
      await store(page, 'settings').getByTestId('notice').filter({ hasText: `back to the state of rev ${before}` }).waitFor();
      await page.locator(`[data-testid=feed-row][data-rev="${main.rev}"]`).waitFor();

      // Health: the recovery report and both charts, after at least one sample.
      await store(page, 'settings').getByTestId('tab-health').click();
      await store(page, 'settings').getByTestId('recovery').filter({ hasText: 'new' }).waitFor();
      await store(page, 'settings').getByTestId('chart-latency').waitFor();
      await store(page, 'settings').getByTestId('tab-data').click();
      await store(page, 'settings').getByTestId('tree').filter({ hasText: 'theme: "dark"' }).waitFor();
      const shots = path.join(repoRoot, 'test', '.artifacts');
      fs.mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'inspector.png'), fullPage: true });
      await page.close();
      await inspector.close();
    });

    test('backups: create, verify and restore from the page', async () => {
      const daemon = await startDaemon(tmpDir());
      const main = await daemon.store<Settings>('settings');
      await main.set('fontSize', 20);
      const inspector = await daemon.openInspector();
      const page = await context.newPage();
      await page.goto(inspector.url);
      await connected(page);
      const panel = store(page, 'settings');
      await panel.getByTestId('tab-backups').click();
      await panel.getByTestId('backup-create').click();
      await panel.getByTestId('notice').filter({ hasText: 'created' }).waitFor();
      await main.set('fontSize', 30);
      await panel.getByTestId('tab-backups').click();
      const row = panel.getByTestId('backup-row').filter({ hasText: 'inspector' });
      await row.getByTestId('verify').click();
      await row.locator('.verdict').filter({ hasText: 'ok' }).waitFor();
      const restored = waitFor<void>((done) => main.onDidChange('fontSize', (v) => v === 20 && done()), 'main to see the restore');
      await row.getByTestId('restore').click();
      await row.getByTestId('restore').click();
      await restored;
      await page.close();
      await inspector.close();
    });

    test('no bypass: an inspector opened with a read-only policy cannot roll back, and encrypted keys stay masked', async () => {
      const key = crypto.randomBytes(32);
      const vault = defineStore<{ user: string; token?: string }>({ name: 'vault', encryptedKeys: ['token'] });
      const daemon = await startDaemon(tmpDir(), { stores: [settingsDef(), vault], encryptionKey: key });
      const main = await daemon.store<Settings>('settings');
      const secrets = await daemon.store<{ user: string; token?: string }>('vault');
      await secrets.set({ user: 'ada', token: 'sk-very-secret' });
      await main.set('theme', 'dark');
      const first = main.rev;
      await main.set('theme', 'light');
      const inspector = await daemon.openInspector({ policy: { stores: '*', admin: false } });
      const page = await context.newPage();
      await page.goto(inspector.url);
      await connected(page);
      const masked = store(page, 'vault').getByTestId('masked-key');
      await masked.filter({ hasText: 'token: [encrypted]' }).waitFor();
      assert.equal((await page.content()).includes('sk-very-secret'), false);

      await store(page, 'settings').getByTestId('tab-history').click();
      const entry = store(page, 'settings').locator(`[data-testid=history-entry][data-rev="${first}"]`);
      await entry.getByTestId('rollback').click();
      await entry.getByTestId('rollback').click();
      await store(page, 'settings').getByTestId('notice').filter({ hasText: 'PERMISSION_DENIED' }).waitFor();
      assert.equal(main.get('theme'), 'light');
      await page.close();
      await inspector.close();
    });

    test('the link works once; the WebSocket needs the session cookie and this origin', async () => {
      const daemon = await startDaemon(tmpDir());
      const inspector = await daemon.openInspector();
      const page = await context.newPage();
      await page.goto(inspector.url);
      await connected(page);
      const again = await fetch(inspector.url, { redirect: 'manual' });
      assert.equal(again.status, 403);
      const origin = new URL(inspector.url).origin;
      const wsUrl = `${origin.replace('http', 'ws')}/port`;
      const refused = (headers: Record<string, string>) => new Promise<number | undefined>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.on('error', () => resolve(undefined));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
      });
      // Cookies are not kept apart by port: earlier inspectors' sessions are there too, each under its own name.
      const cookie = (await context.cookies(origin)).find((c) => c.name === `esd_inspector_${new URL(origin).port}`)!;
      assert.equal(await refused({ origin }), 403, 'no cookie');
      assert.equal(await refused({ origin: 'https://evil.example', cookie: `${cookie.name}=${cookie.value}` }), 403, 'another origin');
      assert.equal(await refused({ origin, cookie: `${cookie.name}=${cookie.value}` }), 101, 'this page\'s own');
      const wrongHost = await fetch(`${origin}/`, { headers: { host: 'rebound.example' } }).catch(() => undefined);
      assert.notEqual(wrongHost?.status, 200);
      await page.close();
      await inspector.close();
    });
  });
}
