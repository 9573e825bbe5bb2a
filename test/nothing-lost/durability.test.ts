import assert from 'node:assert/strict';
import { test } from 'node:test';
import Conf from 'conf';
import { FsSeam, type FsFaults } from '../../src/daemon/storage/fs-seam.ts';
import type { StoreEngine } from '../../src/daemon/engine/store-engine.ts';
import { openEngine } from '../../src/daemon/open-store.ts';
import type { StoreDefinition } from '../../src/protocol/types.ts';
import { settingsDef, tmpDir, waitFor } from '../helpers.ts';
import { Faults } from './in-process.ts';

/** A seam whose fdatasync waits until the test releases it, and which logs when a sync starts and ends. */
class HeldSync implements FsFaults {
  readonly log: string[] = [];
  #release: (() => void) | undefined;
  #entered: Array<() => void> = [];
  check(): undefined {
    return undefined;
  }
  async sync(_path: string, sync: () => Promise<void>): Promise<void> {
    this.log.push('sync-start');
    await new Promise<void>((resolve) => {
      this.#release = resolve;
      this.#entered.splice(0).forEach((f) => f());
    });
    await sync();
    this.log.push('sync-end');
  }
  /** Resolves once a sync is being held. */
  entered(): Promise<void> {
    return this.#release ? Promise.resolve() : waitFor<void>((done) => {
      this.#entered.push(done);
      return () => {};
    }, 'an fdatasync to start');
  }
  release(): void {
    const r = this.#release;
    this.#release = undefined;
    r?.();
  }
}

function engineIn(cwd: string, faults: FsFaults, durability: 'strict' | 'relaxed'): StoreEngine {
  const engine = openEngine({ ...settingsDef(), durability } as StoreDefinition, { cwd, StoreClass: Conf, fsSeam: new FsSeam(faults), checkpointEvery: { records: 1e9, idleMs: 1e9 } });
  return engine;
}

test('strict: a write resolves only after its fdatasync has completed', async () => {
  const cwd = tmpDir();
  const held = new HeldSync();
  const engine = engineIn(cwd, held, 'strict');
  const write = engine.write({ kind: 'set', key: 'theme', value: 'dark' }, 'test').then((r) => {
    held.log.push('resolved');
    return r;
  });
  await held.entered();
  // The record is written but not yet synced: the write must still be pending when the sync is let go.
  held.release();
  assert.deepEqual(await write, { rev: 1 });
  assert.deepEqual(held.log, ['sync-start', 'sync-end', 'resolved']);
  await engine.close();
});

test('relaxed: a write resolves from memory, and its flush starts by itself (no further write, no close)', async () => {
  const cwd = tmpDir();
  const held = new HeldSync();
  const engine = engineIn(cwd, held, 'relaxed');
  const result = await engine.write({ kind: 'set', key: 'theme', value: 'dark' }, 'test');
  held.log.push('resolved');
  assert.deepEqual(result, { rev: 1 });
  await held.entered();
  held.release();
  await engine.whenCommitted(() => undefined);
  // The sync was held until after the write had resolved: the write did not wait for it.
  assert.deepEqual([...held.log].sort(), ['resolved', 'sync-end', 'sync-start']);
  assert.ok(held.log.indexOf('resolved') < held.log.indexOf('sync-end'), held.log.join(', '));
  // Flushed: a restart without close (a crash) replays it.
  const again = engineIn(cwd, new Faults(), 'relaxed');
  assert.equal(again.doc.theme, 'dark');
  engine.abandon();
  await again.close();
});

for (const durability of ['strict', 'relaxed'] as const) {
  test(`${durability}: close() loses nothing (500 concurrent writes, then a reopen)`, async () => {
    const cwd = tmpDir();
    const engine = engineIn(cwd, new Faults(), durability);
    const writes = Array.from({ length: 500 }, (_, i) => engine.write({ kind: 'set', key: `k${i}`, value: i }, 'test'));
    await engine.close();
    const revs = (await Promise.all(writes)).map((r) => r.rev);
    assert.deepEqual(revs, Array.from({ length: 500 }, (_, i) => i + 1));
    const again = engineIn(cwd, new Faults(), durability);
    for (let i = 0; i < 500; i++) assert.equal(again.doc[`k${i}`], i);
    assert.equal(again.rev, 500);
    assert.equal(again.info().recovery.replayed, 0, 'close() checkpointed everything');
    await again.close();
  });
}

test('relaxed: acknowledged writes whose flush keeps failing (ENOSPC) are still saved by close(), through the checkpoint', async () => {
  const cwd = tmpDir();
  const faults = new Faults();
  const engine = engineIn(cwd, faults, 'relaxed');
  faults.plan.set('journal.append', 'ENOSPC');
  assert.deepEqual(await engine.write({ kind: 'set', key: 'theme', value: 'dark' }, 'test'), { rev: 1 });
  assert.deepEqual(await engine.write({ kind: 'set', key: 'fontSize', value: 30 }, 'test'), { rev: 2 });
  await engine.close();
  assert.match(engine.info().recovery.problems.join(';'), /could not be journaled at close.*the checkpoint holds them/);
  const again = engineIn(cwd, new Faults(), 'relaxed');
  assert.deepEqual(again.doc, { theme: 'dark', fontSize: 30 });
  assert.equal(again.rev, 2);
  // The journal continues cleanly after the records it never got.
  assert.deepEqual(await again.write({ kind: 'set', key: 'theme', value: 'light' }, 'test'), { rev: 3 });
  await again.close();
  const third = engineIn(cwd, new Faults(), 'relaxed');
  assert.equal(third.doc.theme, 'light');
  await third.close();
});

test('relaxed: a failed flush is retried once the fault clears, and the records then survive a crash', async () => {
  const cwd = tmpDir();
  const faults = new Faults();
  const engine = engineIn(cwd, faults, 'relaxed');
  faults.plan.set('journal.append', 'ENOSPC');
  await engine.write({ kind: 'set', key: 'theme', value: 'dark' }, 'test');
  const retried = waitFor<void>((done) => faults.on((op, failed) => op === 'journal.sync' && !failed && done()), 'the retried flush');
  faults.plan.delete('journal.append');
  await retried;
  await engine.whenCommitted(() => undefined);
  const again = engineIn(cwd, new Faults(), 'relaxed');
  assert.equal(again.doc.theme, 'dark');
  assert.equal(again.rev, 1);
  engine.abandon();
  await again.close();
});
