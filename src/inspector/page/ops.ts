import type { Operation } from '../../protocol/types.ts';
import { isSealed } from '../../protocol/sealed.ts';

const PREVIEW = 80;

function preview(value: unknown): string {
  if (isSealed(value)) return '[encrypted]';
  const text = JSON.stringify(value, (_k, v: unknown) => (isSealed(v) ? '[encrypted]' : v)) ?? 'undefined';
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

/** One op as a readable line: `replace /theme = "dark"`. */
export function opLine(op: Operation): string {
  const from = 'from' in op ? ` from ${op.from}` : '';
  const value = 'value' in op ? ` = ${preview(op.value)}` : '';
  return `${op.op} ${op.path || '/'}${from}${value}`;
}

/** The first few ops of a change as lines, and how many more there are. */
export function opLines(ops: readonly Operation[], max = 4): string[] {
  const lines = ops.slice(0, max).map(opLine);
  if (ops.length > max) lines.push(`… ${ops.length - max} more`);
  return lines;
}
