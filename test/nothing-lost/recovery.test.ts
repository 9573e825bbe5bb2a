import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon, type DaemonOptions, type StoreDaemon } from '../../src/client-main/index.ts';
import type { StoreInfo } from '../../src/protocol/types.ts';
import { type Settings, settingsDef, startDaemon, tmpDir } from '../helpers.ts';

/** Ten writes k1..k10, a manual backup after write `backupAt`; then close() (or a kill without close). */
async function seed(cwd: string, options: { backupAt?: number; crash?: boolean; tuning?: DaemonOptions['tuning'] } = {}): Promise<{ backupId?: string; doc: Settings }> {
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [settingsDef()], restart: { maxRestarts: 0 }, tuning: options.tuning });
  daemon.on('error', () => {});
  const store = await daemon.store<Settings>('settings');
  let backupId: string | undefined;
  for (let i = 1; i <= 10; i++) {
    await store.set(`k${i}`, i);
    if (i === options.backupAt) backupId = (await store.backups.create('seed')).id;
  }
  const doc = store.store;
  if (options.crash) {
    const exited = new Promise<void>((resolve) => daemon.on('exit', () => resolve()));
    daemon.kill();
    await exited;
  } else {
    await daemon.close();
  }
  return { backupId, doc };
}

async function reopen(cwd: string): Promise<{ daemon: StoreDaemon; info: StoreInfo; doc: Settings; rev: number }> {
  const daemon = await startDaemon(cwd);
  const store = await daemon.store<Settings>('settings');
  return { daemon, info: await store.info(), doc: store.store, rev: store.rev };
}

const segments = (cwd: string) => fs.readdirSync(path.join(cwd, 'storeHistory', 'settings')).filter((n) => /^\d{12}\.jsonl$/.test(n)).sort();
const corruptCopies = (cwd: string) => fs.readdirSync(cwd).filter((n) => /^settings\.corrupt-.+\.json$/.test(n));

test('a torn last journal record is dropped; every record before it is replayed', async () => {
  const cwd = tmpDir();
  const { doc } = await seed(cwd, { crash: true, tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
  const dir = path.join(cwd, 'storeHistory', 'settings');
  const last = path.join(dir, segments(cwd).at(-1)!);
  const before = fs.statSync(last).size;
  // Half a record: what a kill in the middle of an append leaves.
  fs.appendFileSync(last, '{"rev":11,"time":1,"source":"x","ops":[{"op":"add","pa');
  const { daemon, info, doc: reopened, rev } = await reopen(cwd);
  assert.deepEqual(reopened, doc);
  assert.equal(rev, 10);
  assert.equal(info.recovery.source, 'checkpoint');
  assert.equal(info.recovery.replayed, 10);
  assert.match(info.recovery.problems.join('\n'), /dropped a torn journal record/);
  assert.equal(fs.statSync(last).size, before, 'the torn bytes are cut off');
  // The next write continues the journal cleanly.
  const store = await daemon.store<Settings>('settings');
  assert.deepEqual(await store.set('after', 1), { rev: 11 });
});

const damages: Array<[string, (file: string) => void]> = [
  ['truncated', (f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2))],
  ['garbage', (f) => fs.writeFileSync(f, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x13, 0x37, 0x7b, 0x22]))],
  ['empty', (f) => fs.writeFileSync(f, '')],
];

for (const [kind, damage] of damages) {
  test(`checkpoint ${kind}: kept aside as <name>.corrupt-<time>.json, rebuilt from the newest valid backup plus the journal`, async () => {
    const cwd = tmpDir();
    const { backupId, doc } = await seed(cwd, { backupAt: 4 });
    const file = path.join(cwd, 'settings.json');
    damage(file);
    const damaged = fs.readFileSync(file);
    const { info, doc: reopened, rev } = await reopen(cwd);
    assert.deepEqual(reopened, doc, 'nothing lost');
    assert.equal(rev, 10);
    assert.equal(info.recovery.source, 'backup');
    assert.equal(info.recovery.backupId, backupId);
    assert.equal(info.recovery.baseRev, 4);
    assert.equal(info.recovery.replayed, 6);
    assert.equal(info.recovery.lostRevs, undefined);
    const kept = corruptCopies(cwd);
    assert.equal(kept.length, 1);
    assert.deepEqual(info.recovery.keptAside, [path.join(cwd, kept[0])]);
    assert.deepEqual(fs.readFileSync(path.join(cwd, kept[0])), damaged, 'the evidence is the damaged file, byte for byte');
    // The rebuilt checkpoint is written at once and is a normal file again.
    const rebuilt = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> & { __internal__: { storeDaemon: { rev: number } } };
    assert.equal(rebuilt.__internal__.storeDaemon.rev, 10);
    assert.equal(rebuilt.k10, 10);
  });
}

test('a checkpoint the daemon has no record of writing, missing while a journal is present, is rebuilt from the newest valid backup plus the journal', async () => {
  const cwd = tmpDir();
  const { backupId, doc } = await seed(cwd, { backupAt: 7 });
  // Without the daemon's mark the file counts as never written (a crash before the first checkpoint), not deleted:
  // deleting a file the daemon wrote is a reset (test/nothing-lost/closed-edits.test.ts).
  fs.rmSync(path.join(cwd, 'settings.json'));
  fs.rmSync(path.join(cwd, 'storeHistory', '.marks'), { recursive: true });
  const { info, doc: reopened, rev } = await reopen(cwd);
  assert.deepEqual(reopened, doc);
  assert.equal(rev, 10);
  assert.equal(info.recovery.source, 'backup');
  assert.equal(info.recovery.backupId, backupId);
  assert.equal(info.recovery.replayed, 3);
  assert.match(info.recovery.problems.join('\n'), /missing although the store has a journal/);
});

test('a damaged newest backup is skipped (hash check): the next one plus a longer replay', async () => {
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [settingsDef()] });
  const store = await daemon.store<Settings>('settings');
  await store.set('k1', 1);
  const older = await store.backups.create('one');
  await store.set('k2', 2);
  const newer = await store.backups.create('two');
  await store.set('k3', 3);
  const doc = store.store;
  await daemon.close();
  const newerFile = path.join(cwd, 'backups', 'settings', `${newer.id}.json`);
  fs.writeFileSync(newerFile, fs.readFileSync(newerFile, 'utf8').replace('"k2": 2', '"k2": 9'));
  fs.writeFileSync(path.join(cwd, 'settings.json'), '{"theme": "dark", "fontSi');
  const { info, doc: reopened } = await reopen(cwd);
  assert.deepEqual(reopened, doc);
  assert.equal(info.recovery.backupId, older.id);
  assert.equal(info.recovery.replayed, 2);
  assert.match(info.recovery.problems.join('\n'), new RegExp(`backup ${newer.id} is not usable: sha256`));
});

test('no valid checkpoint or backup, but the whole journal: rebuilt from the defaults plus the journal', async () => {
  const cwd = tmpDir();
  const { doc } = await seed(cwd);
  fs.writeFileSync(path.join(cwd, 'settings.json'), 'not json');
  fs.rmSync(path.join(cwd, 'backups'), { recursive: true });
  const { info, doc: reopened, rev } = await reopen(cwd);
  assert.deepEqual(reopened, doc);
  assert.equal(rev, 10);
  assert.equal(info.recovery.source, 'journal');
  assert.equal(info.recovery.replayed, 10);
});

test('nothing valid left: starts from the defaults, keeps every piece of evidence, says so in info(), revs continue', async () => {
  const cwd = tmpDir();
  await seed(cwd, { tuning: { journalSegmentBytes: 100 } });
  // The journal no longer reaches back to rev 1 (its first segment is gone) and there is no usable backup.
  const dir = path.join(cwd, 'storeHistory', 'settings');
  const segs = segments(cwd);
  assert.ok(segs.length > 2);
  fs.rmSync(path.join(dir, segs[0]));
  fs.writeFileSync(path.join(cwd, 'settings.json'), '');
  for (const f of fs.readdirSync(path.join(cwd, 'backups', 'settings'))) if (f.endsWith('.meta.json')) fs.writeFileSync(path.join(cwd, 'backups', 'settings', f), '{');
  const { daemon, info, doc, rev } = await reopen(cwd);
  assert.deepEqual(doc, { theme: 'auto', fontSize: 14 });
  assert.equal(info.recovery.source, 'defaults');
  assert.deepEqual(info.recovery.lostRevs, { from: 1, to: 10 });
  assert.equal(rev, 10, 'revs never go backwards');
  assert.match(info.recovery.problems.join('\n'), /nothing valid to rebuild from/);
  // Evidence: the damaged checkpoint and every journal segment, renamed aside, none deleted.
  assert.equal(corruptCopies(cwd).length, 1);
  const aside = fs.readdirSync(dir).filter((n) => n.includes('.corrupt-'));
  assert.equal(aside.length, segs.length - 1);
  assert.equal(info.recovery.keptAside.length, segs.length);
  const store = await daemon.store<Settings>('settings');
  assert.deepEqual(await store.set('theme', 'dark'), { rev: 11 });
});

test('a journal pruned or damaged past the backup: rebuilt from the backup, the lost revs reported and their records kept', async () => {
  const cwd = tmpDir();
  const { backupId } = await seed(cwd, { backupAt: 2, tuning: { journalSegmentBytes: 100 } });
  const dir = path.join(cwd, 'storeHistory', 'settings');
  // Records 3 and 4 are gone: the journal cannot bridge the backup (rev 2) to the end.
  for (const s of segments(cwd)) {
    const first = Number(s.slice(0, 12));
    if (first === 3 || first === 4) fs.rmSync(path.join(dir, s));
  }
  fs.writeFileSync(path.join(cwd, 'settings.json'), '{');
  const { info, doc, rev } = await reopen(cwd);
  assert.equal(info.recovery.source, 'backup');
  assert.equal(info.recovery.backupId, backupId);
  assert.deepEqual(info.recovery.lostRevs, { from: 3, to: 10 });
  assert.equal(rev, 10);
  assert.deepEqual(doc, { theme: 'auto', fontSize: 14, k1: 1, k2: 2 });
  assert.match(info.recovery.problems.join('\n'), /journal gap: expected rev 3, found 5/);
  assert.ok(info.recovery.keptAside.some((f) => f.includes('000000000005.corrupt-')), 'the unreachable records are kept');
});

test('an unreadable record in the middle of the journal: replay stops there, later records are kept aside, no crash', async () => {
  const cwd = tmpDir();
  await seed(cwd, { crash: true, tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
  const dir = path.join(cwd, 'storeHistory', 'settings');
  const file = path.join(dir, segments(cwd)[0]);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines[5] = '{"rev":6,"garbage';
  fs.writeFileSync(file, lines.join('\n'));
  const { daemon, info, doc, rev } = await reopen(cwd);
  assert.equal(info.recovery.replayed, 5);
  assert.deepEqual(doc, { theme: 'auto', fontSize: 14, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 });
  assert.deepEqual(info.recovery.lostRevs, { from: 6, to: 10 });
  assert.equal(rev, 10);
  assert.match(info.recovery.problems.join('\n'), /unreadable journal record/);
  assert.equal(info.recovery.keptAside.length, 1);
  const store = await daemon.store<Settings>('settings');
  assert.deepEqual(await store.set('after', true), { rev: 11 });
  await daemon.close();
  // The store opens cleanly afterwards: the rebuild was persisted.
  const again = await reopen(cwd);
  assert.equal(again.info.recovery.source, 'checkpoint');
  assert.equal(again.rev, 11);
  assert.deepEqual(again.info.recovery.problems, []);
});

test('checkpoints never prune the journal past the newest backup: a rebuild from it still reaches the last write', async () => {
  const cwd = tmpDir();
  const def = { ...settingsDef(), history: { maxEntries: 1 } };
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [def], tuning: { checkpointRecords: 2, checkpointIdleMs: 1e9, journalSegmentBytes: 100 } });
  const store = await daemon.store<Settings>('settings');
  let backupId = '';
  for (let i = 1; i <= 30; i++) {
    await store.set(`k${i}`, i);
    if (i === 5) backupId = (await store.backups.create('floor')).id;
  }
  const doc = store.store;
  await daemon.close();
  // Checkpoints pruned what history no longer needs, but not the records after the backup.
  const first = Number(segments(cwd)[0].slice(0, 12));
  assert.ok(first > 1 && first <= 6, `the journal starts at rev ${first}`);
  fs.writeFileSync(path.join(cwd, 'settings.json'), '{"theme": "dark",');
  const { info, doc: reopened, rev } = await reopen(cwd);
  assert.equal(info.recovery.backupId, backupId);
  assert.equal(info.recovery.replayed, 25);
  assert.deepEqual(reopened, doc);
  assert.equal(rev, 30);
});
