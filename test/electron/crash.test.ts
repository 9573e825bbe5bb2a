// SIGKILL of a real OS process hosting an emulated Electron app (main + utility-process daemon + a window) while it
// writes: every write that was acknowledged before the kill is there when the app starts again.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStoreDaemon } from '../../src/client-main/index.ts';
import { settingsDef, tmpDir } from '../helpers.ts';
import { app, fixture } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KILLS = 3;

/** Runs the app until `acks` writes were acknowledged (and a random few more), SIGKILLs it, returns the last value per key. */
function runAndKill(userData: string, acks: number): Promise<{ last: Map<string, number>; appPid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('crash-child.ts'), userData], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const last = new Map<string, number>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  let seen = 0;
  const killAt = acks + Math.floor(Math.random() * acks);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  readline.createInterface({ input: child.stdout }).on('line', (text) => {
    const { key, value } = JSON.parse(text) as { key: string; value: number };
    last.set(key, value);
    if (++seen === killAt) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    // 'close', not 'exit': the app's utility process (its own OS process, sharing the app's stderr) notices the app
    // is gone a moment after it; until then its daemon still holds the store lock and a new start is STORE_LOCKED.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' || seen < killAt) reject(new Error(`the app ended with ${signal ?? code} after ${seen} acks:\n${stderr}`));
      else resolve({ last, appPid: child.pid! });
    });
  });
}

/**
 * Resolves once no process has `pid` (`kill(pid, 0)` fails with ESRCH). The killed app's utility process outlives it
 * a moment: it has to notice that the app is gone, exit, and be reaped by init (until then it is a zombie, which
 * `kill(pid, 0)` still finds). Starting again before that is a start while the old daemon holds the lock: the lock
 * then refuses at once (STORE_LOCKED), which is not what this test is about. Nothing signals the reaping of another
 * process's child, so this checks, at most every 10 ms, for at most 10 s.
 */
async function untilProcessGone(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  };
  for (let i = 0; alive(); i++) {
    if (i === 1000) throw new Error(`process ${pid} (the killed app's daemon) is still there after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test(`SIGKILL of the whole app process mid-write (${KILLS} times): no acknowledged write is lost`, async (t) => {
  const userData = tmpDir('esd-electron-crash-');
  for (let run = 0; run < KILLS; run++) {
    const { last: acknowledged, appPid } = await runAndKill(userData, 150);
    assert.ok(acknowledged.has('fromWindow'), 'the window wrote too');
    const note = JSON.parse(fs.readFileSync(path.join(userData, 'settings.json.lock-owner'), 'utf8')) as { pid: number };
    await untilProcessGone(note.pid);
    app.setPath('userData', userData);
    const daemon = await startStoreDaemon({ stores: [settingsDef()] });
    const store = await daemon.store('settings');
    // The lock was the dead daemon's: taken over at once because its holder's pid — the utility process's own, not
    // the app's — no longer runs.
    const takeover = (await store.info()).recovery.problems.find((p) => p.includes('took over the store lock'));
    const holderPid = Number(/pid (\d+)\) is no longer running/.exec(takeover ?? '')?.[1]);
    assert.ok(holderPid > 0, `the lock was taken over from a dead pid (problems: ${JSON.stringify((await store.info()).recovery.problems)})`);
    assert.notEqual(holderPid, appPid, 'the daemon ran in a process of its own');
    for (const [key, value] of acknowledged) {
      // Later writes to the key may have committed without their ack reaching us: never less than acknowledged.
      assert.ok((store.get(key) as number) >= value, `${key}: acknowledged ${value}, found ${String(store.get(key))} (run ${run})`);
    }
    await daemon.close();
  }
  t.diagnostic(`${KILLS} kills, each after 150-300 acknowledged writes`);
});
