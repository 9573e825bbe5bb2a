/**
 * Figure: daemon memory, 1 MB store. Measured first as its own process, the utility-process path (rss-process-child.ts);
 * then, as before, as the growth a worker daemon adds to an app's process. The daemon runs as a worker thread here, inside the app's process, so its RSS
 * cannot be read on its own. Measured instead, in fresh child processes (plain node, compiled JS): the process's RSS
 * growth from starting the daemon (worker isolate, its modules, the document, schema, journal), after the store is
 * open and again after 2,000 writes and an idle checkpoint made by a client in a separate worker that has exited by
 * then (so no client cache is counted). In Electron the daemon is its own utility process: its RSS there is about
 * a bare runtime's RSS plus this growth, so that sum is reported against the target too.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, main, mb, seedStore, stats, storeDir, type Row } from './lib.ts';

const BYTES = 1024 * 1024;
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rss-child.js');
const PROCESS_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rss-process-child.js');
/** The built daemon entry (bench/.data/build/src is dist/ as npm run build made it). */
const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'daemon', 'entry.js');

/** V8 flag sets the daemon process is measured with besides the defaults (PROFILE.md, Round 2 — memory). */
const FLAG_SETS: Record<string, string[]> = { default: [], 'semi-space 1 MB': ['--max-semi-space-size=1'] };

type ProcessReading = Record<'bare' | 'loaded' | 'open' | 'afterWrites' | 'afterGc', Reading> & { writesMs: number };

function processChild(dir: string, flags: string[]): ProcessReading {
  const out = execFileSync(process.execPath, ['--expose-gc', ...flags, PROCESS_CHILD, dir, ENTRY], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ProcessReading;
}

type Reading = { rss: number; heapTotal: number; heapUsed: number; external: number };

function child(args: string[]): Record<string, Reading> {
  const out = execFileSync(process.execPath, ['--expose-gc', CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, Reading>;
}

export async function run() {
  const rounds = flag('rounds', 3);
  const bare: number[] = [];
  const started: number[] = [];
  const afterWrites: number[] = [];
  const confGrowth: number[] = [];
  const emptyWorker: number[] = [];
  const asOwn: Record<string, ProcessReading[]> = Object.fromEntries(Object.keys(FLAG_SETS).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [label, flags] of Object.entries(FLAG_SETS)) {
      const pdir = storeDir('ours-rss-process');
      seedStore(pdir, BYTES);
      asOwn[label].push(processChild(pdir, flags));
    }
    bare.push(Number(execFileSync(process.execPath, ['--expose-gc', '-e', 'gc(); console.log(process.memoryUsage().rss)'], { encoding: 'utf8' }).trim()));
    const dir = storeDir('ours-rss');
    seedStore(dir, BYTES);
    const d = child(['daemon', dir]);
    started.push(d.started.rss - d.base.rss);
    afterWrites.push(d.afterWrites.rss - d.base.rss);
    const idle = child(['empty']);
    emptyWorker.push(idle.started.rss - idle.base.rss);
    const cdir = storeDir('conf-rss');
    seedStore(cdir, BYTES);
    const c = child(['conf', cdir]);
    confGrowth.push(c.after.rss - c.base.rss);
  }
  const b = stats(bare).p50;
  const s = stats(started).p50;
  const w = stats(afterWrites).p50;
  const c = stats(confGrowth).p50;
  const e = stats(emptyWorker).p50;
  // As its own process the daemon has the process's isolate instead of a worker's: bare runtime + growth − one isolate.
  const asProcess = b + w - e;
  const own = (label: string, stage: 'open' | 'afterWrites') => stats(asOwn[label].map((x) => x[stage].rss)).p50;
  const writesMs = (label: string) => stats(asOwn[label].map((x) => x.writesMs)).p50;
  const rows: Row[] = [
    { metric: 'daemon memory as its own process (measured: utility-process path, dist entry), store open, no client yet', store: '1 MB', ours: `${mb(own('default', 'open'))} (bare node ${mb(stats(asOwn.default.map((x) => x.bare.rss)).p50)})`, conf: '—' },
    { metric: 'daemon memory as its own process (measured), after 2,000 writes from a client and a checkpoint', store: '1 MB', ours: mb(own('default', 'afterWrites')), conf: '—', target: '≤ 50 MB RSS', met: own('default', 'afterWrites') <= 50 * 1024 * 1024 },
    ...Object.keys(FLAG_SETS).filter((l) => l !== 'default').map((label) => ({
      metric: `… the same with ${label} (${FLAG_SETS[label].join(' ')})`, store: '1 MB',
      ours: `open ${mb(own(label, 'open'))}, after writes ${mb(own(label, 'afterWrites'))}; 2,000 awaited writes took ${writesMs(label).toFixed(0)} ms (default flags: ${writesMs('default').toFixed(0)} ms)`, conf: '—',
    })),
    { metric: 'daemon memory: RSS added to the app by the worker daemon, store open', store: '1 MB', ours: mb(s), conf: `${mb(c)} (conf opened, read, 100 sets)` },
    { metric: 'daemon memory: RSS added, after 2,000 writes and a checkpoint', store: '1 MB', ours: mb(w), conf: `${mb(c)}` },
    { metric: 'daemon memory as its own process (estimate: bare Node + the above − one idle isolate)', store: '1 MB', ours: `${mb(asProcess)} (bare node ${mb(b)}, idle worker ${mb(e)})`, conf: '—', target: '≤ 50 MB RSS', met: asProcess <= 50 * 1024 * 1024 },
  ];
  return {
    id: 'rss',
    title: 'Daemon memory (1 MB store)',
    rows,
    notes: [
      'As its own process (first rows): bench/rss-process-child.ts runs the built daemon entry on a child process\'s main thread with process.parentPort standing in for Electron\'s utility-process channel (the path electron-host.ts takes), sends init, connects one client and reads process.memoryUsage().rss — the whole process. Node cannot pass a MessagePort between processes, so the client runs in a worker thread of that process and has exited before the reading after writes (what it left with the allocator is counted). No gc() is forced before the readings.',
      `Median of ${rounds} fresh child processes per reading; RSS from process.memoryUsage() after gc() of the main thread (the daemon worker's heap cannot be collected from outside, so its garbage counts — as it would in the app).`,
      `For scale: an idle worker thread that loads nothing adds ${mb(e)}; the rest is the daemon's code (conf, ajv, chokidar, comlink, proper-lockfile …), its heap and its data. The 1 MB store is a ~1 MB file; parsed it is several MB of heap.`,
      'Why not process.memoryUsage() inside the daemon: in a worker it reports the whole process. Why not Electron: its binary cannot be installed here; a utility process is a separate process whose RSS is a runtime baseline plus what the daemon holds, which the last row estimates with Node\'s baseline (Electron\'s utility-process baseline is larger).',
    ],
    raw: { bare, started, afterWrites, confGrowth, emptyWorker, asOwnProcess: asOwn },
  };
}

main(import.meta.url, run);
