import type { DaemonHost } from './host.ts';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: unknown[] }) => void): unknown;
  postMessage(message: unknown): void;
}

/**
 * The daemon inside an Electron `utilityProcess`: `process.parentPort` emits `{data, ports}` (ports are
 * `MessagePortMain`s that need `start()`). Reads only `process.parentPort`, so this module never imports `electron`.
 */
export function electronHost(): DaemonHost | undefined {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (!parentPort) return undefined;
  return {
    kind: 'utility-process',
    onMessage: (listener) => void parentPort.on('message', (event) => listener(event.data, event.ports ?? [])),
    post: (data) => parentPort.postMessage(data),
    exit: (code) => process.exit(code),
  };
}
