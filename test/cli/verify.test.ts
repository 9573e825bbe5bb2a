import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers.ts';
import { cli, cliJson, makeFolder, storesModule } from './helpers.ts';

const segment = (folder: string) => path.join(folder, 'storeHistory', 'settings', '000000000001.jsonl');

async function backupsOf(folder: string): Promise<Array<{ id: string; reason: string; rev: number }>> {
  return (await cliJson(['backups', folder, 'settings', 'list'])).json.backups;
}

test('verify: a folder the daemon wrote is all well (exit 0), with progress per step on stderr', async () => {
  const folder = await makeFolder();
  const [json, human, one] = await Promise.all([cliJson(['verify', folder]), cli(['verify', folder]), cliJson(['verify', folder, 'notes'])]);
  assert.equal(json.code, 0, json.stdout);
  assert.equal(json.json.ok, true);
  const settings = json.json.stores.find((s: { name: string }) => s.name === 'settings');
  assert.deepEqual(settings.problems, []);
  assert.equal(settings.checked.rev, 5);
  assert.equal(settings.checked.checkpoint, 'ok');
  assert.equal(settings.checked.records, 5);
  assert.ok(settings.checked.backups >= 2);
  assert.equal(settings.checked.schema, false);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^ok\s+settings: rev 5/m);
  assert.match(human.stdout, /^All is well\.$/m);
  assert.match(human.stderr, /verify settings: backup 1\/\d+ /);
  assert.match(human.stderr, /verify settings: journal segment 1\/1 000000000001\.jsonl/);
  assert.deepEqual(one.json.stores.map((s: { name: string }) => s.name), ['notes']);
});

test('verify: a damaged backup and journal exit 1, naming each problem', async () => {
  const folder = await makeFolder();
  const manual = (await backupsOf(folder)).find((b) => b.reason === 'manual')!;
  const data = path.join(folder, 'backups', 'settings', `${manual.id}.json`);
  fs.writeFileSync(data, fs.readFileSync(data, 'utf8').replace('"dark"', '"DARK"'));
  const lines = fs.readFileSync(segment(folder), 'utf8').split('\n');
  lines.splice(2, 0, '{"rev":3,"time":1,"sou');           // an unreadable record in the middle
  fs.writeFileSync(segment(folder), lines.join('\n'));

  const { code, json } = await cliJson(['verify', folder]);
  assert.equal(code, 1);
  assert.equal(json.ok, false);
  const settings = json.stores.find((s: { name: string }) => s.name === 'settings');
  assert.equal(settings.ok, false);
  assert.ok(settings.problems.some((p: string) => p.startsWith(`backup ${manual.id}: sha256 does not match`)), settings.problems.join('\n'));
  assert.ok(settings.problems.some((p: string) => /^unreadable journal record in 000000000001\.jsonl at byte \d+$/.test(p)), settings.problems.join('\n'));
  assert.equal(json.stores.find((s: { name: string }) => s.name === 'notes').ok, true, 'the other store is fine');

  const human = await cli(['verify', folder]);
  assert.equal(human.code, 1);
  assert.match(human.stdout, /^FAIL\s+settings: /m);
  assert.match(human.stdout, /^\s+problem: backup .*sha256 does not match/m);
  assert.match(human.stdout, /^2 problem\(s\) in 1 store\(s\)\.$/m);
});

test('verify: a torn tail, a gap in revs, a lost backup file and an unreadable checkpoint', async () => {
  const torn = await makeFolder();
  fs.appendFileSync(segment(torn), '{"rev":6,"time":17');
  const tornResult = await cliJson(['verify', torn, 'settings']);
  assert.equal(tornResult.code, 1);
  assert.ok(tornResult.json.stores[0].problems.some((p: string) => /^torn record at the end of 000000000001\.jsonl/.test(p)));

  const gap = await makeFolder();
  const lines = fs.readFileSync(segment(gap), 'utf8').split('\n');
  lines.splice(2, 1);                                       // rev 3 gone
  fs.writeFileSync(segment(gap), lines.join('\n'));
  const gapResult = await cliJson(['verify', gap, 'settings']);
  assert.equal(gapResult.code, 1);
  assert.ok(gapResult.json.stores[0].problems.some((p: string) => p.startsWith('journal gap in 000000000001.jsonl: expected rev 3, found rev 4 at byte ')));

  const lost = await makeFolder();
  const manual = (await backupsOf(lost)).find((b) => b.reason === 'manual')!;
  fs.rmSync(path.join(lost, 'backups', 'settings', `${manual.id}.json`));
  fs.writeFileSync(path.join(lost, 'settings.json'), '{"theme": "dark", ');
  const lostResult = await cliJson(['verify', lost, 'settings']);
  assert.equal(lostResult.code, 1);
  const problems: string[] = lostResult.json.stores[0].problems;
  assert.ok(problems.includes(`backup ${manual.id}: its data file ${manual.id}.json is missing`), problems.join('\n'));
  assert.ok(problems.some((p) => /^settings\.json cannot be used: it is not valid JSON/.test(p)), problems.join('\n'));
  assert.equal(lostResult.json.stores[0].checked.checkpoint, 'bad');
});

test('verify --stores: documents and backups are checked against the schema', async () => {
  const folder = await makeFolder();
  const manual = (await backupsOf(folder)).find((b) => b.reason === 'manual')!;
  // A backup that is intact (its hash matches) but does not fit the schema: only the schema check finds it.
  const data = path.join(folder, 'backups', 'settings', `${manual.id}.json`);
  const meta = path.join(folder, 'backups', 'settings', `${manual.id}.meta.json`);
  const bytes = Buffer.from(fs.readFileSync(data, 'utf8').replace('"dark"', '"purple"'));
  fs.writeFileSync(data, bytes);
  fs.writeFileSync(meta, JSON.stringify({ ...JSON.parse(fs.readFileSync(meta, 'utf8')), sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }));

  const without = await cliJson(['verify', folder, 'settings']);
  assert.equal(without.code, 0, 'no schema without the stores module');
  assert.ok(without.json.stores[0].notes.some((n: string) => n.includes('pass --stores')));

  const stores = storesModule(tmpDir('esd-cli-stores-'));
  const withSchema = await cliJson(['verify', folder, 'settings', '--stores', stores]);
  assert.equal(withSchema.code, 1);
  assert.equal(withSchema.json.stores[0].checked.schema, true);
  assert.deepEqual(withSchema.json.stores[0].problems.filter((p: string) => p.startsWith(`backup ${manual.id}: schema:`)).length, 1, withSchema.json.stores[0].problems.join('\n'));
  assert.match(withSchema.json.stores[0].problems[0], /\/theme/);
});

test('verify: an empty folder has nothing to verify (exit 1)', async () => {
  const { code, json } = await cliJson(['verify', tmpDir('esd-cli-empty-')]);
  assert.equal(code, 1);
  assert.deepEqual(json.stores, []);
});
