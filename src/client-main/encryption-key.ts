import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../protocol/errors.ts';

export interface EncryptionKeyOptions {
  /** File holding the wrapped key; default `<userData>/store-daemon.key`. */
  path?: string;
  /** Wrap the key again with safeStorage's current OS key and rewrite the file (see `rewrapEncryptionKey`). */
  rewrap?: boolean;
  /**
   * Linux: accept safeStorage's `basic_text` backend (no OS keyring: the key is wrapped with a password hard-coded in
   * Chromium, so the file is as good as plaintext to anyone who can read it). Default false: refuse with IO_FAILED.
   */
  allowPlaintextKeyring?: boolean;
  /**
   * While safeStorage says it is temporarily unavailable (a locked keyring), try again this many times (default 5),
   * waiting `retryDelayMs` (default 500 ms, doubling each time) in between, before failing with IO_FAILED.
   */
  retries?: number;
  retryDelayMs?: number;
}

/** What the helper needs from Electron's `safeStorage` (its asynchronous API). */
interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }>;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

/** Electron's rejection while the key provider cannot answer yet (electron_api_safe_storage.cc, flags.temporarily_unavailable). */
const TEMPORARILY_UNAVAILABLE = /temporarily unavailable/i;

/** decryptStringAsync, tried again while safeStorage reports itself temporarily unavailable. */
async function decryptWithRetry(storage: SafeStorageLike, wrapped: Buffer, file: string, options: EncryptionKeyOptions): Promise<{ shouldReEncrypt: boolean; result: string }> {
  const retries = options.retries ?? 5;
  let delay = options.retryDelayMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await storage.decryptStringAsync(wrapped);
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      if (!TEMPORARILY_UNAVAILABLE.test(message)) {
        throw new StoreError('IO_FAILED', `Could not unwrap the store encryption key ${file} with safeStorage (${message}). The OS keychain entry it was wrapped with is gone or belongs to another user; values stored encrypted cannot be read without it. Keep the file; delete it only if you accept losing the encrypted values.`);
      }
      if (attempt >= retries) {
        throw new StoreError('IO_FAILED', `The OS keyring is locked or not ready (safeStorage: "${message}", still after ${retries + 1} tries), so the store encryption key ${file} cannot be unwrapped now. Nothing is lost: unlock the keyring (log in to it) and start the app again, or call loadEncryptionKey() again once it is unlocked.`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}

/**
 * The store encryption key (32 random bytes) for `startStoreDaemon({ encryptionKey })`, created on first use and
 * kept in userData wrapped by `safeStorage` (the OS keychain), so it is never on disk in the clear. Main process
 * only: utility processes have no safeStorage, which is why main unwraps it and hands it to the daemon in its
 * first message. Re-wraps the file when safeStorage says the OS key was rotated, or when `rewrap` is set.
 */
export async function loadEncryptionKey(options: EncryptionKeyOptions = {}): Promise<Uint8Array> {
  const { app, safeStorage } = await import('electron');
  await app.whenReady();
  const storage: SafeStorageLike = safeStorage;
  const file = options.path ?? path.join(app.getPath('userData'), 'store-daemon.key');
  if (process.platform === 'linux' && !options.allowPlaintextKeyring && storage.getSelectedStorageBackend?.() === 'basic_text') {
    throw new StoreError('IO_FAILED', `safeStorage found no OS keyring here (backend basic_text: it would wrap the store encryption key with a password hard-coded in Chromium, as good as plaintext in ${file}). Install and unlock a Secret Service keyring (gnome-keyring, KWallet) or start the app with --password-store=gnome-libsecret; pass loadEncryptionKey({ allowPlaintextKeyring: true }) to accept it anyway, or supply your own key to startStoreDaemon({ encryptionKey }).`);
  }
  if (!(await storage.isAsyncEncryptionAvailable())) {
    throw new StoreError('IO_FAILED', `safeStorage cannot encrypt on this system (no usable OS keychain), so the store encryption key cannot be kept safely in ${file}. On Linux install and unlock a Secret Service keyring (gnome-keyring, KWallet), or supply your own key to startStoreDaemon({ encryptionKey }).`);
  }
  let wrapped: Buffer | undefined;
  try {
    wrapped = await fs.promises.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreError('IO_FAILED', `Could not read the store encryption key ${file}: ${(error as Error).message}`);
  }
  if (!wrapped) return createKey(storage, file, options);
  const unwrapped = await decryptWithRetry(storage, wrapped, file, options);
  const key = Buffer.from(unwrapped.result, 'base64');
  if (key.length !== 32) throw new StoreError('IO_FAILED', `${file} does not hold a 32-byte key (${key.length} bytes after unwrapping); it was not written by loadEncryptionKey().`);
  if (unwrapped.shouldReEncrypt || options.rewrap) {
    let rewrapped: Buffer;
    try {
      rewrapped = await storage.encryptStringAsync(unwrapped.result);
    } catch (error) {
      throw new StoreError('IO_FAILED', `Could not wrap the store encryption key ${file} again with safeStorage (${(error as Error).message}); the file was left as it was. Try again once the OS keyring is unlocked.`);
    }
    await replaceFile(file, rewrapped);
  }
  // A copy with its own buffer: Buffer.from may return a view into a shared pool, and the whole underlying
  // ArrayBuffer would be cloned into the daemon's init message.
  const copy = new Uint8Array(key);
  key.fill(0);
  return copy;
}

/** Re-wraps the stored key with safeStorage's current OS key (after a keychain change) and returns it. */
export function rewrapEncryptionKey(options: Omit<EncryptionKeyOptions, 'rewrap'> = {}): Promise<Uint8Array> {
  return loadEncryptionKey({ ...options, rewrap: true });
}

/** A new key, written only if no other caller created one first (then that one is used). */
async function createKey(storage: SafeStorageLike, file: string, options: EncryptionKeyOptions): Promise<Uint8Array> {
  const key = crypto.randomBytes(32);
  let wrapped: Buffer;
  try {
    wrapped = await storage.encryptStringAsync(key.toString('base64'));
  } catch (error) {
    key.fill(0);
    throw new StoreError('IO_FAILED', `Could not wrap a new store encryption key with safeStorage (${(error as Error).message}); nothing was written. Check that the OS keyring is installed and unlocked, then try again.`);
  }
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = await writeTemp(file, wrapped);
  try {
    // link() fails if the file exists: two first starts cannot end up with two different keys.
    await fs.promises.link(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      key.fill(0);
      return loadEncryptionKey({ ...options, path: file, rewrap: false });
    }
    throw new StoreError('IO_FAILED', `Could not write the store encryption key ${file}: ${(error as Error).message}`);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
  await syncDir(path.dirname(file));
  const copy = new Uint8Array(key);
  key.fill(0);
  return copy;
}

async function writeTemp(file: string, data: Buffer): Promise<string> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.promises.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return tmp;
}

async function replaceFile(file: string, data: Buffer): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await fs.promises.rename(tmp, file);
  } catch (error) {
    await fs.promises.rm(tmp, { force: true });
    throw new StoreError('IO_FAILED', `Could not rewrite the store encryption key ${file}: ${(error as Error).message}`);
  }
  await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.promises.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the rename itself is still atomic.
  }
}
