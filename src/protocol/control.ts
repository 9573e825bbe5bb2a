import type { SerializedStoreError } from './errors.ts';
import type { ClientPolicy, StoreDefinition } from './types.ts';

/** Messages main sends the daemon over its host channel (utility process parentPort / worker parentPort). */
export type ControlToDaemon =
  | {
    t: 'init';
    protocol: number;
    daemonId: string;
    /** The daemon this one replaces after a crash: its locks may be taken over at once. */
    previousDaemonId?: string;
    cwd: string;
    /** Plain definitions, or the path of a module whose defineStore exports are the stores (migrations are functions). */
    stores: StoreDefinition[] | string;
    encryptionKey?: Uint8Array;
    /** The app's version (Electron's app.getVersion()): the data version of stores that set none, as electron-store's projectVersion. */
    appVersion?: string;
    /** Engine tuning for tests and benchmarks. */
    tuning?: {
      checkpointRecords?: number; checkpointIdleMs?: number; journalSegmentBytes?: number;
      /** Documents from this size on are checkpointed off the commit path (default 256 KB; 0: always). */
      checkpointOffPathBytes?: number;
      /** Crash harness only: announce crash windows on stderr and pause the daemon there this long (ms)… */
      crashPauseMs?: number;
      /** …at these windows only (default: all); see CrashPoint in src/daemon/storage/fs-seam.ts. */
      crashPoints?: string[];
    };
  }
  /** A new client; its port travels in the transfer list. */
  | { t: 'connect'; clientId: string; policy?: ClientPolicy; trusted: boolean }
  | { t: 'close' };

/** Messages the daemon sends main. */
export type ControlFromDaemon =
  | { t: 'ready'; stores: string[]; failed: Record<string, SerializedStoreError> }
  | { t: 'init-failed'; error: SerializedStoreError }
  | { t: 'closed' }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /**
   * The daemon is about to exit with code 1 and says why: a close that failed (IO_FAILED), an uncaught exception or
   * an unhandled rejection (DAEMON_UNAVAILABLE). Main emits it as an 'error' event.
   */
  | { t: 'fatal'; code: 'IO_FAILED' | 'DAEMON_UNAVAILABLE'; message: string }
  | { t: 'external-change-rejected'; store: string; keptAs: string; error: SerializedStoreError };
