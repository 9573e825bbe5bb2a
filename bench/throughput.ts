/**
 * Figure: sustained durable writes per second on a 1 MB store with 1, 8 and 32 concurrent clients, and on a 10 MB store
 * with 1 and 8, each beside the bare pipeline (bench/baseline.ts) in alternating rounds. A client is a separate
 * connection (`connectStore(name, { port: daemon.createPort() })`), as a window is; all of them run on this
 * process's main thread here (in Electron each window is its own process). Two client behaviours: each client awaits
 * its write before the next (one in flight per client), and each keeps 16 writes in flight (pipelined).
 */
import { performance } from 'node:perf_hooks';
import { connectStore } from '../src/client-renderer/index.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { startBaseline, type BaselineClient } from './baseline.ts';
import { writeFor } from './data.ts';
import { mainThreadCpuMs } from './sequential.ts';
import { doc, flag, main, ms, openConf, rate, seedStore, sleep, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';

const MB = 1024 * 1024;
/** Per store size, the configurations measured: [clients, writes in flight per client]. */
const CONFIGS: Array<{ bytes: number; label: string; runs: Array<[number, number]> }> = [
  { bytes: MB, label: '1 MB', runs: [[1, 1], [1, 16], [8, 1], [8, 16], [32, 1], [32, 16]] },
  { bytes: 10 * MB, label: '10 MB', runs: [[1, 1], [8, 1], [8, 16]] },
];

/** What a round needs of a client: ours (StoreClient) or the bare pipeline's. */
type Writer = Pick<StoreClient, 'set'> | BaselineClient;
type Counters = { checkpoints: number; groups: number };

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

async function oneRound(clients: Writer[], counters: () => Promise<Counters>, tasks: number, inFlight: number, warmMs: number, windowMs: number, seq: { i: number }): Promise<Round> {
  let stop = false;
  let done = 0;
  const latency: number[] = [];
  let measuring = false;
  const loop = async (c: Writer) => {
    while (!stop) {
      const t0 = performance.now();
      await c.set(...writeFor(seq.i++, tasks));
      done++;
      if (measuring) latency.push(performance.now() - t0);
    }
  };
  const before = await counters();
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
  const after = await counters();
  const l = stats(latency);
  return {
    perSecond: writes / (elapsed / 1000), latency: { p50: l.p50, p99: l.p99, max: l.max }, clientThreadElu: elu, clientCpuPerWrite: cpu / Math.max(1, writes), otherCpuPerWrite: other / Math.max(1, writes),
    checkpoints: after.checkpoints - before.checkpoints, groups: after.groups - before.groups, writes,
  };
}

/** Our daemon's and the bare pipeline's rounds of every configuration at one store size, alternating. */
async function atSize(bytes: number, runs: Array<[number, number]>, rounds: number, windowMs: number) {
  const tasks = doc(bytes).tasks.length;
  const dir = storeDir('ours-tput');
  seedStore(dir, bytes);
  const daemon = await startOurs(dir);
  const bare = await startBaseline();
  const none = () => Promise.resolve({ checkpoints: 0, groups: 0 });
  const seq = { i: 0 };
  const ours: Record<string, Round[]> = {};
  const base: Record<string, Round[]> = {};
  try {
    for (const [n, inFlight] of runs) {
      const clients: StoreClient[] = [];
      for (let c = 0; c < n; c++) clients.push(await connectStore(STORE, { port: daemon.createPort() }));
      const bareClients = Array.from({ length: n }, () => bare.connect());
      const counters = async () => (await clients[0].info()).counters;
      const key = `${n} client${n === 1 ? '' : 's'} × ${inFlight} in flight`;
      ours[key] = [];
      base[key] = [];
      for (let r = 0; r < rounds; r++) {
        ours[key].push(await oneRound(clients, counters, tasks, inFlight, 300, windowMs, seq));
        base[key].push(await oneRound(bareClients, none, tasks, inFlight, 300, windowMs, seq));
      }
      for (const c of clients) c.close();
    }
  } finally {
    await daemon.close();
    await bare.close();
  }
  return { ours, base };
}

/** conf: one synchronous writer for a window (several conf instances in one process would only take turns). */
function confRate(bytes: number, windowMs: number): number {
  const cdir = storeDir('conf-tput');
  seedStore(cdir, bytes);
  const conf = openConf(cdir);
  const tasks = doc(bytes).tasks.length;
  let confWrites = 0;
  const ct0 = performance.now();
  while (performance.now() - ct0 < windowMs) conf.set(...writeFor(confWrites++, tasks));
  return confWrites / ((performance.now() - ct0) / 1000);
}

export async function run() {
  const rounds = flag('rounds', 2);
  const windowMs = flag('window', 2000);
  const rows: Row[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const median = (xs: Round[], f: (r: Round) => number) => stats(xs.map(f)).p50;
  const latency = (rs: Round[]) => `latency p50 ${ms(median(rs, (r) => r.latency.p50))}, p99 ${ms(median(rs, (r) => r.latency.p99))}`;
  for (const { bytes, label, runs } of CONFIGS) {
    const { ours, base } = await atSize(bytes, runs, rounds, windowMs);
    const conf = confRate(bytes, windowMs);
    raw[label] = { results: ours, baseline: base, confRate: conf };
    for (const [key, rs] of Object.entries(ours)) {
      const n = Number(key.split(' ')[0]);
      const perSecond = median(rs, (r) => r.perSecond);
      const bareRate = median(base[key], (r) => r.perSecond);
      // Issue 12: the bare pipeline's own rate replaces SPEC §7's absolute 20,000/s (which was that rate on 2 cores).
      const target = n === 8 && key.endsWith('× 1 in flight') ? '≥ 0.8× bare pipeline (replaces SPEC §7\'s ≥ 20,000 writes/s)' : undefined;
      rows.push({
        metric: `sustained durable writes, ${key}`, store: label,
        ours: `${rate(perSecond)} (${latency(rs)})`, conf: `${rate(conf)} (one writer)`, baseline: `${rate(bareRate)} (${latency(base[key])})`,
        ratio: { conf: perSecond / conf, baseline: perSecond / bareRate }, target, met: target ? perSecond >= 0.8 * bareRate : undefined,
      });
      notes.push(`${label}, ${key}: client-thread event-loop utilization ${median(rs, (r) => r.clientThreadElu).toFixed(2)} (bare pipeline ${median(base[key], (r) => r.clientThreadElu).toFixed(2)}; ours: its CPU per write, all clients together: ${ms(median(rs, (r) => r.clientCpuPerWrite))}; the daemon's and other threads' CPU per write: ${ms(median(rs, (r) => r.otherCpuPerWrite))}, bare pipeline ${ms(median(base[key], (r) => r.clientCpuPerWrite))} / ${ms(median(base[key], (r) => r.otherCpuPerWrite))}), ${Math.round(median(rs, (r) => r.writes / Math.max(1, r.groups)))} writes per fdatasync group, ${median(rs, (r) => r.checkpoints)} checkpoints per round, latency max ${ms(median(rs, (r) => r.latency.max))}.`);
    }
  }
  return {
    id: 'throughput',
    title: 'Sustained durable writes (1 MB and 10 MB stores)',
    rows,
    notes: [
      `Each configuration: ${rounds} rounds of a ${windowMs} ms window after 300 ms of warm-up, ours and the bare pipeline alternating; the figure is the median round. Strict durability, bench schema; the write mix of data.ts writeFor. Every client is subscribed (as a window is) and so receives every change.`,
      'Bare pipeline: bench/baseline.ts — a worker that appends each write as a JSON line, fdatasyncs once per group and acks each write on its client\'s port; it holds no document, so its rate does not depend on the store size (measured again at each size, in the same run).',
      'The SPEC §7 line "≥ 20,000 writes/s with 8 clients" is replaced by "≥ 0.8× the bare pipeline with 8 clients awaiting each write" (issue 12: 20 k/s was the bare pipeline\'s own rate on this machine). 8 × 16 in flight (saturated) is reported without a target.',
      ...notes,
      'conf: one synchronous writer for the same window (several conf instances in one process would only take turns on the same thread).',
    ],
    raw,
  };
}

main(import.meta.url, run);
