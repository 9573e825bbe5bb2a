import crypto from 'node:crypto';
import fs from 'node:fs';

/** temp file → fsync → rename: a reader sees the old file or the new one, never half of it. */
export function writeAtomic(file: string, data: Buffer): void {
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
