import crypto from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { FsSeam } from './fs-seam.ts';
import { jsonPieces } from './sliced-json.ts';

export interface SlicedWriteOptions {
  fsSeam: FsSeam;
  /** Longest stretch of serializing before the thread is handed back to the commit queue. */
  sliceMs: number;
  /** Checked between slices: false abandons the write (a newer checkpoint was written, or the store closes). */
  wanted(): boolean;
}

/** What was written to the temp file, ready to be renamed over the checkpoint. */
export interface WrittenTemp {
  tmp: string;
  text: string;
  sha256: string;
}

/** Bytes handed to the disk per write call: small enough to encode in well under a millisecond. */
const BATCH_CHARS = 256 * 1024;
/** Dirty bytes allowed before they are flushed: a journal fdatasync never waits behind megabytes of checkpoint data. */
const FLUSH_BYTES = 1024 * 1024;

/**
 * Serializes `value` in conf's format and writes it to a temp file beside `file` (atomically's temp name, so
 * `removeStaleTemps` clears what a crash leaves), a few milliseconds of work at a time: between slices, and while
 * each batch is written and synced, commit groups run. Returns undefined when `wanted()` turned false (the temp
 * file is removed). The caller renames the temp file in: that is the only step that must not interleave with other
 * checkpoint writes, and it is synchronous.
 */
export async function writeTempInSlices(file: string, value: unknown, options: SlicedWriteOptions): Promise<WrittenTemp | undefined> {
  options.fsSeam.guard('checkpoint.write', file, () => undefined);
  const tmp = tempName(file);
  const handle = await fs.promises.open(tmp, 'w', 0o666);
  let done = false;
  try {
    const hash = crypto.createHash('sha256');
    let text = '';
    let batch = '';
    let dirty = 0;
    const flush = async () => {
      hash.update(batch);
      text += batch;
      dirty += await writeAll(handle, batch);
      batch = '';
      if (dirty >= FLUSH_BYTES) {
        await handle.datasync();
        dirty = 0;
      }
    };
    let sliceStart = performance.now();
    let announced = false;
    for (const piece of jsonPieces(value)) {
      batch += piece;
      if (batch.length >= BATCH_CHARS) {
        await flush();
        if (!announced) options.fsSeam.crashPoint('checkpoint.slicing');
        announced = true;
      }
      if (performance.now() - sliceStart >= options.sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      if (!options.wanted()) return undefined;
    }
    await flush();
    await handle.sync();
    done = true;
    return { tmp, text, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
    if (!done) await fs.promises.rm(tmp, { force: true });
  }
}

/** A temp name beside `file` in atomically's pattern (what conf's own writes leave, and `removeStaleTemps` clears). */
export function tempName(file: string): string {
  return `${file}.tmp-${Date.now().toString().slice(-10).padStart(10, '0')}${crypto.randomBytes(3).toString('hex')}`;
}

async function writeAll(handle: fs.promises.FileHandle, text: string): Promise<number> {
  const data = Buffer.from(text);
  let offset = 0;
  while (offset < data.length) offset += (await handle.write(data, offset, data.length - offset)).bytesWritten;
  return data.length;
}
