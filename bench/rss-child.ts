/**
 * Child process of the RSS figure (run with plain `node --expose-gc`). Prints one JSON line of memory readings.
 *   daemon <dir>: baseline (package loaded, nothing started) → daemon started on the 1 MB store → after 2,000 writes
 *                 and an idle checkpoint, made by a client that runs in a *separate worker thread* which has exited by
 *                 then, so main's thread holds no cache and the growth is the daemon's.
 *   empty:        baseline → an idle worker thread that loads nothing.
 *   conf <dir>:   baseline → conf opened on the same file, read, and 100 sets done.
 *   (internal) role 'client': the writing client's worker; role 'control': a stand-in worker for the baseline.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Worker, isMainThread, parentPort, workerData, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { connectStore } from '../src/client-renderer/index.ts';
import { writeFor } from './data.ts';
import { doc, openConf, sleep, startOurs, STORE } from './lib.ts';

const BYTES = 1024 * 1024;

function reading(): { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number } {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
}

async function clientWorker(): Promise<void> {
  const { port, writes } = workerData as { port: MessagePort; writes: number };
  const client = await connectStore(STORE, { port });
  const tasks = doc(BYTES).tasks.length;
  for (let i = 0; i < writes; i++) await client.set(...writeFor(i, tasks));
  client.close();
  port.close();
  parentPort!.postMessage('done');
}

/** A worker that loads the client's code and builds a 1 MB document like a client cache, then exits. */
function controlWorker(): void {
  const copies = [doc(BYTES), structuredClone(doc(BYTES)), structuredClone(doc(BYTES))];
  parentPort!.postMessage(copies.length);
}

function runWorker(data: Record<string, unknown>, transferList: MessagePort[] = []): Promise<void> {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: data, transferList });
  return new Promise<void>((resolve, reject) => {
    worker.on('message', () => void worker.terminate().then(() => resolve()));
    worker.on('error', reject);
  });
}

/**
 * Experiment (bench:micro): BENCH_YOUNG_MB caps the daemon worker's young generation (Worker resourceLimits), to see
 * how much of the RSS is garbage the scavenger has room to keep. Done by wrapping the Worker constructor, so the
 * package's own launcher is used unchanged.
 */
function capYoungGeneration(mb: number): void {
  const wt = createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof Worker };
  const Original = wt.Worker;
  wt.Worker = class extends Original {
    constructor(file: string | URL, options: WorkerOptions = {}) {
      super(file, { ...options, resourceLimits: { ...options.resourceLimits, maxYoungGenerationSizeMb: mb } });
    }
  };
  syncBuiltinESMExports();
}

async function daemonMode(dir: string): Promise<Record<string, unknown>> {
  await sleep(200);
  // A worker that came and went leaves some memory with the allocator; the client below is such a worker, so the
  // baseline is taken after a control worker of the same kind has come and gone.
  await runWorker({ role: 'control' });
  await sleep(200);
  const base = reading();
  if (process.env.BENCH_YOUNG_MB) capYoungGeneration(Number(process.env.BENCH_YOUNG_MB));
  const daemon = await startOurs(dir);
  await sleep(1000);
  const started = reading();
  const port = daemon.createPort() as MessagePort;
  await runWorker({ role: 'client', port, writes: 2000 }, [port]);
  // The default idle checkpoint comes 2 s after the last write: let it run so its peak is included.
  await sleep(3000);
  const afterWrites = reading();
  await daemon.close();
  return { base, started, afterWrites };
}

/** An idle worker thread that loads nothing: the fixed price of a worker isolate. */
async function emptyMode(): Promise<Record<string, unknown>> {
  await sleep(200);
  const base = reading();
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await sleep(1000);
  const started = reading();
  await worker.terminate();
  return { base, started };
}

async function confMode(dir: string): Promise<Record<string, unknown>> {
  await sleep(200);
  const base = reading();
  const conf = openConf(dir, true);
  conf.get('settings.theme');
  const tasks = doc(BYTES).tasks.length;
  for (let i = 0; i < 100; i++) conf.set(...writeFor(i, tasks));
  await sleep(200);
  const after = reading();
  return { base, after };
}

const role = isMainThread ? undefined : (workerData as { role?: string } | null)?.role;
if (role === 'client') {
  void clientWorker();
} else if (role === 'control') {
  controlWorker();
} else if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, dir] = process.argv.slice(2);
  (mode === 'daemon' ? daemonMode(dir) : mode === 'empty' ? emptyMode() : confMode(dir)).then((r) => {
    console.log(JSON.stringify(r));
    process.exit(0);
  }, (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
