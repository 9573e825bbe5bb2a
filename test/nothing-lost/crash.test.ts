import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import type { HistoryEntry } from '../../src/protocol/types.ts';
import { tmpDir } from '../helpers.ts';
import { KILL_TARGETS, checkFilesReadable, checkpointTemps, corruptFiles, runAndKill, type Printed } from './crash-harness.ts';
import { stormStore, stormTuning, type StormDoc } from './fixtures/storm-store.ts';

/** `npm test` runs 50 kills; `npm run test:crash:long` sets ESD_CRASH_KILLS higher. */
const KILLS = Math.max(50, Number(process.env.ESD_CRASH_KILLS ?? 50));

test(`crash harness: ${KILLS} SIGKILLs of a real process (main + worker daemon, 4 clients) lose no acknowledged write`, async (t) => {
  const cwd = tmpDir('esd-crash-');
  const printed: Printed[] = [];
  const hits = new Map<string, number>();
  let tornTails = 0;
  let replayed = 0;
  let backupsTaken = 0;
  let lockTakeovers = 0;
  let midCheckpointKills = 0;
  let maxRev = 0;
  for (let run = 0; run < KILLS; run++) {
    const target = KILL_TARGETS[run % KILL_TARGETS.length];
    const result = await runAndKill(cwd, target, { clients: 4, backupEvery: 15, crashPauseMs: 150 });
    const where = `run ${run} (kill aimed at ${target}, hit ${result.killedAt})`;
    assert.equal(result.signal, 'SIGKILL', where);
    hits.set(result.killedAt, (hits.get(result.killedAt) ?? 0) + 1);
    const errors = result.lines.filter((l) => l.t === 'error');
    assert.deepEqual(errors, [], `${where}: the child reported errors`);

    const ready = result.lines.find((l) => l.t === 'ready');
    if (ready) {
      // A kill may leave a torn journal tail and nothing else: no rebuild, no evidence kept aside, no lost rev.
      assert.ok(ready.recovery.source === 'checkpoint' || ready.recovery.source === 'new', `${where}: opened from ${ready.recovery.source}: ${ready.recovery.problems.join('; ')}`);
      assert.deepEqual(ready.recovery.keptAside, [], where);
      for (const p of ready.recovery.problems) assert.match(p, /dropped a torn journal record|took over the store lock at once: its holder \(pid \d+\) is no longer running/, where);
      tornTails += ready.recovery.problems.filter((p) => p.startsWith('dropped a torn')).length;
      if (ready.recovery.problems.some((p) => p.startsWith('took over the store lock'))) lockTakeovers++;
      replayed += ready.recovery.replayed;
      assert.ok(ready.rev >= maxRev, `${where}: reopened at rev ${ready.rev}, below the acknowledged rev ${maxRev}`);
    }
    const runMax = new Map<number, { n: number; rev: number }>();
    for (const line of result.lines) {
      if (line.t === 'b') backupsTaken++;
      if (line.t !== 'w') continue;
      assert.ok(line.rev > maxRev, `${where}: rev ${line.rev} was acknowledged before (max so far ${maxRev})`);
      const prev = runMax.get(line.c);
      if (prev) {
        assert.equal(line.n, prev.n + 1, `${where}: client ${line.c} skipped a value`);
        assert.ok(line.rev > prev.rev, `${where}: client ${line.c}'s revs go backwards`);
      }
      runMax.set(line.c, { n: line.n, rev: line.rev });
      printed.push({ run, c: line.c, n: line.n, rev: line.rev });
    }
    for (const w of runMax.values()) maxRev = Math.max(maxRev, w.rev);
    checkFilesReadable(cwd);
    if (checkpointTemps(cwd) > 0) midCheckpointKills++;
    assert.deepEqual(corruptFiles(cwd), [], `${where}: a kill alone must never make a file unusable`);
  }

  // Every crash window was hit, not only random moments.
  for (const target of new Set(KILL_TARGETS)) assert.ok((hits.get(target) ?? 0) > 0, `no kill landed in ${target}: ${JSON.stringify([...hits])}`);
  assert.equal(new Set(printed.map((p) => p.rev)).size, printed.length, 'every acknowledged write has its own rev');

  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [stormStore()], tuning: stormTuning });
  try {
    const store = await daemon.store<StormDoc>('storm');
    assert.ok(store.rev >= maxRev, `reopened at rev ${store.rev}, below the acknowledged ${maxRev}`);
    const doc = store.store;
    // Each client's array is exactly 0, 1, 2, …: nothing acknowledged is missing and nothing was applied twice.
    for (let c = 0; c < 4; c++) {
      const log = doc[`log${c}`] ?? [];
      log.forEach((v, i) => assert.equal(v, i, `log${c}[${i}]`));
    }
    for (const p of printed) assert.ok(p.n < (doc[`log${p.c}`]?.length ?? 0), `acknowledged write c${p.c}=${p.n} (rev ${p.rev}, run ${p.run}) is missing`);

    // The retained journal is gapless up to the current rev, and each acknowledged write in it is the record of its rev.
    const history: HistoryEntry[] = await store.history({ sinceRev: 0, limit: 1_000_000 });
    assert.ok(history.length > 0);
    history.forEach((e, i) => assert.equal(e.rev, history[0].rev + i, 'journal revs are gapless'));
    assert.equal(history[history.length - 1].rev, store.rev);
    const byRev = new Map(history.map((e) => [e.rev, e]));
    let inJournal = 0;
    for (const p of printed) {
      const e = byRev.get(p.rev);
      if (!e) continue;
      inJournal++;
      const expected = p.n === 0 ? { op: 'add', path: `/log${p.c}`, value: [0] } : { op: 'add', path: `/log${p.c}/${p.n}`, value: p.n };
      assert.deepEqual(e.ops, [expected], `record of rev ${p.rev}`);
    }
    const info = await store.info();
    assert.deepEqual(info.recovery.keptAside, []);
    assert.equal(checkpointTemps(cwd), 0, 'temp files of interrupted checkpoint writes are cleaned up at open');
    for (const b of await store.backups.list()) assert.deepEqual(await store.backups.verify(b.id), { ok: true, problems: [] }, `backup ${b.id}`);
    t.diagnostic(`kills: ${KILLS} (${[...hits].map(([k, v]) => `${k} ${v}`).join(', ')}); acknowledged writes checked: ${printed.length} ` +
      `(${inJournal} also against their journal record); final rev ${store.rev}; torn journal tails dropped at reopen: ${tornTails}; ` +
      `records replayed across reopens: ${replayed}; backups taken by clients: ${backupsTaken}; immediate lock takeovers: ${lockTakeovers}; kills in the middle of a checkpoint write (temp file left): ${midCheckpointKills}`);
  } finally {
    await daemon.close();
  }
});
