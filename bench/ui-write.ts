/**
 * Figure: UI-thread time per write. How long the calling thread is busy per `client.set()` vs conf's `set()`, on
 * stores of 10 KB, 1 MB and 10 MB. Ours is measured twice: the call itself (until it returns its promise — what the
 * SPEC target describes), and the event-loop active time per write, which also counts handling the reply and the
 * change event on that thread (decoding, updating the cache, resolving the promise) — the latter beside the bare
 * pipeline's client (bench/baseline.ts: post the write, receive one ack, resolve).
 */
import { baselineSequential } from './baseline.ts';
import { SIZES } from './data.ts';
import { doc, main, ms, p50p99, stats, type Row } from './lib.ts';
import { COUNTS, confSequential, oursSequential } from './sequential.ts';

export async function run() {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  for (const { label, bytes } of SIZES) {
    const ours = await oursSequential(bytes, COUNTS[bytes].ours);
    const conf = stats(confSequential(bytes, COUNTS[bytes].conf));
    const call = stats(ours.call);
    const busy = stats(ours.busy);
    const bareRun = await baselineSequential(doc(bytes).tasks.length, COUNTS[bytes].ours);
    const bare = stats(bareRun.busy);
    raw[label] = { call, busy, conf, cpuPerWrite: ours.cpuPerWrite, baseline: { busy: bare, cpuPerWrite: bareRun.cpuPerWrite } };
    rows.push({ metric: 'UI-thread time per write: the set() call', store: label, ours: p50p99(call), conf: p50p99(conf), ratio: { conf: call.p50 / conf.p50 }, target: '≤ 0.05 ms (p50)', met: call.p50 <= 0.05 });
    rows.push({
      metric: 'UI-thread busy per write: call + reply + cache update', store: label, ours: `${p50p99(busy)} (CPU ${ms(ours.cpuPerWrite)} per write)`, conf: p50p99(conf),
      baseline: `${p50p99(bare)} (CPU ${ms(bareRun.cpuPerWrite)} per write)`, ratio: { conf: busy.p50 / conf.p50, baseline: busy.p50 / bare.p50 }, target: '≤ 0.05 ms (p50)', met: busy.p50 <= 0.05,
    });
  }
  return {
    id: 'ui-write',
    title: 'UI-thread time per write',
    rows,
    notes: [
      `One writer, awaited writes one after another, a mix of small changes (data.ts writeFor); ours with the bench JSON Schema, conf without (its cheapest path). Samples per size: ours ${SIZES.map((s) => COUNTS[s.bytes].ours).join('/')}, conf ${SIZES.map((s) => COUNTS[s.bytes].conf).join('/')} (10 KB/1 MB/10 MB), after warm-up.`,
      '"the set() call": performance.now() around the synchronous part of client.set() (checks the key and value, posts the message). "busy per write": performance.eventLoopUtilization() active time between consecutive writes, which adds receiving the reply and the change event, applying the change to the cache and resolving the promise. conf\'s set() is synchronous, so its call time is its busy time. The bare pipeline\'s busy time (bench/baseline.ts, measured right after ours): post [id, key, value], receive one ack, resolve — no cache, no change event. "CPU … per write": the main thread\'s own CPU time (/proc, 10 ms ticks) over the run divided by the writes — it leaves out moments the thread was runnable but waiting for a core, which the event-loop figure counts.',
    ],
    raw,
  };
}

main(import.meta.url, run);
