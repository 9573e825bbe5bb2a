/**
 * Micro-measurements behind bench/PROFILE.md: each isolates one cost the profiles point at, and where a fix is
 * proposed, measures the alternative beside it. Not part of the SPEC figures. `npm run bench:micro`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Ajv } from 'ajv';
import { applyOps } from '../src/client/apply-ops.ts';
/** Full path copying from the root (what the cache does when an onDidAnyChange listener observes the root). */
const applyImmutable = (doc: Parameters<typeof applyOps>[0], ops: Parameters<typeof applyOps>[1]) => applyOps(doc, ops, () => 0);
import { fromPointer } from '../src/protocol/keys.ts';
import addFormatsModule from 'ajv-formats';
import type { JsonObject } from '../src/protocol/types.ts';
import { DocumentValidator } from '../src/daemon/features/validator.ts';
import { benchSchema, serialized, writeFor } from './data.ts';
import { DATA_DIR, ROOT, STORE, cleanup, doc, ms, openConf, seedStore, startOurs, stats, storeDir } from './lib.ts';

const lines: string[] = [];
function report(what: string, value: string): void {
  const line = `${what.padEnd(78)} ${value}`;
  lines.push(line);
  console.log(line);
}

// ajv-formats is CommonJS; under ESM its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => void;

function perCall(fn: () => void, n: number, rounds = 7): number {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    out.push((performance.now() - t0) / n);
  }
  return stats(out).p50;
}

/** A plain-JSON deep copy (what a cache of JSON values needs; no structured-clone machinery). */
function jsonCopy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(jsonCopy);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = jsonCopy((v as Record<string, unknown>)[k]);
  return out;
}

function clientCache(): void {
  for (const bytes of [10 * 1024, 1024 * 1024, 10 * 1024 * 1024]) {
    const d = structuredClone(doc(bytes)) as unknown as JsonObject;
    const n = (d.tasks as unknown[]).length;
    let cur = d;
    let i = 0;
    const t = perCall(() => {
      cur = applyImmutable(cur, [{ op: 'replace', path: `/tasks/${(i++ * 7) % n}/done`, value: i % 2 === 0 }]);
    }, bytes > 5e6 ? 300 : 3000);
    const s = perCall(() => {
      cur = applyImmutable(cur, [{ op: 'replace', path: '/settings/window/width', value: 800 + (i++ % 400) }]);
    }, 3000);
    const copy = perCall(() => void [...(cur.tasks as unknown[])], bytes > 5e6 ? 300 : 3000);
    report(`client cache: applyImmutable (copies every node on the path; the cache's old way), tasks.N.done (array of ${n} copied) — ${Math.round(bytes / 1024)} KB`, ms(t));
    report(`client cache: applyImmutable, settings.window.width (no array) — ${Math.round(bytes / 1024)} KB`, ms(s));
    report(`  of which: one shallow copy of the ${n}-record tasks array`, ms(copy));
  }
}

function readCopies(): void {
  const d = doc(1024 * 1024);
  const win = (d.settings as Record<string, unknown>).window;
  const task = d.tasks[3];
  report('get() copy of settings.window: structuredClone (what client.get does)', ms(perCall(() => void structuredClone(win), 100_000)));
  report('get() copy of settings.window: plain-JSON recursive copy', ms(perCall(() => void jsonCopy(win), 100_000)));
  report('get() copy of a task record: structuredClone', ms(perCall(() => void structuredClone(task), 30_000)));
  report('get() copy of a task record: plain-JSON recursive copy', ms(perCall(() => void jsonCopy(task), 30_000)));
}

/** Worker → main: 2,000 small change events, one postMessage each vs grouped 50 to a message (a commit group). */
async function postBatching(): Promise<void> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    parentPort.once('message', ({ port, batch }) => {
      const ev = (i) => ({ ch: 'evt', e: { t: 'change', store: 'bench', rev: i, ops: [{ op: 'replace', path: '/tasks/' + i + '/done', value: true }], source: 'c1' } });
      const t0 = performance.now();
      if (batch === 1) for (let i = 0; i < 2000; i++) port.postMessage(ev(i));
      else for (let i = 0; i < 2000; i += batch) port.postMessage(Array.from({ length: batch }, (_, j) => ev(i + j)));
      parentPort.postMessage(performance.now() - t0);
    });`;
  for (const batch of [1, 50]) {
    const send: number[] = [];
    const recv: number[] = [];
    for (let r = 0; r < 5; r++) {
      const w = new Worker(code, { eval: true });
      const { port1, port2 } = new MessageChannel();
      let got = 0;
      let t0 = 0;
      const done = new Promise<number>((resolve) => port1.on('message', (m: unknown) => {
        if (got === 0) t0 = performance.now();
        got += Array.isArray(m) ? m.length : 1;
        if (got >= 2000) resolve(performance.now() - t0);
      }));
      const sent = new Promise<number>((resolve) => w.once('message', resolve));
      w.postMessage({ port: port2, batch }, [port2]);
      send.push(await sent);
      recv.push(await done);
      port1.close();
      await w.terminate();
    }
    report(`2,000 events worker→main, ${batch === 1 ? 'one message each' : `${batch} per message`}: sender's time per event`, ms(stats(send).p50 / 2000));
    report(`2,000 events worker→main, ${batch === 1 ? 'one message each' : `${batch} per message`}: receiver's time per event`, ms(stats(recv).p50 / 2000));
  }
}

/**
 * Fan-out of one commit group's change event to 8 subscribers (worker → main): the event object structured-cloned
 * for every port (as now) vs serialized once with JSON.stringify and the same string posted to every port (the
 * receiver then JSON.parses it). Sender's and receiver's time per subscriber-event.
 */
async function fanOut(): Promise<void> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    parentPort.once('message', ({ ports, mode }) => {
      const change = (rev) => ({ rev, ops: [{ op: 'replace', path: '/tasks/' + rev + '/done', value: true }, { op: 'replace', path: '/settings/window/width', value: 900 + rev }], source: 'c1' });
      const t0 = performance.now();
      for (let g = 0; g < 500; g++) {
        const event = { ch: 'evt', e: { t: 'changes', store: 'bench', changes: Array.from({ length: 10 }, (_, i) => change(g * 10 + i)) } };
        if (mode === 'string') { const text = JSON.stringify(event); for (const p of ports) p.postMessage(text); }
        else for (const p of ports) p.postMessage(event);
      }
      parentPort.postMessage(performance.now() - t0);
    });`;
  for (const mode of ['object', 'string'] as const) {
    const send: number[] = [];
    const recv: number[] = [];
    for (let r = 0; r < 5; r++) {
      const w = new Worker(code, { eval: true });
      const channels = Array.from({ length: 8 }, () => new MessageChannel());
      let got = 0;
      let busy = 0;
      const done = new Promise<void>((resolve) => {
        for (const c of channels) {
          c.port1.on('message', (m: unknown) => {
            const t0 = performance.now();
            const event = typeof m === 'string' ? JSON.parse(m) as unknown : m;
            busy += performance.now() - t0;
            if (event && ++got === 8 * 500) resolve();
          });
        }
      });
      const sent = new Promise<number>((resolve) => w.once('message', resolve));
      w.postMessage({ ports: channels.map((c) => c.port2), mode }, channels.map((c) => c.port2));
      send.push(await sent);
      await done;
      recv.push(busy);
      for (const c of channels) c.port1.close();
      await w.terminate();
    }
    report(`fan-out of a 10-record group event to 8 subscribers, ${mode === 'object' ? 'object cloned per port' : 'JSON string made once'}: sender per subscriber-event`, ms(stats(send).p50 / 4000));
    if (mode === 'string') report('  receiver\'s JSON.parse per event (the structured-clone receive cost is inside Node, not measurable here)', ms(stats(recv).p50 / 4000));
  }
}

/** JSON-pointer parsing, which every client does twice per op of every change (listener matching, then applying). */
function pointers(): void {
  const forbidden = new Set(['__proto__', 'prototype', 'constructor', '__internal__']);
  const fast = (p: string): string[] => {
    if (p === '') return [];
    const segs = p.slice(1).split('/');
    // Escapes are rare: only pointers that contain "~" need the unescaping pass.
    if (p.includes('~')) for (let i = 0; i < segs.length; i++) segs[i] = segs[i].replaceAll('~1', '/').replaceAll('~0', '~');
    for (const s of segs) if (forbidden.has(s)) throw new Error(`reserved segment ${s}`);
    return segs;
  };
  const paths = Array.from({ length: 64 }, (_, i) => (i % 2 ? `/tasks/${i * 7}/done` : '/settings/window/width'));
  let sink = 0;
  const now = perCall(() => { for (const p of paths) sink += fromPointer(p).length; }, 5000) / paths.length;
  const alt = perCall(() => { for (const p of paths) sink += fast(p).length; }, 5000) / paths.length;
  report('fromPointer (keys.ts) per pointer', ms(now));
  report('  split, unescape only when the pointer contains "~"', `${ms(alt)} (${sink > 0 ? 'checked' : ''})`);
}

/** One journal group of ~300 bytes made durable: how the journal does it now vs one O_DSYNC write. */
async function journalAppend(): Promise<void> {
  const dir = storeDir('micro-journal');
  const line = Buffer.from(`${JSON.stringify({ rev: 1, time: Date.now(), source: 'c1', ops: [{ op: 'replace', path: '/tasks/12/done', value: true }], inverse: [{ op: 'replace', path: '/tasks/12/done', value: false }] })}\n`.repeat(2));
  const run = async (flags: number | string, sync: boolean) => {
    const file = path.join(dir, `j-${String(flags)}-${sync}.jsonl`);
    const fd = fs.openSync(file, flags);
    const out: number[] = [];
    let pos = 0;
    for (let i = 0; i < 400; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => fs.write(fd, line, 0, line.length, pos, (e) => (e ? reject(e) : resolve())));
      if (sync) await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
      out.push(performance.now() - t0);
      pos += line.length;
    }
    fs.closeSync(fd);
    return stats(out.slice(50));
  };
  const now = await run('a+', true);
  const dsync = await run(fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | fs.constants.O_DSYNC, false);
  report('journal group (~600 B): fs.write then fs.fdatasync (two thread-pool trips, as now)', `p50 ${ms(now.p50)} · p99 ${ms(now.p99)}`);
  report('journal group (~600 B): one fs.write on an O_DSYNC descriptor (one trip)', `p50 ${ms(dsync.p50)} · p99 ${ms(dsync.p99)}`);
}

function checkpointCost(): void {
  for (const bytes of [1024 * 1024, 10 * 1024 * 1024]) {
    const d = doc(bytes);
    const stringify = stats(Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      serialized(d);
      return performance.now() - t0;
    }));
    const dir = storeDir('micro-ckpt');
    seedStore(dir, bytes);
    const conf = openConf(dir);
    const write = stats(Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      conf.store = d as never;
      return performance.now() - t0;
    }));
    report(`checkpoint of ${Math.round(bytes / 1024 / 1024)} MB: JSON.stringify(doc, '\\t') alone`, ms(stringify.p50));
    report(`checkpoint of ${Math.round(bytes / 1024 / 1024)} MB: conf's store = doc (serialize + atomic write + fsync), blocks the daemon's thread`, ms(write.p50));
  }
}

function schemaCompile(): void {
  const t = stats(Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    new DocumentValidator(benchSchema as object);
    return performance.now() - t0;
  }));
  const d = doc(1024 * 1024);
  const v = new DocumentValidator(benchSchema as object);
  const all = stats(Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    v.validateAll(d);
    return performance.now() - t0;
  }));
  report('new DocumentValidator(bench schema) (ajv instance + formats + compile; made twice per store at open)', ms(t.p50));
  // What the constructor spends on checking the schema itself against ajv's meta-schema (compiled per instance).
  for (const validateSchema of [true, false]) {
    const c = stats(Array.from({ length: 7 }, () => {
      const t0 = performance.now();
      const ajv = new Ajv({ allErrors: true, strict: false, validateSchema });
      addFormats(ajv);
      ajv.addSchema({ ...benchSchema, $id: 'esd-root' }, 'esd-root');
      ajv.getSchema('esd-root');
      return performance.now() - t0;
    }));
    report(`  ajv instance + formats + compile, validateSchema: ${validateSchema}`, ms(c.p50));
  }
  report('validateAll of the 1 MB document (done at open)', ms(all.p50));
}

/** A worker that only imports the daemon's code: as compiled (many files) vs bundled into one file by esbuild. */
async function daemonLoad(): Promise<void> {
  const entry = path.join(DATA_DIR, 'build', 'src', 'daemon', 'daemon.js');
  const bundle = path.join(DATA_DIR, 'bundle', 'daemon.mjs');
  let bundled = false;
  try {
    const esbuild = (await import('esbuild')) as { buildSync(o: Record<string, unknown>): unknown };
    fs.mkdirSync(path.dirname(bundle), { recursive: true });
    esbuild.buildSync({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent',
      external: ['electron', 'electron-store'], absWorkingDir: ROOT,
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    bundled = true;
  } catch (error) {
    report('esbuild bundle of the daemon', `not available (${(error as Error).message.split('\n')[0]})`);
  }
  const time = async (file: string | undefined) => {
    const out: number[] = [];
    for (let i = 0; i < 7; i++) {
      const code = file
        ? `import(${JSON.stringify(new URL(`file://${file}`).href)}).then(() => require('node:worker_threads').parentPort.postMessage(1))`
        : `require('node:worker_threads').parentPort.postMessage(1)`;
      const t0 = performance.now();
      const w = new Worker(code, { eval: true });
      await new Promise((resolve) => w.once('message', resolve));
      out.push(performance.now() - t0);
      await w.terminate();
    }
    return stats(out).p50;
  };
  report('worker start to first message, loading nothing', ms(await time(undefined)));
  report('worker start + import of the daemon unbundled (tsc output, one file per module)', ms(await time(entry)));
  if (bundled) report('worker start + import of the daemon bundled into one file (esbuild)', ms(await time(bundle)));
}

/** Daemon RSS growth (rss-child.ts, 1 MB store, after 2,000 writes) with the worker's young generation capped. */
function youngGeneration(): void {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rss-child.js');
  for (const young of ['', '4', '1']) {
    const growth: number[] = [];
    for (let r = 0; r < 3; r++) {
      const dir = storeDir('micro-young');
      seedStore(dir, 1024 * 1024);
      const out = execFileSync(process.execPath, ['--expose-gc', child, 'daemon', dir], { encoding: 'utf8', env: { ...process.env, BENCH_YOUNG_MB: young } });
      const r0 = JSON.parse(out.trim().split('\n').pop()!) as Record<string, { rss: number }>;
      growth.push(r0.afterWrites.rss - r0.base.rss);
    }
    report(`daemon worker RSS growth after 2,000 writes, ${young ? `young generation capped at ${young} MB` : 'default young generation'}`, `${(stats(growth).p50 / 1024 / 1024).toFixed(1)} MB`);
  }
}

/**
 * The round-trip tail, taken apart: our daemon with checkpoints on and off (its own commit-group p99 from info()),
 * beside a bare worker that does what a group does — message in, setImmediate, write + fdatasync, message out.
 */
async function roundTripTail(): Promise<void> {
  for (const bytes of [10 * 1024, 10 * 1024 * 1024]) {
    for (const checkpoints of [false, true]) {
      const dir = storeDir('micro-rt');
      seedStore(dir, bytes);
      const daemon = await startOurs(dir, checkpoints ? {} : { tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
      const c = await daemon.store(STORE);
      const n = doc(bytes).tasks.length;
      for (let i = 0; i < 200; i++) await c.set(...writeFor(i, n));
      const rt: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const t0 = performance.now();
        await c.set(...writeFor(200 + i, n));
        rt.push(performance.now() - t0);
      }
      const info = await c.info();
      const s = stats(rt);
      report(`round trip, ${Math.round(bytes / 1024)} KB, checkpoints ${checkpoints ? 'on ' : 'off'} (${info.counters.checkpoints})`, `p50 ${ms(s.p50)} · p99 ${ms(s.p99)} · max ${ms(s.max)} · daemon group p99 ${ms(info.latencyMs.commitP99)}`);
      await daemon.close();
    }
  }
  const code = `
    const fs = require('node:fs'); const path = require('node:path'); const { parentPort, workerData } = require('node:worker_threads');
    const fd = fs.openSync(path.join(workerData, 'echo.jsonl'), 'a+'); const line = Buffer.alloc(600, 97); let pos = 0; const grp = [];
    parentPort.on('message', (m) => {
      if (m === 'stats') { grp.sort((a, b) => a - b); parentPort.postMessage(grp[Math.floor(grp.length * 0.99)]); return; }
      setImmediate(() => { const t0 = performance.now();
        fs.write(fd, line, 0, line.length, pos, () => fs.fdatasync(fd, () => { pos += line.length; grp.push(performance.now() - t0); parentPort.postMessage(m); })); });
    });`;
  const w = new Worker(code, { eval: true, workerData: storeDir('micro-echo') });
  const rt: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(i);
    });
    rt.push(performance.now() - t0);
  }
  const groupP99 = await new Promise<number>((resolve) => {
    w.once('message', resolve);
    w.postMessage('stats');
  });
  await w.terminate();
  const s = stats(rt);
  report('bare worker: message → setImmediate → write + fdatasync → reply', `p50 ${ms(s.p50)} · p99 ${ms(s.p99)} · max ${ms(s.max)} · group p99 ${ms(groupP99)}`);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const parts: Array<[string, () => unknown]> = [
    ['cache', clientCache], ['read', readCopies], ['post', postBatching], ['fanout', fanOut], ['pointer', pointers], ['journal', journalAppend],
    ['checkpoint', checkpointCost], ['schema', schemaCompile], ['load', daemonLoad], ['young', youngGeneration], ['tail', roundTripTail],
  ];
  for (const [name, fn] of parts) if (only.length === 0 || only.includes(name)) await fn();
  fs.writeFileSync(path.join(DATA_DIR, only.length === 0 ? 'micro.txt' : 'micro-partial.txt'), `${lines.join('\n')}\n`);
  cleanup();
}

void main();
