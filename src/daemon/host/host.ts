import type { ControlFromDaemon } from '../../protocol/control.ts';

/** The daemon's link to the process that started it; the engine never knows which kind it is. */
export interface DaemonHost {
  readonly kind: 'utility-process' | 'worker';
  onMessage(listener: (data: unknown, ports: readonly unknown[]) => void): void;
  post(data: unknown): void;
  /** Ends the daemon (after `closed` was posted). */
  exit(code: number): void;
}

/** An error's stack (or text) for a report. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.stack ?? `${error.name}: ${error.message}` : String(error);
}

/**
 * Tells main why the daemon is ending (`fatal`: main's StoreDaemon emits it as an 'error' event with `code`), writes
 * it to stderr (main's log), and exits with code 1 once the message is on its way.
 */
export function reportFatal(host: DaemonHost, code: 'IO_FAILED' | 'DAEMON_UNAVAILABLE', message: string): void {
  try {
    host.post({ t: 'fatal', code, message } satisfies ControlFromDaemon);
  } catch {
    // The channel to main is gone; stderr still carries it.
  }
  try {
    process.stderr.write(`[electron-store-daemon] ${message}\n`);
  } catch {
    // Nowhere left to say it.
  }
  setImmediate(() => host.exit(1));
}
