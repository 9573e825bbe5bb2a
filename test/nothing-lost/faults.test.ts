import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { mock, test } from 'node:test';
import Conf from 'conf';
import { CheckpointFile } from '../../src/daemon/storage/checkpoint.ts';
import { FsSeam } from '../../src/daemon/storage/fs-seam.ts';
import type { StoreEngine } from '../../src/daemon/engine/store-engine.ts';
import { openEngine } from '../../src/daemon/open-store.ts';
import type { HistoryEntry, JsonObject, StoreDefinition } from '../../src/protocol/types.ts';
import { type Settings, rejectsWith, settingsDef, tmpDir, untilRev } from '../helpers.ts';
import { Faults, inProcessDaemon } from './in-process.ts';
import { startStoreDaemon } from '../../src/client-main/index.ts';

const journalRecords = (cwd: string, store = 'settings'): HistoryEntry[] => {
  const dir = path.join(cwd, 'storeHistory', store);
  return fs.readdirSync(dir).filter((f) => /^\d{12}\.jsonl$/.test(f)).sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as HistoryEntry));
};

for (const [op, code] of [['journal.append', 'ENOSPC'], ['journal.sync', 'EIO']] as const) {
  test(`IO_FAILED end to end: ${code} on ${op} rejects the whole group; memory and every client unchanged; later writes succeed`, async () => {
    const cwd = tmpDir();
    const faults = new Faults();
    const { daemon, client } = await inProcessDaemon(cwd, faults);
    const writer = await client<Settings>();
    const watcher = await client<Settings>();
    await writer.set('theme', 'dark');
    await untilRev(watcher, 1);
    const seen: number[] = [];
    watcher.onDidAnyChange((_n, _o, c) => seen.push(c.rev));

    faults.plan.set(op, code);
    // Two writes in one group: one fdatasync serves both, so both fail together.
    const results = await Promise.allSettled([writer.set('fontSize', 20), writer.set('tags', ['x'])]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as { code: string; message: string };
      assert.equal(e.code, 'IO_FAILED');
      assert.match(e.message, new RegExp(`${code}.*nothing was written`));
    }
    const engine = daemon.store('settings');
    assert.equal(engine.rev, 1);
    assert.deepEqual(engine.doc, { theme: 'dark', fontSize: 14 }, 'memory unchanged');
    assert.deepEqual(writer.store, { theme: 'dark', fontSize: 14 }, "the writer's cache unchanged");
    assert.equal(writer.rev, 1);

    faults.plan.delete(op);
    assert.deepEqual(await writer.set('fontSize', 21), { rev: 2 }, 'no rev was used up by the failed group');
    await untilRev(watcher, 2);
    assert.deepEqual(seen, [2], 'the other client never saw the failed writes');
    assert.deepEqual(watcher.store, { theme: 'dark', fontSize: 21 });
    assert.deepEqual(journalRecords(cwd).map((r) => [r.rev, r.ops]), [
      [1, [{ op: 'replace', path: '/theme', value: 'dark' }]],
      [2, [{ op: 'replace', path: '/fontSize', value: 21 }]],
    ], 'the journal has no trace of the failed group');
  });
}

function engineIn(cwd: string, faults: Faults, def: Partial<StoreDefinition> = {}, checkpointEvery: { records?: number; idleMs?: number } = { records: 1e9, idleMs: 1e9 }): StoreEngine {
  const engine = openEngine({ ...settingsDef(), ...def } as StoreDefinition, { cwd, StoreClass: Conf, fsSeam: new FsSeam(faults), checkpointEvery });
  return engine;
}
const set = (engine: StoreEngine, key: string, value: unknown) => engine.write({ kind: 'set', key, value }, 'test');

test('a failed append whose truncate also fails: the next write starts a new segment, and a restart never replays the failed record', async () => {
  const cwd = tmpDir();
  const faults = new Faults();
  const engine = engineIn(cwd, faults);
  await set(engine, 'theme', 'dark');
  faults.plan.set('journal.sync', 'EIO');
  faults.plan.set('journal.truncate', 'EACCES');
  await rejectsWith(set(engine, 'theme', 'light'), 'IO_FAILED');
  faults.plan.clear();
  assert.deepEqual(await set(engine, 'fontSize', 30), { rev: 2 });
  // The failed group's bytes are still on disk (written, never synced, not cut back) …
  const dir = path.join(cwd, 'storeHistory', 'settings');
  assert.match(fs.readFileSync(path.join(dir, '000000000001.jsonl'), 'utf8'), /"light"/);
  assert.ok(fs.existsSync(path.join(dir, '000000000002.jsonl')));
  // … and a restart (no close: a crash) replays around them.
  const again = engineIn(cwd, new Faults());
  assert.deepEqual(again.doc, { theme: 'dark', fontSize: 30 });
  assert.equal(again.rev, 2);
  assert.match(again.info().recovery.problems.join(';'), /ignored 1 record\(s\) of a failed append/);
  assert.deepEqual(again.history({ sinceRev: 0 }).map((e) => e.rev), [1, 2]);
  engine.abandon();
  await again.close();
});

test('a failed checkpoint (EACCES) is retried on a growing delay, never in a loop; writes go on; nothing is lost', async (t) => {
  const cwd = tmpDir();
  const faults = new Faults();
  const engine = engineIn(cwd, faults, {}, { records: 1, idleMs: 40 });
  t.after(() => engine.close());
  faults.plan.set('checkpoint.write', 'EACCES');
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  await set(engine, 'theme', 'dark');
  await engine.whenCommitted(() => undefined);
  assert.equal(faults.count('checkpoint.write'), 1, 'the first attempt follows the commit');
  // Only a timer retries, and each wait is longer than the one before.
  mock.timers.tick(39);
  assert.equal(faults.count('checkpoint.write'), 1);
  mock.timers.tick(1);
  assert.equal(faults.count('checkpoint.write'), 2);
  mock.timers.tick(79);
  assert.equal(faults.count('checkpoint.write'), 2);
  mock.timers.tick(1);
  assert.equal(faults.count('checkpoint.write'), 3);
  // Writes keep committing to the journal meanwhile.
  assert.deepEqual(await set(engine, 'fontSize', 22), { rev: 2 });
  assert.match(engine.info().recovery.problems.join(';'), /checkpoint failed, will retry: EACCES/);

  faults.plan.delete('checkpoint.write');
  mock.timers.tick(1000);
  await engine.whenCommitted(() => undefined);
  const file = JSON.parse(fs.readFileSync(path.join(cwd, 'settings.json'), 'utf8')) as JsonObject & { __internal__: { storeDaemon: { rev: number } } };
  assert.equal(file.__internal__.storeDaemon.rev, 2);
  assert.equal(file.fontSize, 22);
  assert.equal(engine.info().checkpointRev, 2);
});

test('IO_FAILED: a backup that cannot be written stops clear() and import(); nothing changes', async () => {
  const cwd = tmpDir();
  const faults = new Faults();
  const { daemon, client } = await inProcessDaemon(cwd, faults);
  const main = await client<Settings>();
  await main.set('theme', 'dark');
  faults.plan.set('backup.write', 'ENOSPC');
  const e = await rejectsWith(main.clear(), 'IO_FAILED');
  assert.match(e.message, /before-clear.*ENOSPC/);
  await rejectsWith(main.import(JSON.stringify({ theme: 'light' })), 'IO_FAILED');
  await rejectsWith(main.backups.create('manual'), 'IO_FAILED');
  assert.equal(main.rev, 1);
  assert.deepEqual(daemon.store('settings').doc, { theme: 'dark', fontSize: 14 });
  faults.plan.clear();
  await main.clear();
  assert.deepEqual(main.store, { theme: 'auto', fontSize: 14 });
});

test('a start-up backup that fails does not keep the store closed; info() says so', async () => {
  const cwd = tmpDir();
  const faults = new Faults();
  faults.plan.set('backup.write', 'EIO');
  const { client } = await inProcessDaemon(cwd, faults);
  const main = await client<Settings>();
  assert.match((await main.info()).recovery.problems.join(';'), /start-up backup failed: EIO/);
  assert.deepEqual(await main.set('theme', 'dark'), { rev: 1 });
});

test('checkpoints that fail after their mark was recorded leave the file on disk known: a restart after a crash keeps every acknowledged write', async () => {
  const cwd = tmpDir();
  const engine = engineIn(cwd, new Faults(), { name: 's', schema: undefined, defaults: {} });
  await set(engine, 'a', 'v1');
  assert.equal(engine.checkpointNow({ force: true }), true);
  const file = path.join(cwd, 's.json');
  const onDisk = fs.readFileSync(file, 'utf8');
  // Two checkpoints that fail at the rename, after conf's serialize hook recorded their marks: the path is a
  // non-empty folder for a while (a real failure of the real write; ENOSPC or EIO late in the write does the same).
  fs.rmSync(file);
  fs.mkdirSync(file);
  fs.writeFileSync(path.join(file, 'x'), '');
  await set(engine, 'a', 'v2');
  assert.equal(engine.checkpointNow({ force: true }), false);
  await set(engine, 'b', 'acknowledged');
  assert.equal(engine.checkpointNow({ force: true }), false);
  // A crash: the engine is dropped, and the file is the last checkpoint that landed.
  engine.abandon();
  fs.rmSync(file, { recursive: true });
  fs.writeFileSync(file, onDisk);
  // The whole open sequence (recovery, then edits made while the app was closed).
  const daemon = await startStoreDaemon({ cwd, stores: [{ name: 's', defaults: {} }], host: 'worker' });
  try {
    const again = await daemon.store('s');
    assert.deepEqual(again.store, { a: 'v2', b: 'acknowledged' }, 'the daemon\'s own older checkpoint is not a hand edit');
    assert.equal(again.rev, 3);
    assert.deepEqual((await again.history()).map((e) => e.source), ['test', 'test', 'test']);
  } finally {
    await daemon.close();
  }
});

test('an off-path checkpoint whose mark cannot be written leaves no temp file behind', async () => {
  const cwd = tmpDir();
  const marks = path.join(cwd, 'storeHistory', '.marks');
  fs.mkdirSync(path.dirname(marks), { recursive: true });
  fs.writeFileSync(marks, 'a file where the marks folder goes');
  const checkpoint = new CheckpointFile({ cwd, name: 's', StoreClass: Conf, fsSeam: new FsSeam(), markFile: path.join(marks, 's.json') });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(checkpoint.writeOffPath({ a: 'x'.repeat(10_000) }, {}, { rev: i + 1, time: Date.now() }, { sliceMs: 5, wanted: () => true }), /EEXIST|ENOTDIR/);
  }
  assert.deepEqual(fs.readdirSync(cwd).sort(), ['storeHistory'], 'no temp file per failed attempt');
});

test('close() fails with IO_FAILED when acknowledged relaxed writes can be neither journaled nor checkpointed (never a silent loss)', async () => {
  const cwd = tmpDir();
  const faults = new Faults();
  const engine = engineIn(cwd, faults, { durability: 'relaxed' });
  faults.plan.set('journal.append', 'ENOSPC');
  faults.plan.set('checkpoint.write', 'EIO');
  // Acknowledged before it reaches the journal (relaxed); the append then fails and is kept for a retry.
  assert.deepEqual(await set(engine, 'theme', 'dark'), { rev: 1 });
  const e = await rejectsWith(engine.close(), 'IO_FAILED');
  assert.match(e.message, /1 acknowledged relaxed write\(s\) could be neither journaled \(.*ENOSPC.*\) nor checkpointed at close/);
  // With either one working, close succeeds and the write is on disk.
  const cwd2 = tmpDir();
  const faults2 = new Faults();
  const engine2 = engineIn(cwd2, faults2, { durability: 'relaxed' });
  faults2.plan.set('journal.append', 'ENOSPC');
  await set(engine2, 'theme', 'dark');
  await engine2.close();
  assert.equal(JSON.parse(fs.readFileSync(path.join(cwd2, 'settings.json'), 'utf8')).theme, 'dark');
});
