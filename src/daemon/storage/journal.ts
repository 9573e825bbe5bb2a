import fs from 'node:fs';
import path from 'node:path';
import type { HistoryEntry } from '../../protocol/types.ts';
import type { JournalRecord } from './segment-files.ts';
export type { JournalRecord } from './segment-files.ts';
import type { FieldCipher } from '../features/encryption.ts';
import type { FsSeam } from './fs-seam.ts';
import { aside, endsAt, lastRevIn, parseRecord, SEGMENT_RE, type Segment } from './segment-files.ts';

export interface JournalOptions {
  /** Start a new segment when the current one is larger than this (bytes). */
  segmentBytes?: number;
  /** Seals values at encrypted paths in records on disk. */
  cipher?: FieldCipher;
}

/** A journal record as stored; `internal` carries conf bookkeeping a write changed (the migration version). */
export interface ReplayResult {
  /** Records with rev > afterRev, contiguous from afterRev + 1. */
  records: JournalRecord[];
  /** Human-readable notes: torn tail dropped, unreadable lines, gaps. */
  problems: string[];
  /** Evidence files the replay moved aside (segments it could not use). */
  keptAside: string[];
  /** The highest rev found on disk, also past a break, so a rebuilt store never reuses a rev. */
  lastRevOnDisk: number;
  /** Bytes of the returned records on disk (what a checkpoint would retire). */
  bytes: number;
}

/**
 * The write-ahead journal of one store: JSON-lines segment files `storeHistory/<name>/<firstRev>.jsonl`.
 * A record is `{rev, time, source, ops, inverse}`; appending a group of records costs one write and one
 * fdatasync, which is what makes a write durable in O(size of the change).
 *
 * A segment is authoritative for revs from its own first rev up to the next segment's first rev: records an earlier
 * segment holds at or past that point are leftovers of a failed append (never acknowledged) and are ignored.
 */
export class Journal {
  readonly dir: string;
  #fd: number | undefined;
  #segmentPath = '';
  #segmentSize = 0;
  readonly #segmentBytes: number;

  /** Seals values at encrypted paths in records on disk; identity without encrypted keys. */
  readonly cipher: FieldCipher | undefined;

  constructor(dir: string, readonly fsSeam: FsSeam, options: JournalOptions = {}) {
    this.dir = dir;
    this.#segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.cipher = options.cipher;
  }

  /** Segment files, oldest first, with the first rev each holds. */
  segments(): Segment[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => SEGMENT_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: path.join(this.dir, m[0]), firstRev: Number(m[1]) }))
      .sort((a, b) => a.firstRev - b.firstRev);
  }

  /** True when any segment file exists (the store has been opened before). */
  exists(): boolean {
    return this.segments().length > 0;
  }

  /** The lowest rev the journal can still replay from (its oldest segment's first rev), if any. */
  firstRev(): number | undefined {
    return this.segments()[0]?.firstRev;
  }

  /**
   * Reads every record with rev > `afterRev`, repairing what a crash can leave: a torn or unparsable last line of a
   * segment (bytes that never completed an fdatasync) is cut off. An unreadable record in the middle, or a gap in
   * revs, ends the replay there: the segment is copied aside as evidence and cut at that point, and later segments
   * are moved aside, so new records never land behind unusable ones.
   */
  replay(afterRev: number): ReplayResult {
    const records: JournalRecord[] = [];
    const problems: string[] = [];
    const keptAside: string[] = [];
    let lastRevOnDisk = 0;
    let bytes = 0;
    let expected = afterRev + 1;
    const segs = this.segments();
    for (let s = 0; s < segs.length; s++) {
      const seg = segs[s];
      const next = segs[s + 1];
      const limit = next ? next.firstRev : Number.MAX_SAFE_INTEGER;
      if (next && next.firstRev - 1 <= afterRev) {
        lastRevOnDisk = Math.max(lastRevOnDisk, next.firstRev - 1);
        continue;
      }
      const buf = fs.readFileSync(seg.file);
      let start = 0;
      let validEnd = 0;
      let stale = 0;
      let breakAt: { byte: number; why: string } | undefined;
      while (start < buf.length) {
        const nl = buf.indexOf(10, start);
        const end = nl === -1 ? buf.length : nl;
        const record = nl === -1 ? undefined : parseRecord(buf.subarray(start, end));
        if (!record) {
          if (end >= buf.length - 1) {
            problems.push(`dropped a torn journal record at the end of ${path.basename(seg.file)} (${buf.length - start} bytes)`);
            fs.truncateSync(seg.file, validEnd);
          } else {
            breakAt = { byte: start, why: `unreadable journal record in ${path.basename(seg.file)} at byte ${start}` };
          }
          break;
        }
        if (record.rev >= limit) {
          stale++;
        } else {
          lastRevOnDisk = Math.max(lastRevOnDisk, record.rev);
          if (record.rev >= expected) {
            if (record.rev !== expected) {
              breakAt = { byte: start, why: `journal gap: expected rev ${expected}, found ${record.rev} in ${path.basename(seg.file)}` };
              break;
            }
            records.push(this.#decode(record));
            bytes += end + 1 - start;
            expected++;
          }
        }
        validEnd = end + 1;
        start = end + 1;
      }
      if (stale > 0) problems.push(`ignored ${stale} record(s) of a failed append at the end of ${path.basename(seg.file)}`);
      if (breakAt) {
        for (let r = s; r < segs.length; r++) lastRevOnDisk = Math.max(lastRevOnDisk, lastRevIn(segs[r].file));
        problems.push(`${breakAt.why}; replay stopped at rev ${expected - 1}, later records were kept aside`);
        const evidence = aside(seg.file);
        fs.copyFileSync(seg.file, evidence);
        keptAside.push(evidence);
        fs.truncateSync(seg.file, breakAt.byte);
        for (let r = s + 1; r < segs.length; r++) keptAside.push(this.#moveAside(segs[r].file));
        break;
      }
    }
    this.fsSeam.syncDir(this.dir);
    return { records, problems, keptAside, lastRevOnDisk, bytes };
  }

  /**
   * Keeps records up to `rev` and moves later ones aside (a segment holding both is copied aside, then cut), for
   * records that parse but cannot be applied. Returns the evidence files.
   */
  cutAfter(rev: number): string[] {
    const kept: string[] = [];
    const segs = this.segments();
    for (let s = 0; s < segs.length; s++) {
      if (segs[s].firstRev > rev) {
        kept.push(this.#moveAside(segs[s].file));
        continue;
      }
      const buf = fs.readFileSync(segs[s].file);
      let start = 0;
      while (start < buf.length) {
        const nl = buf.indexOf(10, start);
        if (nl === -1) break;
        const r = parseRecord(buf.subarray(start, nl));
        if (r && r.rev > rev) {
          const evidence = aside(segs[s].file);
          fs.copyFileSync(segs[s].file, evidence);
          kept.push(evidence);
          fs.truncateSync(segs[s].file, start);
          break;
        }
        start = nl + 1;
      }
    }
    this.fsSeam.syncDir(this.dir);
    return kept;
  }

  /** The highest rev of any readable record in any segment. */
  lastRevOnDisk(): number {
    return this.segments().reduce((max, s) => Math.max(max, lastRevIn(s.file)), 0);
  }

  /** Moves every segment aside (evidence the store could not use); returns the new names. */
  moveAllAside(): string[] {
    return this.segments().map((s) => this.#moveAside(s.file));
  }

  #moveAside(file: string): string {
    if (file === this.#segmentPath) this.closeSync();
    const to = aside(file);
    fs.renameSync(file, to);
    return to;
  }

  /**
   * Opens the newest segment for appending if it ends exactly at `nextRev - 1` with a complete record (or is an empty
   * segment for `nextRev`); otherwise starts a new segment named `nextRev`.
   */
  openForAppend(nextRev: number): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const segs = this.segments();
    const last = segs[segs.length - 1];
    if (last && fs.statSync(last.file).size < this.#segmentBytes && endsAt(last, nextRev - 1)) {
      this.#open(last.file);
      return;
    }
    this.#openNew(nextRev);
  }

  #openNew(firstRev: number): void {
    const file = path.join(this.dir, `${String(firstRev).padStart(12, '0')}.jsonl`);
    // A file of that name can only hold bytes of a failed first append: keep them as evidence, start clean.
    if (fs.existsSync(file) && fs.statSync(file).size > 0) this.#moveAside(file);
    this.#open(file);
  }

  #open(file: string): void {
    this.closeSync();
    this.#fd = fs.openSync(file, 'a+');
    this.#segmentPath = file;
    this.#segmentSize = fs.fstatSync(this.#fd).size;
    this.fsSeam.syncDir(this.dir);
  }

  /**
   * Appends the serialized records of one group and fdatasyncs once. On failure the segment is cut back to its
   * previous length, so a half-written group never sits in front of later records.
   */
  async append(lines: string[], firstRev: number): Promise<void> {
    if (this.#fd === undefined) this.openForAppend(firstRev);
    else if (this.#segmentSize >= this.#segmentBytes) {
      this.#openNew(firstRev);
      this.fsSeam.crashPoint('journal.rotated');
    }
    const fd = this.#fd!;
    const data = Buffer.from(lines.join(''), 'utf8');
    const before = this.#segmentSize;
    try {
      await this.fsSeam.write('journal.append', this.#segmentPath, fd, data, before);
      await this.fsSeam.fdatasync('journal.sync', this.#segmentPath, fd);
      this.#segmentSize = before + data.length;
    } catch (error) {
      try {
        this.fsSeam.truncateSync('journal.truncate', this.#segmentPath, fd, before);
      } catch {
        // Cannot cut the segment back: the next append starts a new segment, which supersedes whatever of this
        // group reached the disk (see the class comment), so the failed records are never replayed.
        this.closeSync();
      }
      throw error;
    }
  }

  /** Deletes whole segments whose records all have rev ≤ `keepAfterRev` (never the one being appended to). */
  prune(keepAfterRev: number): void {
    const segs = this.segments();
    let removed = 0;
    for (let i = 0; i < segs.length - 1; i++) {
      const lastRevInSegment = segs[i + 1].firstRev - 1;
      if (lastRevInSegment <= keepAfterRev && segs[i].file !== this.#segmentPath) {
        if (removed > 0) this.fsSeam.crashPoint('journal.prune');
        fs.rmSync(segs[i].file, { force: true });
        removed++;
      }
    }
    if (removed > 0) this.fsSeam.syncDir(this.dir);
  }

  /** The rev up to which whole segments can go so the newer ones total at most `maxBytes` (0: all fit; the last stays). */
  floorForBytes(maxBytes: number): number {
    const segs = this.segments();
    let total = 0;
    for (let i = segs.length - 1; i >= 0; i--) {
      total += fs.statSync(segs[i].file).size;
      if (total > maxBytes && i < segs.length - 1) return segs[i + 1].firstRev - 1;
    }
    return 0;
  }

  /** One record as a journal line: values at encrypted paths sealed (ops and inverse). */
  encode(record: JournalRecord): string {
    const c = this.cipher;
    const sealed = c?.active ? { ...record, ops: c.sealOps(record.ops), inverse: c.sealOps(record.inverse) } : record;
    return JSON.stringify(sealed) + '\n';
  }

  #decode<R extends { ops: HistoryEntry['ops']; inverse: HistoryEntry['inverse'] }>(record: R): R {
    const c = this.cipher;
    return c?.active ? { ...record, ops: c.unsealOps(record.ops), inverse: c.unsealOps(record.inverse) } : record;
  }

  /** Reads records in [fromRev, toRev] for history and rollback (without the conf bookkeeping some records carry). */
  read(fromRev: number, toRev = Number.MAX_SAFE_INTEGER): Array<HistoryEntry & Pick<JournalRecord, 'anchors'>> {
    const out: Array<HistoryEntry & Pick<JournalRecord, 'anchors'>> = [];
    const segs = this.segments();
    for (let s = 0; s < segs.length; s++) {
      const next = segs[s + 1];
      if (next && next.firstRev <= fromRev) continue;
      if (segs[s].firstRev > toRev) break;
      const limit = next ? next.firstRev : Number.MAX_SAFE_INTEGER;
      let text: string;
      try {
        text = fs.readFileSync(segs[s].file, 'utf8');
      } catch {
        continue; // pruned meanwhile
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        const r = parseRecord(Buffer.from(line));
        // A torn tail or a failed append's leftovers are not history.
        if (r && r.rev < limit && r.rev >= fromRev && r.rev <= toRev) {
          const { internal: _internal, ...entry } = r;
          out.push(this.#decode(entry));
        }
      }
    }
    return out;
  }

  stats(): { segments: number; bytes: number } {
    const segs = this.segments();
    let bytes = 0;
    for (const s of segs) {
      try {
        bytes += fs.statSync(s.file).size;
      } catch {
        // pruned meanwhile
      }
    }
    return { segments: segs.length, bytes };
  }

  closeSync(): void {
    if (this.#fd !== undefined) {
      fs.closeSync(this.#fd);
      this.#fd = undefined;
      this.#segmentPath = '';
    }
  }
}
