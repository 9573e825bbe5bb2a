import { randomUUID } from 'node:crypto';
import { GATE_ARG, type ControlFromGate, type ControlToGate } from '../protocol/control.ts';
import { daemonEnv, type DaemonLauncher, type DaemonProcess } from './daemon-process.ts';

/**
 * Main's handle on the gate (src/gate): the process or worker where windows' ports end, so the daemon never decodes
 * a window's message itself. Started with the first window's port, started again after it dies (its windows then
 * get new ports: `onExit`), ended with the daemon.
 */
export class GateProcess {
  #proc: DaemonProcess | undefined;
  /** Routes waiting for the gate to listen (see ControlFromGate). */
  #waiting: Array<() => void> | undefined;

  /**
   * Starts the gate now, if it is not running, and resolves once it listens (or is gone): in Electron it starts with
   * the daemon, so the first window's first request does not wait for it.
   */
  warm(): Promise<void> {
    this.#proc ??= this.#spawn();
    if (!this.#waiting) return Promise.resolve();
    const waiting = this.#waiting;
    return new Promise((resolve) => {
      waiting.push(resolve);
      this.#proc?.onExit(() => resolve());
    });
  }

  constructor(private readonly launcher: DaemonLauncher, private readonly entry: string, private readonly onExit: () => void) {}

  /**
   * Routes a window's port through the gate: `windowSide` (the far end of the window's channel) goes to the gate with
   * the limit on its messages; returns the port for the daemon, the gate's other end of the route.
   */
  route(windowSide: unknown, maxMessageBytes: number): unknown {
    const proc = (this.#proc ??= this.#spawn());
    const { local, remote } = this.launcher.channel();
    const id = randomUUID();
    const send = () => {
      try {
        proc.post({ t: 'gate-window', id, maxMessageBytes } satisfies ControlToGate, windowSide);
        proc.post({ t: 'gate-daemon', id } satisfies ControlToGate, local);
      } catch {
        // The window's end closed while the gate started (a port whose peer is gone cannot be transferred): the
        // route ends here, and the daemon's end with it.
        (local as { close?(): void }).close?.();
      }
    };
    if (this.#waiting) this.#waiting.push(send);
    else send();
    return remote;
  }

  #spawn(): DaemonProcess {
    const proc = this.launcher.spawn(this.entry, { env: daemonEnv(), args: [GATE_ARG], name: 'electron-store-daemon-gate' });
    const waiting: Array<() => void> = [];
    this.#waiting = waiting;
    proc.onMessage((message) => {
      if ((message as ControlFromGate | null)?.t !== 'gate-ready' || this.#waiting !== waiting) return;
      this.#waiting = undefined;
      for (const send of waiting) send();
    });
    proc.onExit(() => {
      if (this.#proc !== proc) return;
      this.#proc = undefined;
      this.#waiting = undefined;
      this.onExit();
    });
    return proc;
  }

  /**
   * Ends the gate once the daemon closed: it exits when its routes have closed (so what the daemon sent last still
   * reaches the windows), or is killed after `timeoutMs`.
   */
  stop(timeoutMs: number): void {
    const proc = this.#proc;
    this.#proc = undefined;
    if (!proc) return;
    const timer = setTimeout(() => proc.kill(), timeoutMs);
    timer.unref?.();
    proc.onExit(() => clearTimeout(timer));
    proc.post({ t: 'gate-stop' } satisfies ControlToGate);
  }
}
