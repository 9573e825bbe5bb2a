/**
 * Child process of the RSS figure: the daemon as its own process, the way Electron runs it in a utility process. The
 * built daemon entry (dist's bundle) runs on this process's main thread with `process.parentPort` (what Electron gives
 * a utility process) standing in for the channel to main; this script plays main: it sends `init`, then connects one
 * client. MessagePorts cannot cross processes in Node, so the client runs in a worker thread of this process, makes
 * 2,000 writes and exits; the idle checkpoint follows. Prints one JSON line: this process's RSS (the daemon's, plus
 * what the exited client worker left with the allocator) at each stage.
 *   node [v8 flags] rss-process-child.js <store dir> <daemon entry.js>
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { plainStores } from '../src/client-main/options.ts';
import { defineStore } from '../src/protocol/define.ts';
import { PROTOCOL_VERSION } from '../src/protocol/messages.ts';
import { benchSchema } from './data.ts';

// What this process loads besides the daemon is kept to the few small modules above: the client's code, the bench
// harness and conf load in the client worker only.
const STORE = 'bench';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const BYTES = 1024 * 1024;
const WRITES = 2000;

function mem() {
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

async function clientWorker(): Promise<void> {
  const { port } = workerData as { port: MessagePort };
  const { connectStore } = await import('../src/client-renderer/index.ts');
  const { writeFor } = await import('./data.ts');
  const { doc } = await import('./lib.ts');
  const client = await connectStore(STORE, { port });
  const tasks = doc(BYTES).tasks.length;
  const t0 = performance.now();
  for (let i = 0; i < WRITES; i++) await client.set(...writeFor(i, tasks));
  const writesMs = performance.now() - t0;
  client.close();
  port.close();
  parentPort!.postMessage(writesMs);
}

async function daemonProcess(dir: string, entry: string): Promise<void> {
  const bare = mem();
  const fromDaemon = new EventEmitter();
  const toDaemon = new EventEmitter();
  (process as unknown as { parentPort: unknown }).parentPort = {
    on: (event: string, listener: (e: unknown) => void) => toDaemon.on(event, listener),
    postMessage: (data: { t?: string }) => fromDaemon.emit(String(data?.t), data),
  };
  const next = (t: string) => new Promise<unknown>((resolve) => fromDaemon.once(t, resolve));
  const send = (data: unknown, ports: unknown[] = []) => toDaemon.emit('message', { data, ports });
  await import(pathToFileURL(entry).href);
  const loaded = mem();
  const ready = next('ready');
  const def = defineStore({ name: STORE, schema: benchSchema as object });
  send({ t: 'init', protocol: PROTOCOL_VERSION, daemonId: 'rss-process', cwd: dir, stores: plainStores([def]) });
  await ready;
  await sleep(1500);
  const open = mem();
  const { port1, port2 } = new MessageChannel();
  send({ t: 'connect', clientId: 'bench', trusted: true }, [port1]);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { port: port2 }, transferList: [port2] });
  const writesMs = await new Promise<number>((resolve, reject) => {
    worker.on('message', (ms: number) => void worker.terminate().then(() => resolve(ms)));
    worker.on('error', reject);
  });
  // The default idle checkpoint comes 2 s after the last write: let it run so its peak is included.
  await sleep(3000);
  const afterWrites = mem();
  (globalThis as { gc?: () => void }).gc?.();
  const afterGc = mem();
  console.log(JSON.stringify({ bare, loaded, open, afterWrites, afterGc, writesMs }));
  const closed = next('closed');
  send({ t: 'close' });
  await closed;
}

if (!isMainThread) {
  void clientWorker();
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, entry] = process.argv.slice(2);
  daemonProcess(dir, entry).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
