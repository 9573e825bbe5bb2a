/**
 * The built daemon entry is self-contained: copied alone into an empty folder with no node_modules above it (as in
 * an app.asar, or next to an app's bundled main), it serves a store on the worker host with everything its packages
 * do — ajv and ajv-formats (a schema), the journal (a durable write), backups, chokidar (a hand edit seen live) and
 * proper-lockfile (one daemon per folder).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { connectStore } from '../../src/client-renderer/index.ts';
import type { ChangeInfo } from '../../src/protocol/types.ts';
import { rejectsWith, tmpDir, untilRev, waitFor } from '../helpers.ts';
import { isolatedDaemonEntry, type Prefs, prefsDef } from './helpers.ts';

test('the daemon entry copied alone to an empty folder serves a store on the worker host: schema, journal, backup, watcher, lock', async (t) => {
  const daemonPath = isolatedDaemonEntry();
  const cwd = tmpDir('esd-packaged-data-');
  const daemon = await startStoreDaemon({ stores: [prefsDef()], cwd, host: 'worker', daemonPath });
  t.after(() => daemon.close());
  const main = await daemon.store<Prefs>('prefs');
  assert.deepEqual(main.store, { email: 'someone@example.com', tags: [], count: 0 });

  // ajv: a valid write commits; a wrong type, a duplicate (uniqueItems, ajv's runtime `equal`) and a bad email
  // (ajv-formats) are rejected with VALIDATION_FAILED.
  const { rev } = await main.set('tags', ['a', 'b']);
  await rejectsWith(main.set('count', -1), 'VALIDATION_FAILED');
  await rejectsWith(main.set('tags', ['a', 'a']), 'VALIDATION_FAILED');
  await rejectsWith(main.set('email', 'not an email'), 'VALIDATION_FAILED');
  await main.set('email', 'other@example.com');

  // The resolved write is in the journal on disk.
  const segments = path.join(cwd, 'storeHistory', 'prefs');
  const records = fs.readdirSync(segments).filter((f) => f.endsWith('.jsonl')).flatMap((f) => fs.readFileSync(path.join(segments, f), 'utf8').split('\n').filter(Boolean));
  assert.ok(records.some((line) => (JSON.parse(line) as { rev?: number }).rev === rev), `the record of rev ${rev} is in ${segments}`);

  // Backups: made, listed, verified.
  const backup = await main.backups.create('packaging test');
  assert.ok((await main.backups.list()).some((b) => b.id === backup.id));
  assert.deepEqual(await main.backups.verify(backup.id), { ok: true, problems: [] });

  // chokidar: a hand edit of the file reaches another client as an `external` change.
  const other = await connectStore<Prefs>('prefs', { port: daemon.createPort() });
  const external = waitFor<ChangeInfo>((done) => other.onDidAnyChange((_n, _o, c) => c.source === 'external' && done(c)), 'the external change event');
  const file = path.join(cwd, 'prefs.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  doc.count = 7;
  fs.writeFileSync(file, JSON.stringify(doc, undefined, 2));
  const change = await external;
  assert.deepEqual(change.ops, [{ op: 'replace', path: '/count', value: 7 }]);
  await untilRev(main, change.rev);
  assert.equal(main.get('count'), 7);

  // proper-lockfile: a second daemon on the same folder does not get the store.
  const second = await startStoreDaemon({ stores: [prefsDef()], cwd, host: 'worker', daemonPath });
  t.after(() => second.close());
  assert.equal(second.failedStores.prefs?.code, 'STORE_LOCKED');
});
