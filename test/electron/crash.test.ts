// SIGKILL of a real OS process hosting an emulated Electron app (main + utility-process daemon + a window) while it
// writes: every write that was acknowledged before the kill is there when the app starts again.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
function runAndKill(userData: string, acks: number): Promise<Map<string, number>> {
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
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' || seen < killAt) reject(new Error(`the app ended with ${signal ?? code} after ${seen} acks:\n${stderr}`));
      else resolve(last);
    });
  });
}

test(`SIGKILL of the whole app process mid-write (${KILLS} times): no acknowledged write is lost`, async (t) => {
  const userData = tmpDir('esd-electron-crash-');
  for (let run = 0; run < KILLS; run++) {
    const acknowledged = await runAndKill(userData, 150);
    assert.ok(acknowledged.has('fromWindow'), 'the window wrote too');
    app.setPath('userData', userData);
    const daemon = await startStoreDaemon({ stores: [settingsDef()] });
    const store = await daemon.store('settings');
    for (const [key, value] of acknowledged) {
      // Later writes to the key may have committed without their ack reaching us: never less than acknowledged.
      assert.ok((store.get(key) as number) >= value, `${key}: acknowledged ${value}, found ${String(store.get(key))} (run ${run})`);
    }
    await daemon.close();
  }
  t.diagnostic(`${KILLS} kills, each after 150-300 acknowledged writes`);
});
