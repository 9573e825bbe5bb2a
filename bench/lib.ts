/**
 * Shared benchmark harness: temp store folders, seeding a store file both engines read, starting our daemon, stats,
 * formatting, and the result shape every figure script returns (bench/run.ts collects them into RESULTS.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Conf from 'conf';
import { defineStore } from '../src/index.ts';
import { startStoreDaemon, type DaemonOptions, type StoreDaemon } from '../src/client-main/index.ts';
import { benchSchema, makeDocument, serialized, type BenchDoc } from './data.ts';

export { Conf };

/** The package root (where package.json is), found from this file whether it runs from bench/ or its build. */
export const ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'electron-store-daemon') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the electron-store-daemon package root');
    dir = up;
  }
})();
export const DATA_DIR = path.join(ROOT, 'bench', '.data');
export const STORE = 'bench';

const made: string[] = [];
/** A fresh folder for one engine's store files under bench/.data/tmp (ext4 here, like a user's disk; not tmpfs). */
export function storeDir(label: string): string {
  const base = path.join(DATA_DIR, 'tmp');
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, `${label.replace(/[^a-z0-9]+/gi, '-')}-`));
  made.push(dir);
  return dir;
}

/** Removes every folder storeDir made in this process. */
export function cleanup(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

const docCache = new Map<number, BenchDoc>();
/** The deterministic document of about `bytes` (memoized: a 10 MB one takes a moment to build). */
export function doc(bytes: number): BenchDoc {
  let d = docCache.get(bytes);
  if (!d) docCache.set(bytes, (d = makeDocument(bytes)));
  return d;
}

/** Writes `<dir>/<name>.json` as conf/electron-store would (the file both engines then open). Returns its size. */
export function seedStore(dir: string, bytes: number, name = STORE): number {
  const text = serialized(doc(bytes));
  fs.writeFileSync(path.join(dir, `${name}.json`), text);
  return Buffer.byteLength(text);
}

/** A conf instance on `<dir>/<name>.json`, as electron-store creates it (conf gets the schema's top-level properties). */
export function openConf(dir: string, withSchema = false, name = STORE): Conf<Record<string, unknown>> {
  return new Conf<Record<string, unknown>>({
    cwd: dir, configName: name, clearInvalidConfig: false,
    ...(withSchema && { schema: benchSchema.properties as never }),
  });
}

/** Starts our daemon (worker host, as a plain Node app would) on `dir` with the bench store. */
export function startOurs(dir: string, options: { schema?: boolean; tuning?: DaemonOptions['tuning'] } = {}): Promise<StoreDaemon> {
  const def = defineStore<BenchDoc>({ name: STORE, ...(options.schema !== false && { schema: benchSchema as object }) });
  return startStoreDaemon({ cwd: dir, host: 'worker', stores: [def], ...(options.tuning && { tuning: options.tuning }) });
}

// ---------------------------------------------------------------------------------------------------------------
// Stats

export interface Stats {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Linear-interpolated quantile of sorted samples. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, p99, min, max and mean of samples (ms unless said otherwise). */
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, min: s[0], p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
}

/** Milliseconds as a short human string, switching to µs below 0.1 ms. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1000) return `${(value / 1000).toFixed(abs >= 10_000 ? 1 : 2)} s`;
  if (abs >= 100) return `${value.toFixed(0)} ms`;
  if (abs >= 10) return `${value.toFixed(1)} ms`;
  if (abs >= 0.1) return `${value.toFixed(2)} ms`;
  const us = value * 1000;
  if (Math.abs(us) >= 10) return `${us.toFixed(0)} µs`;
  if (Math.abs(us) >= 1) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(3)} µs`;
}

/** "p50 X · p99 Y" for a Stats. */
export function p50p99(s: Stats): string {
  return `p50 ${ms(s.p50)} · p99 ${ms(s.p99)}`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function rate(perSecond: number): string {
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)} k/s`;
  return perSecond >= 10 ? `${perSecond.toFixed(0)}/s` : `${perSecond.toPrecision(2)}/s`;
}

// ---------------------------------------------------------------------------------------------------------------
// Results

/** One line of the results table. `met` is undefined where the SPEC sets no target for that line. */
export interface Row {
  metric: string;
  store: string;
  ours: string;
  conf: string;
  /** The bare pipeline's cell (bench/baseline.ts): what Node alone does for the same work, measured in the same run. */
  baseline?: string;
  /**
   * ours ÷ conf and ours ÷ the bare pipeline, of the row's headline number (a time: below 1 is faster than the other;
   * a rate: above 1 is more). Kept as numbers so RESULTS.json carries them raw.
   */
  ratio?: { conf?: number; baseline?: number };
  target?: string;
  met?: boolean;
}

export interface FigureResult {
  id: string;
  title: string;
  rows: Row[];
  /** What exactly was measured, how many samples, caveats. */
  notes: string[];
  raw: Record<string, unknown>;
  seconds: number;
}

/** Runs a figure when its file is the entry script: prints its table, and writes JSON to `--out <file>` if given. */
export function main(importMetaUrl: string, run: () => Promise<Omit<FigureResult, 'seconds'>>): void {
  if (process.argv[1] !== fileURLToPath(importMetaUrl)) return;
  const started = performance.now();
  run().then((result) => {
    const full: FigureResult = { ...result, seconds: (performance.now() - started) / 1000 };
    cleanup();
    const out = process.argv.indexOf('--out');
    if (out > 0 && process.argv[out + 1]) fs.writeFileSync(process.argv[out + 1], JSON.stringify(full, undefined, 2));
    else {
      console.log(`\n## ${full.title}\n`);
      console.log(table(full.rows));
      for (const n of full.notes) console.log(`- ${n}`);
    }
    // Daemons are closed by each figure; exit anyway so a stray handle cannot hang the suite.
    process.exit(0);
  }, (error: unknown) => {
    cleanup();
    console.error(error);
    process.exit(1);
  });
}

/** A ratio as a short string: two significant digits, "—" where there is nothing to compare. */
export function times(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '—';
  if (ratio >= 100) return `${ratio.toFixed(0)}×`;
  if (ratio >= 0.1) return `${ratio.toPrecision(2)}×`;
  return `${ratio.toPrecision(1)}×`;
}

/** A markdown table of rows. */
export function table(rows: readonly Row[]): string {
  const head = ['figure', 'store', 'electron-store-daemon', 'conf (electron-store)', 'bare pipeline', 'ours ÷ conf', 'ours ÷ bare', 'target', 'met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
    lines.push(`| ${r.metric} | ${r.store} | ${r.ours} | ${r.conf} | ${r.baseline ?? '—'} | ${times(r.ratio?.conf)} | ${times(r.ratio?.baseline)} | ${r.target ?? ''} | ${met} |`);
  }
  return lines.join('\n');
}

/** Machine facts for RESULTS.md. */
export function machine(): Record<string, string> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    nproc: String(os.availableParallelism?.() ?? cpus.length),
    cpu: cpus[0]?.model ?? 'unknown',
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    disk: fsType(DATA_DIR),
  };
}

function fsType(dir: string): string {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((p) => p.length > 2);
    const real = fs.realpathSync(dir);
    let best = { mount: '', type: 'unknown' };
    for (const [, mount, type] of mounts) if (real.startsWith(mount) && mount.length > best.mount.length) best = { mount, type };
    return `${best.type} (${best.mount})`;
  } catch {
    return 'unknown';
  }
}

/** Resolves on the next turn of the event loop (lets queued messages in). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

/** Size label of a byte count from data.ts SIZES. */
export function sizeOf(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** False with `--no-conf` (profiling our side only: conf's long runs would fill the profile). */
export const WITH_CONF = !process.argv.includes('--no-conf');

/** Reads a flag like `--rounds=3` from argv. */
export function flag(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
}
