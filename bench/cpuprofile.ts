/**
 * Summarizes V8 .cpuprofile files (from `node --cpu-prof`, one per thread: main and the daemon worker): where the
 * thread's time went, by module (our src files, each npm package, node internals, GC, idle) and by function
 * (self and inclusive time). Used by `npm run bench:profile`; also `tsx bench/cpuprofile.ts <file.cpuprofile>...`.
 */
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

const maps = new Map<string, SourceMap | undefined>();
/**
 * Maps a frame in a bundled file (the daemon entry is one esbuild bundle) back to its original module through the
 * bundle's source map, so time is attributed to src/daemon/engine/store-engine.ts or npm:ajv rather than to "entry.js".
 */
function original(cf: CallFrame): CallFrame {
  if (!cf.url.startsWith('file://')) return cf;
  let map = maps.get(cf.url);
  if (!maps.has(cf.url)) {
    try {
      const file = fileURLToPath(cf.url);
      // Only bundles: tsc's per-file maps point at the same file name, which moduleOf already handles.
      map = fs.statSync(file).size > 200_000 && fs.existsSync(`${file}.map`) ? new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'))) : undefined;
    } catch {
      map = undefined;
    }
    maps.set(cf.url, map);
  }
  if (!map) return cf;
  const hit = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number };
  if (!hit.originalSource) return cf;
  const src = hit.originalSource.startsWith('file://') ? hit.originalSource : new URL(hit.originalSource, cf.url).href;
  return { ...cf, url: src, lineNumber: hit.originalLine ?? cf.lineNumber };
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time (ms), and how much of it the thread was idle. */
  totalMs: number;
  idleMs: number;
  byModule: Array<[string, number]>;
  self: Array<[string, number]>;
  inclusive: Array<[string, number]>;
}

/** A short, stable name for where code lives: `src/daemon/engine/store-engine.ts`, `npm:comlink`, `node:internal`, `(gc)`. */
function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 14).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = u.indexOf('/src/');
  if (src >= 0) return u.slice(src + 1).replace(/\.js$/, '.ts');
  const bench = u.indexOf('/bench/');
  if (bench >= 0) return `bench/${path.basename(u).replace(/\.js$/, '.ts')}`;
  if (u.startsWith('node:')) return 'node:internal';
  return u;
}

function frameKey(cf: CallFrame): string {
  const mod = moduleOf(cf.url, cf.functionName);
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name;
  // Line numbers of the compiled JS differ from the source; the function name and file are what a reader needs.
  return `${name} — ${mod}:${cf.lineNumber + 1}`;
}

/** Reads one .cpuprofile and computes its summary. */
export function summarize(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  for (const n of p.nodes) n.callFrame = original(n.callFrame);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the interval that follows a sample to it.
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  let idle = 0;
  const byModule = new Map<string, number>();
  const self = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') idle += us;
    const mod = moduleOf(cf.url, cf.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
    const k = frameKey(cf);
    self.set(k, (self.get(k) ?? 0) + us);
  }
  // Inclusive time per function, counting a recursive function once per stack.
  const inclusive = new Map<string, number>();
  const subtree = (id: number, onPath: Set<string>): number => {
    const node = byId.get(id)!;
    const k = frameKey(node.callFrame);
    let sum = selfUs.get(id) ?? 0;
    const fresh = !onPath.has(k);
    if (fresh) onPath.add(k);
    for (const c of node.children ?? []) sum += subtree(c, onPath);
    if (fresh) {
      onPath.delete(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + sum);
    }
    return sum;
  };
  subtree(p.nodes[0].id, new Set());
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, v / 1000] as [string, number]);
  const skip = new Set(['(root)', '(program)', '(idle)']);
  return {
    file, totalMs: total / 1000, idleMs: idle / 1000,
    byModule: sorted(byModule, 15),
    self: sorted(self, top),
    // Inclusive chains are long; the actionable ones are our own functions.
    inclusive: sorted(new Map([...inclusive].filter(([k]) => !skip.has(k) && k.includes(' — src/'))), top),
  };
}

/** The summary as text. */
export function format(s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const pct = (v: number) => `${((v / Math.max(busy, 1e-9)) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${path.basename(s.file)}: ${s.totalMs.toFixed(0)} ms sampled, ${s.idleMs.toFixed(0)} ms idle, ${busy.toFixed(0)} ms busy (percentages are of busy time)`];
  lines.push('  by module (self):');
  for (const [k, v] of s.byModule.filter(([k]) => k !== '(idle)')) lines.push(`    ${pct(v)} ${v.toFixed(1).padStart(8)} ms  ${k}`);
  lines.push('  top functions (self):');
  for (const [k, v] of s.self.filter(([k]) => k !== '(idle)')) lines.push(`    ${pct(v)} ${v.toFixed(1).padStart(8)} ms  ${k}`);
  lines.push('  our functions (inclusive: with everything they call):');
  for (const [k, v] of s.inclusive) lines.push(`    ${pct(v)} ${v.toFixed(1).padStart(8)} ms  ${k}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of process.argv.slice(2)) console.log(`${format(summarize(f))}\n`);
}
