// The demo: a storage daemon in a worker, two independent clients, live sync, a rejected write.
// Run with `npm start`. Files go to a fresh temp folder (or the folder given as the first argument).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStoreDaemon } from 'electron-store-daemon/main';
import { connectStore, StoreError } from 'electron-store-daemon/renderer';
import { settings, type Settings } from './stores.ts';

const cwd = process.argv[2] ? path.resolve(process.argv[2]) : fs.mkdtempSync(path.join(os.tmpdir(), 'esd-demo-'));
const say = (who: string, what: string) => console.log(`${who.padEnd(8)} ${what}`);

const daemon = await startStoreDaemon({ cwd, stores: [settings] });
say('daemon', `started in a ${daemon.host}; store files in ${cwd}`);

// Two clients, each on its own port — in Electron these would be two windows.
const editor = await daemon.store<Settings>('settings');
const preview = await connectStore<Settings>('settings', { port: daemon.createPort() });
say('preview', `reads synchronously from its cache: theme=${preview.get('theme')} fontSize=${preview.get('fontSize')} (rev ${preview.rev})`);

preview.onDidChange('theme', (value, old) => say('preview', `saw theme ${old} → ${value} live (rev ${preview.rev})`));
preview.onDidChange('fontSize', (value, old) => say('preview', `saw fontSize ${old} → ${value} live (rev ${preview.rev})`));

const { rev } = await editor.set('theme', 'dark');
say('editor', `set theme=dark — durable on disk at rev ${rev}`);
await editor.set({ fontSize: 16, 'window.width': 1280 });
say('editor', `set fontSize=16 and window.width=1280 atomically — rev ${editor.rev}`);

try {
  await editor.set('fontSize', 200);
} catch (error) {
  const e = error as StoreError;
  say('editor', `set fontSize=200 was rejected: ${e.code} — ${e.message}`);
}
// Another client sees a change a moment after the writer's promise resolves (in rev order): wait for it here.
await new Promise<void>((resolve) => {
  if (preview.rev >= editor.rev) return resolve();
  const off = preview.onDidAnyChange(() => preview.rev >= editor.rev && (off(), resolve()));
});
say('preview', `still fontSize=${preview.get('fontSize')} at rev ${preview.rev}: a rejected write changes nothing`);

const history = await editor.history();
say('history', history.map((h) => `rev ${h.rev}: ${h.ops.map((o) => `${o.op} ${o.path}`).join(', ')}`).join(' | '));

await daemon.close();
say('daemon', 'closed: queued writes drained, checkpoint written, lock released');
console.log(`\nFiles in ${cwd}:`);
const list = (dir: string, indent = '  '): void => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    console.log(`${indent}${entry.name}${entry.isDirectory() ? '/' : ''}`);
    if (entry.isDirectory()) list(path.join(dir, entry.name), indent + '  ');
  }
};
list(cwd);
console.log(`\n${path.join(cwd, 'settings.json')} is a normal electron-store file:\n${fs.readFileSync(path.join(cwd, 'settings.json'), 'utf8')}`);
