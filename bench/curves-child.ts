/**
 * Child process of the cost curves (bench/curves.ts), run with plain `node --expose-gc`: one store opened in a fresh
 * process, then one JSON line `{ rss }` — the whole process's resident set after a full GC. Whole process, because
 * that is what an app pays: for ours the daemon's worker plus main's client cache; for conf its instance.
 *   ours <dir> <maxEntries>   our daemon (worker host, bench schema, history.maxEntries) and main's client, one read
 *   conf <dir>                conf opened on the same file, one read and 3 sets
 */
import { fileURLToPath } from 'node:url';
import { defineStore } from '../src/index.ts';
import { startStoreDaemon, type StoreDaemon } from '../src/client-main/index.ts';
import { benchSchema, writeFor, type BenchDoc } from './data.ts';
import { openConf, STORE } from './lib.ts';

/** Our daemon on `dir` as the curves run it: bench schema, and history retention of `maxEntries` records. */
export function startCurveDaemon(dir: string, maxEntries = 1000): Promise<StoreDaemon> {
  const def = defineStore<BenchDoc>({ name: STORE, schema: benchSchema as object, history: { maxEntries } });
  return startStoreDaemon({ cwd: dir, host: 'worker', stores: [def] });
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

async function childMain(): Promise<void> {
  const [kind, dir, maxEntries] = process.argv.slice(2);
  if (kind === 'ours') {
    const daemon = await startCurveDaemon(dir, Number(maxEntries));
    const client = await daemon.store(STORE);
    if (client.get('settings.theme') !== 'auto') throw new Error('unexpected first read');
    // Let the worker's own post-start work (start backup, idle GC) settle before reading; its GC is not ours to force.
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log(JSON.stringify({ rss: rss() }));
    await daemon.close();
  } else {
    const conf = openConf(dir);
    const tasks = (conf.get('tasks') as unknown[]).length;
    for (let i = 0; i < 3; i++) conf.set(...writeFor(i, tasks));
    console.log(JSON.stringify({ rss: rss() }));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  childMain().then(() => process.exit(0), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
