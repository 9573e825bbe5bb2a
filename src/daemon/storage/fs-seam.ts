import fs from 'node:fs';

/**
 * The one door through which the journal, checkpoint and backup writers touch the disk. Tests replace
 * `faults.check` to inject ENOSPC, EIO or EACCES at a named operation; production never does.
 */
export type FsOp = 'journal.append' | 'journal.sync' | 'journal.truncate' | 'checkpoint.write' | 'backup.write';

/**
 * Moments between two steps of a multi-file change where a crash leaves an in-between state on disk. The crash
 * harness asks the daemon to pause at them (tuning `crashPauseMs`) so its SIGKILL lands inside those windows.
 */
export type CrashPoint =
  | 'checkpoint.written'   // new checkpoint renamed in, journal not yet pruned
  | 'checkpoint.slicing'   // an off-path checkpoint's temp file half written while commits go on
  | 'journal.rotated'      // new (empty) segment created, first record not yet written
  | 'journal.prune'        // between deleting two old segments
  | 'backup.data-written'  // backup data file in place, its metadata not yet
  | 'backup.rotate';       // an old backup's metadata removed, its data file not yet

export interface FsFaults {
  /** Return an errno error to make operation `op` on `path` fail. */
  check(op: FsOp, path: string): NodeJS.ErrnoException | undefined;
  /** Optional: wraps an fdatasync (tests hold it to observe ordering); must call `sync` exactly once. */
  sync?(path: string, sync: () => Promise<void>): Promise<void>;
}

export const noFaults: FsFaults = { check: () => undefined };

/** File-system seam: fault injection (`faults`) and crash windows (`onCrashPoint`), both unset in production. */
export class FsSeam {
  /** Called at each CrashPoint; the crash harness makes it announce and pause. */
  onCrashPoint: ((point: CrashPoint) => void) | undefined;

  constructor(public faults: FsFaults = noFaults) {}

  #fault(op: FsOp, path: string): void {
    const err = this.faults.check(op, path);
    if (err) throw err;
  }

  /** Marks a crash window (no-op unless a harness listens). */
  crashPoint(point: CrashPoint): void {
    this.onCrashPoint?.(point);
  }

  /** Appends `data` at `position` of an open file; rejects with the errno error on failure. */
  async write(op: FsOp, path: string, fd: number, data: Buffer, position: number): Promise<void> {
    this.#fault(op, path);
    let offset = 0;
    while (offset < data.length) {
      const written = await new Promise<number>((resolve, reject) =>
        fs.write(fd, data, offset, data.length - offset, position + offset, (err, n) => (err ? reject(err) : resolve(n))));
      offset += written;
    }
  }

  async fdatasync(op: FsOp, path: string, fd: number): Promise<void> {
    this.#fault(op, path);
    const sync = () => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    await (this.faults.sync ? this.faults.sync(path, sync) : sync());
  }

  truncateSync(op: FsOp, path: string, fd: number, length: number): void {
    this.#fault(op, path);
    fs.ftruncateSync(fd, length);
  }

  /** Runs a synchronous whole-file writer (conf's atomic write) behind the fault check. */
  guard<T>(op: FsOp, path: string, fn: () => T): T {
    this.#fault(op, path);
    return fn();
  }

  /** fsyncs a directory so a rename or a new file in it survives a power cut. */
  syncDir(dir: string): void {
    let fd: number | undefined;
    try {
      fd = fs.openSync(dir, 'r');
      fs.fsyncSync(fd);
    } catch {
      // Some file systems refuse fsync on directories; the rename itself is still atomic.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}

/**
 * The crash harness's pause: announce the point on the process's stderr (fd 2, synchronous even from a worker) and
 * block this thread for `ms`, so a SIGKILL sent on the announcement lands inside the window.
 */
export function announceAndPause(ms: number, only?: readonly string[]): (point: CrashPoint) => void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (point) => {
    if (only && !only.includes(point)) return;
    try {
      fs.writeSync(2, `esd-crash-point ${point}\n`);
    } catch {
      // stderr closed: pause anyway.
    }
    Atomics.wait(cell, 0, 0, ms);
  };
}

/** Builds an errno error like Node's own. */
export function errnoError(code: string, op: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = op;
  err.path = path;
  return err;
}
