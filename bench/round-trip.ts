/**
 * Figure: durable write round trip. From `client.set()` to its promise resolving — the record is fdatasynced in the
 * journal and this client's cache shows the write — on stores of 10 KB, 1 MB and 10 MB, beside conf's `set()`
 * (which rewrites and fsyncs the whole file before it returns).
 */
import { SIZES } from './data.ts';
import { main, ms, p50p99, stats, type Row } from './lib.ts';
import { COUNTS, confSequential, oursSequential } from './sequential.ts';

export async function run() {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const { label, bytes } of SIZES) {
    const ours = await oursSequential(bytes, COUNTS[bytes].ours);
    const rt = stats(ours.roundTrip);
    const conf = stats(confSequential(bytes, COUNTS[bytes].conf));
    raw[label] = { roundTrip: rt, conf, checkpoints: ours.checkpoints, groups: ours.groups, daemonCommit: ours.daemonCommit };
    rows.push({ metric: 'durable write round trip', store: label, ours: `${p50p99(rt)} · max ${ms(rt.max)}`, conf: `${p50p99(conf)} · max ${ms(conf.max)}`, ...(bytes >= 1024 * 1024 && { target: 'p50 ≤ 1 ms, p99 ≤ 5 ms', met: rt.p50 <= 1 && rt.p99 <= 5 }) });
    notes.push(`${label}: ${rt.n} writes, ${ours.groups} fdatasync groups, ${ours.checkpoints} checkpoint(s) of the whole document during the run (default cadence: every 1,000 records or 2 s idle); the daemon's own commit-group time p50 ${ms(ours.daemonCommit.p50)}, p99 ${ms(ours.daemonCommit.p99)}.`);
  }
  return {
    id: 'round-trip',
    title: 'Durable write round trip',
    rows,
    notes: [
      'One writer, awaited writes one after another (same write mix as the UI-thread figure), strict durability (resolve after fdatasync); conf without schema. The max column shows checkpoint stalls that p99 can hide.',
      ...notes,
    ],
    raw,
  };
}

main(import.meta.url, run);
