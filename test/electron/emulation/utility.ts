/**
 * Inside an emulated utility process (a worker thread): `process.parentPort` as Electron defines it — an
 * EventEmitter whose 'message' events are `{data, ports}` (ports are MessagePortMain), queued until the first
 * 'message' listener is added (Electron starts the port then) — and `postMessage(message)` back to main.
 * Unhandled rejections behave as under `--unhandled-rejections=warn-with-error-code`, which Electron's NodeService sets
 * for utility processes: a warning and `process.exitCode = 1`, nothing more (see warnWithErrorCode).
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { parentPort as workerParent, type MessagePort as NodeMessagePort } from 'node:worker_threads';
import { assertCloneable, livePorts, livePortWatchers, MessagePortMain, type Envelope } from './ports.ts';

/** Electron's `ParentPort`. */
type PortEvent = { data: unknown; ports: MessagePortMain[] };

export class ParentPort extends EventEmitter {
  #queue: PortEvent[] = [];
  #started = false;
  #flushing = false;
  readonly #port: NodeMessagePort;

  constructor(port: NodeMessagePort) {
    super();
    this.#port = port;
    port.on('message', (message: { kind?: string } & Envelope) => {
      if (message?.kind === 'message') this.#receive({ data: message.data, ports: message.ports });
    });
    this.on('newListener', (name) => {
      if (name === 'message') this.start();
    });
  }

  #receive(envelope: Envelope): void {
    // Ports are Electron's from the moment they arrive, also while queued: a mojo pipe reports its peer's closing
    // whenever that happens, and a Node port only to a 'close' listener that was there when it happened.
    const event = { data: envelope.data, ports: envelope.ports.map((p) => new MessagePortMain(p)) };
    if (!this.#started || this.#flushing) this.#queue.push(event);
    else this.emit('message', event);
  }

  /** Starts delivery (Electron calls it when the first 'message' listener is added). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#flushing = true;
    // Delivery is asynchronous, so the listener being added right now is in place for the queued messages.
    setImmediate(() => {
      while (this.#queue.length > 0) this.emit('message', this.#queue.shift()!);
      this.#flushing = false;
    });
  }

  postMessage(message: unknown): void {
    assertCloneable(message);
    this.#port.postMessage({ kind: 'message', data: message });
  }
}

/**
 * Node's warn-with-error-code mode, from inside (a worker cannot be given that flag on every Node version: Node 24's
 * test runner children carry execArgv a Worker refuses): while no other 'unhandledRejection' listener exists, an
 * unhandled rejection prints Node's warning and sets `process.exitCode = 1`; once the module adds its own listener,
 * Node calls only listeners — and this one steps aside, so the module's listener alone decides, as in Node.
 */
function warnWithErrorCode(): void {
  const listener = (reason: unknown) => {
    if (process.listenerCount('unhandledRejection') > 1) return;
    const text = reason instanceof Error ? reason.stack ?? String(reason) : String(reason);
    process.stderr.write(`(node:${process.pid}) UnhandledPromiseRejectionWarning: ${text}\n`);
    process.exitCode = 1;
  };
  process.on('unhandledRejection', listener);
}

/** Becomes the utility process and runs its entry module. */
export async function runUtility(data: { modulePath: string; args: string[]; control: NodeMessagePort }): Promise<void> {
  warnWithErrorCode();
  const parentPort = new ParentPort(workerParent!);
  Object.defineProperty(process, 'parentPort', { value: parentPort, enumerable: true, writable: false, configurable: false });
  process.argv = [process.execPath, data.modulePath, ...data.args];
  // The emulation's own channel (never seen by the module): answers the test's questions, injects crashes.
  data.control.on('message', (request: { id: number; op: string; message?: string }) => {
    if (request.op === 'open-ports') data.control.postMessage({ id: request.id, value: livePorts.size });
    else if (request.op === 'watch-ports') {
      if (livePortWatchers.size === 0) livePortWatchers.add((count) => data.control.postMessage({ event: 'ports', value: count }));
      data.control.postMessage({ id: request.id, value: livePorts.size });
    } else if (request.op === 'crash') {
      data.control.postMessage({ id: request.id, value: true });
      setImmediate(() => {
        throw new Error(request.message);
      });
    }
  });
  data.control.unref();
  try {
    await import(pathToFileURL(data.modulePath).href);
  } catch (error) {
    // As Electron's lib/utility/init.ts: an entry that fails to load or throws while it evaluates is an uncaught
    // exception (triggerUncaughtException), which ends the process — not an unhandled rejection, which would not.
    setImmediate(() => {
      throw error;
    });
  }
}
