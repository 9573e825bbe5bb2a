import fs from 'node:fs';
import type { HistoryEntry } from '../../protocol/types.ts';

/** The journal's file naming and line format: `storeHistory/<name>/<firstRev, 12 digits>.jsonl`, one record a line. */
export const SEGMENT_RE = /^(\d{12})\.jsonl$/;

export interface Segment {
  file: string;
  firstRev: number;
}

/** A journal record as stored; `internal` carries conf bookkeeping a write changed (the migration version). */
export interface JournalRecord extends HistoryEntry {
  internal?: Record<string, unknown>;
  /** Which array each op concerns, as the writer's document had it (see Draft.anchors); policy filtering reads it. */
  anchors?: number[];
}

/** A filename-safe timestamp for evidence files. */
export function stamp(time = Date.now()): string {
  return new Date(time).toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** One line's record, or undefined when the line is not a usable record. */
export function parseRecord(bytes: Buffer): JournalRecord | undefined {
  try {
    const r = JSON.parse(bytes.toString('utf8')) as JournalRecord;
    if (r === null || typeof r !== 'object' || !Number.isSafeInteger(r.rev) || r.rev < 1 || !Array.isArray(r.ops)) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** True when the segment ends with a complete record of rev `rev` (or is empty and would start at `rev + 1`). */
export function endsAt(seg: Segment, rev: number): boolean {
  const buf = fs.readFileSync(seg.file);
  if (buf.length === 0) return seg.firstRev === rev + 1;
  if (buf[buf.length - 1] !== 10) return false;
  const prevNl = buf.lastIndexOf(10, buf.length - 2);
  const last = parseRecord(buf.subarray(prevNl + 1, buf.length - 1));
  return last?.rev === rev;
}

/** The highest rev of any readable record in the file. */
export function lastRevIn(file: string): number {
  let max = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const r = line ? parseRecord(Buffer.from(line)) : undefined;
    if (r && r.rev > max) max = r.rev;
  }
  return max;
}

/** `<dir>/000000000042.jsonl` → `<dir>/000000000042.corrupt-<time>.jsonl` (no longer a segment name). */
export function aside(file: string): string {
  const base = file.replace(/\.jsonl$/, '');
  let to = `${base}.corrupt-${stamp()}.jsonl`;
  for (let i = 2; fs.existsSync(to); i++) to = `${base}.corrupt-${stamp()}-${i}.jsonl`;
  return to;
}
