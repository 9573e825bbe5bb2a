// The daemon's utility process never lingers or dies silently (through the emulation, whose utility processes run
// Node with --unhandled-rejections=warn-with-error-code as Electron's do): a close that fails, an unhandled rejection
// and an uncaught exception are each reported to main as an 'error' and end the daemon with a non-zero exit code.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { StoreError } from '../../src/index.ts';
import { tmpDir, type Settings } from '../helpers.ts';
import { currentUtilityProcess, fixture, nextEvent, startElectronDaemon } from './helpers.ts';

test('a close() that fails in the daemon is reported as an error and ends the daemon with a non-zero code', async (t) => {
  // A close timeout far beyond the test's: were the daemon to linger, close() would wait for it and the test time out.
  const { daemon } = await startElectronDaemon(t, { daemonPath: fixture('failing-close-entry.ts'), closeTimeoutMs: 600_000 });
  const main = await daemon.store<Settings>('settings');
  await main.set('theme', 'dark');
  const errors: StoreError[] = [];
  daemon.on('error', (error) => errors.push(error));
  const exited = nextEvent<{ code: number | null; expected: boolean }>(daemon, 'exit');
  await daemon.close();
  assert.deepEqual(await exited, { code: 1, expected: true });
  assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
  assert.equal(errors[0].code, 'IO_FAILED');
  assert.match(errors[0].message, /could not close cleanly .*EIO: disk error at the final checkpoint/s);
  assert.equal(daemon.state, 'stopped');
});

test('an unhandled rejection in the daemon is reported and ends it (non-zero); the supervisor restarts it', async (t) => {
  const marker = path.join(tmpDir(), 'reject-now');
  process.env.ESD_STRAY_REJECTION = marker;
  t.after(() => delete process.env.ESD_STRAY_REJECTION);
  const { daemon, child } = await startElectronDaemon(t, { daemonPath: fixture('stray-rejection-entry.ts') });
  const main = await daemon.store<Settings>('settings');
  await main.set('theme', 'dark');
  const errors: StoreError[] = [];
  daemon.on('error', (error) => errors.push(error));
  const exited = nextEvent<{ code: number | null; expected: boolean }>(daemon, 'exit');
  const restarted = nextEvent(daemon, 'restart');
  fs.writeFileSync(marker, '');
  daemon.createPort().close();
  assert.deepEqual(await exited, { code: 1, expected: false });
  fs.rmSync(marker);
  await restarted;
  const error = errors.find((e) => /stopped after an unhandled promise rejection: Error: a stray rejection in the daemon/.test(e.message));
  assert.equal(error?.code, 'DAEMON_UNAVAILABLE', errors.map((e) => e.message).join('\n'));
  assert.notEqual(currentUtilityProcess(), child);
  assert.equal(main.get('theme'), 'dark');
  await main.set('fontSize', 20);
});

test('an uncaught exception in the daemon is reported (with its stack) and ends it with code 1', async (t) => {
  const { daemon, child } = await startElectronDaemon(t);
  const errors: StoreError[] = [];
  daemon.on('error', (error) => errors.push(error));
  const exited = nextEvent<{ code: number | null; expected: boolean }>(daemon, 'exit');
  const restarted = nextEvent(daemon, 'restart');
  child.emulationCrash('thrown where nobody catches it');
  assert.deepEqual(await exited, { code: 1, expected: false });
  await restarted;
  const error = errors.find((e) => /stopped after an uncaught exception: Error: thrown where nobody catches it/.test(e.message));
  assert.equal(error?.code, 'DAEMON_UNAVAILABLE', errors.map((e) => e.message).join('\n'));
});
