import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { settingsDef, tmpDir } from '../helpers.ts';
import { cli, cliJson, makeFolder, notesDef, storesModule } from './helpers.ts';

// The commands that change a store: each opens it through the daemon's own open sequence under its lock, and the
// result is checked by reading it back — with the CLI, and with a real daemon opened on the folder afterwards.

const doc = async (folder: string) => (await cliJson(['get', folder, 'settings'])).json.value;

test('backups create and restore: a backup now, then back to one (a before-restore backup first)', async () => {
  const folder = await makeFolder();
  const created = await cliJson(['backups', folder, 'settings', 'create', '--reason', 'Before Upgrade']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.json.backup.reason, 'before-upgrade');
  assert.equal(created.json.backup.rev, 5);

  const listed = (await cliJson(['backups', folder, 'settings', 'list'])).json.backups;
  assert.ok(listed.some((b: { id: string }) => b.id === created.json.backup.id));
  const manual = listed.find((b: { reason: string }) => b.reason === 'manual');

  const restored = await cliJson(['backups', folder, 'settings', 'restore', manual.id]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.deepEqual([restored.json.restored, restored.json.previousRev, restored.json.rev], [manual.id, 5, 6]);
  assert.deepEqual(await doc(folder), { theme: 'dark', fontSize: 16, window: { width: 800, height: 600 } });
  const after = (await cliJson(['backups', folder, 'settings', 'list'])).json.backups;
  assert.ok(after.some((b: { reason: string; rev: number }) => b.reason === 'before-restore' && b.rev === 5));

  const [unknown, noId, badAction] = await Promise.all([
    cliJson(['backups', folder, 'settings', 'restore', '20200101T000000000000Z-r1-manual']),
    cli(['backups', folder, 'settings', 'restore']),
    cli(['backups', folder, 'settings', 'shred']),
  ]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.json.error.code, 'BACKUP_NOT_FOUND');
  assert.equal(noId.code, 2);
  assert.equal(badAction.code, 2);
  assert.match(badAction.stderr, /backups takes list, create or restore/);
});

test('rollback --rev and --time: every later write undone as one new write', async () => {
  const folder = await makeFolder();
  const history = (await cliJson(['history', folder, 'settings'])).json.entries;
  const r = await cliJson(['rollback', folder, 'settings', '--rev', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.previousRev, r.json.rev], [5, 6]);
  assert.deepEqual(r.json.changes, [{ op: 'remove', path: '/tags' }], 'the net change, not every undo step');
  assert.deepEqual(await doc(folder), { theme: 'dark', fontSize: 16 });

  const back = await cliJson(['rollback', folder, 'settings', '--time', new Date(history[3].time).toISOString()]);
  assert.equal(back.code, 0, back.stderr);
  assert.ok(back.json.rev >= 7);

  const human = await cli(['rollback', folder, 'settings', '--rev', '1']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Rolled "settings" back to rev 1 as one new write: rev \d+ → \d+\.$/m);
  assert.match(human.stdout, /^ {2}replace \/fontSize 14$/m);

  const [ahead, neither, both] = await Promise.all([
    cliJson(['rollback', folder, 'settings', '--rev', '999']),
    cli(['rollback', folder, 'settings']),
    cli(['rollback', folder, 'settings', '--rev', '1', '--time', '0']),
  ]);
  assert.equal(ahead.code, 1);
  assert.equal(ahead.json.error.code, 'CONFLICT');
  assert.equal(neither.code, 2);
  assert.equal(both.code, 2);
});

test('import: replaces the document (what export printed); validated against the schema with --stores', async () => {
  const folder = await makeFolder();
  const dir = tmpDir('esd-cli-import-');
  const good = path.join(dir, 'good.json');
  fs.writeFileSync(good, (await cli(['export', folder, 'settings'])).stdout.replace('"dark"', '"light"'));
  const r = await cliJson(['import', folder, 'settings', good]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.previousRev, r.json.rev], [5, 6]);
  assert.equal((await doc(folder)).theme, 'light');

  // Progress on stderr in human mode, a line per step.
  const again = await cli(['import', folder, 'settings', good]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /reading .*good\.json/);
  assert.match(again.stderr, /importing into "settings"/);

  const invalid = path.join(dir, 'invalid.json');
  fs.writeFileSync(invalid, JSON.stringify({ theme: 'purple', fontSize: 16 }));
  const stores = storesModule(dir);
  const refused = await cliJson(['import', folder, 'settings', invalid, '--stores', stores]);
  assert.equal(refused.code, 1);
  assert.equal(refused.json.error.code, 'VALIDATION_FAILED');
  assert.equal((await doc(folder)).theme, 'light', 'nothing was written');

  const notJson = path.join(dir, 'broken.json');
  fs.writeFileSync(notJson, '{"theme": ');
  const [broken, missing] = await Promise.all([
    cliJson(['import', folder, 'settings', notJson]),
    cliJson(['import', folder, 'settings', path.join(dir, 'nope.json')]),
  ]);
  assert.equal(broken.json.error.code, 'NOT_SERIALIZABLE');
  assert.equal(missing.json.error.code, 'IO_FAILED');
  assert.equal(broken.code, 1);
});

test('compact: checkpoint now, prune the journal segments the retention allows', async () => {
  // Small segments (one record each, about), then retention of 2 entries from the stores module.
  const folder = await makeFolder({ journalSegmentBytes: 120 });
  const before = (await cliJson(['list', folder])).json.stores.find((s: { name: string }) => s.name === 'settings');
  assert.ok(before.journal.segments >= 4, `${before.journal.segments} segments`);

  const defaults = await cliJson(['compact', folder, 'settings']);
  assert.equal(defaults.code, 0, defaults.stderr);
  assert.equal(defaults.json.retention.fromStoresModule, false);
  assert.equal(defaults.json.journal.after.segments, before.journal.segments, 'the default 1000 entries keep all of them');

  const stores = storesModule(tmpDir('esd-cli-stores-'), { history: { maxEntries: 2 } });
  const r = await cliJson(['compact', folder, 'settings', '--stores', stores]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.retention, { maxEntries: 2, fromStoresModule: true });
  assert.ok(r.json.journal.after.segments < r.json.journal.before.segments, JSON.stringify(r.json.journal));
  assert.equal(r.json.checkpointRev, 5);
  const history = (await cliJson(['history', folder, 'settings'])).json.entries.map((e: { rev: number }) => e.rev);
  assert.ok(history.includes(5) && history.includes(4) && !history.includes(1), `kept ${history}`);
});

test('a write while the app holds the folder fails with STORE_LOCKED ("quit the app first"); reads still work', async () => {
  const folder = await makeFolder();
  const daemon = await startStoreDaemon({ cwd: folder, stores: [settingsDef(), notesDef()], host: 'worker' });
  try {
    const [locked, human, read, list] = await Promise.all([
      cliJson(['rollback', folder, 'settings', '--rev', '1']),
      cli(['backups', folder, 'settings', 'create']),
      cli(['get', folder, 'settings', 'theme']),
      cliJson(['list', folder]),
    ]);
    assert.equal(locked.code, 1);
    assert.equal(locked.json.error.code, 'STORE_LOCKED');
    assert.match(locked.json.error.message, /quit the app first/);
    assert.equal(human.code, 1);
    assert.match(human.stderr, /^STORE_LOCKED: .*quit the app first/m);
    assert.equal(read.code, 0);
    assert.equal(read.stdout, 'dark\n');
    assert.match(read.stderr, /the app is running \(pid \d+ holds the lock of "settings"\): read without the lock/);
    assert.equal(list.json.stores.find((s: { name: string }) => s.name === 'settings').inUse, true);
    const main = await daemon.store('settings');
    assert.equal(main.rev, 5, 'the refused write changed nothing');
  } finally {
    await daemon.close();
  }
  const after = await cliJson(['rollback', folder, 'settings', '--rev', '1']);
  assert.equal(after.code, 0, after.stderr);
});

test('writes leave a folder the daemon opens cleanly, with the CLI\'s writes in its history', async () => {
  const folder = await makeFolder();
  assert.equal((await cliJson(['rollback', folder, 'settings', '--rev', '3'])).code, 0);
  assert.equal((await cliJson(['compact', folder, 'settings'])).code, 0);
  const daemon = await startStoreDaemon({ cwd: folder, stores: [settingsDef(), notesDef()], host: 'worker' });
  try {
    const store = await daemon.store('settings');
    assert.deepEqual(store.store, { theme: 'dark', fontSize: 16, window: { width: 800, height: 600 } });
    const info = await store.info();
    assert.equal(info.recovery.source, 'checkpoint');
    assert.deepEqual(info.recovery.problems, []);
    const last = (await store.history()).at(-1)!;
    assert.deepEqual([last.rev, last.source], [6, 'cli']);
  } finally {
    await daemon.close();
  }
});

test('usage errors exit 2 with the usage; a missing folder or store exits 1 and creates nothing', async () => {
  const folder = await makeFolder();
  const [none, unknown, noStore, badOption, help, noFolder, noSuchStore, noSuchStoreWrite] = await Promise.all([
    cli([]),
    cli(['frobnicate', folder]),
    cli(['get', folder]),
    cli(['get', folder, 'settings', '--rev', '3']),
    cli(['--help']),
    cliJson(['list', path.join(folder, 'nope')]),
    cliJson(['get', folder, 'nosuch']),
    cliJson(['compact', folder, 'nosuch']),
  ]);
  for (const r of [none, unknown, noStore, badOption]) {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^usage error: /m);
    assert.match(r.stderr, /usage:/);
  }
  assert.match(badOption.stderr, /get does not take --rev/);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /electron-store-daemon <command> <folder>/);
  assert.equal(noFolder.code, 1);
  assert.equal(noFolder.json.error.code, 'IO_FAILED');
  for (const r of [noSuchStore, noSuchStoreWrite]) {
    assert.equal(r.code, 1);
    assert.equal(r.json.error.code, 'STORE_NOT_FOUND');
  }
  assert.ok(!fs.existsSync(path.join(folder, 'nosuch.json')) && !fs.existsSync(path.join(folder, 'storeHistory', 'nosuch')));
});
