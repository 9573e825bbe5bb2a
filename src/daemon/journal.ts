import fs from 'node:fs';
import path from 'node:path';
import type { HistoryEntry } from '../protocol/types.ts';
import type { FsSeam } from './fs-seam.ts';

const SEGMENT_RE = /^(\d{12})\.jsonl$/;

export interface JournalOptions {
  /** Start a new segment when the current one is larger than this (bytes). */
  segmentBytes?: number;
}

export interface ReplayResult {
  records: HistoryEntry[];
  /** Human-readable notes: torn tail dropped, unreadable lines. */
  problems: string[];
}

/**
 * The write-ahead journal of one store: JSON-lines segment files `storeHistory/<name>/<firstRev>.jsonl`.
 * A record is `{rev, time, source, ops, inverse}`; appending a group of records costs one write and one
 * fdatasync, which is what makes a write durable in O(size of the change).
 */
export class Journal {
  readonly dir: string;
  #fd: number | undefined;
  #segmentPath = '';
  #segmentSize = 0;
  #segmentFirstRev = 0;
  readonly #segmentBytes: number;

  constructor(dir: string, readonly fsSeam: FsSeam, options: JournalOptions = {}) {
    this.dir = dir;
    this.#segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
  }

  /** Segment files, oldest first, with the first rev each holds. */
  segments(): Array<{ file: string; firstRev: number }> {
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

  /**
   * Reads every record with rev > `afterRev`. A torn or unparsable tail of the newest segment is cut off
   * (the bytes that never completed an fdatasync); a bad line anywhere else stops the replay there.
   */
  replay(afterRev: number): ReplayResult {
    const records: HistoryEntry[] = [];
    const problems: string[] = [];
    const segs = this.segments();
    for (let s = 0; s < segs.length; s++) {
      const isLast = s === segs.length - 1;
      const next = segs[s + 1];
      if (next && next.firstRev - 1 <= afterRev) continue;
      const buf = fs.readFileSync(segs[s].file);
      let start = 0;
      let validEnd = 0;
      let stopped = false;
      while (start < buf.length) {
        const nl = buf.indexOf(10, start);
        const end = nl === -1 ? buf.length : nl;
        const line = buf.subarray(start, end).toString('utf8');
        let record: HistoryEntry | undefined;
        if (nl !== -1) {
          try {
            record = JSON.parse(line) as HistoryEntry;
            if (typeof record.rev !== 'number' || !Array.isArray(record.ops)) record = undefined;
          } catch {
            record = undefined;
          }
        }
        if (!record) {
          if (isLast && this.#onlyTailLeft(buf, end)) {
            problems.push(`dropped a torn journal record at the end of ${path.basename(segs[s].file)} (${buf.length - start} bytes)`);
            fs.truncateSync(segs[s].file, validEnd);
          } else {
            problems.push(`unreadable journal record in ${path.basename(segs[s].file)} at byte ${start}; replay stopped there`);
          }
          stopped = true;
          break;
        }
        if (record.rev > afterRev) {
          const prev = records.length > 0 ? records[records.length - 1].rev : afterRev;
          if (record.rev !== prev + 1) {
            problems.push(`journal gap: expected rev ${prev + 1}, found ${record.rev}; replay stopped there`);
            stopped = true;
            break;
          }
          records.push(record);
        }
        validEnd = end + 1;
        start = end + 1;
      }
      if (stopped) break;
    }
    return { records, problems };
  }

  #onlyTailLeft(buf: Buffer, end: number): boolean {
    // Torn: the bad line is the last one (nothing but an optional trailing newline follows it).
    return end >= buf.length - 1;
  }

  /** Opens (or creates) the newest segment for appending; `nextRev` names a new segment. */
  openForAppend(nextRev: number): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const segs = this.segments();
    const last = segs[segs.length - 1];
    if (last && fs.statSync(last.file).size < this.#segmentBytes) this.#open(last.file, last.firstRev);
    else this.#open(path.join(this.dir, `${String(nextRev).padStart(12, '0')}.jsonl`), nextRev);
  }

  #open(file: string, firstRev: number): void {
    this.closeSync();
    this.#fd = fs.openSync(file, 'a+');
    this.#segmentPath = file;
    this.#segmentFirstRev = firstRev;
    this.#segmentSize = fs.fstatSync(this.#fd).size;
    this.fsSeam.syncDir(this.dir);
  }

  /**
   * Appends the serialized records of one group and fdatasyncs once. On failure the segment is cut back to its
   * previous length, so a half-written group never sits in front of later records.
   */
  async append(lines: string[], firstRev: number): Promise<void> {
    if (this.#fd === undefined) this.openForAppend(firstRev);
    if (this.#segmentSize >= this.#segmentBytes) this.#open(path.join(this.dir, `${String(firstRev).padStart(12, '0')}.jsonl`), firstRev);
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
        // Cannot cut the segment back: start a fresh one so the bad bytes stay at the tail of a closed segment.
        this.closeSync();
      }
      throw error;
    }
  }

  /** Deletes whole segments whose records all have rev ≤ `keepAfterRev` (never the one being appended to). */
  prune(keepAfterRev: number): void {
    const segs = this.segments();
    for (let i = 0; i < segs.length - 1; i++) {
      const lastRevInSegment = segs[i + 1].firstRev - 1;
      if (lastRevInSegment <= keepAfterRev && segs[i].file !== this.#segmentPath) fs.rmSync(segs[i].file, { force: true });
    }
  }

  /** Reads records in [fromRev, toRev] for history and rollback. */
  read(fromRev: number, toRev = Number.MAX_SAFE_INTEGER): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    const segs = this.segments();
    for (let s = 0; s < segs.length; s++) {
      const next = segs[s + 1];
      if (next && next.firstRev <= fromRev) continue;
      if (segs[s].firstRev > toRev) break;
      const text = fs.readFileSync(segs[s].file, 'utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as HistoryEntry;
          if (r.rev >= fromRev && r.rev <= toRev) out.push(r);
        } catch {
          // A torn tail is not history.
        }
      }
    }
    return out;
  }

  stats(): { segments: number; bytes: number } {
    const segs = this.segments();
    let bytes = 0;
    for (const s of segs) bytes += fs.statSync(s.file).size;
    return { segments: segs.length, bytes };
  }

  get segmentFirstRev(): number {
    return this.#segmentFirstRev;
  }

  closeSync(): void {
    if (this.#fd !== undefined) {
      fs.closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}
