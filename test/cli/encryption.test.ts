import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { tmpDir } from '../helpers.ts';
import { allFiles, appDef, cli, cliJson, makeEncryptedFolder, type App } from './helpers.ts';

// Store "app" seals ai.apiKey in every file. Without --key-file the CLI shows such values as [encrypted]; with it,
// in clear — and a write seals them again, as the daemon would.

test('reads without --key-file show [encrypted]; with it, the values in clear (hex or raw key file)', async () => {
  const { cwd, key, keyFile } = await makeEncryptedFolder();
  const rawKeyFile = path.join(tmpDir('esd-cli-raw-'), 'raw.key');
  fs.writeFileSync(rawKeyFile, key);
  const [masked, clear, raw, history, historyClear, path1, exported] = await Promise.all([
    cliJson(['get', cwd, 'app']),
    cliJson(['get', cwd, 'app', '--key-file', keyFile]),
    cliJson(['get', cwd, 'app', 'ai.apiKey', '--key-file', rawKeyFile]),
    cliJson(['history', cwd, 'app']),
    cliJson(['history', cwd, 'app', '--key-file', keyFile]),
    cli(['get', cwd, 'app', 'ai.apiKey']),
    cli(['export', cwd, 'app']),
  ]);
  assert.deepEqual(masked.json.value, { theme: 'dark', ai: { apiKey: '[encrypted]', model: 'small' } });
  assert.deepEqual(clear.json.value, { theme: 'dark', ai: { apiKey: 'sk-PLAINTEXT-2', model: 'small' } });
  assert.equal(raw.json.value, 'sk-PLAINTEXT-2');
  assert.deepEqual(history.json.entries[1].ops, [{ op: 'replace', path: '/ai/apiKey', value: '[encrypted]' }]);
  assert.deepEqual(historyClear.json.entries[1].ops, [{ op: 'replace', path: '/ai/apiKey', value: 'sk-PLAINTEXT-2' }]);
  assert.deepEqual(historyClear.json.entries[1].inverse, [{ op: 'replace', path: '/ai/apiKey', value: 'sk-PLAINTEXT-1' }]);
  assert.equal(path1.stdout, '[encrypted]\n');
  assert.match(path1.stderr, /encrypted value\(s\) shown as \[encrypted\]; pass --key-file/);
  assert.equal(JSON.parse(exported.stdout).ai.apiKey, '[encrypted]');
  assert.match(exported.stderr, /`import` refuses such a file/);
});

test('a wrong key fails with IO_FAILED (exit 1); a malformed key file is a usage error (exit 2)', async () => {
  const { cwd } = await makeEncryptedFolder();
  const dir = tmpDir('esd-cli-badkey-');
  fs.writeFileSync(path.join(dir, 'wrong.key'), 'ab'.repeat(32));
  fs.writeFileSync(path.join(dir, 'short.key'), 'abcdef');
  const [wrong, short, verifyWrong] = await Promise.all([
    cliJson(['get', cwd, 'app', '--key-file', path.join(dir, 'wrong.key')]),
    cli(['get', cwd, 'app', '--key-file', path.join(dir, 'short.key')]),
    cliJson(['verify', cwd, '--key-file', path.join(dir, 'wrong.key')]),
  ]);
  assert.equal(wrong.code, 1);
  assert.equal(wrong.json.error.code, 'IO_FAILED');
  assert.match(wrong.json.error.message, /does not open with this encryptionKey/);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /must hold the 32-byte key/);
  assert.equal(verifyWrong.code, 1);
  assert.ok(verifyWrong.json.stores[0].problems.some((p: string) => p.includes('does not open with this encryptionKey')));

  // With the checkpoint unreadable, the journal and backups still tell the store is encrypted: no import in clear.
  fs.writeFileSync(path.join(cwd, 'app.json'), '{"theme": ');
  fs.writeFileSync(path.join(dir, 'clear.json'), JSON.stringify({ theme: 'dark', ai: { apiKey: 'sk-PLAINTEXT-9' } }));
  const damaged = await cliJson(['import', cwd, 'app', path.join(dir, 'clear.json')]);
  assert.equal(damaged.code, 1);
  assert.equal(damaged.json.error.code, 'IO_FAILED');
  assert.match(damaged.json.error.message, /--key-file/);
});

test('import needs the key (and refuses an export made without it); values are sealed again in every file', async () => {
  const { cwd, key, keyFile } = await makeEncryptedFolder();
  const dir = tmpDir('esd-cli-encimport-');
  const maskedExport = path.join(dir, 'masked.json');
  fs.writeFileSync(maskedExport, (await cli(['export', cwd, 'app'])).stdout);
  const clearExport = path.join(dir, 'clear.json');
  fs.writeFileSync(clearExport, (await cli(['export', cwd, 'app', '--key-file', keyFile])).stdout.replace('sk-PLAINTEXT-2', 'sk-PLAINTEXT-3'));

  const placeholders = await cliJson(['import', cwd, 'app', maskedExport, '--key-file', keyFile]);
  assert.equal(placeholders.code, 1);
  assert.equal(placeholders.json.error.code, 'VALIDATION_FAILED');
  assert.match(placeholders.json.error.message, /\[encrypted\]/);
  const noKey = await cliJson(['import', cwd, 'app', clearExport]);
  assert.equal(noKey.code, 1);
  assert.equal(noKey.json.error.code, 'IO_FAILED');
  assert.match(noKey.json.error.message, /--key-file/);

  const ok = await cliJson(['import', cwd, 'app', clearExport, '--key-file', keyFile]);
  assert.equal(ok.code, 0, ok.stderr);
  for (const [file, text] of allFiles(cwd)) {
    if (!file.includes('.lock')) assert.ok(!text.includes('PLAINTEXT'), `${file} holds no secret in clear`);
  }
  assert.equal((await cliJson(['get', cwd, 'app', 'ai.apiKey', '--key-file', keyFile])).json.value, 'sk-PLAINTEXT-3');

  // A rollback without the key moves ciphertext around, which the app then reads with its key.
  const back = await cliJson(['rollback', cwd, 'app', '--rev', '1']);
  assert.equal(back.code, 0, back.stderr);
  const daemon = await startStoreDaemon({ cwd, stores: [appDef()], host: 'worker', encryptionKey: key });
  try {
    const app = await daemon.store<App>('app');
    assert.deepEqual(app.store, { theme: 'auto', ai: { apiKey: 'sk-PLAINTEXT-1', model: 'small' } });
    assert.deepEqual((await app.info()).recovery.problems, []);
  } finally {
    await daemon.close();
  }
  const verified = await cliJson(['verify', cwd, '--key-file', keyFile]);
  assert.equal(verified.code, 0, JSON.stringify(verified.json));
});
