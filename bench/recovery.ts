/**
 * Figure: recovery time. A child process writes 10,000 durable records to a 1 MB store with checkpoints switched off
 * and is killed with SIGKILL; the daemon is then started on (a copy of) what it left and timed from
 * `startStoreDaemon()` to the first served read — loading the checkpoint and replaying the 10,000-record journal.
 * Beside it: the same start with nothing to replay, and conf opening the same-size file (it has no journal to replay:
 * each of its writes rewrote the whole file).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { flag, main, ms, openConf, p50p99, seedStore, startOurs, stats, storeDir, STORE, type Row } from './lib.ts';

const BYTES = 1024 * 1024;
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'recovery-child.js');

/** Runs the writer child until it reports its writes durable, then kills it with SIGKILL. */
function writeAndKill(dir: string, records: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(records)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /done (\d+)/.exec(out);
      if (m) {
        child.kill('SIGKILL');
        child.on('exit', () => resolve(Number(m[1])));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => signal !== 'SIGKILL' && reject(new Error(`writer child exited early (code ${code})`)));
  });
}

/**
 * A copy of the killed daemon's folder without its lock. The lock of a killed process goes stale after 5 s and is
 * then taken over; copying without it measures replay rather than that wait (and lets every round start from the
 * same crash state).
 */
function copyCrashState(from: string, label: string): string {
  const to = storeDir(label);
  fs.cpSync(from, to, { recursive: true, filter: (src) => !path.basename(src).startsWith(`${STORE}.json.lock`) });
  return to;
}

async function timeStart(dir: string): Promise<{ ms: number; replayed: number; rev: number }> {
  const t0 = performance.now();
  const daemon = await startOurs(dir);
  const client = await daemon.store(STORE);
  client.get('settings.theme');
  const elapsed = performance.now() - t0;
  const info = await client.info();
  await daemon.close();
  return { ms: elapsed, replayed: info.recovery.replayed, rev: info.rev };
}

export async function run() {
  const records = flag('records', 10_000);
  const rounds = flag('rounds', 5);
  const crashed = storeDir('ours-crash');
  seedStore(crashed, BYTES);
  const tw = performance.now();
  const acked = await writeAndKill(crashed, records);
  const writeSeconds = (performance.now() - tw) / 1000;
  const journalBytes = fs.readdirSync(path.join(crashed, 'storeHistory', STORE)).reduce((n, f) => n + fs.statSync(path.join(crashed, 'storeHistory', STORE, f)).size, 0);

  const recovery: number[] = [];
  const clean: number[] = [];
  let replayed = 0;
  let rev = 0;
  await timeStart(copyCrashState(crashed, 'ours-warm'));
  for (let r = 0; r < rounds; r++) {
    const t = await timeStart(copyCrashState(crashed, `ours-recover-${r}`));
    recovery.push(t.ms);
    replayed = t.replayed;
    rev = t.rev;
    const cleanDir = storeDir(`ours-clean-${r}`);
    seedStore(cleanDir, BYTES);
    clean.push((await timeStart(cleanDir)).ms);
  }
  if (rev < acked) throw new Error(`recovery lost acknowledged writes: rev ${rev} < ${acked}`);

  const cdir = storeDir('conf-recover');
  seedStore(cdir, BYTES);
  const confOpen: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    openConf(cdir, true).get('settings.theme');
    confOpen.push(performance.now() - t0);
  }
  const rec = stats(recovery);
  const cl = stats(clean);
  const conf = stats(confOpen);
  const rows: Row[] = [
    { metric: `recovery: start to first read with a ${records.toLocaleString('en-US')}-record journal to replay`, store: '1 MB', ours: `${p50p99(rec)} (replay adds ~${ms(rec.p50 - cl.p50)})`, conf: `${p50p99(conf)} (open + get; nothing to replay)`, ratio: { conf: rec.p50 / conf.p50 } },
  ];
  return {
    id: 'recovery',
    title: 'Recovery time (replaying a 10,000-record journal)',
    rows,
    notes: [
      `The writer child made ${acked.toLocaleString('en-US')} acknowledged writes (32 in flight, ${writeSeconds.toFixed(1)} s including its start) with checkpoints off, leaving a ${(journalBytes / 1024 / 1024).toFixed(1)} MB journal, and was killed with SIGKILL. Each of ${rounds} rounds starts a daemon on a fresh copy of that folder (without the dead process's lock, see recovery.ts); every round replayed ${replayed.toLocaleString('en-US')} records and reached rev ${rev.toLocaleString('en-US')} (≥ every acknowledged write).`,
      `The same start with nothing to replay: ${p50p99(cl)}. No SPEC target; schema on for ours and conf.`,
    ],
    raw: { recovery: rec, clean: cl, conf, acked, journalBytes, replayed },
  };
}

main(import.meta.url, run);
