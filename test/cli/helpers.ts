import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { defineStore } from '../../src/index.ts';
import { settingsDef, settingsSchema, tmpDir, type Settings } from '../helpers.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SOURCE_CLI = path.join(ROOT, 'src/cli/main.ts');
export const DIST_CLI = path.join(ROOT, 'dist/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process: from source (tsx), or the built file when `bin` is given. */
export function cli(args: string[], options: { bin?: string } = {}): Promise<CliResult> {
  const argv = options.bin ? [options.bin, ...args] : ['--import', 'tsx', '--conditions=source', SOURCE_CLI, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI with --json and parses stdout (which is JSON for results and errors alike). */
export async function cliJson<T = any>(args: string[], options: { bin?: string } = {}): Promise<CliResult & { json: T }> {
  const r = await cli([...args, '--json'], options);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return { ...r, json };
}

export const notesDef = () => defineStore<{ items: string[] }>({ name: 'notes', defaults: { items: [] } });

/**
 * A folder made by a real daemon: store "settings" (schema and defaults of test/helpers.ts) at rev 5 with a manual
 * backup at rev 3, and store "notes" at rev 1. Closed again: checkpointed, unlocked.
 *   rev 1 theme "dark", 2 fontSize 16, 3 window {800×600} (+ backup "manual"), 4 tags [a, b], 5 delete window.
 */
export async function makeFolder(tuning?: { journalSegmentBytes?: number }): Promise<string> {
  const cwd = tmpDir('esd-cli-');
  const daemon = await startStoreDaemon({ cwd, stores: [settingsDef(), notesDef()], host: 'worker', ...(tuning && { tuning }) });
  const s = await daemon.store<Settings>('settings');
  await s.set('theme', 'dark');
  await s.set('fontSize', 16);
  await s.set('window', { width: 800, height: 600 });
  await s.backups.create('manual');
  await s.set('tags', ['a', 'b']);
  await s.delete('window');
  const notes = await daemon.store<{ items: string[] }>('notes');
  await notes.appendToArray('items', 'first');
  await daemon.close();
  return cwd;
}

export interface App {
  ai?: { apiKey?: string; model?: string };
  theme?: string;
}

export const appDef = () => defineStore<App>({ name: 'app', encryptedKeys: ['ai.apiKey'], defaults: { theme: 'auto' } });

/** A folder with an encrypted store "app" (ai.apiKey sealed), and the key as a hex key file beside it. */
export async function makeEncryptedFolder(): Promise<{ cwd: string; key: Buffer; keyFile: string }> {
  const cwd = tmpDir('esd-cli-enc-');
  const key = crypto.randomBytes(32);
  const keyFile = path.join(tmpDir('esd-cli-key-'), 'store.key');
  fs.writeFileSync(keyFile, `${key.toString('hex')}\n`);
  const daemon = await startStoreDaemon({ cwd, stores: [appDef()], host: 'worker', encryptionKey: key });
  const app = await daemon.store<App>('app');
  await app.set('ai', { apiKey: 'sk-PLAINTEXT-1', model: 'small' });
  await app.set('ai.apiKey', 'sk-PLAINTEXT-2');
  await app.set('theme', 'dark');
  await daemon.close();
  return { cwd, key, keyFile };
}

/**
 * A stores module for --stores, as an app would have one: defineStore() results (settings with the tests' schema and
 * `history`/`backups` settings given). Imported by the CLI from source, through tsx.
 */
export function storesModule(dir: string, extra: { history?: object } = {}): string {
  const file = path.join(dir, `stores-${crypto.randomBytes(4).toString('hex')}.mjs`);
  const define = pathToFileURL(path.join(ROOT, 'src/index.ts')).href;
  fs.writeFileSync(file, [
    `import { defineStore } from ${JSON.stringify(define)};`,
    `export const settings = defineStore({ name: 'settings', schema: ${JSON.stringify(settingsSchema)}, defaults: { theme: 'auto', fontSize: 14 }, history: ${JSON.stringify(extra.history ?? {})} });`,
    `export const notes = defineStore({ name: 'notes', defaults: { items: [] } });`,
    '',
  ].join('\n'));
  return file;
}

/** Every file under `dir`, with its text. */
export function allFiles(dir: string): Array<[string, string]> {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return [file, fs.readFileSync(file, 'utf8')] as [string, string];
    });
}
