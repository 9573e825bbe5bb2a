import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Conf from 'conf';
import type { Operation } from 'rfc6902';
import { FieldCipher } from '../../src/daemon/features/encryption.ts';
import { recoverStore, type RecoveryInput } from '../../src/daemon/features/recovery.ts';
import { DocumentValidator } from '../../src/daemon/features/validator.ts';
import { BackupFiles } from '../../src/daemon/storage/backup-files.ts';
import { CheckpointFile } from '../../src/daemon/storage/checkpoint.ts';
import { errnoError, FsSeam } from '../../src/daemon/storage/fs-seam.ts';
import { Journal, type JournalRecord } from '../../src/daemon/storage/journal.ts';
import { StoreError } from '../../src/protocol/errors.ts';
import type { JsonObject } from '../../src/protocol/types.ts';
import { settingsSchema, tmpDir } from '../helpers.ts';

const NAME = 'settings';
const DEFAULTS: JsonObject = { theme: 'auto', fontSize: 14 };

/**
 * The files of one store and what reads them, built the way open-store.ts (storeParts) builds them. Each call is a
 * fresh process's view: the tests set a state up with one set of parts and recover with another.
 */
function parts(cwd: string, options: { schema?: object; fsSeam?: FsSeam } = {}) {
  const fsSeam = options.fsSeam ?? new FsSeam();
  const defaults = structuredClone(DEFAULTS);
  const cipher = new FieldCipher(NAME, undefined, undefined);
  const validator = options.schema ? new DocumentValidator(options.schema) : undefined;
  const checkpoint = new CheckpointFile({ cwd, name: NAME, StoreClass: Conf, fsSeam, defaults, cipher });
  const journal = new Journal(path.join(cwd, 'storeHistory', NAME), fsSeam, { cipher });
  const backupFiles = new BackupFiles({
    dir: path.join(cwd, 'backups', NAME), store: NAME, max: 10, fsSeam, cipher,
    validate: validator && ((doc) => validator.validateAll(doc)),
  });
  return { defaults, cipher, validator, checkpoint, journal, backupFiles };
}

/** Runs recovery on a fresh view of `cwd`, as startEngine does. */
function recover(cwd: string, options: { schema?: object; fsSeam?: FsSeam } = {}, extra: Partial<RecoveryInput> = {}) {
  const p = parts(cwd, options);
  const result = recoverStore({
    name: NAME, checkpoint: p.checkpoint, journal: p.journal, validator: p.validator, defaults: p.defaults, backups: p.backupFiles,
    ...extra,
  });
  p.journal.closeSync();
  return result;
}

/** Rev `rev` sets `n` to `rev` (so the document says which revs were applied); its inverse puts the previous one back. */
function rec(rev: number, extra: Partial<JournalRecord> = {}): JournalRecord {
  return {
    rev, time: 1_700_000_000_000 + rev, source: 'test',
    ops: [{ op: 'add', path: '/n', value: rev }],
    inverse: [rev === 1 ? { op: 'remove', path: '/n' } : { op: 'replace', path: '/n', value: rev - 1 }],
    ...extra,
  };
}

/** Appends records `from`…`to` (one group each) to the store's journal, as the engine does, and closes it. */
async function journalRevs(cwd: string, from: number, to: number, edit: (r: JournalRecord) => JournalRecord = (r) => r): Promise<void> {
  const { journal } = parts(cwd);
  journal.openForAppend(from);
  for (let rev = from; rev <= to; rev++) await journal.append([journal.encode(edit(rec(rev)))], rev);
  journal.closeSync();
}

function writeCheckpoint(cwd: string, doc: JsonObject, rev: number, internal: Record<string, unknown> = {}): void {
  parts(cwd).checkpoint.write(doc, internal, { rev, time: 1_700_000_000_000 });
}

const checkpointPath = (cwd: string) => path.join(cwd, `${NAME}.json`);
const journalDir = (cwd: string) => path.join(cwd, 'storeHistory', NAME);
const segmentPath = (cwd: string, firstRev: number) => path.join(journalDir(cwd), `${String(firstRev).padStart(12, '0')}.jsonl`);

/** The checkpoint as it is on disk: its document and the rev it records. */
function onDisk(cwd: string): { doc: Record<string, unknown>; rev: unknown } {
  const { __internal__: internal, ...doc } = JSON.parse(fs.readFileSync(checkpointPath(cwd), 'utf8')) as Record<string, unknown>;
  return { doc, rev: (internal as { storeDaemon?: { rev?: unknown } } | undefined)?.storeDaemon?.rev };
}

/** Asserts the checkpoint was kept aside as `<name>.corrupt-*.json` holding `text`, and is the first kept-aside file. */
function assertCheckpointKeptAside(cwd: string, keptAside: readonly string[], text: string): void {
  const aside = keptAside.filter((f) => path.dirname(f) === cwd);
  assert.equal(aside.length, 1, `one checkpoint kept aside: ${keptAside.join(', ')}`);
  assert.match(path.basename(aside[0]), new RegExp(`^${NAME}\\.corrupt-[0-9TZ-]+\\.json$`));
  assert.equal(fs.readFileSync(aside[0], 'utf8'), text, 'the evidence is the unusable file, unchanged');
}

const mentions = (problems: readonly string[], pattern: RegExp) =>
  assert.ok(problems.some((p) => pattern.test(p)), `a problem matching ${pattern}; got ${JSON.stringify(problems)}`);

const GARBAGE = '{"theme": "dark", "fontSi';

// --- a new store, a good checkpoint ---

test('a new store (no files at all) opens from the defaults at rev 0 with nothing to report', () => {
  const dir = tmpDir('esd-recovery-');
  const result = recover(dir);
  assert.equal(result.report.source, 'new');
  assert.equal(result.rev, 0);
  assert.equal(result.checkpointRev, 0);
  assert.deepEqual(result.doc, DEFAULTS);
  assert.equal(result.report.replayed, 0);
  assert.equal(result.report.baseRev, 0);
  assert.deepEqual(result.report.problems, []);
  assert.deepEqual(result.report.keptAside, []);
  assert.equal(result.report.lostRevs, undefined);
});

test('a checkpoint plus newer journal records: only the records past the checkpoint are replayed', async () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'dark', fontSize: 14, n: 2 }, 2);
  // Revs 1 and 2 are already in the checkpoint (the journal is kept back to the newest backup, so they may remain).
  await journalRevs(dir, 1, 4, (r) => (r.rev === 4 ? { ...r, internal: { migrations: { version: '2.0.0' } } } : r));
  const before = fs.readFileSync(checkpointPath(dir), 'utf8');

  const result = recover(dir);
  assert.equal(result.report.source, 'checkpoint');
  assert.equal(result.report.baseRev, 2);
  assert.equal(result.rev, 4);
  assert.equal(result.report.replayed, 2);
  assert.deepEqual(result.doc, { theme: 'dark', fontSize: 14, n: 4 });
  assert.deepEqual(result.internal.migrations, { version: '2.0.0' }, 'a record\'s conf bookkeeping is replayed too');
  assert.deepEqual(result.report.problems, []);
  assert.deepEqual(result.report.keptAside, []);
  assert.equal(result.report.lostRevs, undefined);
  // Opened as is: nothing rewritten, the engine's next checkpoint retires revs 3 and 4.
  assert.equal(result.checkpointRev, 2);
  assert.equal(fs.readFileSync(checkpointPath(dir), 'utf8'), before);
});

test('a torn last journal record is dropped and cut from the segment; everything before it is replayed', async () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'auto', fontSize: 14, n: 1 }, 1);
  await journalRevs(dir, 1, 3);
  const whole = fs.readFileSync(segmentPath(dir, 1), 'utf8');
  fs.appendFileSync(segmentPath(dir, 1), '{"rev":4,"time":1700000000004,"source":"test","ops":[{"op":"add","pa');

  const result = recover(dir);
  assert.equal(result.report.source, 'checkpoint');
  assert.equal(result.rev, 3);
  assert.equal(result.report.replayed, 2);
  assert.equal(result.doc.n, 3);
  mentions(result.report.problems, /torn journal record/);
  assert.equal(result.report.lostRevs, undefined, 'an unacknowledged record is not a lost rev');
  assert.deepEqual(result.report.keptAside, []);
  assert.equal(fs.readFileSync(segmentPath(dir, 1), 'utf8'), whole, 'the torn bytes are cut off');
});

// --- an unusable checkpoint ---

test('a garbage checkpoint with a valid backup: rebuilt from the backup plus the journal, the bad file kept aside, the result checkpointed', async () => {
  const dir = tmpDir('esd-recovery-');
  const info = parts(dir).backupFiles.write({ doc: { theme: 'light', fontSize: 12, n: 2 }, internal: {}, rev: 2 }, 'test');
  await journalRevs(dir, 1, 4);
  fs.writeFileSync(checkpointPath(dir), GARBAGE);

  const result = recover(dir);
  assert.equal(result.report.source, 'backup');
  assert.equal(result.report.backupId, info.id);
  assert.equal(result.report.baseRev, 2);
  assert.equal(result.report.replayed, 2);
  assert.equal(result.rev, 4);
  assert.deepEqual(result.doc, { theme: 'light', fontSize: 12, n: 4 });
  assert.equal(result.report.lostRevs, undefined);
  assertCheckpointKeptAside(dir, result.report.keptAside, GARBAGE);
  mentions(result.report.problems, /checkpoint settings\.json was unusable: it is not valid JSON/);
  mentions(result.report.problems, new RegExp(`rebuilt from backup ${info.id} \\(rev 2\\)`));
  // Written back at once: the next start does not depend on this rebuild.
  assert.equal(result.checkpointRev, 4);
  assert.deepEqual(onDisk(dir), { doc: { theme: 'light', fontSize: 12, n: 4 }, rev: 4 });
  const again = recover(dir);
  assert.equal(again.report.source, 'checkpoint');
  assert.equal(again.rev, 4);
  assert.deepEqual(again.report.problems, []);
});

test('a garbage checkpoint, no backup, a journal kept since rev 1: rebuilt from the defaults plus the whole journal', async () => {
  const dir = tmpDir('esd-recovery-');
  await journalRevs(dir, 1, 3);
  fs.writeFileSync(checkpointPath(dir), GARBAGE);

  const result = recover(dir);
  assert.equal(result.report.source, 'journal');
  assert.equal(result.report.baseRev, 0);
  assert.equal(result.report.replayed, 3);
  assert.equal(result.rev, 3);
  assert.deepEqual(result.doc, { ...DEFAULTS, n: 3 });
  assert.equal(result.report.lostRevs, undefined);
  assertCheckpointKeptAside(dir, result.report.keptAside, GARBAGE);
  mentions(result.report.problems, /not valid JSON/);
  mentions(result.report.problems, /no usable backup: rebuilt from the defaults plus the whole journal/);
  assert.equal(result.checkpointRev, 3);
  assert.deepEqual(onDisk(dir), { doc: { ...DEFAULTS, n: 3 }, rev: 3 });
});

test('a garbage checkpoint, no backup, a journal not from rev 1: the defaults at the highest rev seen, every piece of evidence kept aside', async () => {
  const dir = tmpDir('esd-recovery-');
  await journalRevs(dir, 5, 7);
  fs.writeFileSync(checkpointPath(dir), GARBAGE);

  const result = recover(dir);
  assert.equal(result.report.source, 'defaults');
  assert.equal(result.report.replayed, 0);
  assert.deepEqual(result.doc, DEFAULTS);
  assert.equal(result.rev, 7, 'revs never go backwards: clients may hold rev 7');
  assert.deepEqual(result.report.lostRevs, { from: 1, to: 7 });
  mentions(result.report.problems, /not valid JSON/);
  mentions(result.report.problems, /nothing valid to rebuild from/);
  mentions(result.report.problems, /revs 1…7 could not be recovered/);
  // The checkpoint and the journal segment are both kept, under names that are no longer theirs.
  assert.equal(result.report.keptAside.length, 2, result.report.keptAside.join(', '));
  assertCheckpointKeptAside(dir, result.report.keptAside, GARBAGE);
  const segment = result.report.keptAside.find((f) => path.dirname(f) === journalDir(dir));
  assert.ok(segment, 'the journal segment is kept aside');
  assert.match(path.basename(segment), /^000000000005\.corrupt-[0-9TZ-]+\.jsonl$/);
  assert.deepEqual(fs.readFileSync(segment, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).rev), [5, 6, 7]);
  assert.equal(fs.existsSync(segmentPath(dir, 5)), false, 'no longer a segment the journal would replay');
  assert.equal(result.checkpointRev, 7);
  assert.deepEqual(onDisk(dir), { doc: DEFAULTS, rev: 7 });

  const again = recover(dir);
  assert.equal(again.report.source, 'checkpoint');
  assert.equal(again.rev, 7);
  assert.deepEqual(again.report.problems, []);
});

test('every kind of unusable checkpoint is kept aside with its reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /it is empty/],
    ['whitespace', ' \n\t', /it is empty/],
    ['truncated', GARBAGE, /it is not valid JSON/],
    ['an array', '[1,2]', /it is not a JSON object/],
    ['null', 'null', /it is not a JSON object/],
    ['a string', '"text"', /it is not a JSON object/],
    ['__internal__ not an object', '{"theme":"dark","__internal__":[1]}', /__internal__ is not an object/],
    ['a negative rev', '{"theme":"dark","__internal__":{"storeDaemon":{"rev":-1}}}', /recorded rev is not a non-negative integer/],
    ['a fractional rev', '{"theme":"dark","__internal__":{"storeDaemon":{"rev":1.5}}}', /recorded rev is not a non-negative integer/],
    ['a string rev', '{"theme":"dark","__internal__":{"storeDaemon":{"rev":"3"}}}', /recorded rev is not a non-negative integer/],
    ['storeDaemon not an object', '{"theme":"dark","__internal__":{"storeDaemon":7}}', /recorded rev is not a non-negative integer/],
  ];
  for (const [label, text, reason] of cases) {
    const dir = tmpDir('esd-recovery-');
    fs.writeFileSync(checkpointPath(dir), text);
    const result = recover(dir);
    assert.equal(result.report.source, 'defaults', label);
    assert.deepEqual(result.doc, DEFAULTS, label);
    assert.equal(result.rev, 0, label);
    assert.equal(result.report.lostRevs, undefined, label);
    assertCheckpointKeptAside(dir, result.report.keptAside, text);
    mentions(result.report.problems, reason);
    assert.deepEqual(onDisk(dir), { doc: DEFAULTS, rev: 0 }, `${label}: a fresh checkpoint replaces it`);
  }
});

test('a checkpoint that fails the schema is unusable: kept aside, rebuilt from a valid backup plus the journal', async () => {
  const dir = tmpDir('esd-recovery-');
  const setup = parts(dir, { schema: settingsSchema });
  const info = setup.backupFiles.write({ doc: { theme: 'dark', fontSize: 14, n: 1 }, internal: {}, rev: 1 }, 'test');
  await journalRevs(dir, 1, 3);
  writeCheckpoint(dir, { theme: 'purple', fontSize: 14, n: 3 }, 3);
  const bad = fs.readFileSync(checkpointPath(dir), 'utf8');

  const result = recover(dir, { schema: settingsSchema });
  assert.equal(result.report.source, 'backup');
  assert.equal(result.report.backupId, info.id);
  assert.equal(result.report.replayed, 2);
  assert.equal(result.rev, 3);
  assert.deepEqual(result.doc, { theme: 'dark', fontSize: 14, n: 3 });
  assertCheckpointKeptAside(dir, result.report.keptAside, bad);
  mentions(result.report.problems, /unusable: it does not match the schema \(\/theme /);
  assert.deepEqual(onDisk(dir), { doc: { theme: 'dark', fontSize: 14, n: 3 }, rev: 3 });
});

test('the schema check of a checkpoint counts the defaults in, and is skipped while migrations are pending', () => {
  const schema = { type: 'object', required: ['theme', 'fontSize'], properties: { theme: { enum: ['auto', 'dark', 'light', 'old-style'] }, fontSize: { type: 'number' } } };
  const dir = tmpDir('esd-recovery-');
  // fontSize is missing from the file but has a default: the checkpoint is fine.
  writeCheckpoint(dir, { theme: 'dark' }, 4);
  const result = recover(dir, { schema });
  assert.equal(result.report.source, 'checkpoint');
  assert.equal(result.rev, 4);
  assert.deepEqual(result.report.problems, []);

  // An old shape waiting for a migration is not corrupt.
  const old = tmpDir('esd-recovery-');
  writeCheckpoint(old, { theme: 'auto', fontSize: 'big' }, 2, { migrations: { version: '1.0.0' } });
  const seen: Array<Record<string, unknown>> = [];
  const pending = recover(old, { schema }, { migrationPending: (internal) => (seen.push(internal), true) });
  assert.equal(pending.report.source, 'checkpoint');
  assert.equal(pending.doc.fontSize, 'big');
  assert.deepEqual(pending.report.keptAside, []);
  assert.deepEqual(pending.report.problems, []);
  assert.ok(seen.length > 0 && seen.every((i) => (i.migrations as { version?: string }).version === '1.0.0'), 'asked with the checkpoint\'s conf data');

  const notPending = recover(old, { schema }, { migrationPending: () => false });
  assert.equal(notPending.report.source, 'defaults');
  mentions(notPending.report.problems, /does not match the schema \(\/fontSize /);
});

test('a rebuilt store is checkpointed at the highest rev it ever had, also when the unusable checkpoint had the highest', async () => {
  const dir = tmpDir('esd-recovery-');
  // The checkpoint says rev 9 but fails the schema; the journal has only revs 1–3.
  await journalRevs(dir, 1, 3);
  writeCheckpoint(dir, { theme: 'purple', fontSize: 14 }, 9);

  const result = recover(dir, { schema: settingsSchema });
  assert.equal(result.report.source, 'journal');
  assert.equal(result.report.replayed, 3);
  assert.deepEqual(result.doc, { ...DEFAULTS, n: 3 });
  assert.equal(result.rev, 9, 'not 3: revs 4–9 were handed out before');
  assert.deepEqual(result.report.lostRevs, { from: 4, to: 9 });
  mentions(result.report.problems, /revs 4…9 could not be recovered/);
  assert.equal(result.checkpointRev, 9);
  assert.deepEqual(onDisk(dir), { doc: { ...DEFAULTS, n: 3 }, rev: 9 });
});

// --- a missing checkpoint ---

test('a checkpoint missing while a journal exists: rebuilt from the journal, and the report says the file was missing', async () => {
  const dir = tmpDir('esd-recovery-');
  await journalRevs(dir, 1, 3);

  const result = recover(dir);
  assert.equal(result.report.source, 'journal');
  assert.equal(result.rev, 3);
  assert.equal(result.report.replayed, 3);
  assert.deepEqual(result.doc, { ...DEFAULTS, n: 3 });
  mentions(result.report.problems, /checkpoint settings\.json is missing although the store has a journal/);
  assert.deepEqual(result.report.keptAside, [], 'nothing to keep aside');
  assert.deepEqual(onDisk(dir), { doc: { ...DEFAULTS, n: 3 }, rev: 3 });
});

test('a checkpoint missing while a journal and a backup exist: rebuilt from the backup plus the journal', async () => {
  const dir = tmpDir('esd-recovery-');
  const info = parts(dir).backupFiles.write({ doc: { theme: 'dark', fontSize: 20, n: 2 }, internal: {}, rev: 2 }, 'test');
  await journalRevs(dir, 1, 5);

  const result = recover(dir);
  assert.equal(result.report.source, 'backup');
  assert.equal(result.report.backupId, info.id);
  assert.equal(result.rev, 5);
  assert.equal(result.report.replayed, 3);
  assert.deepEqual(result.doc, { theme: 'dark', fontSize: 20, n: 5 });
  mentions(result.report.problems, /missing although the store has a journal/);
});

test('a checkpoint and journal both missing while backups remain: rebuilt from the newest valid backup, damaged ones reported', () => {
  const dir = tmpDir('esd-recovery-');
  const { backupFiles } = parts(dir);
  const good = backupFiles.write({ doc: { theme: 'light', fontSize: 11 }, internal: { migrations: { version: '1.2.0' } }, rev: 6 }, 'test');
  const damaged = backupFiles.write({ doc: { theme: 'dark', fontSize: 12 }, internal: {}, rev: 8 }, 'test');
  fs.writeFileSync(path.join(backupFiles.dir, `${damaged.id}.json`), '{"theme":"dark","fontSize":99}');
  // Both may carry the same millisecond: make the damaged one unambiguously the newest, so it is tried first.
  const meta = path.join(backupFiles.dir, `${damaged.id}.meta.json`);
  fs.writeFileSync(meta, JSON.stringify({ ...JSON.parse(fs.readFileSync(meta, 'utf8')), time: good.time + 1000 }));

  const result = recover(dir);
  assert.equal(result.report.source, 'backup');
  assert.equal(result.report.backupId, good.id);
  assert.equal(result.rev, 6);
  assert.deepEqual(result.doc, { theme: 'light', fontSize: 11 });
  assert.deepEqual(result.internal.migrations, { version: '1.2.0' });
  mentions(result.report.problems, /checkpoint settings\.json and its journal are missing, but backups exist/);
  mentions(result.report.problems, new RegExp(`backup ${damaged.id} is not usable: sha256 does not match`));
  assert.deepEqual(onDisk(dir), { doc: { theme: 'light', fontSize: 11 }, rev: 6 });
});

// --- replay problems ---

test('a journal record that does not apply stops replay there: what it applied is undone, later records kept aside, their revs reported lost', async () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'auto', fontSize: 14, n: 1 }, 1);
  await journalRevs(dir, 2, 4, (r) => (r.rev === 3 ? {
    ...r,
    ops: [{ op: 'add', path: '/partial', value: 1 }, { op: 'remove', path: '/missing' }],
    inverse: [{ op: 'remove', path: '/partial' }, { op: 'add', path: '/missing', value: 0 }],
  } : r));

  const result = recover(dir);
  assert.equal(result.report.source, 'checkpoint');
  assert.equal(result.report.replayed, 1);
  assert.deepEqual(result.doc, { theme: 'auto', fontSize: 14, n: 2 }, 'rev 3\'s first op is undone');
  assert.equal(result.rev, 4);
  assert.deepEqual(result.report.lostRevs, { from: 3, to: 4 });
  mentions(result.report.problems, /journal record 3 does not apply to the document/);
  assert.ok(result.report.keptAside.length > 0);
  for (const f of result.report.keptAside) assert.ok(fs.existsSync(f), `${f} exists`);
  // The journal now ends at rev 2, and the state is checkpointed at rev 4 so rev 3 and 4 are never reused.
  const { journal } = parts(dir);
  assert.equal(journal.lastRevOnDisk(), 2);
  assert.equal(result.checkpointRev, 4);
  assert.deepEqual(onDisk(dir), { doc: { theme: 'auto', fontSize: 14, n: 2 }, rev: 4 });
});

test('a failing op in the middle of a record: ops after it in the same record are not left applied either', async () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'auto', fontSize: 14, n: 1 }, 1);
  await journalRevs(dir, 2, 2, (r) => ({
    ...r,
    ops: [{ op: 'add', path: '/a', value: 1 }, { op: 'remove', path: '/missing' }, { op: 'add', path: '/b', value: 2 }] as Operation[],
    inverse: [{ op: 'remove', path: '/a' }, { op: 'add', path: '/missing', value: 0 }, { op: 'remove', path: '/b' }] as Operation[],
  }));
  const result = recover(dir);
  assert.equal(result.report.replayed, 0);
  assert.deepEqual(result.doc, { theme: 'auto', fontSize: 14, n: 1 });
});

test('a document that replay leaves outside the schema is served, and the report says what does not fit', async () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'auto', fontSize: 14 }, 1);
  await journalRevs(dir, 2, 2, (r) => ({ ...r, ops: [{ op: 'replace', path: '/fontSize', value: 500 }], inverse: [{ op: 'replace', path: '/fontSize', value: 14 }] }));

  const result = recover(dir, { schema: settingsSchema });
  assert.equal(result.report.source, 'checkpoint');
  assert.equal(result.rev, 2);
  assert.equal(result.doc.fontSize, 500);
  mentions(result.report.problems, /the document does not match the schema at open: \/fontSize /);
});

// --- housekeeping and failures ---

test('temp files of an interrupted checkpoint write are removed; other files are left alone', () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'dark', fontSize: 14 }, 1);
  // atomically (conf's writer) names temp files <file>.tmp-<10 digits><6 hex>.
  const temp = `${NAME}.json.tmp-1732900000abcdef`;
  fs.writeFileSync(path.join(dir, temp), '{"half');
  fs.writeFileSync(path.join(dir, 'other.json.tmp-1732900000abcdef'), 'x');
  // Store names may hold dots: the checkpoint of a store named "<NAME>.json.tmp-1" is not a temp file of this one.
  fs.writeFileSync(path.join(dir, `${NAME}.json.tmp-1.json`), '{"theirs": true}');
  fs.writeFileSync(path.join(dir, `${NAME}.json.tmp-1732900000abcdef.json`), '{"theirs": true}');
  const result = recover(dir);
  assert.equal(result.report.source, 'checkpoint');
  assert.equal(fs.existsSync(path.join(dir, temp)), false);
  assert.equal(fs.existsSync(path.join(dir, 'other.json.tmp-1732900000abcdef')), true);
  assert.equal(fs.existsSync(path.join(dir, `${NAME}.json.tmp-1.json`)), true, "another store's checkpoint is never a temp file");
  assert.equal(fs.existsSync(path.join(dir, `${NAME}.json.tmp-1732900000abcdef.json`)), true);
});

test('a rebuilt state that cannot be written is IO_FAILED, and the evidence stays kept aside', async () => {
  const dir = tmpDir('esd-recovery-');
  await journalRevs(dir, 1, 2);
  fs.writeFileSync(checkpointPath(dir), GARBAGE);
  const fsSeam = new FsSeam({ check: (op, p) => (op === 'checkpoint.write' ? errnoError('ENOSPC', op, p) : undefined) });

  assert.throws(() => recover(dir, { fsSeam }), (e: unknown) => {
    assert.ok(e instanceof StoreError);
    assert.equal(e.code, 'IO_FAILED');
    assert.equal(e.store, NAME);
    assert.match(e.message, /rebuilt the document but could not write it \(ENOSPC/);
    return true;
  });
  assert.equal(fs.existsSync(checkpointPath(dir)), false);
  const aside = fs.readdirSync(dir).filter((n) => n.startsWith(`${NAME}.corrupt-`));
  assert.equal(aside.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, aside[0]), 'utf8'), GARBAGE);

  // Once the disk has room, the next start rebuilds the same way.
  const result = recover(dir);
  assert.equal(result.report.source, 'journal');
  assert.equal(result.rev, 2);
});

test('a record with a malformed op stops replay like one that does not apply (recovery never throws for bad data)', async () => {
  const dir = tmpDir('esd-recovery-');
  writeCheckpoint(dir, { theme: 'auto', fontSize: 14 }, 1);
  await journalRevs(dir, 2, 2, (r) => ({ ...r, ops: [{ op: 'replace', path: '/theme', value: 'dark' }, null, { op: 'add', path: 'n', value: 1 }] as unknown as Operation[], inverse: [{ op: 'replace', path: '/theme', value: 'auto' }] as Operation[] }));
  const result = recover(dir);
  assert.equal(result.report.replayed, 0);
  assert.equal(result.rev, 2, 'the rev is kept (never reused)');
  assert.deepEqual(result.doc, { theme: 'auto', fontSize: 14 }, 'the first op of the broken record was undone');
  mentions(result.report.problems, /journal record 2 does not apply/);
});
