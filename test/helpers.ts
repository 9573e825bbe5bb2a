import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { startStoreDaemon, type DaemonOptions, type StoreDaemon } from '../src/client-main/index.ts';
import { defineStore } from '../src/index.ts';

const tmpDirs: string[] = [];

/**
 * A fresh temp folder, removed when the test file's process exits: by then every daemon it started is gone. (Removed in
 * an `after` hook, it could go while a daemon closed by a later hook still runs — and writes its start backup, or
 * resets a store whose file it saw deleted.)
 */
export function tmpDir(prefix = 'esd-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (tmpDirs.push(dir) === 1) process.on('exit', () => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 })));
  return dir;
}

export interface Settings {
  theme: 'auto' | 'dark' | 'light';
  fontSize: number;
  window?: { width?: number; height?: number };
  tags?: string[];
  [key: string]: unknown;
}

export const settingsSchema = {
  type: 'object',
  properties: {
    theme: { enum: ['auto', 'dark', 'light'] },
    fontSize: { type: 'number', minimum: 6, maximum: 72 },
    window: { type: 'object', properties: { width: { type: 'integer', minimum: 100 }, height: { type: 'integer' } } },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

export const settingsDef = () => defineStore<Settings>({ name: 'settings', schema: settingsSchema, defaults: { theme: 'auto', fontSize: 14 } });

/** Starts a worker-hosted daemon in `cwd`, closed after the test file. */
export async function startDaemon(cwd: string, options: Partial<DaemonOptions> = {}): Promise<StoreDaemon> {
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef()], host: 'worker', ...options });
  after(() => daemon.close());
  return daemon;
}

/** Resolves when `predicate` holds after some event; rejects after `ms` with `what`. Polls nothing: callers pass a subscribe function. */
export function waitFor<T>(subscribe: (done: (value: T) => void) => () => void, what: string, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    off = subscribe((value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Asserts a promise rejects with a StoreError of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error & { code: string; details?: unknown; key?: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { code: string };
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
    if (e.name !== 'StoreError') throw new Error(`expected a StoreError, got ${e.name}`);
    return e;
  }
  throw new Error(`expected rejection with ${code}, but it resolved`);
}

/** Resolves once `client` has applied rev `rev` (waits on its change events, with a timeout). */
export function untilRev(client: { rev: number; onDidAnyChange(cb: () => void): () => void }, rev: number, ms = 10_000): Promise<void> {
  if (client.rev >= rev) return Promise.resolve();
  return waitFor<void>((done) => client.onDidAnyChange(() => client.rev >= rev && done()), `client to reach rev ${rev}`, ms);
}
