import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { connectStore } from '../../src/client-renderer/index.ts';
import type { ChangeInfo, StoreDefinition } from '../../src/protocol/types.ts';
import { type Settings, rejectsWith, settingsDef, startDaemon, tmpDir, untilRev, waitFor } from '../helpers.ts';

const withBackups = (backups: StoreDefinition['backups']): StoreDefinition => ({ ...settingsDef(), backups } as StoreDefinition);
const backupDir = (cwd: string) => path.join(cwd, 'backups', 'settings');

test('backups: create, list, verify and restore; metadata {id,time,reason,rev,sha256,bytes}; restore is a journaled, broadcast, undoable write', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  const other = await connectStore<Settings>('settings', { port: daemon.createPort() });

  const [start] = await main.backups.list();
  assert.equal(start.reason, 'start', 'a backup is taken at open');
  assert.equal(start.rev, 0);

  await main.set('theme', 'dark');
  const taken = await main.backups.create('before experiment');
  assert.equal(taken.reason, 'before-experiment');
  assert.equal(taken.rev, 1);
  const data = fs.readFileSync(path.join(backupDir(cwd), `${taken.id}.json`));
  const meta = JSON.parse(fs.readFileSync(path.join(backupDir(cwd), `${taken.id}.meta.json`), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(meta).sort(), ['bytes', 'id', 'reason', 'rev', 'sha256', 'time']);
  assert.deepEqual(meta, { ...taken });
  assert.equal(taken.sha256, crypto.createHash('sha256').update(data).digest('hex'));
  assert.equal(taken.bytes, data.length);
  // The checkpoint's format: a backup file can be copied over settings.json by hand.
  const parsed = JSON.parse(data.toString('utf8')) as Record<string, unknown> & { __internal__: { storeDaemon: { rev: number } } };
  assert.equal(parsed.theme, 'dark');
  assert.equal(parsed.__internal__.storeDaemon.rev, 1);
  assert.deepEqual((await main.backups.list()).map((b) => b.id), [taken.id, start.id], 'newest first');
  assert.deepEqual(await main.backups.verify(taken.id), { ok: true, problems: [] });

  await main.set('fontSize', 30);
  const restored = waitFor<ChangeInfo>((done) => other.onDidAnyChange((_n, _o, c) => c.source.startsWith('restore') && done(c)), 'the restore event');
  const { rev } = await main.backups.restore(taken.id);
  assert.equal(rev, 3);
  const change = await restored;
  assert.equal(change.rev, 3);
  assert.deepEqual(change.ops, [{ op: 'replace', path: '/fontSize', value: 14 }]);
  await untilRev(other, 3);
  assert.deepEqual(other.store, { theme: 'dark', fontSize: 14 });
  const history = await main.history({ sinceRev: 2 });
  assert.equal(history.length, 1);
  assert.match(history[0].source, /^restore/);
  const before = (await main.backups.list()).find((b) => b.reason === 'before-restore');
  assert.equal(before?.rev, 2, 'a backup of what the restore replaced');

  // Undoable: a rollback to before the restore brings the replaced value back, as a new write.
  assert.deepEqual(await main.rollback({ rev: 2 }), { rev: 4 });
  assert.equal(main.get('fontSize'), 30);
  assert.deepEqual(fs.readdirSync(backupDir(cwd)).filter((n) => n.includes('.tmp-')), [], 'no temp files: written atomically');
});

test('verify finds a damaged backup; restore refuses it (VALIDATION_FAILED) and changes nothing', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  await main.set('theme', 'light');
  const b = await main.backups.create();
  const file = path.join(backupDir(cwd), `${b.id}.json`);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"light"', '"dark"'));
  const verdict = await main.backups.verify(b.id);
  assert.equal(verdict.ok, false);
  assert.match(verdict.problems.join(';'), /sha256 does not match/);
  await main.set('theme', 'auto');
  await rejectsWith(main.backups.restore(b.id), 'VALIDATION_FAILED');
  assert.equal(main.get('theme'), 'auto');
  assert.equal(main.rev, 2);
});

test('BACKUP_NOT_FOUND: path traversal, absolute paths, malformed and unknown ids', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  const [start] = await main.backups.list();
  for (const id of ['../../settings', `../settings/${start.id}`, '/etc/passwd', path.join(backupDir(cwd), start.id), `${start.id}/..`, '', '20260101T000000000000Z-r1-unknown']) {
    const e = await rejectsWith(main.backups.restore(id), 'BACKUP_NOT_FOUND');
    assert.match(e.message, /backups\.list\(\)/);
    await rejectsWith(main.backups.verify(id), 'BACKUP_NOT_FOUND');
  }
  await rejectsWith(main.backups.restore(42 as never), 'BACKUP_NOT_FOUND');
  assert.equal(main.rev, 0, 'nothing was restored');
});

test('rotation keeps the newest `max` backups and deletes the rest from disk', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [withBackups({ max: 3 })] });
  const main = await daemon.store<Settings>('settings');
  const made = [];
  for (let i = 0; i < 5; i++) {
    await main.set('fontSize', 10 + i);
    made.push(await main.backups.create(`n${i}`));
  }
  const list = await main.backups.list();
  assert.deepEqual(list.map((b) => b.id), made.slice(-3).reverse().map((b) => b.id));
  assert.deepEqual(fs.readdirSync(backupDir(cwd)).sort(), list.flatMap((b) => [`${b.id}.json`, `${b.id}.meta.json`]).sort());
  const info = await main.info();
  assert.equal(info.backups, 3);
});

test('automatic backups: on the interval, before clear() and before import()', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [withBackups({ max: 20, intervalMs: 150 })] });
  const main = await daemon.store<Settings>('settings');
  await main.set('theme', 'dark');

  // The start backup (which makes the folder) now runs just after the first read: the folder may not be there yet.
  fs.mkdirSync(backupDir(cwd), { recursive: true });
  const scheduled = waitFor<string>((done) => {
    const w = fs.watch(backupDir(cwd), (_e, name) => name?.endsWith('-scheduled.meta.json') && done(String(name)));
    return () => w.close();
  }, 'a scheduled backup');
  await scheduled;

  await main.set('fontSize', 22);
  const revBeforeClear = main.rev;
  await main.clear();
  assert.deepEqual(main.store, { theme: 'auto', fontSize: 14 });
  const beforeClear = (await main.backups.list()).find((b) => b.reason === 'before-clear');
  assert.ok(beforeClear);
  assert.equal(beforeClear.rev, revBeforeClear);
  const saved = JSON.parse(fs.readFileSync(path.join(backupDir(cwd), `${beforeClear.id}.json`), 'utf8')) as Record<string, unknown>;
  assert.equal(saved.fontSize, 22, 'the backup holds what clear() wiped');

  await main.import(JSON.stringify({ theme: 'light', fontSize: 12 }));
  const beforeImport = (await main.backups.list()).find((b) => b.reason === 'before-import');
  assert.equal(beforeImport?.rev, revBeforeClear + 1);

  // A window may not clear (admin), and its refused clear takes no backup (scheduled ones go on meanwhile).
  const beforeClears = async () => (await main.backups.list()).filter((b) => b.reason === 'before-clear').length;
  const count = await beforeClears();
  const win = await connectStore<Settings>('settings', { port: daemon.createPort({ stores: '*' }) });
  await rejectsWith(win.clear(), 'PERMISSION_DENIED');
  assert.equal(await beforeClears(), count);
});
