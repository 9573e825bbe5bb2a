import { StoreError } from '../../protocol/errors.ts';
import type { BackupInfo, StoreDefinition } from '../../protocol/types.ts';
import type { StoreHandle } from '../engine/store-handle.ts';
import type { BackupFiles, CheckedBackup } from '../storage/backup-files.ts';

/**
 * Backups of one store (SPEC §6.11): at start (off the path to the first read), on a schedule, before destructive
 * operations and on demand — always of the committed document, taken at a commit point. The files are BackupFiles'.
 */
export class BackupService {
  #timer: ReturnType<typeof setInterval> | undefined;
  #startup: Promise<void> = Promise.resolve();
  #beginStartup: (() => void) | undefined;

  constructor(readonly files: BackupFiles, readonly store: StoreHandle, readonly options: StoreDefinition['backups'] = {}) {}

  /** Starts the periodic schedule (default every 24 h). */
  schedule(): void {
    const every = this.options?.intervalMs ?? 24 * 60 * 60 * 1000;
    if (!(every > 0)) return;
    this.#timer = setInterval(() => void this.create('scheduled').catch(() => {}), every);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Takes the 'start' backup when `startBackupNow()` says so (OpenStore: once the store served its first read; it
   * serializes and writes the whole document, which must not stand between a start and that read). `settled()` takes
   * it at once if it is still waiting.
   */
  startBackup(onError: (error: Error) => void): void {
    this.#startup = new Promise<void>((resolve) => (this.#beginStartup = resolve))
      .then(() => this.store.whenCommitted(() => this.createNow('start')))
      .then(() => {}, (error: Error) => onError(error));
  }

  startBackupNow(): void {
    this.#beginStartup?.();
    this.#beginStartup = undefined;
  }

  /** Resolves once the start-up backup is on disk (or failed); takes it now if it is still waiting. */
  settled(): Promise<void> {
    this.startBackupNow();
    return this.#startup;
  }

  /** Takes a backup of the committed document; `pool` 'client' for backups a window asked for. */
  create(reason: string, pool: 'store' | 'client' = 'store'): Promise<BackupInfo> {
    return this.store.whenCommitted(() => this.createNow(reason, pool));
  }

  /** A backup that must exist before a destructive step; failure aborts that step. */
  createSafe(reason: string): Promise<BackupInfo> {
    return this.create(reason).catch((error: unknown) => {
      throw new StoreError('IO_FAILED', `Could not take the "${reason}" backup (${(error as Error).message}); the operation was not started.`, { store: this.store.name, cause: error });
    });
  }

  /** Synchronous: only when the engine is idle (the document is the committed one). */
  createNow(reason: string, pool: 'store' | 'client' = 'store'): BackupInfo {
    return this.files.write({ doc: this.store.doc, internal: this.store.internal, rev: this.store.rev }, reason, pool);
  }

  /** A backup that verifies, to restore (VALIDATION_FAILED: nothing is restored). */
  readForRestore(id: unknown): CheckedBackup {
    return this.files.read(id, ' Nothing was restored.');
  }
}
