/**
 * The flooding window of bench/flood.ts, in its own worker thread (a window is its own renderer process: its sending
 * must not run on main's event loop, where the measured writes are). It gets a port from `daemon.createPort(policy)`,
 * opens the store as a window does (a ClientConnection with a subscribed CachedStore, so it also receives and applies
 * every change main makes), then, between 'start' and 'stop', keeps `inflight` requests of one kind outstanding
 * without awaiting them one by one: each reply (served or refused) sends the next. `inflight: 0` means no cap
 * (batches of 1,000 posted every turn of the loop, whatever comes back).
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { CachedStore } from '../src/client/cached-store.ts';
import { ClientConnection } from '../src/client/connection.ts';
import type { StoreError } from '../src/protocol/errors.ts';
import { writeFor } from './data.ts';

export type FloodKind = 'writes' | 'snapshot' | 'export-history' | 'info-backups' | 'huge-set' | 'none';

export interface FloodWorkerData {
  port: unknown;
  kind: FloodKind;
  store: string;
  tasks: number;
  inflight: number;
  /** Keys of the one huge set() (huge-set). */
  hugeKeys: number;
}

/** What the flooder reports when it stopped and every request it sent was answered. */
export interface FloodReport {
  kind: FloodKind;
  /** Linux thread id of this worker (to tell its CPU time apart in /proc/self/task). */
  tid: number;
  sent: number;
  served: number;
  /** Refusals by error code (RATE_LIMITED, QUOTA_EXCEEDED …). */
  refused: Record<string, number>;
  /** From 'start' to 'stop' (ms). */
  floodMs: number;
  /** From 'stop' until the last outstanding request was answered (ms). */
  drainMs: number;
  maxOutstanding: number;
  /** Bytes of reply payload received (snapshot and export text, history records as JSON) — what the daemon sent. */
  replyBytes: number;
  /** Time to build and post the huge value, and from posting to its refusal (huge-set only, ms). */
  huge?: { buildMs: number; postMs: number; answeredMs: number; code: string };
  /** Event-loop utilization of this thread while flooding. */
  elu: number;
}

const data = workerData as FloodWorkerData;
const port = parentPort!;

function threadId(): number {
  try {
    return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return -1;
  }
}

function replySize(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value && typeof value === 'object' && 'json' in value && typeof (value as { json: unknown }).json === 'string') return (value as { json: string }).json.length;
  if (Array.isArray(value)) return JSON.stringify(value).length;
  return 0;
}

async function run(): Promise<void> {
  const conn = new ClientConnection(data.port, { requestTimeoutMs: 120_000 });
  await conn.ready();
  // A window as it is: subscribed, its cache kept current by every change event.
  const store = await CachedStore.open(conn, data.store);
  const report: FloodReport = { kind: data.kind, tid: threadId(), sent: 0, served: 0, refused: {}, floodMs: 0, drainMs: 0, maxOutstanding: 0, replyBytes: 0, elu: 0 };
  let huge: Record<string, number> | undefined;
  let hugeBuildMs = 0;
  if (data.kind === 'huge-set') {
    const t0 = performance.now();
    huge = {};
    for (let i = 0; i < data.hugeKeys; i++) huge[`k${i}`] = i;
    hugeBuildMs = performance.now() - t0;
  }

  let i = 0;
  const request = (): Promise<unknown> => {
    const n = i++;
    switch (data.kind) {
      case 'writes': {
        const [key, value] = writeFor(n, data.tasks);
        return conn.call('write', data.store, { kind: 'set', key, value });
      }
      case 'snapshot':
        return conn.call('snapshot', data.store);
      case 'export-history':
        return n % 2 === 0 ? conn.call('exportStore', data.store) : conn.call('history', data.store, { limit: 1000 });
      case 'info-backups':
        return n % 2 === 0 ? conn.call('info', data.store) : conn.call('backupsList', data.store);
      default:
        return Promise.resolve(undefined);
    }
  };

  let stopped = false;
  let outstanding = 0;
  let onIdle: (() => void) | undefined;
  const settle = () => {
    outstanding--;
    if (outstanding === 0 && stopped) onIdle?.();
  };
  const send = (): void => {
    outstanding++;
    report.sent++;
    if (outstanding > report.maxOutstanding) report.maxOutstanding = outstanding;
    request().then((value) => {
      report.served++;
      report.replyBytes += replySize(value);
      settle();
      if (data.inflight > 0) pump();
    }, (error: StoreError) => {
      const code = error?.code ?? 'ERROR';
      report.refused[code] = (report.refused[code] ?? 0) + 1;
      settle();
      if (data.inflight > 0) pump();
    });
  };
  const pump = (): void => {
    while (!stopped && outstanding < data.inflight) send();
  };
  const unbounded = (): void => {
    if (stopped) return;
    for (let k = 0; k < 1000; k++) send();
    setImmediate(unbounded);
  };

  let startedAt = 0;
  let elu0 = performance.eventLoopUtilization();
  const start = () => {
    startedAt = performance.now();
    elu0 = performance.eventLoopUtilization();
    if (data.kind === 'huge-set') {
      const t0 = performance.now();
      outstanding++;
      report.sent++;
      report.maxOutstanding = 1;
      // The window's own set() path would check the value first (on the window's thread); a hostile page posts raw.
      const pending = conn.call('write', data.store, { kind: 'set', key: 'flood', value: huge });
      huge = undefined;
      let postMs = NaN;
      // call() posts a microtask later (after its ready check): by the next macrotask the value has been serialized.
      setImmediate(() => {
        postMs = performance.now() - t0;
      });
      pending.then(() => {
        report.served++;
        report.huge = { buildMs: hugeBuildMs, postMs, answeredMs: performance.now() - t0, code: 'none (it was written)' };
        settle();
      }, (error: StoreError) => {
        report.refused[error.code] = (report.refused[error.code] ?? 0) + 1;
        report.huge = { buildMs: hugeBuildMs, postMs, answeredMs: performance.now() - t0, code: error.code };
        settle();
      });
    } else if (data.kind !== 'none') {
      if (data.inflight > 0) pump();
      else unbounded();
    }
  };
  const stop = () => new Promise<void>((resolve) => {
    stopped = true;
    report.floodMs = performance.now() - startedAt;
    report.elu = performance.eventLoopUtilization(elu0).utilization;
    const t0 = performance.now();
    onIdle = () => {
      report.drainMs = performance.now() - t0;
      resolve();
    };
    if (outstanding === 0) onIdle();
  });

  port.on('message', (m: { t: string }) => {
    if (m.t === 'start') start();
    else if (m.t === 'stop') {
      void stop().then(() => {
        store.close();
        conn.close();
        port.postMessage({ t: 'done', report });
      });
    }
  });
  port.postMessage({ t: 'ready', tid: report.tid });
}

run().catch((error: unknown) => {
  port.postMessage({ t: 'error', message: String((error as Error)?.stack ?? error) });
});
