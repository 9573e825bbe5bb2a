// Every way startStoreDaemon() can fail leaves nothing behind: the error says what is wrong, and the Node process then
// ends by itself (no worker, timer, port or lock refresh keeps it alive). Each case runs in its own child process
// (test/fixtures/start-failure-child.ts), which prints one JSON line and returns without process.exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tmpDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/start-failure-child.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(CHILD), '..', '..');
/** A hang guard, not a timing check: a child still alive after this is reported (and killed), never waited on forever. */
const EXIT_DEADLINE_MS = 30_000;

interface ErrorShape {
  name: string;
  code?: string;
  key?: string;
  store?: string;
  message: string;
}

interface ChildResult {
  case: string;
  started: boolean;
  error?: ErrorShape;
  failedStores?: Record<string, string>;
  store?: 'opened';
  storeError?: ErrorShape;
  closed?: string;
}

interface Run {
  result: ChildResult;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** What the child left in its folder (besides files the case itself wrote there). */
  dir: string;
}

/** Runs one case; resolves once the child's 'exit' event came (and its output ended). */
function runCase(kind: string): Promise<Run> {
  const dir = tmpDir('esd-start-fail-');
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, kind, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const ended = Promise.all([
    new Promise<void>((resolve) => child.stdout.on('end', resolve)),
    new Promise<void>((resolve) => child.stderr.on('end', resolve)),
  ]);
  return new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`case ${kind}: the child did not exit by itself within ${EXIT_DEADLINE_MS} ms — something was left running.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, EXIT_DEADLINE_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      void ended.then(() => {
        const line = stdout.trim().split('\n').at(-1) ?? '';
        let result: ChildResult;
        try {
          result = JSON.parse(line) as ChildResult;
        } catch {
          reject(new Error(`case ${kind}: the child printed no result (exit ${code ?? signal}).\nstdout: ${stdout}\nstderr: ${stderr}`));
          return;
        }
        resolve({ result, code, signal, stderr, dir });
      });
    });
  });
}

/** The child ended by itself, normally: exit code 0, no signal, nothing crashed or went unhandled. */
function assertExitedByItself(run: Run, options: { stderr?: RegExp } = {}): void {
  assert.equal(run.signal, null, `the child was not killed (stderr: ${run.stderr})`);
  assert.equal(run.code, 0, `the child exited with code 0 by itself (stderr: ${run.stderr})`);
  if (options.stderr) assert.match(run.stderr, options.stderr);
  else assert.equal(run.stderr, '', 'nothing on stderr');
}

/** startStoreDaemon rejected with this error. */
function assertRejected(run: Run, expected: { name: string; code?: string; key?: string; message: RegExp }): void {
  assert.equal(run.result.started, false, `startStoreDaemon rejected: ${JSON.stringify(run.result)}`);
  const e = run.result.error!;
  assert.equal(e.name, expected.name);
  assert.equal(e.code, expected.code);
  if (expected.key !== undefined) assert.equal(e.key, expected.key);
  assert.match(e.message, expected.message);
}

const leftIn = (dir: string, own: string[] = []) => fs.readdirSync(dir).filter((n) => !own.includes(n)).sort();

describe('startStoreDaemon failures leave nothing behind', { concurrency: true }, () => {
  describe('options checked in main, before anything starts', { concurrency: true }, () => {
    test('a function in defaults: StoreError NOT_SERIALIZABLE naming the key', async () => {
      const run = await runCase('function-in-defaults');
      assertRejected(run, { name: 'StoreError', code: 'NOT_SERIALIZABLE', key: 'defaults.onChange', message: /"defaults\.onChange": a function is not JSON/ });
      assert.equal(run.result.error!.store, 'settings');
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), [], 'no file written');
    });

    test('no stores: TypeError', async () => {
      const run = await runCase('no-stores');
      assertRejected(run, { name: 'TypeError', message: /stores must be an array of defineStore\(\) results or the absolute path of a module/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });

    test("host 'nope': TypeError", async () => {
      const run = await runCase('host-nope');
      assertRejected(run, { name: 'TypeError', message: /host must be 'utility-process' or 'worker'; got nope/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });

    test('an encryptionKey of 3 bytes: TypeError', async () => {
      const run = await runCase('key-3-bytes');
      assertRejected(run, { name: 'TypeError', message: /encryptionKey must be a 32-byte Uint8Array/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });

    test('no cwd outside Electron: TypeError', async () => {
      const run = await runCase('no-cwd');
      assertRejected(run, { name: 'TypeError', message: /cwd is required outside Electron/ });
      assertExitedByItself(run);
    });

    test("host 'utility-process' outside Electron: DAEMON_UNAVAILABLE", async () => {
      const run = await runCase('utility-process-outside-electron');
      assertRejected(run, { name: 'StoreError', code: 'DAEMON_UNAVAILABLE', message: /needs Electron's main process/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });

    test('inline migrations in a definitions array: TypeError (functions cannot reach the daemon)', async () => {
      const run = await runCase('inline-migrations');
      assertRejected(run, { name: 'TypeError', message: /Store "settings" has migrations, which are functions and cannot be sent to the daemon; pass stores as the path of the module/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });
  });

  describe('the daemon started, its init failed: the worker is ended', { concurrency: true }, () => {
    test('stores given as the path of a module that does not exist', async () => {
      const run = await runCase('missing-stores-module');
      assertRejected(run, { name: 'StoreError', code: 'IO_FAILED', message: /Cannot find module .*no-such-stores\.ts/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });

    test('a stores module that throws while it is imported', async () => {
      const run = await runCase('stores-module-throws');
      assertRejected(run, { name: 'StoreError', code: 'IO_FAILED', message: /boom while importing the stores module/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir, ['throws.mjs']), []);
    });

    test('a stores module that exports no defineStore() result: STORE_NOT_FOUND', async () => {
      const run = await runCase('stores-module-without-stores');
      assertRejected(run, { name: 'StoreError', code: 'STORE_NOT_FOUND', message: /empty\.mjs exports no store made with defineStore\(\)/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir, ['empty.mjs']), []);
    });

    test('two stores with the same name: STORE_NOT_FOUND', async () => {
      const run = await runCase('duplicate-store-names');
      assertRejected(run, { name: 'StoreError', code: 'STORE_NOT_FOUND', message: /Two stores are named "settings"/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir), []);
    });

    test('a daemon entry that ends before it is ready: DAEMON_UNAVAILABLE', async () => {
      const run = await runCase('daemon-exits-at-start');
      assertRejected(run, { name: 'StoreError', code: 'DAEMON_UNAVAILABLE', message: /exited \(code 0\) before it was ready/ });
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir, ['exits.mjs']), []);
    });

    test('a daemon entry that throws: DAEMON_UNAVAILABLE, the crash logged', async () => {
      const run = await runCase('daemon-entry-throws');
      assertRejected(run, { name: 'StoreError', code: 'DAEMON_UNAVAILABLE', message: /exited \(code 1\) before it was ready/ });
      assertExitedByItself(run, { stderr: /daemon crashed: Error: boom in the daemon entry/ });
      assert.deepEqual(leftIn(run.dir, ['throws-entry.mjs']), []);
    });

    test('cwd is an existing file: the failure is reported with IO_FAILED, and the process still ends by itself', async () => {
      const run = await runCase('cwd-is-a-file');
      const failure = run.result.started ? run.result.storeError : run.result.error;
      assert.equal(failure?.code, 'IO_FAILED', JSON.stringify(run.result));
      assert.match(failure!.message, /a-file/, 'the message names the path');
      if (run.result.started) {
        assert.deepEqual(run.result.failedStores, { settings: 'IO_FAILED' });
        assert.equal(run.result.closed, 'stopped');
      }
      assertExitedByItself(run);
      assert.deepEqual(leftIn(run.dir, ['a-file']), []);
      assert.equal(fs.readFileSync(path.join(run.dir, 'a-file'), 'utf8'), 'not a folder', 'the file is untouched');
    });

    test('cwd is an existing file: startStoreDaemon itself rejects (the daemon cannot serve anything there)', async () => {
      const run = await runCase('cwd-is-a-file');
      assertRejected(run, { name: 'StoreError', code: 'IO_FAILED', message: /a-file/ });
      assertExitedByItself(run);
    });
  });

  test('a store whose defaults break its schema: the daemon starts, store() rejects VALIDATION_FAILED naming the path, close() ends everything', async () => {
    const run = await runCase('defaults-break-schema');
    assert.equal(run.result.started, true, JSON.stringify(run.result));
    assert.deepEqual(run.result.failedStores, { settings: 'VALIDATION_FAILED' });
    const e = run.result.storeError!;
    assert.equal(e.name, 'StoreError');
    assert.equal(e.code, 'VALIDATION_FAILED');
    assert.equal(e.store, 'settings');
    assert.match(e.message, /its defaults do not match its schema \(\/fontSize must be >= 6\)/);
    assert.equal(run.result.closed, 'stopped');
    assertExitedByItself(run);
    assert.deepEqual(leftIn(run.dir), [], 'no store file, lock or history left for a store that never opened');
  });
});
