import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { StoreError } from '../../protocol/errors.ts';

/** How long a lock whose holder stopped refreshing it stays valid (proper-lockfile's minimum is 5 s). */
export const STALE_MS = 5000;

/** What the owner note beside the lock says about its holder. */
interface OwnerNote {
  daemonId?: string;
  pid?: number;
  host?: string;
  /** Identity of the lock directory the note was written for, so a note never vouches for someone else's lock. */
  lockIno?: number;
  lockBirth?: number;
}

/**
 * One daemon per folder (SPEC §6.9): a proper-lockfile lock per store (`<name>.json.lock`, kept fresh by its mtime).
 *
 * Takeover of a lock whose holder is gone, without waiting out proper-lockfile's stale time:
 * - the holder was *our own* previous daemon (the supervisor saw it exit and passes its id), or
 * - the holder's process is dead: the owner note names its pid and host, and `process.kill(pid, 0)` fails with ESRCH
 *   on this host (a SIGKILLed app, a crashed worker host).
 * The note is only trusted when it was written for the lock directory that exists now (same inode and birth time),
 * so a takeover can never remove a lock a live daemon just acquired. Without a usable note, a lock left by a killed
 * process is taken over once stale (5 s).
 */
export class StoreLock {
  readonly #lockPath: string;
  /** Beside the lock directory, not in it: proper-lockfile removes a stale lock with rmdir. */
  readonly #ownerPath: string;
  #release: (() => Promise<void>) | undefined;
  /** Why the last acquire took a lock over, if it did (for info and tests). */
  tookOver: string | undefined;

  constructor(readonly cwd: string, readonly store: string, readonly daemonId: string) {
    this.#lockPath = path.join(cwd, `${store}.json.lock`);
    this.#ownerPath = path.join(cwd, `${store}.json.lock-owner`);
  }

  /** Takes the store's lock, or fails with STORE_LOCKED when a live daemon holds it. */
  async acquire(options: { previousDaemonId?: string; waitForStale?: boolean } = {}): Promise<void> {
    fs.mkdirSync(this.cwd, { recursive: true });
    const target = path.join(this.cwd, `${this.store}.json`);
    this.tookOver = this.#takeOver(options.previousDaemonId);
    const holder = this.tookOver ? undefined : this.#liveHolder();
    if (holder) throw this.#locked(`pid ${holder}`);
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
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw this.#locked(undefined);
      throw new StoreError('IO_FAILED', `Could not lock store "${this.store}": ${(error as Error).message}`, { store: this.store, cause: error });
    }
    try {
      const st = fs.statSync(this.#lockPath);
      const note: OwnerNote = { daemonId: this.daemonId, pid: process.pid, host: os.hostname(), lockIno: st.ino, lockBirth: st.birthtimeMs };
      fs.writeFileSync(this.#ownerPath, JSON.stringify(note));
    } catch {
      // The owner note only speeds up takeover after a crash; the lock holds without it.
    }
  }

  #locked(holder: string | undefined): StoreError {
    return new StoreError('STORE_LOCKED', `Store "${this.store}" in ${this.cwd} is open in another daemon${holder ? ` (${holder})` : ''} — another instance of the app? Use one daemon per folder, or close the other one first.`, { store: this.store, ...(holder && { details: { holder } }) });
  }

  /**
   * The pid of a live holder when that is certain: the note is for this lock, its process runs on this host, and the
   * lock is fresh (the holder refreshes it every 2.5 s). Then waiting for it to go stale is pointless. A reused pid
   * cannot lock a store out: its lock would not be fresh.
   */
  #liveHolder(): number | undefined {
    try {
      const note = JSON.parse(fs.readFileSync(this.#ownerPath, 'utf8')) as OwnerNote;
      const st = fs.statSync(this.#lockPath);
      const fresh = Date.now() - st.mtimeMs < STALE_MS;
      const ours = note.lockIno === st.ino && note.lockBirth === st.birthtimeMs;
      if (ours && fresh && note.host === os.hostname() && typeof note.pid === 'number' && isAlive(note.pid)) return note.pid;
    } catch {
      // No lock or no note: let proper-lockfile decide.
    }
    return undefined;
  }

  /**
   * Removes the current lock if its holder is gone; returns why, or undefined. The lock directory is first renamed
   * away and checked again under its new name, so a lock another starting daemon created in between is put back
   * instead of removed.
   */
  #takeOver(previousDaemonId: string | undefined): string | undefined {
    let note: OwnerNote;
    try {
      note = JSON.parse(fs.readFileSync(this.#ownerPath, 'utf8')) as OwnerNote;
    } catch {
      return undefined;
    }
    const ours = (st: fs.Stats) => note.lockIno === st.ino && note.lockBirth === st.birthtimeMs;
    let why: string | undefined;
    if (previousDaemonId && note.daemonId === previousDaemonId) why = `the previous daemon ${previousDaemonId} crashed`;
    else if (note.host === os.hostname() && typeof note.pid === 'number' && !isAlive(note.pid)) why = `its holder (pid ${note.pid}) is no longer running`;
    if (!why) return undefined;
    try {
      if (!ours(fs.statSync(this.#lockPath))) return undefined;
      const away = `${this.#lockPath}.takeover-${process.pid}-${Date.now()}`;
      fs.renameSync(this.#lockPath, away);
      if (!ours(fs.statSync(away))) {
        fs.renameSync(away, this.#lockPath);
        return undefined;
      }
      fs.rmSync(away, { recursive: true, force: true });
      return why;
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

/**
 * `kill(pid, 0)` probes without signalling: ESRCH means no such process; EPERM means it lives under another user. A
 * zombie (killed, not yet reaped by its parent — a daemon whose app was just SIGKILLed) also answers: on Linux its
 * state in /proc says it is dead, so a relaunch right after a crash takes the lock over instead of failing.
 */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
