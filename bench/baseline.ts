/**
 * The bare pipeline: the yardstick every write figure is measured against (issue 12). A worker that receives a write
 * on a MessagePort, appends it to a file, fdatasyncs once per group of what arrived meanwhile and posts one ack per
 * write (bench/baseline-worker.ts); a client that posts `[id, key, value]` and resolves on the ack. It keeps no
 * document, so the store's size does not exist for it: it appends only the write itself. What our daemon does beyond
 * this (apply to a document, validate, journal format, change events, cache update, comlink) is what "ours ÷ bare"
 * prices.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { BaselineWorkerData } from './baseline-worker.ts';
import { writeFor } from './data.ts';
import { storeDir } from './lib.ts';
import { mainThreadCpuMs } from './sequential.ts';

const workerFile = (() => {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `baseline-worker${path.extname(here)}`);
})();

/** One connection to the bare pipeline, as a window's to the daemon: its own MessagePort. */
export class BaselineClient {
  readonly #port: MessagePort;
  readonly #waiting = new Map<number, () => void>();
  #next = 0;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (id: number) => {
      const resolve = this.#waiting.get(id);
      this.#waiting.delete(id);
      resolve?.();
    });
  }

  /** Resolves once the write is on disk (its group fdatasynced). */
  set(key: string, value: unknown): Promise<void> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#port.postMessage([id, key, value]);
    });
  }

  close(): void {
    this.#port.close();
  }
}

export interface Baseline {
  connect(): BaselineClient;
  close(): Promise<void>;
}

/** Starts the bare pipeline's worker on a fresh file under bench/.data/tmp. */
export async function startBaseline(io: BaselineWorkerData['io'] = 'async'): Promise<Baseline> {
  const data: BaselineWorkerData = { file: path.join(storeDir('bare'), 'writes.jsonl'), io };
  const worker = new Worker(workerFile, { workerData: data, ...(workerFile.endsWith('.ts') && { execArgv: ['--import', 'tsx'] }) });
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
  const clients: BaselineClient[] = [];
  return {
    connect() {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ port: port2 }, [port2]);
      const c = new BaselineClient(port1);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('close');
      await exited;
    },
  };
}

export interface BaselineSamples {
  /** Event-loop active time per write on the calling thread (ms). */
  busy: number[];
  /** From the call to the ack (ms). */
  roundTrip: number[];
  /** Main-thread CPU time per write over the run (ms). */
  cpuPerWrite: number;
}

/** `n` awaited writes one after another (the same write mix as ours: data.ts writeFor), after `warm` unmeasured ones. */
export async function baselineSequential(tasks: number, n: number, warm = 200): Promise<BaselineSamples> {
  const bare = await startBaseline();
  try {
    const client = bare.connect();
    for (let i = 0; i < warm; i++) await client.set(...writeFor(i, tasks));
    const busy: number[] = [];
    const roundTrip: number[] = [];
    const cpu0 = mainThreadCpuMs();
    let prev = performance.eventLoopUtilization();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await client.set(...writeFor(warm + i, tasks));
      roundTrip.push(performance.now() - t0);
      const now = performance.eventLoopUtilization();
      busy.push(performance.eventLoopUtilization(now, prev).active);
      prev = now;
    }
    return { busy, roundTrip, cpuPerWrite: (mainThreadCpuMs() - cpu0) / n };
  } finally {
    await bare.close();
  }
}
