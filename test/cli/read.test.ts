import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, cliJson, makeFolder } from './helpers.ts';

// The read-only commands on a folder a real daemon wrote and closed. They never write: the folder's files are
// compared before and after.
const filesOf = (dir: string) => JSON.stringify(fs.readdirSync(dir, { recursive: true }).sort().map((f) => {
  const file = path.join(dir, String(f));
  return fs.statSync(file).isFile() ? [f, fs.readFileSync(file, 'utf8')] : [f];
}));

// At the top level: tmpDir() removes the folder after the file's tests (inside a before() hook it would go at once).
const folder = await makeFolder();
const snapshot = filesOf(folder);

test('list: every store with rev, sizes, journal and backups (--json and the table)', async () => {
  const { code, json, stderr } = await cliJson(['list', folder]);
  assert.equal(code, 0, stderr);
  assert.equal(json.folder, folder);
  assert.deepEqual(json.stores.map((s: { name: string }) => s.name), ['notes', 'settings']);
  const settings = json.stores.find((s: { name: string }) => s.name === 'settings');
  assert.equal(settings.rev, 5);
  assert.equal(settings.checkpointRev, 5);
  assert.equal(settings.fileBytes, fs.statSync(path.join(folder, 'settings.json')).size);
  assert.deepEqual({ segments: settings.journal.segments, records: settings.journal.records }, { segments: 1, records: 0 });
  assert.ok(settings.journal.bytes > 0);
  assert.ok(settings.backups >= 2, 'the start backup and the manual one');
  assert.equal(settings.inUse, false);
  assert.deepEqual(settings.evidence, []);
  assert.equal(settings.recovery, undefined, 'no recovery report is recorded on disk: omitted');

  const human = await cli(['list', folder]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^store\s+rev\s+file\s+segments\s+journal\s+records\s+backups\s+in use$/m);
  assert.match(human.stdout, /^settings\s+5\s/m);
  assert.match(human.stderr, /read without the lock/);
});

test('get: the document, a dot path, a missing key (exit 1), a malformed key', async () => {
  const [whole, one, nested, missing, human, malformed] = await Promise.all([
    cliJson(['get', folder, 'settings']),
    cliJson(['get', folder, 'settings', 'fontSize']),
    cliJson(['get', folder, 'settings', 'tags.1']),
    cliJson(['get', folder, 'settings', 'window.width']),
    cli(['get', folder, 'settings', 'theme']),
    cliJson(['get', folder, 'settings', 'a..b']),
  ]);
  assert.equal(whole.code, 0);
  assert.deepEqual(whole.json, { store: 'settings', rev: 5, found: true, value: { theme: 'dark', fontSize: 16, tags: ['a', 'b'] } });
  assert.deepEqual(one.json.value, 16);
  assert.equal(nested.json.value, 'b');
  assert.equal(missing.code, 1);
  assert.deepEqual(missing.json, { store: 'settings', rev: 5, key: 'window.width', found: false });
  assert.equal(human.code, 0);
  assert.equal(human.stdout, 'dark\n', 'a string prints as itself');
  assert.equal(malformed.code, 1);
  assert.equal(malformed.json.error.code, 'INVALID_KEY');
});

test('history: readable ops, --key, --since, --limit', async () => {
  const [all, byKey, since, limited, human, bad] = await Promise.all([
    cliJson(['history', folder, 'settings']),
    cliJson(['history', folder, 'settings', '--key', 'window']),
    cliJson(['history', folder, 'settings', '--since', '3']),
    cliJson(['history', folder, 'settings', '--limit', '2']),
    cli(['history', folder, 'settings']),
    cli(['history', folder, 'settings', '--limit', 'lots']),
  ]);
  assert.equal(all.code, 0);
  assert.deepEqual(all.json.entries.map((e: { rev: number }) => e.rev), [1, 2, 3, 4, 5]);
  assert.deepEqual(all.json.entries[0].ops, [{ op: 'replace', path: '/theme', value: 'dark' }]);
  assert.deepEqual(all.json.entries[0].inverse, [{ op: 'replace', path: '/theme', value: 'auto' }]);
  assert.deepEqual(byKey.json.entries.map((e: { rev: number }) => e.rev), [3, 5]);
  assert.deepEqual(since.json.entries.map((e: { rev: number }) => e.rev), [4, 5]);
  assert.deepEqual(limited.json.entries.map((e: { rev: number }) => e.rev), [4, 5]);
  assert.match(human.stdout, /^\s*1\s+\S+ \S+Z\s+\S+\s+replace \/theme "dark"$/m);
  assert.match(human.stdout, /add \/window \{"width":800,"height":600\}/);
  assert.match(human.stdout, /remove \/window$/m);
  assert.equal(bad.code, 2, 'a malformed option is a usage error');
  assert.match(bad.stderr, /--limit takes a non-negative integer/);
});

test('export: the document as JSON (what import takes), and { store, rev, doc } with --json', async () => {
  const [human, json] = await Promise.all([cli(['export', folder, 'settings']), cliJson(['export', folder, 'settings'])]);
  assert.equal(human.code, 0);
  assert.deepEqual(JSON.parse(human.stdout), { theme: 'dark', fontSize: 16, tags: ['a', 'b'] });
  assert.ok(human.stdout.includes('\n\t"theme"'), 'tab-indented, as StoreClient.export()');
  assert.deepEqual(json.json, { store: 'settings', rev: 5, doc: { theme: 'dark', fontSize: 16, tags: ['a', 'b'] } });
});

test('backups list: newest first, read from the metadata', async () => {
  const { code, json } = await cliJson(['backups', folder, 'settings', 'list']);
  assert.equal(code, 0);
  const manual = json.backups.find((b: { reason: string }) => b.reason === 'manual');
  assert.equal(manual.rev, 3);
  assert.match(manual.sha256, /^[0-9a-f]{64}$/);
  const times = json.backups.map((b: { time: number }) => b.time);
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  const human = await cli(['backups', folder, 'settings', 'list']);
  assert.match(human.stdout, new RegExp(`^${manual.id}\\s+\\S+ \\S+Z\\s+manual\\s+3\\s`, 'm'));
});

test('a read sees journal records the checkpoint does not hold yet (the app was killed), and writes nothing', async () => {
  // Records after the checkpoint's rev, as a crash leaves them: the view is checkpoint + journal, as recovery would make it.
  const copy = fs.mkdtempSync(path.join(path.dirname(folder), 'esd-cli-tail-'));
  try {
    fs.cpSync(folder, copy, { recursive: true });
    const cp = JSON.parse(fs.readFileSync(path.join(copy, 'settings.json'), 'utf8'));
    const atRev3 = { theme: 'dark', fontSize: 16, window: { width: 800, height: 600 }, __internal__: { ...cp.__internal__, storeDaemon: { rev: 3, time: 1 } } };
    fs.writeFileSync(path.join(copy, 'settings.json'), JSON.stringify(atRev3, undefined, '\t'));
    const [get, list] = await Promise.all([cliJson(['get', copy, 'settings']), cliJson(['list', copy])]);
    assert.deepEqual(get.json.value, { theme: 'dark', fontSize: 16, tags: ['a', 'b'] });
    assert.equal(get.json.rev, 5);
    const s = list.json.stores.find((x: { name: string }) => x.name === 'settings');
    assert.deepEqual([s.rev, s.checkpointRev, s.journal.records], [5, 3, 2]);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
  assert.equal(filesOf(folder), snapshot, 'no read-only command changed a file');
});
