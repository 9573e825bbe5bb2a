/**
 * Figure: sustained durable writes per second on a 1 MB store with 1, 8 and 32 concurrent clients. A client is a
 * separate connection (`connectStore(name, { port: daemon.createPort() })`), as a window is; all of them run on this
 * process's main thread here (in Electron each window is its own process). Two client behaviours: each client awaits
 * its write before the next (one in flight per client), and each keeps 16 writes in flight (pipelined).
 */
import { performance } from 'node:perf_hooks';
import { connectStore } from '../src/client-renderer/index.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { writeFor } from './data.ts';
import { mainThreadCpuMs } from './sequential.ts';
import { doc, flag, main, ms, openConf, rate, seedStore, sleep, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';

const BYTES = 1024 * 1024;

interface Round {
  perSecond: number;
  latency: { p50: number; p99: number; max: number };
  /** Event-loop utilization of the clients' thread during the window (1 = saturated). */
  clientThreadElu: number;
  /** CPU time of the clients' thread per committed write during the window (ms; all clients together). */
  clientCpuPerWrite: number;
  /** CPU time of every other thread of the process per write: the daemon, its fs thread pool, GC helpers (ms). */
  otherCpuPerWrite: number;
  checkpoints: number;
  groups: number;
  writes: number;
}

async function oneRound(clients: StoreClient[], inFlight: number, warmMs: number, windowMs: number, seq: { i: number }): Promise<Round> {
  const tasks = doc(BYTES).tasks.length;
  let stop = false;
  let done = 0;
  const latency: number[] = [];
  let measuring = false;
  const loop = async (c: StoreClient) => {
    while (!stop) {
      const t0 = performance.now();
      await c.set(...writeFor(seq.i++, tasks));
      done++;
      if (measuring) latency.push(performance.now() - t0);
    }
  };
  const before = await clients[0].info();
  const running = clients.flatMap((c) => Array.from({ length: inFlight }, () => loop(c)));
  await sleep(warmMs);
  measuring = true;
  const from = done;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMs();
  const proc0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowMs);
  const writes = done - from;
  const cpu = mainThreadCpuMs() - cpu0;
  const procUsage = process.cpuUsage(proc0);
  const other = (procUsage.user + procUsage.system) / 1000 - cpu;
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  measuring = false;
  stop = true;
  await Promise.all(running);
  const after = await clients[0].info();
  const l = stats(latency);
  return {
    perSecond: writes / (elapsed / 1000), latency: { p50: l.p50, p99: l.p99, max: l.max }, clientThreadElu: elu, clientCpuPerWrite: cpu / Math.max(1, writes), otherCpuPerWrite: other / Math.max(1, writes),
    checkpoints: after.counters.checkpoints - before.counters.checkpoints, groups: after.counters.groups - before.counters.groups, writes,
  };
}

export async function run() {
  const rounds = flag('rounds', 2);
  const windowMs = flag('window', 2000);
  const dir = storeDir('ours-tput');
  seedStore(dir, BYTES);
  const daemon = await startOurs(dir);
  const seq = { i: 0 };
  const results: Record<string, Round[]> = {};
  const rows: Row[] = [];
  try {
    for (const n of [1, 8, 32]) {
      const clients: StoreClient[] = [];
      for (let c = 0; c < n; c++) clients.push(await connectStore(STORE, { port: daemon.createPort() }));
      for (const inFlight of [1, 16]) {
        const key = `${n} client${n === 1 ? "" : "s"} × ${inFlight} in flight`;
        results[key] = [];
        for (let r = 0; r < rounds; r++) results[key].push(await oneRound(clients, inFlight, 300, windowMs, seq));
      }
      for (const c of clients) c.close();
    }
  } finally {
    await daemon.close();
  }

  // conf: one writer; it has no concurrency to offer (every set() holds the thread until its file is rewritten).
  const cdir = storeDir('conf-tput');
  seedStore(cdir, BYTES);
  const conf = openConf(cdir);
  const tasks = doc(BYTES).tasks.length;
  let confWrites = 0;
  const ct0 = performance.now();
  while (performance.now() - ct0 < windowMs) conf.set(...writeFor(confWrites++, tasks));
  const confRate = confWrites / ((performance.now() - ct0) / 1000);

  const median = (xs: Round[], f: (r: Round) => number) => stats(xs.map(f)).p50;
  for (const [key, rs] of Object.entries(results)) {
    const n = Number(key.split(' ')[0]);
    const perSecond = median(rs, (r) => r.perSecond);
    const target = n === 8 ? '≥ 20,000 writes/s' : undefined;
    rows.push({
      metric: `sustained durable writes, ${key}`, store: '1 MB',
      ours: `${rate(perSecond)} (latency p50 ${ms(median(rs, (r) => r.latency.p50))}, p99 ${ms(median(rs, (r) => r.latency.p99))})`,
      conf: `${rate(confRate)} (one writer)`, target, met: target ? perSecond >= 20_000 : undefined,
    });
  }
  const notes = [
    `Each configuration: ${rounds} rounds of a ${windowMs} ms window after 300 ms of warm-up; the figure is the median round. Strict durability, bench schema; the write mix of data.ts writeFor. Every client is subscribed (as a window is) and so receives every change.`,
    ...Object.entries(results).map(([key, rs]) => `${key}: client-thread event-loop utilization ${median(rs, (r) => r.clientThreadElu).toFixed(2)} (its CPU per write, all clients together: ${ms(median(rs, (r) => r.clientCpuPerWrite))}; the daemon's and other threads' CPU per write: ${ms(median(rs, (r) => r.otherCpuPerWrite))}), ${Math.round(median(rs, (r) => r.writes / Math.max(1, r.groups)))} writes per fdatasync group, ${median(rs, (r) => r.checkpoints)} checkpoints per round, latency max ${ms(median(rs, (r) => r.latency.max))}.`),
    'conf: one synchronous writer for the same window (several conf instances in one process would only take turns on the same thread).',
  ];
  return { id: 'throughput', title: 'Sustained durable writes (1 MB store)', rows, notes, raw: { results, confRate } };
}

main(import.meta.url, run);
