/**
 * Figure: cached read. Our `get()` is synchronous from the client's cache; conf's `get()` reads and parses the whole
 * file on every call. Measured for a primitive (`settings.theme`), a small object (`settings.window`, which `get()`
 * copies so the caller cannot mutate the cache) and a task record, on stores of 10 KB, 1 MB and 10 MB.
 */
import { performance } from 'node:perf_hooks';
import type { StoreClient } from '../src/protocol/types.ts';
import { SIZES } from './data.ts';
import { flag, main, openConf, p50p99, seedStore, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';

const KEYS = [
  { key: 'settings.theme', what: 'primitive', loops: 1_000_000 },
  { key: 'settings.window', what: 'small object', loops: 100_000 },
  { key: 'tasks.3', what: 'task record', loops: 30_000 },
] as const;

let sink = 0;
function consume(v: unknown): void {
  // Keeps the optimizer from dropping the reads.
  if (v !== undefined) sink++;
}

/** Per-call time (ms) of `rounds` batches of `loops` calls: one sample per batch (a call is far below the clock's grain). */
function batches(fn: () => unknown, loops: number, rounds: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < loops; i++) consume(fn());
    out.push((performance.now() - t0) / loops);
  }
  return out;
}

export async function run() {
  const rounds = flag('rounds', 10);
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  for (const { label, bytes } of SIZES) {
    const dir = storeDir(`ours-read-${label}`);
    seedStore(dir, bytes);
    const daemon = await startOurs(dir);
    const client: StoreClient = await daemon.store(STORE);
    const cdir = storeDir(`conf-read-${label}`);
    seedStore(cdir, bytes);
    const conf = openConf(cdir);
    // conf reads the whole file per get(): a few calls per sample are enough, and 10 MB takes a while per call.
    const confCalls = bytes > 5e6 ? 5 : bytes > 5e5 ? 30 : 300;
    for (const k of KEYS) {
      batches(() => client.get(k.key), k.loops, 3);
      const ours = stats(batches(() => client.get(k.key), k.loops, rounds));
      const confSamples: number[] = [];
      for (let i = 0; i < confCalls; i++) {
        const t0 = performance.now();
        consume(conf.get(k.key));
        confSamples.push(performance.now() - t0);
      }
      const c = stats(confSamples);
      raw[`${label} ${k.what}`] = { ours, conf: c };
      rows.push({ metric: `cached read, get() of a ${k.what}`, store: label, ours: p50p99(ours), conf: p50p99(c), ratio: { conf: ours.p50 / c.p50 }, target: '≤ 1 µs (p50)', met: ours.p50 <= 0.001 });
    }
    await daemon.close();
  }
  return {
    id: 'cached-read',
    title: 'Cached read',
    rows,
    notes: [
      `Ours: ${rounds} batches per key (1,000,000 / 100,000 / 30,000 calls for primitive / small object / task record); a sample is a batch's time per call, so p99 is over batches. conf: one sample per call (300 / 30 / 5 calls at 10 KB / 1 MB / 10 MB).`,
      'Both return a copy for objects (electron-store semantics); ours copies only the value read (structuredClone), conf re-reads, re-parses and (with a schema) re-validates the whole file.',
      `(reads consumed: ${sink})`,
    ],
    raw,
  };
}

main(import.meta.url, run);
