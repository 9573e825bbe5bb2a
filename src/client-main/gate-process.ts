import { randomUUID } from 'node:crypto';
import { GATE_ARG, type ControlFromGate, type ControlToGate } from '../protocol/control.ts';
import { StoreError } from '../protocol/errors.ts';
import { daemonEnv, type DaemonLauncher, type DaemonProcess } from './daemon-process.ts';

/**
 * Main's handle on the gate (src/gate): the process or worker where windows' ports end, so the daemon never decodes
 * a window's message itself. Started with the first window's port, started again after it dies (its windows then
 * get new ports: `onExit`), ended with the daemon.
 */
export class GateProcess {
  #proc: DaemonProcess | undefined;
  /** When the gate died lately (the same crash budget as the daemon's), and whether that budget is spent. */
  #exits: number[] = [];
  #gaveUp = false;
  /** Routes waiting for the gate to listen (see ControlFromGate): how to send each, and how to drop it. */
  #waiting: Array<{ send(): void; drop(): void }> | undefined;

  /**
   * Starts the gate now, if it is not running, and resolves once it listens (or is gone): in Electron it starts with
   * the daemon, so the first window's first request does not wait for it.
   */
  warm(): Promise<void> {
    this.#proc ??= this.#spawn();
    if (!this.#waiting) return Promise.resolve();
    const waiting = this.#waiting;
    return new Promise((resolve) => {
      waiting.push({ send: resolve, drop: resolve });
    });
  }

  constructor(
    private readonly launcher: DaemonLauncher, private readonly entry: string,
    private readonly budget: { maxRestarts?: number; windowMs?: number },
    private readonly events: { reconnect(): void; gaveUp(error: StoreError): void },
  ) {}

  /** A fresh crash budget (the daemon started again). */
  reset(): void {
    this.#exits = [];
    this.#gaveUp = false;
  }

  /**
   * Routes a window's port through the gate: `windowSide` (the far end of the window's channel) goes to the gate with
   * the limit on its messages; returns the port for the daemon, the gate's other end of the route.
   */
  route(windowSide: unknown, maxMessageBytes: number): unknown {
    if (this.#gaveUp) throw new StoreError('DAEMON_UNAVAILABLE', 'The gate for windows\' ports keeps crashing; no port for an untrusted client until the daemon restarts.');
    const proc = (this.#proc ??= this.#spawn());
    const { local, remote } = this.launcher.channel();
    const id = randomUUID();
    // A route that cannot reach the gate ends here, both ends closed: its client learns at once, not at a timeout.
    const drop = () => [windowSide, local].forEach((p) => {
      try {
        (p as { close?(): void }).close?.();
      } catch {
        // already closed or transferred
      }
    });
    const send = () => {
      try {
        proc.post({ t: 'gate-window', id, maxMessageBytes } satisfies ControlToGate, windowSide);
        proc.post({ t: 'gate-daemon', id } satisfies ControlToGate, local);
      } catch {
        // The window's end closed while the gate started (a port whose peer is gone cannot be transferred).
        drop();
      }
    };
    if (this.#waiting) this.#waiting.push({ send, drop });
    else send();
    return remote;
  }

  #spawn(): DaemonProcess {
    const proc = this.launcher.spawn(this.entry, { env: daemonEnv(), args: [GATE_ARG], name: 'electron-store-daemon-gate' });
    const waiting: Array<{ send(): void; drop(): void }> = [];
    this.#waiting = waiting;
    proc.onMessage((message) => {
      if ((message as ControlFromGate | null)?.t !== 'gate-ready' || this.#waiting !== waiting) return;
      this.#waiting = undefined;
      for (const route of waiting) route.send();
    });
    proc.onExit(() => {
      if (this.#waiting === waiting) {
        this.#waiting = undefined;
        for (const route of waiting) route.drop();
      }
      if (this.#proc !== proc) return;
      this.#proc = undefined;
      this.#crashed();
    });
    return proc;
  }

  /** After a backoff, windows reconnect through a new gate — within the crash budget; past it, they get no ports. */
  #crashed(): void {
    const { maxRestarts = 5, windowMs = 60_000 } = this.budget;
    const now = Date.now();
    this.#exits = this.#exits.filter((t) => now - t < windowMs);
    if (this.#exits.length >= maxRestarts) {
      this.#gaveUp = true;
      this.events.gaveUp(new StoreError('DAEMON_UNAVAILABLE', `The gate for windows' ports (README, Security model) crashed ${maxRestarts + 1} times within ${windowMs} ms; windows get no ports until the daemon restarts. Check the log for the cause.`));
      return;
    }
    this.#exits.push(now);
    const timer = setTimeout(() => {
      if (!this.#gaveUp) this.events.reconnect();
    }, Math.min(2000, 50 * 2 ** (this.#exits.length - 1)));
    timer.unref?.();
  }

  /**
   * Ends the gate once the daemon closed: it exits when its routes have closed (so what the daemon sent last still
   * reaches the windows), or is killed after `timeoutMs`.
   */
  stop(timeoutMs: number): void {
    const proc = this.#proc;
    this.#proc = undefined;
    if (!proc) return;
    if (this.#waiting) for (const route of this.#waiting.splice(0)) route.drop();
    const timer = setTimeout(() => proc.kill(), timeoutMs);
    timer.unref?.();
    proc.onExit(() => clearTimeout(timer));
    proc.post({ t: 'gate-stop' } satisfies ControlToGate);
  }
}
