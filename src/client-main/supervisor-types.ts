import type { StoreError } from '../protocol/errors.ts';
import type { ClientPolicy, StoreClient } from '../protocol/types.ts';

/** The types around StoreDaemon (the supervisor in store-daemon.ts), re-exported from there. */

/** Main's client of a store: a window's API plus what only main can do. */
export interface MainStoreClient<T extends object = Record<string, unknown>> extends StoreClient<T> {
  /** Opens the store file in the system's default app for JSON (Electron's shell.openPath), as electron-store does. */
  openInEditor(): Promise<void>;
}

/** Where a StoreDaemon's supervisor is. */
export type SupervisorState = 'starting' | 'running' | 'restarting' | 'closing' | 'stopped';

/** The events a StoreDaemon emits, with their payloads. */
export interface StoreDaemonEvents {
  /** The supervisor started a new daemon after a crash; clients have new ports and resync. */
  restart: [info: { attempt: number }];
  /** The daemon process ended (`expected` after close()). */
  exit: [info: { code: number | null; expected: boolean }];
  /** Something main should know about: crash loop given up, close timed out, a daemon-side error. */
  error: [error: StoreError];
  /** A hand edit of a store file was invalid and was undone; its text is kept at `keptAs`. */
  'external-change-rejected': [info: { store: string; keptAs: string; error: StoreError }];
}

/** An Electron `WebContents` (typed structurally so this module never needs Electron's types). */
export interface WebContentsLike {
  readonly id: number;
  isDestroyed(): boolean;
}

/** A port handed to a client that main re-issues after a restart (main's own, windows). */
export interface Reattachable {
  policy?: ClientPolicy;
  trusted: boolean;
  /** Gives the client its new port; returns false when the client is gone. */
  deliver(port: unknown): boolean;
}
