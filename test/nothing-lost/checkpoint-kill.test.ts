import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { tmpDir } from '../helpers.ts';
import { checkFilesReadable, checkpointTemps, corruptFiles, runAndKill, type KillTarget, type Printed } from './crash-harness.ts';
import { largeStore, stormTuning, type StormDoc } from './fixtures/storm-store.ts';

const KILLS = 8;

const tempsIn = (cwd: string) => fs.readdirSync(cwd).filter((n) => n.startsWith('storm.json.tmp-'));
const TARGETS: KillTarget[] = ['checkpoint.slicing', 'checkpoint.slicing', 'random', 'checkpoint.written'];

/*
 * A large store's checkpoint is serialized and written a slice at a time while writes go on (Checkpointer). A SIGKILL
 * in the middle of one — temp file half written, commits continuing, the journal not yet pruned — must lose no
 * acknowledged write, and must leave nothing the next start cannot open.
 */
test(`SIGKILLs during off-path checkpoints of a 2 MB store, with writes going on, lose no acknowledged write`, async (t) => {
  const cwd = tmpDir('esd-ckpt-kill-');
  const printed: Printed[] = [];
  const hits = new Map<string, number>();
  let maxRev = 0;
  let midCheckpoint = 0;
  for (let run = 0; run < KILLS; run++) {
    const target = TARGETS[run % TARGETS.length];
    const result = await runAndKill(cwd, target, { clients: 3, backupEvery: 1e9, crashPauseMs: 30, store: 'large' });
    const where = `run ${run} (kill aimed at ${target}, hit ${result.killedAt})`;
    assert.equal(result.signal, 'SIGKILL', where);
    hits.set(result.killedAt, (hits.get(result.killedAt) ?? 0) + 1);
    assert.deepEqual(result.lines.filter((l) => l.t === 'error'), [], `${where}: the child reported errors`);
    const ready = result.lines.find((l) => l.t === 'ready');
    if (ready) {
      assert.ok(ready.recovery.source === 'checkpoint' || ready.recovery.source === 'new', `${where}: opened from ${ready.recovery.source}: ${ready.recovery.problems.join('; ')}`);
      assert.deepEqual(ready.recovery.keptAside, [], where);
      assert.ok(ready.rev >= maxRev, `${where}: reopened at rev ${ready.rev}, below the acknowledged rev ${maxRev}`);
    }
    for (const line of result.lines) {
      if (line.t !== 'w') continue;
      printed.push({ run, c: line.c, n: line.n, rev: line.rev });
      maxRev = Math.max(maxRev, line.rev);
    }
    checkFilesReadable(cwd);
    if (checkpointTemps(cwd) > 0) midCheckpoint++;
    assert.deepEqual(corruptFiles(cwd), [], `${where}: a kill alone must never make a file unusable`);
  }
  assert.ok((hits.get('checkpoint.slicing') ?? 0) > 0, `no kill landed inside an off-path checkpoint: ${JSON.stringify([...hits])}`);
  assert.ok(midCheckpoint > 0, 'some kill left a half-written checkpoint temp file behind');

  const leftBehind = tempsIn(cwd);
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [largeStore()], tuning: stormTuning });
  try {
    const store = await daemon.store<StormDoc>('storm');
    assert.ok(store.rev >= maxRev, `reopened at rev ${store.rev}, below the acknowledged ${maxRev}`);
    const doc = store.store;
    for (let c = 0; c < 3; c++) (doc[`log${c}`] ?? []).forEach((v, i) => assert.equal(v, i, `log${c}[${i}]`));
    for (const p of printed) assert.ok(p.n < (doc[`log${p.c}`]?.length ?? 0), `acknowledged write c${p.c}=${p.n} (rev ${p.rev}, run ${p.run}) is missing`);
    assert.equal(doc.items?.length, 12_000, 'the large list is whole');
    // (This daemon may be writing a checkpoint of its own right now: only the old temp files must be gone.)
    assert.deepEqual(tempsIn(cwd).filter((n) => leftBehind.includes(n)), [], 'temp files of interrupted checkpoint writes are cleaned up at open');
    t.diagnostic(`kills: ${KILLS} (${[...hits].map(([k, v]) => `${k} ${v}`).join(', ')}); acknowledged writes checked: ${printed.length}; kills that left a half-written checkpoint: ${midCheckpoint}; final rev ${store.rev}`);
  } finally {
    await daemon.close();
  }
});
