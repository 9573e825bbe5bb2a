/**
 * Figure `curves` (not in the default run; `npm run bench -- curves`): how cost grows as work grows, drawn as SVG in
 * bench/charts/ (bench/curves-draw.ts). Three sweeps, each point measured in this one run:
 *   store size 10 KB → 100 MB   round trip p50/p99, writes/s (8 clients awaiting), start to first read, process RSS —
 *                               ours, conf (its samples capped: a 100 MB set takes seconds) and the bare pipeline
 *   clients 1 → 64 (1 MB)       writes/s and round trip p50/p99 with every client awaiting each write — ours and the
 *                               bare pipeline (conf is one synchronous writer: it has no clients to add)
 *   history 10 → 100,000        round trip, start to first read and RSS with history.maxEntries = N and the journal
 *   records (1 MB)              filled to it — ours only (neither conf nor the bare pipeline keeps history)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { connectStore } from '../src/client-renderer/index.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { baselineSequential, startBaseline, type BaselineClient } from './baseline.ts';
import { startCurveDaemon } from './curves-child.ts';
import { drawCurves, type CurvesData, type Point } from './curves-draw.ts';
import { writeFor } from './data.ts';
import { doc, flag, main, mb, ms, openConf, rate, seedStore, sizeOf, sleep, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';
import { confSequential, oursSequential } from './sequential.ts';

const KB = 1024;
const MB = 1024 * KB;
// --max-mb=1 --max-clients=4 --max-history=100: a quick smoke run of the same code.
export const CURVE_SIZES = [10 * KB, 100 * KB, MB, 10 * MB, 100 * MB].filter((b) => b <= flag('max-mb', 100) * MB);
export const CURVE_CLIENTS = [1, 2, 4, 8, 16, 32, 64].filter((n) => n <= flag('max-clients', 64));
export const CURVE_HISTORY = [10, 100, 1000, 10_000, 100_000].filter((n) => n <= flag('max-history', 100_000));
/** conf's samples per size: each of its sets rewrites the whole file (about 3 s at 100 MB here). */
const CONF_WRITES: Record<number, number> = { [10 * KB]: 200, [100 * KB]: 100, [MB]: 40, [10 * MB]: 8, [100 * MB]: 3 };
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'curves-child.js');

type Writer = Pick<StoreClient, 'set'> | BaselineClient;

/** Writes/s and per-write latency with every writer awaiting each write, over `windowMs` after 300 ms of warm-up. */
async function rateRound(writers: Writer[], tasks: number, windowMs: number): Promise<Point> {
  let stop = false;
  let measuring = false;
  let done = 0;
  let i = 0;
  const latency: number[] = [];
  const loop = async (w: Writer) => {
    while (!stop) {
      const t0 = performance.now();
      await w.set(...writeFor(i++, tasks));
      if (measuring) {
        done++;
        latency.push(performance.now() - t0);
      }
    }
  };
  const running = writers.map(loop);
  await sleep(300);
  measuring = true;
  const t0 = performance.now();
  await sleep(windowMs);
  const elapsed = performance.now() - t0;
  measuring = false;
  const n = done;
  stop = true;
  await Promise.all(running);
  const l = stats(latency);
  return { perSecond: n / (elapsed / 1000), p50: l.p50, p99: l.p99 };
}

/** Bytes of the store folder's files other than the checkpoint and backups: the journal, i.e. the history kept. */
function journalBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(e.parentPath, e.name);
    if (e.isFile() && !file.includes(`${path.sep}backups${path.sep}`) && e.name !== `${STORE}.json`) total += fs.statSync(file).size;
  }
  return total;
}

function rssOf(args: string[]): number {
  const out = execFileSync(process.execPath, ['--expose-gc', CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return (JSON.parse(out.trim().split('\n').pop()!) as { rss: number }).rss;
}

/**
 * Start to first served read: median of `rounds` fresh starts (a new worker each time), and the journal records the
 * first start found (the history it had to load).
 */
async function startTimes(dir: string, rounds: number, maxEntries?: number): Promise<{ p50: number; records: number }> {
  const t: number[] = [];
  let records = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const daemon = maxEntries === undefined ? await startOurs(dir) : await startCurveDaemon(dir, maxEntries);
    const client = await daemon.store(STORE);
    if (client.get('settings.theme') !== 'auto') throw new Error('unexpected first read');
    t.push(performance.now() - t0);
    if (r === 0) records = (await client.info()).journal.records;
    await daemon.close();
  }
  return { p50: stats(t).p50, records };
}

function confStart(dir: string, rounds: number): number {
  const t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    if (openConf(dir).get('settings.theme') !== 'auto') throw new Error('conf: unexpected first read');
    t.push(performance.now() - t0);
  }
  return stats(t).p50;
}

async function bySize(data: CurvesData, windowMs: number, log: (s: string) => void): Promise<void> {
  for (const bytes of CURVE_SIZES) {
    const tasks = doc(bytes).tasks.length;
    const big = bytes >= 100 * MB;
    // 200 warm + 600 measured stays under the 1,000-record checkpoint cadence: no checkpoint falls in the sample.
    const ours = stats((await oursSequential(bytes, 600)).roundTrip);
    const bare = stats((await baselineSequential(tasks, 600)).roundTrip);
    const conf = stats(confSequential(bytes, CONF_WRITES[bytes], big ? 1 : 3));
    const dir = storeDir('curve-size');
    seedStore(dir, bytes);
    const daemon = await startOurs(dir);
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectStore(STORE, { port: daemon.createPort() })));
    const oursRate = await rateRound(clients, tasks, windowMs);
    for (const c of clients) c.close();
    await daemon.close();
    const bareHost = await startBaseline();
    const bareRate = await rateRound(Array.from({ length: 8 }, () => bareHost.connect()), tasks, windowMs);
    await bareHost.close();
    const rounds = big ? 2 : 3;
    const cdir = storeDir('curve-size-conf');
    seedStore(cdir, bytes);
    data.size.push({
      x: bytes,
      ours: { p50: ours.p50, p99: ours.p99, perSecond: oursRate.perSecond, start: (await startTimes(dir, rounds)).p50, rss: rssOf(['ours', dir, '1000']) },
      conf: { p50: conf.p50, p99: conf.p99, perSecond: 1000 / conf.mean, start: confStart(cdir, rounds), rss: rssOf(['conf', cdir]) },
      bare: { p50: bare.p50, p99: bare.p99, perSecond: bareRate.perSecond },
    });
    log(`size ${sizeOf(bytes)}`);
  }
}

async function byClients(data: CurvesData, windowMs: number, log: (s: string) => void): Promise<void> {
  const tasks = doc(MB).tasks.length;
  const dir = storeDir('curve-clients');
  seedStore(dir, MB);
  const daemon = await startOurs(dir);
  const bare = await startBaseline();
  try {
    for (const n of CURVE_CLIENTS) {
      const clients: StoreClient[] = [];
      for (let c = 0; c < n; c++) clients.push(await connectStore(STORE, { port: daemon.createPort() }));
      const ours = await rateRound(clients, tasks, windowMs);
      const b = await rateRound(Array.from({ length: n }, () => bare.connect()), tasks, windowMs);
      for (const c of clients) c.close();
      data.clients.push({ x: n, ours, bare: b });
      log(`clients ${n}`);
    }
  } finally {
    await daemon.close();
    await bare.close();
  }
}

async function byHistory(data: CurvesData, log: (s: string) => void): Promise<void> {
  const tasks = doc(MB).tasks.length;
  for (const n of CURVE_HISTORY) {
    const dir = storeDir('curve-history');
    seedStore(dir, MB);
    const daemon = await startCurveDaemon(dir, n);
    const client = await daemon.store(STORE);
    // Fill the journal to its retention: n writes, 32 in flight, then a short idle so a checkpoint prunes to n.
    let i = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (i < n + 1000) await client.set(...writeFor(i++, tasks));
    }));
    const rt: number[] = [];
    for (let k = 0; k < 600; k++) {
      const t0 = performance.now();
      await client.set(...writeFor(i++, tasks));
      rt.push(performance.now() - t0);
    }
    await daemon.close();
    const s = stats(rt);
    const start = await startTimes(dir, 3, n);
    data.history.push({ x: n, records: start.records, journalBytes: journalBytes(dir), ours: { p50: s.p50, p99: s.p99, start: start.p50, rss: rssOf(['ours', dir, String(n)]) } });
    log(`history ${n}`);
  }
}

export async function run() {
  const windowMs = flag('window', 1500);
  const t0 = performance.now();
  const log = (s: string) => process.stderr.write(`  curves: ${s} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  const data: CurvesData = { size: [], clients: [], history: [] };
  await bySize(data, windowMs, log);
  await byClients(data, windowMs, log);
  await byHistory(data, log);
  const charts = drawCurves(data);
  const rows: Row[] = [];
  for (const p of data.size) {
    const label = sizeOf(p.x);
    rows.push({ metric: 'curve: round trip p50 · p99', store: label, ours: `${ms(p.ours.p50)} · ${ms(p.ours.p99)}`, conf: `${ms(p.conf.p50)} · ${ms(p.conf.p99)}`, baseline: `${ms(p.bare.p50)} · ${ms(p.bare.p99)}`, ratio: { conf: p.ours.p50 / p.conf.p50, baseline: p.ours.p50 / p.bare.p50 } });
    rows.push({ metric: 'curve: writes/s, 8 clients awaiting (conf: one writer)', store: label, ours: rate(p.ours.perSecond), conf: rate(p.conf.perSecond), baseline: rate(p.bare.perSecond), ratio: { conf: p.ours.perSecond / p.conf.perSecond, baseline: p.ours.perSecond / p.bare.perSecond } });
    rows.push({ metric: 'curve: start to first read · process RSS', store: label, ours: `${ms(p.ours.start)} · ${mb(p.ours.rss)}`, conf: `${ms(p.conf.start)} · ${mb(p.conf.rss)}`, ratio: { conf: p.ours.start / p.conf.start } });
  }
  for (const p of data.clients) {
    rows.push({ metric: `curve: ${p.x} client${p.x === 1 ? '' : 's'} awaiting, writes/s (round trip p50 · p99)`, store: '1 MB', ours: `${rate(p.ours.perSecond)} (${ms(p.ours.p50)} · ${ms(p.ours.p99)})`, conf: '', baseline: `${rate(p.bare.perSecond)} (${ms(p.bare.p50)} · ${ms(p.bare.p99)})`, ratio: { baseline: p.ours.perSecond / p.bare.perSecond } });
  }
  for (const p of data.history) {
    rows.push({ metric: `curve: history.maxEntries ${p.x.toLocaleString('en-US')} (journal on disk ${mb(p.journalBytes)}, ${p.records.toLocaleString('en-US')} records to replay): round trip p50 · p99, start, RSS`, store: '1 MB', ours: `${ms(p.ours.p50)} · ${ms(p.ours.p99)}, ${ms(p.ours.start)}, ${mb(p.ours.rss)}`, conf: '' });
  }
  return {
    id: 'curves',
    title: 'Cost curves (store size, clients, retained history)',
    rows,
    notes: [
      `Charts: ${charts.map((c) => `bench/charts/${c}`).join(', ')}. Every point measured in this one run, each system right after the other.`,
      `Round trip: 600 awaited writes after 200 warm-up (fewer than the 1,000-record checkpoint cadence, so no checkpoint falls in the sample) for ours and the bare pipeline; conf ${CURVE_SIZES.map((b) => CONF_WRITES[b]).join(' / ')} sets at ${CURVE_SIZES.map(sizeOf).join(' / ')} (capped: one 100 MB set rewrites and fsyncs 100 MB). conf's writes/s is 1000 ÷ its mean set time (one synchronous writer).`,
      `Writes/s: ${windowMs} ms windows after 300 ms warm-up, every client awaiting each write. Start: median of 3 fresh starts (2 at 100 MB) to the first get() answered. RSS: the whole process (fresh \`node\`, after a full GC) holding the store open — ours: daemon worker + main's client cache; conf: its instance after one read and 3 sets.`,
      'History: a 1 MB store defined with history.maxEntries = N, filled with N + 1,000 writes (32 in flight), then 600 awaited writes timed; start and RSS on the same folder afterwards. Each row gives the journal\'s bytes on disk after those starts (the history kept: the last maxEntries records, and never less than recovery needs since the newest backup) and the records the first start had to replay.',
    ],
    raw: data as unknown as Record<string, unknown>,
  };
}

main(import.meta.url, run);
