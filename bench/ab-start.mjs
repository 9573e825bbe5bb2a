// A/B of start to first read between builds: each dist given is started alternately, round by round, in this one
// process, so machine load hits all alike; reports wall p50 and the process's CPU time per start (main + daemon
// threads), the figure that stays comparable on a loaded machine. Run after npm run bench (it builds .data/build):
//   node bench/ab-start.mjs <rounds> <distA> <distB> ...     (a dist: a package's built dist/ folder)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchSchema } from './.data/build/bench/data.js';
import { seedStore, STORE } from './.data/build/bench/lib.js';
const [rounds, ...dists] = process.argv.slice(2);
const variants = await Promise.all(dists.map(async (d, i) => {
  const { startStoreDaemon } = await import(path.join(d, 'client-main/index.js'));
  const { defineStore } = await import(path.join(d, 'index.js'));
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), `ab-${i}-`));
  seedStore(cwd, 1024 * 1024);
  return { d, startStoreDaemon, def: defineStore({ name: STORE, schema: benchSchema }), cwd, read: [], ready: [], cpu: [] };
}));
for (let r = 0; r < Number(rounds); r++) {
  for (const v of variants) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const daemon = await v.startStoreDaemon({ cwd: v.cwd, host: 'worker', stores: [v.def] });
    const t1 = performance.now();
    const c = await daemon.store(STORE);
    if (c.get('settings.theme') !== 'auto') throw new Error('bad read');
    const t2 = performance.now();
    const cu = process.cpuUsage(c0);
    if (r > 0) { v.ready.push(t1 - t0); v.read.push(t2 - t0); v.cpu.push((cu.user + cu.system) / 1000); }
    await daemon.close();
  }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)].toFixed(1); };
for (const v of variants) console.log(`${v.d}: read p50 ${med(v.read)} ms, ready p50 ${med(v.ready)} ms, cpu p50 ${med(v.cpu)} ms (n=${v.read.length})`);
if (!process.env.KEEP) for (const v of variants) fs.rmSync(v.cwd, { recursive: true, force: true });
