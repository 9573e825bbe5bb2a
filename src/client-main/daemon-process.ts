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
  spawn(entry: string): DaemonProcess;
  /** A fresh channel: `local` stays in main, `remote` goes to the daemon. */
  channel(): { local: unknown; remote: unknown };
  /** The default daemon entry file for this launcher. */
  defaultEntry(): string;
  /** The app's version (Electron), the default data version of stores for migrations. */
  appVersion?(): string;
  /** Opens a file with the OS's default app (Electron's shell.openPath); resolves to an error text or ''. */
  openPath?(file: string): Promise<string>;
}
