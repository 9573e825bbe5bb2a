import { parentPort, type MessagePort } from 'node:worker_threads';
import type { DaemonHost } from './host.ts';

/** The daemon inside a `worker_threads` Worker (plain Node apps, CLIs, tests). Ports arrive inside the message data. */
export function workerHost(): DaemonHost | undefined {
  const port = parentPort;
  if (!port) return undefined;
  return {
    kind: 'worker',
    onMessage: (listener) => void port.on('message', (data: { port?: MessagePort } | null) => {
      // worker_threads has no separate ports list: a transferred port is a field of the message.
      listener(data, data && typeof data === 'object' && data.port ? [data.port] : []);
    }),
    post: (data) => port.postMessage(data),
    exit: (code) => {
      port.close();
      process.exit(code);
    },
  };
}
