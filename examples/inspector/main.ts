// The inspector, live: a daemon (worker) with two stores, one with an encrypted key, a little activity every two
// seconds, and the inspector served on 127.0.0.1. Run with `npm run example:inspector`, open the printed link once.
//   --screenshot <file>   instead: open it in Chromium (playwright-core, Debian's /usr/bin/chromium), take a picture
//                          after a few changes and a click on a key, and exit (how the README's picture is made).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineStore } from 'electron-store-daemon';
import { startStoreDaemon } from 'electron-store-daemon/main';
import { settings, type Settings } from '../node-demo/stores.ts';

interface Notes {
  items: Array<{ id: number; text: string; done: boolean }>;
  account: { user: string; token?: string };
}
const notes = defineStore<Notes>({ name: 'notes', defaults: { items: [], account: { user: 'ada' } }, encryptedKeys: ['account.token'] });

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'esd-inspector-demo-'));
const daemon = await startStoreDaemon({ cwd, stores: [settings, notes], encryptionKey: crypto.randomBytes(32) });
const s = await daemon.store<Settings>('settings');
const n = await daemon.store<Notes>('notes');
await n.set('account.token', 'sk-live-not-for-your-eyes');
const themes = ['dark', 'light', 'auto'] as const;
let step = 0;
const tick = async () => {
  step++;
  await s.set('theme', themes[step % 3]);
  await s.set('fontSize', 12 + (step % 8));
  await n.appendToArray('items', { id: step, text: `note ${step}`, done: step % 2 === 0 });
  if (step === 3) await n.backups.create('demo');
};
for (let i = 0; i < 4; i++) await tick();
await s.set('window', { width: 1280, height: 800 });

const inspector = await daemon.openInspector();
const shot = process.argv.indexOf('--screenshot');
if (shot === -1) {
  console.log(`Store files in ${cwd}\nInspector: ${inspector.url}\n(open it once; a change every 2 s; Ctrl+C stops)`);
  const timer = setInterval(() => void tick(), 2000);
  process.on('SIGINT', () => {
    clearInterval(timer);
    void daemon.close().then(() => process.exit(0));
  });
} else {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.ESD_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(inspector.url);
  await page.getByTestId('status').filter({ hasText: 'Connected' }).waitFor();
  for (let i = 0; i < 3; i++) {
    await tick();
    await page.locator(`[data-testid=feed-row][data-store=notes][data-rev="${n.rev}"]`).waitFor();
  }
  const notesPanel = page.locator('[data-testid=store][data-store=notes]');
  await notesPanel.locator('details[data-key=account] > summary').click();
  await notesPanel.getByTestId('masked-key').waitFor();
  const settingsPanel = page.locator('[data-testid=store][data-store=settings]');
  await settingsPanel.locator('[data-testid=tree-key][data-key=theme]').click();
  await settingsPanel.getByTestId('history-entry').first().waitFor();
  await page.screenshot({ path: process.argv[shot + 1] ?? 'inspector.png', fullPage: true });
  await browser.close();
  await inspector.close();
  await daemon.close();
}
