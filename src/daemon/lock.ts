import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { StoreError } from '../protocol/errors.ts';

/** How long a lock whose holder stopped refreshing it stays valid (proper-lockfile's minimum is 5 s). */
const STALE_MS = 5000;

/**
 * One daemon per folder (SPEC §6.9): a proper-lockfile lock per store, kept fresh by its mtime. A lock left by a
 * killed process is taken over once stale; a lock left by *our own* previous daemon (the supervisor saw it exit and
 * passes its id) is taken over at once, so a restart after a crash does not wait out the stale time.
 */
export class StoreLock {
  readonly #lockPath: string;
  /** Beside the lock directory, not in it: proper-lockfile removes a stale lock with rmdir. */
  readonly #ownerPath: string;
  #release: (() => Promise<void>) | undefined;

  constructor(readonly cwd: string, readonly store: string, readonly daemonId: string) {
    this.#lockPath = path.join(cwd, `${store}.json.lock`);
    this.#ownerPath = path.join(cwd, `${store}.json.lock-owner`);
  }

  async acquire(options: { previousDaemonId?: string; waitForStale?: boolean } = {}): Promise<void> {
    fs.mkdirSync(this.cwd, { recursive: true });
    const target = path.join(this.cwd, `${this.store}.json`);
    if (options.previousDaemonId && this.#owner() === options.previousDaemonId) {
      fs.rmSync(this.#lockPath, { recursive: true, force: true });
    }
    try {
      this.#release = await lockfile.lock(target, {
        lockfilePath: this.#lockPath,
        realpath: false,
        stale: STALE_MS,
        update: STALE_MS / 2,
        retries: options.waitForStale === false ? 0 : { retries: 12, minTimeout: 250, maxTimeout: 600, factor: 1.3 },
        onCompromised: () => {
          // Another process removed or took our lock (e.g. the machine slept past the stale time). Keep serving:
          // refusing writes here would lose them; the owner check at the next start sorts it out.
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new StoreError('STORE_LOCKED', `Store "${this.store}" in ${this.cwd} is open in another daemon (another instance of the app?). Use one daemon per folder, or close the other one first.`, { store: this.store });
      }
      throw new StoreError('IO_FAILED', `Could not lock store "${this.store}": ${(error as Error).message}`, { store: this.store, cause: error });
    }
    try {
      fs.writeFileSync(this.#ownerPath, JSON.stringify({ daemonId: this.daemonId, pid: process.pid }));
    } catch {
      // The owner note only speeds up takeover after our own crash; the lock holds without it.
    }
  }

  #owner(): string | undefined {
    try {
      return (JSON.parse(fs.readFileSync(this.#ownerPath, 'utf8')) as { daemonId?: string }).daemonId;
    } catch {
      return undefined;
    }
  }

  async release(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    if (release) {
      try {
        fs.rmSync(this.#ownerPath, { force: true });
        await release();
      } catch {
        // Already released or compromised.
      }
    }
  }
}
