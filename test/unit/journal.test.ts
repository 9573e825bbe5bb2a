import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { errnoError, FsSeam, type FsOp } from '../../src/daemon/storage/fs-seam.ts';
import { Journal, type JournalRecord } from '../../src/daemon/storage/journal.ts';
import { tmpDir } from '../helpers.ts';

/** A record whose encoded line has the same length for every one-digit rev (so segment sizes are predictable). */
function rec(rev: number, value: unknown = rev): JournalRecord {
  return {
    rev,
    time: 1_700_000_000_000 + rev,
    source: 'test',
    ops: [{ op: 'replace', path: '/n', value }],
    inverse: [{ op: 'replace', path: '/n', value: rev - 1 }],
  };
}

const segName = (firstRev: number) => `${String(firstRev).padStart(12, '0')}.jsonl`;
const revs = (records: Array<{ rev: number }>) => records.map((r) => r.rev);
const lineBytes = (j: Journal, r: JournalRecord) => Buffer.byteLength(j.encode(r));

/** Names of the segment files in `dir` (evidence files excluded), sorted. */
function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /^\d{12}\.jsonl$/.test(n)).sort();
}

/**
 * Nine records appended one by one to a journal whose segments hold three records each: segments 1 (revs 1–3),
 * 4 (4–6) and 7 (7–9). Returns the journal still open for appending, and the byte length of one line.
 */
async function nineRecords(dir: string): Promise<{ journal: Journal; line: number; segmentBytes: number }> {
  const probe = new Journal(dir, new FsSeam());
  const line = lineBytes(probe, rec(1));
  for (let r = 2; r <= 9; r++) assert.equal(lineBytes(probe, rec(r)), line, 'test records must be the same length');
  // A segment rotates once it is at least segmentBytes long: after exactly three lines.
  const segmentBytes = 3 * line;
  const journal = new Journal(dir, new FsSeam(), { segmentBytes });
  journal.openForAppend(1);
  for (let r = 1; r <= 9; r++) await journal.append([journal.encode(rec(r))], r);
  return { journal, line, segmentBytes };
}

/** Rewrites one segment file line by line (the trailing newline is kept). */
function editLines(file: string, edit: (lines: string[]) => void): void {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const last = lines.pop();
  assert.equal(last, '', `${file} ends with a newline`);
  edit(lines);
  fs.writeFileSync(file, lines.map((l) => l + '\n').join(''));
}

test('records appended across several segment files read back in rev order, each segment holding its own revs', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line } = await nineRecords(dir);
  journal.closeSync();

  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4), segName(7)]);
  for (const first of [1, 4, 7]) {
    const text = fs.readFileSync(path.join(dir, segName(first)), 'utf8');
    assert.equal(Buffer.byteLength(text), 3 * line);
    assert.deepEqual(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).rev), [first, first + 1, first + 2]);
  }

  // A fresh instance reads from disk only.
  const reader = new Journal(dir, new FsSeam());
  assert.deepEqual(reader.segments().map((s) => s.firstRev), [1, 4, 7]);
  assert.equal(reader.firstRev(), 1);
  assert.equal(reader.lastRevOnDisk(), 9);
  assert.deepEqual(reader.read(1), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => rec(r)));
  assert.deepEqual(revs(reader.read(3, 7)), [3, 4, 5, 6, 7], 'a window spanning three segments');
  assert.deepEqual(revs(reader.read(5, 5)), [5]);
  assert.deepEqual(reader.read(10), []);
});

test('one append of several records is one group in one segment; rotation happens between groups only', async () => {
  const dir = tmpDir('esd-journal-');
  const journal = new Journal(dir, new FsSeam(), { segmentBytes: 1 });
  journal.openForAppend(1);
  await journal.append([1, 2, 3].map((r) => journal.encode(rec(r))), 1);
  await journal.append([4, 5].map((r) => journal.encode(rec(r))), 4);
  await journal.append([journal.encode(rec(6))], 6);
  journal.closeSync();
  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4), segName(6)]);
  assert.deepEqual(revs(new Journal(dir, new FsSeam()).read(0)), [1, 2, 3, 4, 5, 6]);
});

test('read() leaves out the conf bookkeeping (internal); replay() keeps it', async () => {
  const dir = tmpDir('esd-journal-');
  const journal = new Journal(dir, new FsSeam());
  journal.openForAppend(1);
  const withInternal = { ...rec(2), internal: { version: '2.0.0' } };
  await journal.append([journal.encode(rec(1)), journal.encode(withInternal)], 1);
  journal.closeSync();
  const reader = new Journal(dir, new FsSeam());
  assert.deepEqual(reader.read(2), [rec(2)]);
  assert.deepEqual(reader.replay(1).records, [withInternal]);
});

test('replay(afterRev) returns the contiguous records after afterRev, from mid-segment and from segment boundaries', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal } = await nineRecords(dir);
  journal.closeSync();
  const reader = new Journal(dir, new FsSeam());

  const all = reader.replay(0);
  assert.deepEqual(all.records, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => rec(r)));
  assert.deepEqual(all.problems, []);
  assert.deepEqual(all.keptAside, []);
  assert.equal(all.lastRevOnDisk, 9);

  assert.deepEqual(revs(reader.replay(5).records), [6, 7, 8, 9], 'from the middle of segment 4');
  assert.deepEqual(revs(reader.replay(6).records), [7, 8, 9], 'from the last rev of segment 4');
  assert.deepEqual(revs(reader.replay(3).records), [4, 5, 6, 7, 8, 9], 'from the last rev of segment 1');
  const none = reader.replay(9);
  assert.deepEqual(none.records, []);
  assert.deepEqual(none.problems, []);
  assert.equal(none.lastRevOnDisk, 9);

  // Replaying changes nothing on a healthy journal.
  assert.deepEqual(fs.readdirSync(dir).sort(), [segName(1), segName(4), segName(7)]);
});

test('a torn last record is dropped at replay and reported; earlier records are intact and appends continue after them', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line, segmentBytes } = await nineRecords(dir);
  journal.closeSync();
  const last = path.join(dir, segName(7));
  // Cut rev 9's line in the middle: a write that never completed.
  fs.truncateSync(last, 2 * line + 20);

  const reopened = new Journal(dir, new FsSeam(), { segmentBytes });
  const result = reopened.replay(0);
  assert.deepEqual(result.records, [1, 2, 3, 4, 5, 6, 7, 8].map((r) => rec(r)));
  assert.equal(result.problems.length, 1, result.problems.join('\n'));
  assert.match(result.problems[0], new RegExp(`dropped a torn journal record at the end of ${segName(7)} \\(20 bytes\\)`));
  assert.deepEqual(result.keptAside, [], 'a torn tail is not evidence');
  assert.equal(result.lastRevOnDisk, 8);
  assert.equal(fs.statSync(last).size, 2 * line, 'the torn bytes were cut off the segment');

  // The repaired segment ends at rev 8, so rev 9 goes on in the same file and the next replay is clean.
  reopened.openForAppend(9);
  await reopened.append([reopened.encode(rec(9, 'again'))], 9);
  reopened.closeSync();
  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4), segName(7)]);
  const again = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(again.problems, []);
  assert.deepEqual(again.records, [1, 2, 3, 4, 5, 6, 7, 8].map((r) => rec(r)).concat(rec(9, 'again')));
});

test('a last record missing only its newline counts as torn too', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line } = await nineRecords(dir);
  journal.closeSync();
  fs.truncateSync(path.join(dir, segName(7)), 3 * line - 1);
  const result = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(revs(result.records), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0], /dropped a torn journal record/);
});

test('prune(rev) deletes only whole segments whose records are all at or below rev, never the segment being appended to', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line } = await nineRecords(dir); // still open on segment 7

  journal.prune(2);
  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4), segName(7)], 'segment 1 still holds rev 3');
  journal.prune(3);
  assert.deepEqual(segmentFiles(dir), [segName(4), segName(7)]);
  assert.equal(journal.firstRev(), 4);
  journal.prune(5);
  assert.deepEqual(segmentFiles(dir), [segName(4), segName(7)], 'segment 4 still holds rev 6');
  assert.deepEqual(revs(journal.replay(4).records), [5, 6, 7, 8, 9], 'what a checkpoint at rev 4 needs is still there');
  journal.prune(1_000);
  assert.deepEqual(segmentFiles(dir), [segName(7)], 'the newest segment (the one being appended to) is kept even when all its records are old');
  assert.deepEqual(journal.stats(), { segments: 1, bytes: 3 * line });

  const after = journal.replay(6);
  assert.deepEqual(revs(after.records), [7, 8, 9]);
  assert.deepEqual(after.problems, []);
  assert.deepEqual(revs(journal.read(0)), [7, 8, 9]);

  // The journal keeps appending after pruning.
  await journal.append([journal.encode(rec(10))], 10);
  journal.closeSync();
  assert.deepEqual(revs(new Journal(dir, new FsSeam()).replay(6).records), [7, 8, 9, 10]);
});

test('stats counts segment files and their bytes (UTF-8 bytes, not characters)', async () => {
  const dir = tmpDir('esd-journal-');
  const journal = new Journal(path.join(dir, 'store'), new FsSeam(), { segmentBytes: 1 });
  assert.deepEqual(journal.stats(), { segments: 0, bytes: 0 }, 'no folder yet');
  journal.openForAppend(1);
  assert.deepEqual(journal.stats(), { segments: 1, bytes: 0 }, 'an opened segment exists before its first record');

  const records = [rec(1, 'héllo'), rec(2, '✓✓✓'), rec(3, 'plain')];
  const lines = records.map((r) => journal.encode(r));
  for (const [i, r] of records.entries()) await journal.append([lines[i]], r.rev);
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  assert.notEqual(bytes, lines.join('').length, 'the records hold multi-byte characters');
  assert.deepEqual(journal.stats(), { segments: 3, bytes });

  journal.prune(1);
  assert.deepEqual(journal.stats(), { segments: 2, bytes: bytes - Buffer.byteLength(lines[0]) });
  journal.closeSync();
});

test('an unreadable line in the middle stops the replay there and is reported; the rest is kept aside as evidence', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line } = await nineRecords(dir);
  journal.closeSync();
  const seg4 = path.join(dir, segName(4));
  editLines(seg4, (lines) => {
    lines[1] = '{"rev":5,"garbage'; // rev 5 unreadable, rev 6 after it is fine
  });
  const damaged4 = fs.readFileSync(seg4);
  const original7 = fs.readFileSync(path.join(dir, segName(7)));

  const reopened = new Journal(dir, new FsSeam());
  const result = reopened.replay(0);
  assert.deepEqual(revs(result.records), [1, 2, 3, 4], 'nothing after the unreadable record, although rev 6 parses');
  assert.equal(result.problems.length, 1, result.problems.join('\n'));
  assert.match(result.problems[0], new RegExp(`unreadable journal record in ${segName(4)} at byte ${line}\\b`));
  assert.match(result.problems[0], /replay stopped at rev 4/);
  assert.equal(result.lastRevOnDisk, 9, 'revs past the break are still counted, so they are never reused');

  // Evidence: a copy of the damaged segment, and the later segment moved aside (no longer a segment name).
  assert.equal(result.keptAside.length, 2);
  const [copy4, moved7] = result.keptAside;
  assert.match(path.basename(copy4), /^000000000004\.corrupt-.+\.jsonl$/);
  assert.match(path.basename(moved7), /^000000000007\.corrupt-.+\.jsonl$/);
  assert.deepEqual(fs.readFileSync(copy4), damaged4);
  assert.deepEqual(fs.readFileSync(moved7), original7);

  // The segment is cut before the bad line, so new records never land behind it.
  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4)]);
  assert.equal(fs.statSync(seg4).size, line);
  const again = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(revs(again.records), [1, 2, 3, 4]);
  assert.deepEqual(again.problems, [], 'the repair is stable');
});

test('a gap in revs in the middle of a segment stops the replay and is reported, not skipped', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line } = await nineRecords(dir);
  journal.closeSync();
  editLines(path.join(dir, segName(4)), (lines) => {
    lines.splice(1, 1); // rev 5 is missing: 4, 6
  });

  const result = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(revs(result.records), [1, 2, 3, 4]);
  assert.equal(result.problems.length, 1, result.problems.join('\n'));
  assert.match(result.problems[0], new RegExp(`journal gap: expected rev 5, found 6 in ${segName(4)}`));
  assert.match(result.problems[0], /replay stopped at rev 4/);
  assert.equal(result.keptAside.length, 2);
  assert.equal(result.lastRevOnDisk, 9);
  assert.equal(fs.statSync(path.join(dir, segName(4))).size, line, 'cut right before rev 6');
  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4)]);
});

test('a missing segment between two others is a gap at the next segment\'s first record', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal } = await nineRecords(dir);
  journal.closeSync();
  fs.rmSync(path.join(dir, segName(4)));

  const result = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(revs(result.records), [1, 2, 3]);
  assert.equal(result.problems.length, 1, result.problems.join('\n'));
  assert.match(result.problems[0], new RegExp(`journal gap: expected rev 4, found 7 in ${segName(7)}`));
  assert.equal(result.keptAside.length, 1);
  assert.equal(result.lastRevOnDisk, 9);
  assert.deepEqual(revs(new Journal(dir, new FsSeam()).read(0)), [1, 2, 3], 'revs 7–9 are no longer readable history');
});

test('records of a failed append that an earlier segment still holds are superseded by the next segment, and reported', async () => {
  const dir = tmpDir('esd-journal-');
  const j = new Journal(dir, new FsSeam());
  fs.mkdirSync(dir, { recursive: true });
  // Segment 1 holds revs 1–3 plus a rev 4 whose append failed; segment 4 holds the acknowledged rev 4 and rev 5.
  fs.writeFileSync(path.join(dir, segName(1)), [rec(1), rec(2), rec(3), rec(4, 'failed')].map((r) => j.encode(r)).join(''));
  fs.writeFileSync(path.join(dir, segName(4)), [rec(4, 'kept'), rec(5)].map((r) => j.encode(r)).join(''));

  const result = j.replay(0);
  assert.deepEqual(result.records, [rec(1), rec(2), rec(3), rec(4, 'kept'), rec(5)]);
  assert.equal(result.problems.length, 1, result.problems.join('\n'));
  assert.match(result.problems[0], new RegExp(`ignored 1 record\\(s\\) of a failed append at the end of ${segName(1)}`));
  assert.deepEqual(result.keptAside, []);
  assert.deepEqual(j.read(1), [rec(1), rec(2), rec(3), rec(4, 'kept'), rec(5)], 'history does not show the failed rev 4 either');
});

test('a failed append (fdatasync error) rejects and cuts the segment back, so the same revs can be appended again', async () => {
  const dir = tmpDir('esd-journal-');
  const failing = new Set<FsOp>();
  const seam = new FsSeam({ check: (op, file) => (failing.has(op) ? errnoError('EIO', op, file) : undefined) });
  const journal = new Journal(dir, seam);
  journal.openForAppend(1);
  await journal.append([1, 2].map((r) => journal.encode(rec(r))), 1);
  const sizeBefore = journal.stats().bytes;

  failing.add('journal.sync');
  await assert.rejects(journal.append([3, 4].map((r) => journal.encode(rec(r, 'lost'))), 3), { code: 'EIO' });
  assert.equal(journal.stats().bytes, sizeBefore, 'the group was cut off again');

  failing.clear();
  await journal.append([journal.encode(rec(3, 'retried'))], 3);
  journal.closeSync();
  const result = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(result.records, [rec(1), rec(2), rec(3, 'retried')]);
  assert.deepEqual(result.problems, []);
});

test('when the cut-back fails too, the next append starts a new segment that supersedes the failed records', async () => {
  const dir = tmpDir('esd-journal-');
  const failing = new Set<FsOp>();
  const seam = new FsSeam({ check: (op, file) => (failing.has(op) ? errnoError('EIO', op, file) : undefined) });
  const journal = new Journal(dir, seam);
  journal.openForAppend(1);
  await journal.append([1, 2].map((r) => journal.encode(rec(r))), 1);

  failing.add('journal.sync');
  failing.add('journal.truncate');
  await assert.rejects(journal.append([journal.encode(rec(3, 'lost'))], 3), { code: 'EIO' });
  failing.clear();
  await journal.append([3, 4].map((r) => journal.encode(rec(r, 'kept'))), 3);
  journal.closeSync();

  assert.deepEqual(segmentFiles(dir), [segName(1), segName(3)]);
  const result = new Journal(dir, new FsSeam()).replay(0);
  assert.deepEqual(result.records, [rec(1), rec(2), rec(3, 'kept'), rec(4, 'kept')]);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0], /ignored 1 record\(s\) of a failed append/);
});

test('cutAfter(rev) keeps records up to rev and keeps the later ones aside as evidence', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal, line } = await nineRecords(dir);
  journal.closeSync();
  const original4 = fs.readFileSync(path.join(dir, segName(4)));

  const reopened = new Journal(dir, new FsSeam());
  const kept = reopened.cutAfter(5);
  assert.equal(kept.length, 2);
  assert.deepEqual(fs.readFileSync(kept[0]), original4, 'a copy of the segment that was cut');
  assert.match(path.basename(kept[1]), /^000000000007\.corrupt-/);
  assert.deepEqual(segmentFiles(dir), [segName(1), segName(4)]);
  assert.equal(fs.statSync(path.join(dir, segName(4))).size, 2 * line);
  assert.equal(reopened.lastRevOnDisk(), 5);
  assert.deepEqual(revs(reopened.replay(0).records), [1, 2, 3, 4, 5]);
});

test('moveAllAside renames every segment out of the journal and returns the evidence files', async () => {
  const dir = tmpDir('esd-journal-');
  const { journal } = await nineRecords(dir); // open: moving the open segment closes it first
  const moved = journal.moveAllAside();
  assert.equal(moved.length, 3);
  for (const f of moved) assert.ok(fs.existsSync(f), f);
  assert.deepEqual(segmentFiles(dir), []);
  assert.equal(journal.exists(), false);
  assert.equal(journal.firstRev(), undefined);
  assert.deepEqual(journal.replay(0).records, []);

  // Appending afterwards opens a fresh segment rather than writing into a moved file.
  await journal.append([journal.encode(rec(10))], 10);
  journal.closeSync();
  assert.deepEqual(segmentFiles(dir), [segName(10)]);
  assert.deepEqual(revs(new Journal(dir, new FsSeam()).read(0)), [10]);
});
