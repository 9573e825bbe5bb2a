/**
 * One writer doing awaited writes one after another (what `await store.set()` in an app does), on ours and on conf.
 * Shared by the UI-thread-time and round-trip figures, which read different columns of the same kind of run.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { StoreClient } from '../src/protocol/types.ts';
import { writeFor } from './data.ts';
import { WITH_CONF, doc, openConf, seedStore, startOurs, storeDir, STORE } from './lib.ts';

/**
 * CPU time (ms) this process's main thread has used, from /proc (Linux; NaN elsewhere). Unlike event-loop active
 * time it does not count moments the thread was runnable but not running — on 2 cores shared with the daemon's
 * thread, its thread pool and GC helpers, that difference is real.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the file, 12 and 13 after "(comm) state"; clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export interface OursSamples {
  /** Time inside `client.set()` until it returns its promise (ms). */
  call: number[];
  /** Event-loop active time per write: the call, the reply, the change event applied to the cache, the promise (ms). */
  busy: number[];
  /** From the call to the promise resolving (durable, and visible in this client's cache) (ms). */
  roundTrip: number[];
  /** Main-thread CPU time per write, averaged over the run (ms). */
  cpuPerWrite: number;
  checkpoints: number;
  groups: number;
  /** The daemon's own commit-group latency window (ms). */
  daemonCommit: { p50: number; p99: number };
}

/** `n` awaited writes on a fresh daemon over a store of `bytes` (with the bench schema), after `warm` unmeasured ones. */
export async function oursSequential(bytes: number, n: number, warm = 200): Promise<OursSamples> {
  const dir = storeDir(`ours-${bytes}`);
  seedStore(dir, bytes);
  const daemon = await startOurs(dir);
  try {
    const client: StoreClient = await daemon.store(STORE);
    const tasks = doc(bytes).tasks.length;
    for (let i = 0; i < warm; i++) await client.set(...writeFor(i, tasks));
    const before = await client.info();
    const call: number[] = [];
    const busy: number[] = [];
    const roundTrip: number[] = [];
    const cpu0 = mainThreadCpuMs();
    let prev = performance.eventLoopUtilization();
    for (let i = 0; i < n; i++) {
      const [key, value] = writeFor(warm + i, tasks);
      const t0 = performance.now();
      const pending = client.set(key, value);
      const t1 = performance.now();
      await pending;
      const t2 = performance.now();
      const now = performance.eventLoopUtilization();
      busy.push(performance.eventLoopUtilization(now, prev).active);
      prev = now;
      call.push(t1 - t0);
      roundTrip.push(t2 - t0);
    }
    const cpuPerWrite = (mainThreadCpuMs() - cpu0) / n;
    const after = await client.info();
    return {
      call, busy, roundTrip, cpuPerWrite,
      checkpoints: after.counters.checkpoints - before.counters.checkpoints,
      groups: after.counters.groups - before.counters.groups,
      daemonCommit: { p50: after.latencyMs.commitP50, p99: after.latencyMs.commitP99 },
    };
  } finally {
    await daemon.close();
  }
}

/** `n` conf `set()` calls on a store of `bytes` (no schema: conf's cheapest path). Each is synchronous and durable. */
export function confSequential(bytes: number, n: number, warm = 3): number[] {
  if (!WITH_CONF) return [];
  const dir = storeDir(`conf-${bytes}`);
  seedStore(dir, bytes);
  const conf = openConf(dir);
  const tasks = doc(bytes).tasks.length;
  for (let i = 0; i < warm; i++) conf.set(...writeFor(i, tasks));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [key, value] = writeFor(warm + i, tasks);
    const t0 = performance.now();
    conf.set(key, value);
    out.push(performance.now() - t0);
  }
  return out;
}

/** How many measured writes per size: fewer for conf, whose 10 MB set takes a quarter of a second. */
export const COUNTS: Record<number, { ours: number; conf: number }> = {
  [10 * 1024]: { ours: 2000, conf: 400 },
  [1024 * 1024]: { ours: 2000, conf: 100 },
  [10 * 1024 * 1024]: { ours: 1000, conf: 15 },
};
