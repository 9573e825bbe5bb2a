import fs from 'node:fs';

/**
 * The one door through which the journal, checkpoint and backup writers touch the disk. Tests replace
 * `faults.check` to inject ENOSPC, EIO or EACCES at a named operation; production never does.
 */
export type FsOp = 'journal.append' | 'journal.sync' | 'journal.truncate' | 'checkpoint.write' | 'backup.write';

export interface FsFaults {
  /** Throw (or return an errno string) to make operation `op` on `path` fail. */
  check(op: FsOp, path: string): NodeJS.ErrnoException | undefined;
}

export const noFaults: FsFaults = { check: () => undefined };

export class FsSeam {
  constructor(public faults: FsFaults = noFaults) {}

  #fault(op: FsOp, path: string): void {
    const err = this.faults.check(op, path);
    if (err) throw err;
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
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
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

/** Builds an errno error like Node's own. */
export function errnoError(code: string, op: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = op;
  err.path = path;
  return err;
}
