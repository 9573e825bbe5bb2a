// The supervisor in Electron (through the emulation): a crashed utility process is restarted, every client gets a
// fresh port and resyncs, nothing hangs and no resolved write is lost; a crash loop is given up at the limit.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { StoreError } from '../../src/index.ts';
import { rejectsWith, tmpDir, type Settings } from '../helpers.ts';
import { utilityProcesses } from './emulation/main-process.ts';
import { currentUtilityProcess, fixture, inPage, nextEvent, openWindow, startElectronDaemon, untilRev } from './helpers.ts';

type Outcome = number | { code: string; message: string };

test('killing the daemon mid-write: pending requests reject with DAEMON_UNAVAILABLE, it restarts, windows resync, no resolved write is lost', async (t) => {
  const logged: string[] = [];
  const { daemon, child } = await startElectronDaemon(t, { log: (level, line) => logged.push(`${level}: ${line}`) });
  const main = await daemon.store<Settings>('settings');
  const a = await openWindow(t);
  const b = await openWindow(t);
  await inPage(a, 'opened');
  await inPage(b, 'opened');
  for (let i = 0; i < 20; i++) await main.set(`before${i}`, i);

  const exited = nextEvent<{ code: number | null; expected: boolean }>(daemon, 'exit');
  const restarted = nextEvent<{ attempt: number }>(daemon, 'restart');
  // Writes in flight from a window and from main when the daemon crashes.
  await inPage(a, `(globalThis.inflight = Array.from({ length: 50 }, (_, i) => write((s) => s.set('window' + i, i))), 'started')`);
  const fromMain = Array.from({ length: 50 }, (_, i) => main.set(`main${i}`, i));
  child.emulationCrash('the daemon crashed mid-write');

  const mainOutcomes = await Promise.allSettled(fromMain);
  const windowOutcomes = await inPage<Outcome[]>(a, 'Promise.all(inflight)');
  for (const o of mainOutcomes) {
    if (o.status === 'rejected') assert.equal((o.reason as StoreError).code, 'DAEMON_UNAVAILABLE', String(o.reason));
  }
  for (const o of windowOutcomes) if (typeof o !== 'number') assert.equal(o.code, 'DAEMON_UNAVAILABLE', o.message);
  assert.ok(mainOutcomes.some((o) => o.status === 'rejected'), 'writes pending at the crash were rejected, not left hanging');
  assert.deepEqual(await exited, { code: 1, expected: false });
  assert.ok(logged.some((line) => line.startsWith('error: ') && line.includes('stopped after an uncaught exception: Error: the daemon crashed mid-write')), 'the crash\'s stderr reached the logger');
  assert.deepEqual(await restarted, { attempt: 1 });

  // Main's client reconnected: its cache is the new daemon's document, which it rebuilt from the files.
  const { rev } = await main.set('after', 'restart');
  const doc = main.store as Record<string, unknown>;
  for (let i = 0; i < 20; i++) assert.equal(doc[`before${i}`], i);
  mainOutcomes.forEach((o, i) => o.status === 'fulfilled' && assert.equal(doc[`main${i}`], i, `resolved write main${i} survived`));
  windowOutcomes.forEach((o, i) => typeof o === 'number' && assert.equal(doc[`window${i}`], i, `resolved write window${i} survived`));
  // Both windows got new ports and resynced to the same document.
  for (const win of [a, b]) assert.deepEqual(await inPage(win, `untilRev(${rev})`), { rev, doc: main.store });
  const fromWindow = await inPage<number>(b, `write((s) => s.set('theme', 'dark'))`);
  await untilRev(main, fromWindow);
  assert.equal(main.get('theme'), 'dark');
  assert.notEqual(currentUtilityProcess(), child);
  await currentUtilityProcess().emulationUntilOpenPorts(3);
});

test('a daemon that keeps crashing is restarted up to restart.maxRestarts, then given up with a clear error', async (t) => {
  const marker = path.join(tmpDir(), 'crash-on-start');
  process.env.ESD_CRASH_MARKER = marker;
  t.after(() => delete process.env.ESD_CRASH_MARKER);
  const logged: string[] = [];
  const { daemon, child } = await startElectronDaemon(t, { daemonPath: fixture('crashing-entry.ts'), restart: { maxRestarts: 2, windowMs: 60_000 }, log: (_level, line) => logged.push(line) });
  const main = await daemon.store<Settings>('settings');
  const win = await openWindow(t);
  await inPage(win, 'opened');
  let exits = 0;
  let restarts = 0;
  daemon.on('exit', () => exits++);
  daemon.on('restart', () => restarts++);
  const gaveUp = new Promise<StoreError>((resolve) => daemon.on('error', (error) => /not restarting/.test(error.message) && resolve(error)));
  const forked = utilityProcesses.length;

  fs.writeFileSync(marker, 'every start crashes from now on');
  child.emulationCrash();
  const error = await gaveUp;
  assert.equal(error.code, 'DAEMON_UNAVAILABLE');
  assert.match(error.message, /crashed 3 times within 60000 ms; not restarting it again/);
  assert.equal(utilityProcesses.length - forked, 2, 'two restarts were tried, no more');
  assert.equal(exits, 3);
  assert.equal(logged.filter((line) => line.includes('the daemon cannot start')).length, 2, 'each failed start logged its cause');
  assert.equal(restarts, 0);
  assert.equal(daemon.running, false);
  const refused = await rejectsWith(main.set('theme', 'dark'), 'DAEMON_UNAVAILABLE');
  assert.match(refused.message, /keeps crashing/);
  assert.equal((await inPage<{ code: string }>(win, `write((s) => s.set('theme', 'dark'))`)).code, 'DAEMON_UNAVAILABLE');
});
