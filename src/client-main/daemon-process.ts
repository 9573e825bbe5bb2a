import os from 'node:os';
import path from 'node:path';

/** A started daemon, whatever hosts it (utility process or worker): the supervisor talks only to this. */
export interface DaemonProcess {
  /** Posts a control message; `port`, if given, is transferred with it. */
  post(message: unknown, port?: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the daemon is gone, with its exit code (null if unknown). */
  onExit(listener: (code: number | null) => void): void;
  /** Forcefully ends the daemon. */
  kill(): void;
}

/** How to start daemons and make port pairs in this environment. */
export interface DaemonLauncher {
  readonly kind: 'utility-process' | 'worker';
  spawn(entry: string, options?: SpawnOptions): DaemonProcess;
  /** A fresh channel: `local` stays in main, `remote` goes to the daemon. */
  channel(): { local: unknown; remote: unknown };
  /** The default daemon entry file for this launcher. */
  defaultEntry(): string;
  /** The app's version (Electron), the default data version of stores for migrations. */
  appVersion?(): string;
  /** Opens a file with the OS's default app (Electron's shell.openPath); resolves to an error text or ''. */
  openPath?(file: string): Promise<string>;
}

export interface SpawnOptions {
  /** The daemon's environment, when it must differ from main's (a copy of main's plus what the daemon needs). */
  env?: Record<string, string | undefined>;
  /** Arguments for the entry (its process.argv): GATE_ARG starts it as the gate. */
  args?: string[];
  /** The process's name where the host shows one (Electron's serviceName). */
  name?: string;
}

/**
 * The daemon's environment with Node's module compile cache on (Node ≥ 22.1, so Electron 45's utility process; Node 20
 * ignores it): later starts skip compiling the daemon's bundle (bench/PROFILE.md, Round 2 — start). The folder is the
 * one `module.enableCompileCache()` picks by default (`<tmpdir>/node-compile-cache`; Node checks each entry against
 * the source it was made from) — not the store folder, which must hold nothing but the stores' own files (a start that
 * fails leaves nothing there). An environment that already says where the cache goes, or that it is off, is left as it
 * is (undefined: inherit).
 */
export function daemonEnv(env: NodeJS.ProcessEnv = process.env): SpawnOptions['env'] {
  if (env.NODE_COMPILE_CACHE !== undefined || env.NODE_DISABLE_COMPILE_CACHE !== undefined) return undefined;
  return { ...env, NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'node-compile-cache') };
}
