/**
 * Child process of the recovery figure: opens the 1 MB store with checkpoints switched off, makes `count` durable
 * writes, prints "done <rev>" and waits to be killed with SIGKILL (so nothing is flushed or checkpointed on the way out).
 */
import { writeFor } from './data.ts';
import { doc, startOurs, STORE } from './lib.ts';

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg);
const daemon = await startOurs(dir, { tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
const client = await daemon.store(STORE);
const tasks = doc(1024 * 1024).tasks.length;
let next = 0;
const lane = async () => {
  while (next < count) await client.set(...writeFor(next++, tasks));
};
await Promise.all(Array.from({ length: 32 }, lane));
console.log(`done ${client.rev}`);
setInterval(() => {}, 1000);
