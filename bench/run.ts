/**
 * `npm run bench`: builds the package (`npm run build`) and the bench scripts, runs every figure of SPEC §7 — each in
 * its own fresh `node` process, against the built package — beside conf, prints one table and writes bench/RESULTS.md
 * (and RESULTS.json).
 *   npm run bench -- round-trip start      only these figures (results go to bench/.data/results-partial.md)
 *   npm run bench -- curves                the cost curves (bench/curves.ts; not in the full run: 3.5 min here at load 6, 6 min at load 14): SVG
 *                                          charts in bench/charts/, which RESULTS.md links
 *   npm run bench -- --rounds=3            passed on to every figure
 *   npm run bench -- --quiet               before each figure, wait (up to 2 min) until other processes leave the CPUs
 *                                          mostly idle — on a shared machine, others' tests distort every figure
 *   npm run bench:micro [-- parts]          the micro-measurements behind PROFILE.md (bench/micro.ts)
 *   npm run bench:profile [-- figures]     the same figures under `node --cpu-prof`, summarized per thread into
 *                                          bench/.data/profiles/<figure>/summary.txt (numbers from a profiled run
 *                                          are not results, so RESULTS.md is left alone)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format, summarize } from './cpuprofile.ts';
import { DATA_DIR, ROOT, machine, table, type FigureResult } from './lib.ts';

/** Every figure, in the order of SPEC §7, then the security issue's flood figures (bench/flood.ts). */
export const FIGURES = ['ui-write', 'event-loop-delay', 'round-trip', 'throughput', 'cached-read', 'change-latency', 'start', 'rss', 'recovery', 'flood'] as const;
/** Figures run only when named: they take longer than the rest of the run together. */
export const ON_REQUEST = ['curves'] as const;

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const quiet = args.includes('--quiet');
const passThrough = args.filter((a) => a.startsWith('--') && a !== '--profile' && a !== '--quiet');
const only = args.includes('--micro') ? [] : args.filter((a) => !a.startsWith('--'));
for (const f of only) if (![...FIGURES, ...ON_REQUEST].includes(f as never)) throw new Error(`unknown figure "${f}"; figures: ${[...FIGURES, ...ON_REQUEST].join(', ')}`);
const figures = only.length > 0 ? only : [...FIGURES];
const BUILD = path.join(DATA_DIR, 'build', 'bench');

/**
 * Builds what the figures run: `npm run build` (the package's own build: tsc → dist/, daemon entry bundled), then
 * tsc over src/ and bench/ into bench/.data/build, then dist/ copied over that build's src/ — so the package code
 * every figure runs is byte for byte what `npm run build` ships, in a private copy a concurrent rebuild cannot swap.
 */
function compile(): { ok: boolean; output: string } {
  const pkg = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const bench = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'bench', 'tsconfig.json')], { encoding: 'utf8' });
  const dist = path.join(ROOT, 'dist');
  if (fs.existsSync(path.join(dist, 'daemon', 'entry.js'))) fs.cpSync(dist, path.join(DATA_DIR, 'build', 'src'), { recursive: true, force: true });
  const output = [pkg.status === 0 ? '' : `npm run build failed:\n${pkg.stdout}${pkg.stderr}`, bench.status === 0 ? '' : `tsc -p bench/tsconfig.json:\n${bench.stdout}${bench.stderr}`];
  return { ok: pkg.status === 0 && bench.status === 0, output: output.filter(Boolean).join('\n').trim() };
}

function git(...a: string[]): string {
  const r = spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** Fraction of all CPUs busy over `ms`, from /proc/stat (Linux); 0 where unavailable. */
function cpuBusy(ms: number): number {
  const read = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return { idle: 0, total: 0 };
    }
  };
  const a = read();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = read();
  return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

/** Waits until the machine is mostly idle (other processes below ~15% of the CPUs), for at most 2 minutes. */
function waitQuiet(): number {
  const until = Date.now() + 120_000;
  let busy = cpuBusy(1000);
  while (busy > 0.15 && Date.now() < until) busy = cpuBusy(2000);
  return busy;
}

function runFigure(id: string): FigureResult {
  const out = path.join(DATA_DIR, `${id}.json`);
  fs.rmSync(out, { force: true });
  const profDir = path.join(DATA_DIR, 'profiles', id);
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  if (profile) fs.rmSync(profDir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [...flags, path.join(BUILD, `${id}.js`), '--out', out, ...passThrough], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !fs.existsSync(out)) throw new Error(`figure ${id} failed (exit ${r.status ?? r.signal})`);
  if (profile) {
    const files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profDir, f));
    // File names are CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is main, others are daemon workers.
    const text = files.map((f) => {
      const thread = path.basename(f).split('.')[4];
      return `### thread ${thread} (${thread === '0' ? 'main: the clients / UI thread' : 'worker: a daemon'})\n${format(summarize(f))}`;
    }).join('\n\n');
    fs.writeFileSync(path.join(profDir, 'summary.txt'), `${text}\n`);
    console.log(`  profiles: ${path.relative(ROOT, profDir)}/summary.txt`);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as FigureResult;
}

function markdown(results: FigureResult[], info: Record<string, string>, build: { ok: boolean; output: string }, seconds: number): string {
  const targets = results.flatMap((r) => r.rows).filter((row) => row.met !== undefined);
  const out = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${info.date}. Every figure of SPEC §7, each beside conf ${confVersion()} (the class`,
    'electron-store extends; its engine) in the same run, and every write figure beside the bare pipeline (bench/baseline.ts:',
    'a worker that only appends each write to a file, fdatasyncs once per group and acks each write — what Node itself',
    'does here). "ours ÷ conf" and "ours ÷ bare" are ratios of the row\'s headline number: for a time below 1× is faster,',
    'for a rate above 1× is more. Re-run: `npm run bench` (about 6 minutes here; one figure: `npm run bench -- round-trip`).',
    'What each figure means for an app: see README.md, "Performance".',
    '',
    '## Machine and code',
    '',
    '| | |',
    '|---|---|',
    ...Object.entries(info).map(([k, v]) => `| ${k} | ${v} |`),
    `| code | ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', 'src').length > 0 ? ' + uncommitted changes in src/ (shared working tree)' : ''} |`,
    `| build | \`npm run build\` (dist/, with the daemon entry as built for release), copied into bench/.data/build beside the compiled bench scripts; every figure runs in a fresh plain \`node\` process (no tsx; the daemon is a worker_threads Worker on dist's entry, no TypeScript compiled at start)${build.ok ? '' : '. **The build reported errors** (in-flight work in the shared tree); its emitted output was used'} |`,
    `| run time | ${(seconds / 60).toFixed(1)} min |`,
    '',
    '## Targets (SPEC §7; the bare-pipeline ratios: issue 12, replacing §7\'s 20,000 writes/s; the flood rows: the security issue)',
    '',
    table(targets),
    '',
    ...curvesSection(results.some((r) => r.id === 'curves')),
    '## All figures',
    '',
    table(results.flatMap((r) => r.rows)),
    '',
  ];
  for (const r of results) {
    out.push(`### ${r.title}`, '', `\`bench/${r.id}.ts\`, ${r.seconds.toFixed(0)} s.`, '', table(r.rows), '', ...r.notes.map((n) => `- ${n}`), '');
  }
  return out.join('\n');
}

/** Links to the committed cost-curve charts (bench/charts/, written by `npm run bench -- curves`), with their run's date. */
function curvesSection(inThisRun: boolean): string[] {
  const meta = path.join(ROOT, 'bench', 'charts', 'curves.json');
  if (!fs.existsSync(meta)) return [];
  const { date, load } = JSON.parse(fs.readFileSync(meta, 'utf8')) as { date: string; load: number[] };
  // Store size first (the point of the charts: flat where conf is linear), then clients, then history.
  const rank = (f: string) => ['size', 'clients', 'history'].findIndex((p) => f.startsWith(p));
  const charts = fs.readdirSync(path.dirname(meta)).filter((f) => f.endsWith('.svg')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return [
    '## Cost curves',
    '',
    `How cost grows with store size (10 KB → 100 MB), clients (1 → 64) and retained history (10 → 100,000 records): ours`,
    `beside conf and the bare pipeline where they apply. Drawn by \`npm run bench -- curves\` (${inThisRun ? 'in this run' : 'not part of this run'}) on ${date},`,
    `load average ${load[0].toFixed(1)} at its end; the numbers are in bench/charts/curves.json.`,
    '',
    ...charts.map((f) => `![${f.replace(/\.svg$/, '')}](charts/${f})`),
    '',
  ];
}

function confVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'conf', 'package.json'), 'utf8')) as { version: string }).version;
}

const started = performance.now();
const loadBefore = os.loadavg()[0];
console.log('building: npm run build, then tsc -p bench/tsconfig.json …');
const build = compile();
if (!build.ok) console.warn(`the build reported errors (running anyway on what it emitted):\n${build.output.split('\n').slice(0, 20).join('\n')}`);
if (args.includes('--micro')) {
  const r = spawnSync(process.execPath, [path.join(BUILD, 'micro.js'), ...args.filter((a) => a !== '--micro')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const results: FigureResult[] = [];
for (const id of figures) {
  const busyBefore = quiet ? waitQuiet() : cpuBusy(500);
  const t0 = performance.now();
  process.stdout.write(`▸ ${id} … `);
  const r = runFigure(id);
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`);
  r.notes.push(`Machine load when this figure started: ${(busyBefore * 100).toFixed(0)}% of the CPUs busy with other processes; 1-min load average ${os.loadavg()[0].toFixed(2)} when it ended (this includes the benchmark's own threads).`);
  results.push(r);
}
const seconds = (performance.now() - started) / 1000;
// Other work on the machine (a shared CI box, tests running in parallel) shows up in every figure: say how busy it was.
const info = { ...machine(), 'load average (1 min), start → end': `${loadBefore.toFixed(2)} → ${os.loadavg()[0].toFixed(2)} on ${os.availableParallelism()} CPUs` };
const md = markdown(results, info, build, seconds);
console.log(`\n${table(results.flatMap((r) => r.rows))}\n`);
if (profile) {
  console.log('profiled run: RESULTS.md not written; see bench/.data/profiles/*/summary.txt');
} else if (only.length > 0) {
  fs.writeFileSync(path.join(DATA_DIR, 'results-partial.md'), md);
  console.log('partial run: written to bench/.data/results-partial.md');
} else {
  fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), md);
  fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS.json'), `${JSON.stringify({ machine: info, seconds, results }, undefined, 2)}\n`);
  console.log('written: bench/RESULTS.md, bench/RESULTS.json');
}
