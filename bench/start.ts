/**
 * Figure: daemon start to first served read, 1 MB store, with and without a schema. From `startStoreDaemon()` to the
 * first `get()` answered by main's client: spawn the worker, load the daemon's code, lock, load the checkpoint
 * through conf, replay, compile the schema and validate the document, take the start backup, connect, subscribe and
 * receive the snapshot. conf beside: `new Conf()` plus its first `get()` on the same file.
 */
import { performance } from 'node:perf_hooks';
import { flag, main, ms, openConf, p50p99, seedStore, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';

const BYTES = 1024 * 1024;

export async function run() {
  const rounds = flag('rounds', 10);
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const schema of [true, false]) {
    const dir = storeDir(`ours-start-${schema}`);
    seedStore(dir, BYTES);
    const toReady: number[] = [];
    const toRead: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const daemon = await startOurs(dir, { schema });
      const ready = performance.now();
      const client = await daemon.store(STORE);
      const theme = client.get('settings.theme');
      const read = performance.now();
      if (theme !== 'auto') throw new Error(`unexpected first read: ${String(theme)}`);
      toReady.push(ready - t0);
      toRead.push(read - t0);
      await daemon.close();
    }
    const cdir = storeDir(`conf-start-${schema}`);
    seedStore(cdir, BYTES);
    const confOpen: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const conf = openConf(cdir, schema);
      if (conf.get('settings.theme') !== 'auto') throw new Error('conf: unexpected first read');
      confOpen.push(performance.now() - t0);
    }
    const read = stats(toRead.slice(1));
    const ready = stats(toReady.slice(1));
    const conf = stats(confOpen.slice(1));
    const label = schema ? 'with schema' : 'without schema';
    raw[label] = { toRead: stats(toRead), toReady: stats(toReady), conf: stats(confOpen), firstRound: { toRead: toRead[0], conf: confOpen[0] } };
    rows.push({
      metric: `daemon start to first served read, ${label}`, store: '1 MB', ours: `${p50p99(read)} (ready p50 ${ms(ready.p50)})`, conf: p50p99(conf),
      target: schema ? '≤ 100 ms' : undefined, met: schema ? read.p50 <= 100 : undefined,
    });
    notes.push(`${label}: the first start in this process (cold: the client-side modules load too) took ${ms(toRead[0])}; conf's first open ${ms(confOpen[0])}. "ready" = startStoreDaemon() resolved (stores open), before main's client subscribed.`);
  }
  return {
    id: 'start',
    title: 'Daemon start to first served read (1 MB store)',
    rows,
    notes: [
      `${rounds} starts per case in one process, each a fresh worker (its own isolate: the daemon's modules are loaded and compiled anew each time), from the dist/ that npm run build makes (daemon entry bundled) as copied into bench/.data/build. The first start is left out of p50/p99 and reported below. Each start is followed by close() (not timed).`,
      ...notes,
    ],
    raw,
  };
}

main(import.meta.url, run);
