/**
 * Figure: a change visible in another window. A writer client sets a key; other clients (separate connections, as
 * windows are) have `onDidChange` on it. Measured: from the writer's ack (its `set()` resolving) to the other
 * client's callback — negative when the other client saw it first — and from the writer's call to that callback.
 * conf beside: a second conf instance with `watch: true` (how electron-store users share a file between processes).
 */
import { performance } from 'node:perf_hooks';
import { connectStore } from '../src/client-renderer/index.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { WITH_CONF, flag, main, ms, openConf, Conf, p50p99, seedStore, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';

const BYTES = 1024 * 1024;

interface Latencies {
  afterAck: number[];
  fromCall: number[];
}

async function measure(writer: StoreClient, watchers: StoreClient[], n: number, start: number): Promise<Latencies> {
  const afterAck: number[] = [];
  const fromCall: number[] = [];
  for (let i = 0; i < n; i++) {
    const value = start + i;
    // Resolves when the last watcher has seen this value.
    const seen = Promise.all(watchers.map((w) => new Promise<number>((resolve) => {
      const off = w.onDidChange('settings.counter', (v) => {
        if (v === value) {
          off();
          resolve(performance.now());
        }
      });
    })));
    const t0 = performance.now();
    await writer.set('settings.counter', value);
    const ack = performance.now();
    const last = Math.max(...(await seen));
    afterAck.push(last - ack);
    fromCall.push(last - t0);
  }
  return { afterAck, fromCall };
}

export async function run() {
  const n = flag('writes', 1000);
  const dir = storeDir('ours-change');
  seedStore(dir, BYTES);
  const daemon = await startOurs(dir);
  const results: Record<string, { afterAck: ReturnType<typeof stats>; fromCall: ReturnType<typeof stats> }> = {};
  try {
    const writer = await connectStore(STORE, { port: daemon.createPort() });
    const watchers: StoreClient[] = [];
    for (let i = 0; i < 8; i++) watchers.push(await connectStore(STORE, { port: daemon.createPort() }));
    await measure(writer, watchers.slice(0, 1), 100, 1);
    const one = await measure(writer, watchers.slice(0, 1), n, 1000);
    const eight = await measure(writer, watchers, n, 1000 + n);
    results['1 other client'] = { afterAck: stats(one.afterAck), fromCall: stats(one.fromCall) };
    results['8 other clients (the last to see it)'] = { afterAck: stats(eight.afterAck), fromCall: stats(eight.fromCall) };
  } finally {
    await daemon.close();
  }

  // conf: writer and watcher are two instances on one file; the watcher polls (fs.watchFile on Linux) and debounces.
  const samples = WITH_CONF ? flag('confSamples', 3) : 0;
  const cdir = storeDir('conf-change');
  seedStore(cdir, BYTES);
  const confWriter = openConf(cdir);
  const confWatcher = new Conf<Record<string, unknown>>({ cwd: cdir, configName: STORE, clearInvalidConfig: false, watch: true });
  const confLatency: number[] = [];
  for (let i = 0; i < samples; i++) {
    const value = 10_000 + i;
    const seen = new Promise<number>((resolve) => {
      const off = confWatcher.onDidChange('settings.counter' as never, (v: unknown) => {
        if (v === value) {
          off();
          resolve(performance.now());
        }
      });
    });
    // conf's watcher does not keep the process alive (persistent: false); a timer does, and bounds the wait.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(Number.NaN), 20_000)));
    confWriter.set('settings.counter', value);
    const ack = performance.now();
    confLatency.push((await Promise.race([seen, timeout])) - ack);
    clearTimeout(timer);
  }
  const confStats = stats(confLatency);
  const confCell = `p50 ${ms(confStats.p50)} (${samples} samples; fs.watchFile polling + 1 s debounce)`;

  const rows: Row[] = Object.entries(results).map(([who, r]) => ({
    metric: `change visible in another client after the writer's ack, ${who}`, store: '1 MB',
    ours: `${p50p99(r.afterAck)} (call → seen p50 ${ms(r.fromCall.p50)})`, conf: confCell, ratio: { conf: r.afterAck.p50 / confStats.p50 },
    target: who.startsWith('1 ') ? 'p50 ≤ 1 ms' : undefined, met: who.startsWith('1 ') ? r.afterAck.p50 <= 1 : undefined,
  }));
  return {
    id: 'change-latency',
    title: 'Change visible in another window',
    rows,
    notes: [
      `${n} writes of settings.counter per case; the writer and the other clients are separate connections on this process's main thread (one clock; in Electron they would be separate processes). A negative figure means the other client's onDidChange ran before the writer's promise resolved (the daemon sends the change event to every subscriber and then the reply).`,
      'conf\'s onDidChange only fires in the instance that wrote; another instance (another process in a real app) learns of a change only with watch: true, which on Linux polls the file with fs.watchFile (every ~5 s) and debounces 1 s.',
    ],
    raw: { results, conf: confStats },
  };
}

main(import.meta.url, run);
