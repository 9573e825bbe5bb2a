/** Plain-text tables for the CLI's human output (the `--json` output is the machine one). */

export type Cell = string | number | undefined;

/**
 * Columns padded to their widest cell; numbers are right-aligned. A row of one string is printed as is (a note
 * between rows). No colours and no box drawing: the output is read by people and grepped by scripts alike.
 */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = (c: Cell) => (c === undefined ? '' : String(c));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.length === 1 && headers.length > 1 ? 0 : text(r[i]).length))));
  const line = (cells: readonly Cell[], header: boolean) => cells.map((c, i) => {
    const last = i === cells.length - 1;
    const t = text(c);
    if (!header && typeof c === 'number') return t.padStart(widths[i]);
    return last ? t : t.padEnd(widths[i]);
  }).join('  ').trimEnd();
  const out = [line(headers, true)];
  for (const r of rows) out.push(r.length === 1 && headers.length > 1 ? text(r[0]) : line(r, false));
  return out.join('\n');
}

/** `key: value` lines, keys aligned. */
export function fields(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.filter(([, v]) => v !== undefined).map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${String(v)}`).join('\n');
}
