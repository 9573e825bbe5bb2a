import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon } from '../src/client-main/index.ts';
import { connectStore } from '../src/client-renderer/index.ts';
import { defineStore } from '../src/index.ts';
import { rejectsWith, tmpDir, untilRev } from './helpers.ts';

interface App {
  ai?: { apiKey?: string | { id: string; secret: string }; model?: string };
  theme?: string;
}

const appDef = () => defineStore<App>({ name: 'app', encryptedKeys: ['ai.apiKey'], schema: { type: 'object' } });

/** Every file the daemon wrote under cwd, as text. */
function allFiles(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
      out.push([file, fs.readFileSync(file, 'utf8')]);
    }
  }
  return out;
}

test('encrypted keys are ciphertext in every file — checkpoint, journal, backups — and plaintext to trusted clients', async () => {
  const cwd = tmpDir();
  const key = crypto.randomBytes(32);
  const daemon = await startStoreDaemon({ cwd, stores: [appDef()], encryptionKey: key });
  const main = await daemon.store<App>('app');
  await main.set('ai', { apiKey: 'sk-live-PLAINTEXT-1', model: 'small' });
  await main.set('ai.apiKey', { id: 'k2', secret: 'sk-live-PLAINTEXT-2' });
  await main.set('ai.apiKey.secret', 'sk-live-PLAINTEXT-3');
  await main.backups.create('manual');
  const window = await connectStore<App>('app', { port: daemon.createPort({ stores: '*' }) });
  assert.equal(window.get('ai.apiKey'), undefined, 'hidden from an untrusted client');
  assert.deepEqual(main.get('ai.apiKey'), { id: 'k2', secret: 'sk-live-PLAINTEXT-3' });
  const history = await main.history();
  assert.ok(JSON.stringify(history).includes('sk-live-PLAINTEXT-3'), 'history is readable to main');
  await main.rollback({ rev: 2 });
  assert.deepEqual(main.get('ai.apiKey'), { id: 'k2', secret: 'sk-live-PLAINTEXT-2' });
  await daemon.close();

  const files = allFiles(cwd);
  assert.ok(files.some(([f]) => f.includes('storeHistory')) && files.some(([f]) => f.includes('backups')));
  for (const [file, text] of files) assert.ok(!text.includes('PLAINTEXT'), `${file} holds no secret in clear`);
  assert.match(fs.readFileSync(path.join(cwd, 'app.json'), 'utf8'), /esd:aes-256-gcm:v2:/);

  // Reopened with the key: everything reads back, including after journal replay.
  const again = await startStoreDaemon({ cwd, stores: [appDef()], encryptionKey: key });
  const reopened = await again.store<App>('app');
  assert.deepEqual(reopened.get('ai'), { apiKey: { id: 'k2', secret: 'sk-live-PLAINTEXT-2' }, model: 'small' });
  const [backup] = await reopened.backups.list();
  assert.deepEqual(await reopened.backups.verify(backup.id), { ok: true, problems: [] });
  await again.close();

  // A wrong key refuses to open the store (and never treats the file as corrupt).
  const wrong = await startStoreDaemon({ cwd, stores: [appDef()], encryptionKey: crypto.randomBytes(32) });
  const e = await rejectsWith(wrong.store('app'), 'IO_FAILED');
  assert.match(e.message, /key/);
  await wrong.close();
  assert.equal(fs.readdirSync(cwd).filter((f) => f.includes('corrupt')).length, 0);
});

test('a store with encryptedKeys and no key refuses to open rather than write secrets in clear', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, stores: [appDef()] });
  const e = await rejectsWith(daemon.store('app'), 'IO_FAILED');
  assert.match(e.message, /encryptionKey/);
  await daemon.close();
});

test('a hand edit of a non-secret key keeps the encrypted values', async () => {
  const cwd = tmpDir();
  const key = crypto.randomBytes(32);
  const daemon = await startStoreDaemon({ cwd, stores: [appDef()], encryptionKey: key });
  const main = await daemon.store<App>('app');
  await main.set('ai', { apiKey: 'sk-live-PLAINTEXT-9', model: 'm' });
  await main.info();
  await daemon.close();
  const again = await startStoreDaemon({ cwd, stores: [appDef()], encryptionKey: key });
  const store = await again.store<App>('app');
  const file = path.join(cwd, 'app.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  doc.theme = 'dark';
  const rev = store.rev;
  fs.writeFileSync(file, JSON.stringify(doc, undefined, 2));
  await untilRev(store, rev + 1);
  assert.equal(store.get('theme'), 'dark');
  assert.equal(store.get('ai.apiKey'), 'sk-live-PLAINTEXT-9');
  await again.close();
  assert.ok(!fs.readFileSync(file, 'utf8').includes('PLAINTEXT'));
});
