/**
 * The bare pipeline's worker (see bench/baseline.ts): only what a durable write physically needs. Each port's messages
 * are writes `[id, key, value]`; the worker appends them as JSON lines to one file, one fdatasync per group — every
 * write that arrived while the previous group was on disk, plus those of the same event-loop turn — then posts each
 * write's id back on the port it came from. No document, no validation, no cache, no change events.
 */
import fs from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

export interface BaselineWorkerData {
  file: string;
  /** 'async': fs.write + fs.fdatasync on the thread pool (as the daemon does); 'sync': both on this thread. */
  io: 'async' | 'sync';
}

type Write = [id: number, key: string, value: unknown];

const { file, io } = workerData as BaselineWorkerData;
const fd = fs.openSync(file, 'a');
let pending: Array<{ port: MessagePort; id: number; line: string }> = [];
let busy = false;

function done(group: typeof pending): void {
  for (const w of group) w.port.postMessage(w.id);
  busy = false;
  if (pending.length > 0) schedule();
}

function flush(): void {
  const group = pending;
  pending = [];
  const bytes = Buffer.from(group.map((w) => w.line).join(''));
  if (io === 'sync') {
    fs.writeSync(fd, bytes);
    fs.fdatasyncSync(fd);
    done(group);
    return;
  }
  fs.write(fd, bytes, (err) => {
    if (err) throw err;
    fs.fdatasync(fd, (err2) => {
      if (err2) throw err2;
      done(group);
    });
  });
}

function schedule(): void {
  busy = true;
  // setImmediate, not at once: messages already queued in this turn join the group instead of waiting a whole fsync.
  setImmediate(flush);
}

parentPort!.on('message', (m: { port: MessagePort } | 'close') => {
  if (m === 'close') {
    fs.closeSync(fd);
    process.exit(0);
  }
  m.port.on('message', ([id, key, value]: Write) => {
    pending.push({ port: m.port, id, line: `${JSON.stringify([id, key, value])}\n` });
    if (!busy) schedule();
  });
});
