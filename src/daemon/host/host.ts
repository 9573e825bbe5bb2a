/** The daemon's link to the process that started it; the engine never knows which kind it is. */
export interface DaemonHost {
  readonly kind: 'utility-process' | 'worker';
  onMessage(listener: (data: unknown, ports: readonly unknown[]) => void): void;
  post(data: unknown): void;
  /** Ends the daemon (after `closed` was posted). */
  exit(code: number): void;
}
