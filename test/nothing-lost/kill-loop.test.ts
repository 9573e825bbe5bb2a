// An app killed again and again (SIGKILL of a real process, never a clean close): every acknowledged write survives,
// start-up replay stays bounded by about one checkpoint threshold, and the store file itself keeps up with the data,
// because journal records replayed at open count toward the next checkpoint (src/daemon/engine/store-engine.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { tmpDir } from '../helpers.ts';
import { LOOP_THRESHOLD, loopStore, loopTuning, type LoopDoc, type LoopLine } from './fixtures/kill-loop-store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures', 'kill-loop-child.ts');
const ROOT = path.resolve(here, '..', '..');
/** Rounds of start, write, SIGKILL. */
const ROUNDS = 12;
/**
 * Writes acknowledged per round before the kill: fewer than the checkpoint threshold, so a round never reaches it by
 * its own writes alone. Only if replayed records count does the file move at all, and replay stay bounded.
 */
const ACKS = 150;
/** A hang guard, not a timing check: a child that never prints what we wait for is killed and reported. */
const HANG_GUARD_MS = 60_000;

type Ready = Extract<LoopLine, { t: 'ready' }>;

/** Starts the app on `cwd`, SIGKILLs it once it has printed its `acks`-th acknowledged write; returns what it printed. */
function runAndKill(cwd: string, acks: number): Promise<{ ready: Ready; writes: Array<{ n: number; rev: number }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, cwd], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let ready: Ready | undefined;
  const writes: Array<{ n: number; rev: number }> = [];
  const errors: string[] = [];
  let stderr = '';
  let killed = false;
  const kill = () => {
    killed = true;
    child.kill('SIGKILL');
  };
  const guard = setTimeout(kill, HANG_GUARD_MS);
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  readline.createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LoopLine;
    if (line.t === 'ready') ready = line;
    else if (line.t === 'error') errors.push(line.message);
    else if (writes.push({ n: line.n, rev: line.rev }) === acks && !killed) kill();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL' || !ready || writes.length < acks || errors.length > 0) {
        reject(new Error(`the app ended with ${signal ?? code} after ${writes.length} acknowledged writes (ready: ${Boolean(ready)}); errors: ${errors.join('; ')}\n${stderr}`));
        return;
      }
      resolve({ ready, writes });
    });
  });
}

/**
 * `<cwd>/loop.json` read with fs alone: its rev and log, or undefined when there is no file. The file a new store
 * starts with (defaults only, written before any write) records no rev: it is at rev 0.
 */
function readStoreFile(cwd: string): { rev: number; log: number[]; recordsRev: boolean } | undefined {
  const file = path.join(cwd, 'loop.json');
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { log?: number[]; __internal__?: { storeDaemon?: { rev?: number } } };
  const rev = parsed.__internal__?.storeDaemon?.rev;
  assert.ok(rev === undefined || Number.isSafeInteger(rev), `the store file's rev is ${String(rev)}`);
  return { rev: rev ?? 0, log: parsed.log ?? [], recordsRev: rev !== undefined };
}

/** `log` is exactly 0, 1, 2, … (nothing applied twice, nothing skipped) and holds every acknowledged value. */
function checkLog(log: number[], acknowledged: number, where: string): void {
  log.forEach((v, i) => assert.equal(v, i, `${where}: log[${i}]`));
  assert.ok(log.length >= acknowledged, `${where}: ${acknowledged} writes were acknowledged, the store holds ${log.length}`);
}

test(`the file reflects the data, and start-up stays bounded, even when the app is killed often (${ROUNDS} SIGKILLs, ${ACKS} writes each, checkpoint every ${LOOP_THRESHOLD} records)`, async (t) => {
  const cwd = tmpDir('esd-kill-loop-');
  const bound = LOOP_THRESHOLD + ACKS;
  let acknowledged = 0;
  let maxRev = 0;
  const replays: number[] = [];
  const fileRevs: Array<number | undefined> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const where = `round ${round}`;
    const before = readStoreFile(cwd);
    fileRevs.push(before?.rev);
    const { ready, writes } = await runAndKill(cwd, ACKS);

    // What this start opened: every write acknowledged in the earlier rounds.
    assert.ok(ready.rev >= maxRev, `${where}: opened at rev ${ready.rev}, below the acknowledged rev ${maxRev}`);
    checkLog(ready.log, acknowledged, where);
    assert.deepEqual(ready.recovery.keptAside, [], where);
    for (const p of ready.recovery.problems) assert.match(p, /dropped a torn journal record|took over the store lock at once/, where);
    if (round === 0) assert.equal(ready.recovery.source, 'new', where);
    else {
      assert.ok(before, `${where}: the store file exists`);
      assert.equal(ready.recovery.source, 'checkpoint', `${where}: opened from the store file`);
      // The replay covers exactly what the journal holds past the file's rev, and never more than about one threshold.
      assert.equal(ready.recovery.baseRev, before.rev, `${where}: replay starts at the file's rev`);
      assert.equal(ready.recovery.replayed, ready.rev - before.rev, `${where}: replayed = records past the file`);
      assert.ok(ready.recovery.replayed <= bound, `${where}: replayed ${ready.recovery.replayed} records at open, more than the threshold plus one round (${bound}); replays so far: ${replays.join(', ')}`);
    }
    replays.push(ready.recovery.replayed);

    // This round's acknowledged writes: consecutive values continuing the log, each with a new, higher rev.
    writes.forEach((w, i) => {
      assert.equal(w.n, ready.log.length + i, `${where}: write ${i} continues the log`);
      assert.ok(w.rev > maxRev, `${where}: rev ${w.rev} was acknowledged before (max so far ${maxRev})`);
      maxRev = w.rev;
    });
    acknowledged = ready.log.length + writes.length;
  }

  // No daemon: the file, as the last SIGKILL left it, holds data from the late rounds.
  const file = readStoreFile(cwd);
  assert.ok(file, 'the store file exists');
  assert.ok(file.recordsRev, 'the store file was checkpointed by the daemon (it records its rev), not left as the initial file');
  checkLog(file.log, 0, 'the store file');
  const firstRounds = 2 * ACKS;
  assert.ok(file.rev > firstRounds, `the store file is at rev ${file.rev}: never checkpointed past the first rounds (${firstRounds}); file revs per round: ${fileRevs.join(', ')}`);
  assert.ok(file.rev >= maxRev - bound, `the store file is at rev ${file.rev}, more than ${bound} records behind the acknowledged rev ${maxRev}`);
  assert.ok(file.log.length >= acknowledged - bound, `the store file holds ${file.log.length} values, more than ${bound} behind the ${acknowledged} acknowledged`);

  // Reopened once more: everything acknowledged is there, and the replay is still bounded.
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [loopStore()], tuning: loopTuning });
  try {
    const store = await daemon.store<LoopDoc>('loop');
    assert.ok(store.rev >= maxRev, `reopened at rev ${store.rev}, below the acknowledged ${maxRev}`);
    checkLog(store.get('log') ?? [], acknowledged, 'after the last round');
    const { recovery } = await store.info();
    assert.equal(recovery.baseRev, file.rev);
    assert.ok(recovery.replayed <= bound, `replayed ${recovery.replayed} at the last open`);
    replays.push(recovery.replayed);
  } finally {
    await daemon.close();
  }
  t.diagnostic(`acknowledged writes: ${acknowledged}; final acknowledged rev ${maxRev}; store file rev before each round: ${fileRevs.join(', ')}, after the last: ${file.rev}; records replayed at each open: ${replays.join(', ')}`);
});
