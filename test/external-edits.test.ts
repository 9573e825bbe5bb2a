import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { connectStore } from '../src/client-renderer/index.ts';
import type { ChangeInfo } from '../src/protocol/types.ts';
import { type Settings, startDaemon, tmpDir, untilRev, waitFor } from './helpers.ts';

function handEdit(file: string, edit: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(doc);
  fs.writeFileSync(file, JSON.stringify(doc, undefined, 2));
}

test('a valid hand edit is diffed against the checkpoint, merged with newer writes, committed as `external` and broadcast', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { tuning: { checkpointIdleMs: 1e9, checkpointRecords: 1e9 } });
  const main = await daemon.store<Settings>('settings');
  const other = await connectStore<Settings>('settings', { port: daemon.createPort() });
  const file = path.join(cwd, 'settings.json');
  // The file (checkpoint) is at rev 0; memory moves on to rev 1 without a checkpoint.
  await main.set('window', { width: 800 });
  const external = waitFor<ChangeInfo>((done) => other.onDidAnyChange((_n, _o, c) => c.source === 'external' && done(c)), 'the external change event');
  handEdit(file, (doc) => {
    doc.theme = 'light';
  });
  const change = await external;
  assert.deepEqual(change.ops, [{ op: 'replace', path: '/theme', value: 'light' }]);
  await untilRev(main, change.rev);
  // The edit changed theme; the newer write to window (not in the edited file) is kept: a three-way merge.
  assert.deepEqual(main.store, { theme: 'light', fontSize: 14, window: { width: 800 } });
  const history = await main.history();
  assert.equal(history.at(-1)?.source, 'external');
});

test('an invalid hand edit is rejected: memory stays, the file is restored, the text kept aside, main is told', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  await main.set('theme', 'dark');
  const file = path.join(cwd, 'settings.json');
  const rejected = waitFor<{ store: string; keptAs: string; error: { code: string } }>((done) => {
    daemon.on('external-change-rejected', done);
    return () => daemon.off('external-change-rejected', done);
  }, 'external-change-rejected');
  const rev = main.rev;
  const before = fs.readFileSync(file, 'utf8');
  handEdit(file, (doc) => {
    doc.fontSize = 'huge';
  });
  const event = await rejected;
  assert.equal(event.store, 'settings');
  assert.equal(event.error.code, 'VALIDATION_FAILED');
  assert.match(fs.readFileSync(event.keptAs, 'utf8'), /huge/);
  assert.equal(main.rev, rev);
  assert.equal(main.get('fontSize'), 14);
  const restored = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(restored.fontSize, 14);
  assert.equal(restored.theme, 'dark');
  assert.ok(before.length > 0);

  const broken = waitFor<{ error: { code: string } }>((done) => {
    daemon.on('external-change-rejected', done);
    return () => daemon.off('external-change-rejected', done);
  }, 'rejection of a broken file');
  fs.writeFileSync(file, '{ "theme": "dark", ');
  assert.equal((await broken).error.code, 'VALIDATION_FAILED');
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).theme, 'dark');
});

test('the watcher starts after the first read (off the start path) and still sees an edit made before it watched, and the ones after', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { tuning: { checkpointIdleMs: 1e9, checkpointRecords: 1e9 } });
  const file = path.join(cwd, 'settings.json');
  // Before any client read: nothing watches the file yet.
  handEdit(file, (doc) => {
    doc.theme = 'light';
  });
  const main = await daemon.store<Settings>('settings');
  await untilRev(main, 1);
  assert.equal(main.get('theme'), 'light');
  assert.equal((await main.history()).at(-1)?.source, 'external');
  handEdit(file, (doc) => {
    doc.fontSize = 20;
  });
  await untilRev(main, 2);
  assert.equal(main.get('fontSize'), 20);
  await daemon.close();
});

test('with no client reading, the watcher and the start backup still start', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { tuning: { checkpointIdleMs: 1e9, checkpointRecords: 1e9 } });
  const file = path.join(cwd, 'settings.json');
  const backups = path.join(cwd, 'backups', 'settings');
  // Nobody reads: both begin on their own (AFTER_FIRST_READ_MS); a client connecting later sees the edit committed.
  await waitFor<void>((done) => {
    const timer = setInterval(() => fs.existsSync(backups) && fs.readdirSync(backups).some((f) => f.endsWith('.json')) && done(), 20);
    return () => clearInterval(timer);
  }, 'the start backup');
  handEdit(file, (doc) => {
    doc.theme = 'dark';
  });
  const main = await daemon.store<Settings>('settings');
  await untilRev(main, 1);
  assert.equal(main.get('theme'), 'dark');
  await daemon.close();
});
