import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStoreDaemon, type StoreDaemon } from '../../src/client-main/index.ts';
import type { BackupInfo } from '../../src/protocol/types.ts';
import { rejectsWith, tmpDir, waitFor } from '../helpers.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
type Doc = Record<string, unknown>;

async function open(cwd: string, module: string): Promise<StoreDaemon> {
  return startStoreDaemon({ cwd, host: 'worker', stores: fixture(module) });
}

/** v1 data: size 20, theme dark (rev 2). */
async function seedV1(cwd: string): Promise<void> {
  const daemon = await open(cwd, 'stores-v1');
  const s = await daemon.store<Doc>('settings');
  await s.set('size', 20);
  await s.set('theme', 'dark');
  await daemon.close();
}

const readDoc = (file: string) => {
  const { __internal__: internal, ...doc } = JSON.parse(fs.readFileSync(file, 'utf8')) as Doc;
  return { doc, internal: internal as { migrations?: { version?: string }; storeDaemon?: { rev: number } } };
};

test('migrations run in the daemon at open: a backup first, then one journaled `migration` write; not run twice', async () => {
  const cwd = tmpDir();
  await seedV1(cwd);
  const daemon = await open(cwd, 'stores-v2');
  const s = await daemon.store<Doc>('settings');
  assert.deepEqual(s.store, { fontSize: 20, theme: 'dark' });
  assert.equal(s.rev, 3, 'the migration is one write on top of rev 2');
  const [entry] = await s.history({ sinceRev: 2 });
  assert.equal(entry.source, 'migration');
  assert.deepEqual(entry.ops, [{ op: 'remove', path: '/size' }, { op: 'replace', path: '/fontSize', value: 20 }]);
  const backup = (await s.backups.list()).find((b) => b.reason === 'before-migration') as BackupInfo;
  assert.equal(backup.rev, 2);
  // As in electron-store, the new defaults are filled in before the migrations run.
  const premigration = { size: 20, theme: 'dark', fontSize: 14 };
  assert.deepEqual(readDoc(path.join(cwd, 'backups', 'settings', `${backup.id}.json`)).doc, premigration);
  // Undoable like any write.
  await s.rollback({ rev: 2 });
  assert.deepEqual(s.store, premigration);
  await s.rollback({ rev: 3 });
  await daemon.close();
  assert.equal(readDoc(path.join(cwd, 'settings.json')).internal.migrations?.version, '2.0.0', "conf's migration version is in the file");

  const again = await open(cwd, 'stores-v2');
  const s2 = await again.store<Doc>('settings');
  assert.equal(s2.rev, 5);
  assert.equal((await s2.backups.list()).filter((b) => b.reason === 'before-migration').length, 1, 'no second migration');
  await again.close();
});

test('MIGRATION_FAILED: a migration that throws halfway after writing; the files are restored from the backup, other stores keep working', async () => {
  const cwd = tmpDir();
  await seedV1(cwd);
  const file = path.join(cwd, 'settings.json');
  const daemon = await open(cwd, 'stores-v2-throws');
  const failure = daemon.failedStores.settings;
  assert.equal(failure?.code, 'MIGRATION_FAILED');
  const { backupId } = failure.details as { backupId: string };
  assert.match(failure.message, /cannot convert the old size/);
  assert.match(failure.message, new RegExp(backupId));
  const e = await rejectsWith(daemon.store('settings'), 'MIGRATION_FAILED');
  assert.equal((e.details as { backupId: string }).backupId, backupId);

  // The backup exists, and the checkpoint holds exactly its data (nothing of the half-run migration).
  const backupFile = path.join(cwd, 'backups', 'settings', `${backupId}.json`);
  const meta = JSON.parse(fs.readFileSync(path.join(cwd, 'backups', 'settings', `${backupId}.meta.json`), 'utf8')) as BackupInfo;
  assert.equal(meta.reason, 'before-migration');
  assert.deepEqual(readDoc(file).doc, readDoc(backupFile).doc);
  assert.deepEqual(readDoc(file).doc, { size: 20, theme: 'dark', fontSize: 14 }, 'v1 data plus the new defaults, none of the half-run migration');
  assert.equal(readDoc(file).internal.storeDaemon?.rev, 2);

  // Other stores are served.
  const other = await daemon.store<{ n: number }>('other');
  assert.deepEqual(await other.set('n', 1), { rev: 1 });
  await daemon.close();

  // The old version still opens the untouched data (and the lock was released); the fixed migration then succeeds.
  const old = await open(cwd, 'stores-v1');
  const s = await old.store<Doc>('settings');
  assert.deepEqual(s.store, { size: 20, theme: 'dark', fontSize: 14 });
  assert.equal(s.rev, 2);
  await old.close();
  const fixed = await open(cwd, 'stores-v2');
  assert.deepEqual((await fixed.store<Doc>('settings')).store, { fontSize: 20, theme: 'dark' });
  await fixed.close();
});

test('MIGRATION_FAILED: a migration whose result does not match the schema commits nothing', async () => {
  const cwd = tmpDir();
  await seedV1(cwd);
  const daemon = await open(cwd, 'stores-v2-invalid');
  const failure = daemon.failedStores.settings;
  assert.equal(failure?.code, 'MIGRATION_FAILED');
  assert.match(failure.message, /does not match the schema/);
  assert.deepEqual(readDoc(path.join(cwd, 'settings.json')).doc, { size: 20, theme: 'dark', fontSize: 14 });
  const journal = path.join(cwd, 'storeHistory', 'settings');
  const records = fs.readdirSync(journal).flatMap((f) => fs.readFileSync(path.join(journal, f), 'utf8').split('\n').filter(Boolean));
  assert.equal(records.length, 2, 'no migration record was journaled');
  await daemon.close();
});

test('a SIGKILL in the middle of a migration: the next start migrates the untouched data once', async () => {
  const cwd = tmpDir();
  await seedV1(cwd);
  const marker = path.join(cwd, 'migration-started');
  const started = waitFor<void>((done) => {
    const w = fs.watch(cwd, (_e, name) => name === 'migration-started' && done());
    return () => w.close();
  }, 'the migration to start', 30_000);
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('open-child'), cwd, fixture('stores-v2-slow')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, signal) => resolve(signal)));
  await started;
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.ok(fs.existsSync(marker));
  assert.deepEqual(readDoc(path.join(cwd, 'settings.json')).doc, { size: 20, theme: 'dark', fontSize: 14 }, 'the store file was never half-migrated');

  const daemon = await open(cwd, 'stores-v2');
  const s = await daemon.store<Doc>('settings');
  assert.deepEqual(s.store, { fontSize: 20, theme: 'dark' });
  const migrations = (await s.history({ sinceRev: 0 })).filter((e) => e.source === 'migration');
  assert.equal(migrations.length, 1, 'migrated exactly once');
  assert.deepEqual(fs.readdirSync(cwd).filter((n) => n.includes('.migrating-')), [], 'the scratch folder of the killed migration is gone');
  await daemon.close();
});
