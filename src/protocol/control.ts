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
  /**
   * A new client; its port travels in the transfer list. `gated`: the port comes from the gate (src/gate), which sends
   * each of the client's messages as the bytes of its serialization.
   */
  | { t: 'connect'; clientId: string; policy?: ClientPolicy; trusted: boolean; gated?: boolean }
  | { t: 'close' };

/** The argument that starts the daemon entry as the gate (src/gate) instead of the daemon. */
export const GATE_ARG = '--electron-store-daemon-gate';

/** What main sends the gate: the two ends of one window's route, each with the route's id (one port per message). */
export type ControlToGate =
  | { t: 'gate-window'; id: string; maxMessageBytes: number }
  | { t: 'gate-daemon'; id: string }
  /** The daemon closed: end once every route has closed (what the daemon sent last is relayed first). */
  | { t: 'gate-stop' };

/** The gate's one message to main: it listens (routes posted before it would wait unwatched in its queue). */
export type ControlFromGate = { t: 'gate-ready' };

/** Messages the daemon sends main. */
export type ControlFromDaemon =
  /** `maxMessageBytes`: the largest message a window may send (the gate refuses larger ones; see src/gate). */
  | { t: 'ready'; stores: string[]; failed: Record<string, SerializedStoreError>; maxMessageBytes: number }
  | { t: 'init-failed'; error: SerializedStoreError }
  | { t: 'closed' }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /**
   * The daemon is about to exit with code 1 and says why: a close that failed (IO_FAILED), an uncaught exception or
   * an unhandled rejection (DAEMON_UNAVAILABLE). Main emits it as an 'error' event.
   */
  | { t: 'fatal'; code: 'IO_FAILED' | 'DAEMON_UNAVAILABLE'; message: string }
  | { t: 'external-change-rejected'; store: string; keptAs: string; error: SerializedStoreError };
