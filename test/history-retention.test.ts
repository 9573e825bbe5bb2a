import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { defineStore } from '../src/index.ts';
import { startStoreDaemon } from '../src/client-main/index.ts';
import { rejectsWith, tmpDir } from './helpers.ts';

const journalBytes = (cwd: string) => fs.readdirSync(path.join(cwd, 'storeHistory', 'log'))
  .filter((n) => /^\d{12}\.jsonl$/.test(n)).reduce((sum, n) => sum + fs.statSync(path.join(cwd, 'storeHistory', 'log', n)).size, 0);

test('history.maxBytes bounds the retained journal by bytes; older history is gone, never what recovery needs back to the newest backup', async (t) => {
  const cwd = tmpDir();
  const maxBytes = 4000;
  const store = defineStore<Record<string, string>>({ name: 'log', history: { maxEntries: 100_000, maxBytes } });
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [store], tuning: { checkpointRecords: 50, checkpointIdleMs: 1e9, journalSegmentBytes: 1000 } });
  t.after(() => daemon.close());
  const log = await daemon.store<Record<string, string>>('log');
  const payload = 'x'.repeat(60);
  for (let i = 0; i < 300; i++) await log.set(`k${i % 10}`, `${payload}${i}`);
  // Recovery rebuilds from the newest backup (the start-up one, at rev 0) plus the journal: nothing may go yet.
  assert.equal((await log.history({ sinceRev: 0, limit: 1000 }))[0].rev, 1, 'kept back to the newest backup');
  await log.backups.create('now');
  // The next checkpoint (every 50 records here) prunes what is over maxBytes, but only back to that backup.
  for (let i = 300; i < 360; i++) await log.set(`k${i % 10}`, `${payload}${i}`);
  const entries = await log.history({ sinceRev: 0, limit: 100_000 });
  assert.ok(entries[0].rev > 200, `history beyond maxBytes was pruned; oldest kept: ${entries[0].rev}`);
  assert.ok(entries.some((e) => e.rev === 301), 'everything after the newest backup (rev 300) is kept');
  await rejectsWith(log.rollback({ rev: 10 }), 'BACKUP_NOT_FOUND');
  assert.equal(log.get('k9'), `${payload}359`);
  // With a backup at the end, close()'s checkpoint leaves at most maxBytes plus the segment that crosses the bound.
  await log.backups.create('end');
  await daemon.close();
  assert.ok(journalBytes(cwd) <= maxBytes + 1000 + 250, `journal ${journalBytes(cwd)} bytes`);
});

test('without history.maxBytes, the same writes keep history back to maxEntries', async (t) => {
  const cwd = tmpDir();
  const store = defineStore<Record<string, string>>({ name: 'log', history: { maxEntries: 100_000 } });
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [store], tuning: { checkpointRecords: 50, checkpointIdleMs: 1e9, journalSegmentBytes: 1000 } });
  t.after(() => daemon.close());
  const log = await daemon.store<Record<string, string>>('log');
  for (let i = 0; i < 300; i++) await log.set(`k${i % 10}`, `v${i}`);
  await log.backups.create('now');
  for (let i = 300; i < 350; i++) await log.set(`k${i % 10}`, `v${i}`);
  assert.equal((await log.history({ sinceRev: 0, limit: 100_000 }))[0].rev, 1);
});
