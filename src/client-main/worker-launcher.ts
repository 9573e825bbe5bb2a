import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { DaemonLauncher, DaemonProcess, SpawnOptions } from './daemon-process.ts';

/** The daemon entry beside this build (`.ts` when running from source under tsx, `.js` from dist). */
export function packagedEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), '..', 'daemon', `entry${path.extname(here)}`);
}

/** Runs the daemon in a `worker_threads` Worker: plain Node apps, CLIs and tests. */
export const workerLauncher: DaemonLauncher = {
  kind: 'worker',
  defaultEntry: packagedEntry,
  channel() {
    const { port1, port2 } = new MessageChannel();
    return { local: port1, remote: port2 };
  },
  spawn(entry: string, options: SpawnOptions = {}): DaemonProcess {
    // Running from source (tests, the demo): on Node 20 a worker does not get tsx's hooks from execArgv in time,
    // so a tiny bootstrap registers them before importing the TypeScript entry (tsx resolved here: eval'd code would
    // resolve a bare name against the process's working directory).
    const worker = entry.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); })`, { eval: true, stdout: false, stderr: false, argv: options.args ?? [], ...(options.env && { env: options.env }) })
      : new Worker(entry, { stdout: false, stderr: false, argv: options.args ?? [], ...(options.env && { env: options.env }) });
    // The worker keeps the process alive until daemon.close() (it holds the store locks and may still have a
    // checkpoint to write): a CLI ends by closing the daemon, not by dropping it.
    let exited = false;
    const exitListeners: Array<(code: number | null) => void> = [];
    const fire = (code: number | null) => {
      if (exited) return;
      exited = true;
      exitListeners.forEach((l) => l(code));
    };
    worker.on('exit', (code) => fire(code));
    worker.on('error', (error) => {
      // An uncaught error ends the worker; 'exit' follows. Say why, or a crash loop is a mystery.
      console.error('[electron-store-daemon] daemon crashed:', error);
    });
    return {
      post: (message, port) => (port ? worker.postMessage({ ...(message as object), port }, [port as MessagePort]) : worker.postMessage(message)),
      onMessage: (listener) => void worker.on('message', listener),
      onExit: (listener) => void exitListeners.push(listener),
      kill: () => void worker.terminate(),
    };
  },
};
