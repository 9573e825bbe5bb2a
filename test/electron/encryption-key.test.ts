// The encryption key helper in Electron's main (through the emulation's safeStorage and OS keychain).
import './emulation/register.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadEncryptionKey, rewrapEncryptionKey } from '../../src/client-main/index.ts';
import { rejectsWith, tmpDir } from '../helpers.ts';
import { getSafeStorage } from './emulation/main-process.ts';
import { app, startElectronDaemon } from './helpers.ts';

const safeStorage = getSafeStorage();

function freshUserData(): string {
  const dir = tmpDir('esd-key-');
  app.setPath('userData', dir);
  return dir;
}

test('created once in userData, wrapped by safeStorage, then loaded: the same 32 bytes, never on disk in the clear', async () => {
  const userData = freshUserData();
  const key = await loadEncryptionKey();
  assert.ok(key instanceof Uint8Array);
  assert.equal(key.length, 32);
  assert.equal(key.byteOffset, 0);
  assert.equal(key.buffer.byteLength, 32, 'its own buffer: nothing else is cloned into the daemon with it');
  const file = path.join(userData, 'store-daemon.key');
  const stored = fs.readFileSync(file);
  assert.equal(stored.includes(Buffer.from(key)), false);
  assert.equal(stored.includes(Buffer.from(Buffer.from(key).toString('base64'))), false);
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(await loadEncryptionKey(), key);
  assert.deepEqual(fs.readFileSync(file), stored, 'loading does not rewrite the file');
});

test('first starts racing each other end up with one key', async () => {
  freshUserData();
  const keys = await Promise.all([loadEncryptionKey(), loadEncryptionKey(), loadEncryptionKey()]);
  assert.deepEqual(keys[1], keys[0]);
  assert.deepEqual(keys[2], keys[0]);
});

test('after the OS key rotates it is re-wrapped on load; rewrapEncryptionKey re-wraps on demand; the key stays', async () => {
  const userData = freshUserData();
  const file = path.join(userData, 'store-daemon.key');
  const key = await loadEncryptionKey();
  const first = fs.readFileSync(file);
  safeStorage.rotateKey();
  assert.deepEqual(await loadEncryptionKey(), key);
  const rewrapped = fs.readFileSync(file);
  assert.notDeepEqual(rewrapped, first);
  assert.equal((await safeStorage.decryptStringAsync(rewrapped)).shouldReEncrypt, false);
  assert.deepEqual(await rewrapEncryptionKey(), key);
  assert.notDeepEqual(fs.readFileSync(file), rewrapped);
  assert.deepEqual(await loadEncryptionKey(), key);
});

test('a lost keychain entry is IO_FAILED with what happened; the wrapped key is left in place', async () => {
  const userData = freshUserData();
  const file = path.join(userData, 'store-daemon.key');
  await loadEncryptionKey();
  const stored = fs.readFileSync(file);
  safeStorage.resetKeychain();
  const error = await rejectsWith(loadEncryptionKey(), 'IO_FAILED');
  assert.match(error.message, /Could not unwrap the store encryption key/);
  assert.match(error.message, /Keep the file/);
  assert.deepEqual(fs.readFileSync(file), stored);
});

test('without a usable keychain it refuses (IO_FAILED) rather than keep the key in the clear', async () => {
  const userData = freshUserData();
  safeStorage.available = false;
  try {
    const error = await rejectsWith(loadEncryptionKey(), 'IO_FAILED');
    assert.match(error.message, /no usable OS keychain/);
    assert.equal(fs.existsSync(path.join(userData, 'store-daemon.key')), false);
  } finally {
    safeStorage.available = true;
  }
});

test('Linux: the basic_text backend (no keyring, a hard-coded password) is refused unless allowPlaintextKeyring', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const userData = freshUserData();
  safeStorage.backend = 'basic_text';
  t.after(() => (safeStorage.backend = 'gnome_libsecret'));
  const error = await rejectsWith(loadEncryptionKey(), 'IO_FAILED');
  assert.match(error.message, /basic_text/);
  assert.match(error.message, /allowPlaintextKeyring: true/);
  assert.equal(fs.existsSync(path.join(userData, 'store-daemon.key')), false, 'nothing written');
  const key = await loadEncryptionKey({ allowPlaintextKeyring: true });
  assert.equal(key.length, 32);
  assert.deepEqual(await loadEncryptionKey({ allowPlaintextKeyring: true }), key);
});

test('a keyring that is locked for a while (temporarily unavailable) is waited for, not taken for a lost key', async (t) => {
  freshUserData();
  const key = await loadEncryptionKey();
  safeStorage.temporarilyUnavailable = 2;
  t.after(() => (safeStorage.temporarilyUnavailable = 0));
  assert.deepEqual(await loadEncryptionKey({ retryDelayMs: 1 }), key);
  assert.equal(safeStorage.temporarilyUnavailable, 0, 'it asked again until the keyring answered');
});

test('a keyring that stays locked is IO_FAILED saying to unlock it; the key file is left alone', async (t) => {
  const userData = freshUserData();
  await loadEncryptionKey();
  const file = path.join(userData, 'store-daemon.key');
  const stored = fs.readFileSync(file);
  safeStorage.temporarilyUnavailable = Infinity;
  t.after(() => (safeStorage.temporarilyUnavailable = 0));
  const error = await rejectsWith(loadEncryptionKey({ retries: 2, retryDelayMs: 1 }), 'IO_FAILED');
  assert.match(error.message, /locked or not ready/);
  assert.match(error.message, /unlock the keyring/);
  assert.doesNotMatch(error.message, /gone/);
  assert.deepEqual(fs.readFileSync(file), stored);
});

test('a key file that does not unwrap to 32 bytes is IO_FAILED', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'other.key');
  fs.writeFileSync(file, await safeStorage.encryptStringAsync(Buffer.alloc(16, 1).toString('base64')));
  const error = await rejectsWith(loadEncryptionKey({ path: file }), 'IO_FAILED');
  assert.match(error.message, /does not hold a 32-byte key/);
});

test('the loaded key is what startStoreDaemon takes (it goes to the daemon in its first message)', async (t) => {
  freshUserData();
  const encryptionKey = await loadEncryptionKey();
  const { daemon } = await startElectronDaemon(t, { encryptionKey });
  const store = await daemon.store('settings');
  await store.set('theme', 'dark');
  assert.equal(store.get('theme'), 'dark');
});
