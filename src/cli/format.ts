import type { Operation } from 'rfc6902';

/** A JSON value on one line, cut to `max` characters. */
export function shortJson(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One journal op as a readable line: `replace /theme "dark"`, `remove /window`, `move /b from /a`. */
export function opLine(op: Operation, max = 80): string {
  const path = op.path === '' ? '/' : op.path;
  if (op.op === 'move' || op.op === 'copy') return `${op.op} ${path} from ${op.from}`;
  if ('value' in op) return `${op.op} ${path} ${shortJson(op.value, max)}`;
  return `${op.op} ${path}`;
}

/** 1234567 → `1.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Epoch ms → `2025-03-01 12:30:05Z` (UTC, to the second). */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
