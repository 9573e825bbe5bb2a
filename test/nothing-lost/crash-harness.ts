import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StormLine } from './fixtures/storm-store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures', 'crash-child.ts');
const ROOT = path.resolve(here, '..', '..');

/** Where a kill is aimed: a random moment, early in start-up, or inside a crash window the daemon announces. */
export type KillTarget = 'random' | 'early' | 'checkpoint.written' | 'checkpoint.slicing' | 'journal.rotated' | 'journal.prune' | 'backup.data-written' | 'backup.rotate';
export const KILL_TARGETS: KillTarget[] = [
  'random', 'checkpoint.written', 'random', 'journal.rotated', 'random', 'journal.prune',
  'backup.data-written', 'random', 'backup.rotate', 'early',
];

/** One acknowledged write, as the child printed it. */
export interface Printed {
  run: number;
  c: number;
  n: number;
  rev: number;
}

export interface RunResult {
  lines: StormLine[];
  /** What the kill hit: the target, or `fallback` when the window did not come in time, or `early`. */
  killedAt: string;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Spawns the child, kills it with SIGKILL at `target`, and returns every line it printed before it died. */
export function runAndKill(cwd: string, target: KillTarget, opts: { clients: number; backupEvery: number; crashPauseMs: number; store?: 'storm' | 'large' }): Promise<RunResult> {
  // The daemon pauses only in the window this run aims at, so the others cost the storm nothing.
  const crashPoints = target === 'random' || target === 'early' ? [] : [target];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ cwd, ...opts, crashPoints })], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: StormLine[] = [];
  let stderr = '';
  let killedAt: string | undefined;
  let ready = false;
  let writes = 0;
  const timers: NodeJS.Timeout[] = [];
  const kill = (why: string) => {
    if (killedAt) return;
    killedAt = why;
    child.kill('SIGKILL');
  };
  if (target === 'early') timers.push(setTimeout(() => kill('early'), 250 + Math.random() * 700));
  // Bounded: a window that never comes, or a child that hangs, still ends in a kill.
  timers.push(setTimeout(() => kill('timeout'), 30_000));
  readline.createInterface({ input: child.stdout }).on('line', (text) => {
    let line: StormLine;
    try {
      line = JSON.parse(text) as StormLine;
    } catch {
      stderr += `stdout: ${text}\n`;
      return;
    }
    lines.push(line);
    if (line.t === 'ready') {
      ready = true;
      if (target !== 'random' && target !== 'early') timers.push(setTimeout(() => kill('fallback'), 4000));
    } else if (line.t === 'w') {
      writes++;
      if (target === 'random' && writes === 1) timers.push(setTimeout(() => kill('random'), Math.random() * 250));
    }
  });
  readline.createInterface({ input: child.stderr }).on('line', (text) => {
    const m = /^esd-crash-point (\S+)$/.exec(text);
    if (!m) {
      stderr += text + '\n';
      return;
    }
    if (ready && writes > 0 && m[1] === target) kill(target);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      timers.forEach(clearTimeout);
      if (!killedAt) {
        reject(new Error(`the crash child exited by itself (signal ${signal}):\n${stderr}\n${JSON.stringify(lines.filter((l) => l.t === 'error'))}`));
        return;
      }
      resolve({ lines, killedAt, signal, stderr });
    });
  });
}

/** Files a SIGKILL must never leave unreadable: the checkpoint parses with a sane rev; every backup's metadata parses. */
export function checkFilesReadable(cwd: string): void {
  const file = path.join(cwd, 'storm.json');
  if (fs.existsSync(file)) {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { __internal__?: { storeDaemon?: { rev?: unknown } } };
    const rev = parsed.__internal__?.storeDaemon?.rev;
    if (rev !== undefined && !Number.isSafeInteger(rev)) throw new Error(`checkpoint rev is ${String(rev)}`);
  }
  const backups = path.join(cwd, 'backups', 'storm');
  if (fs.existsSync(backups)) {
    for (const name of fs.readdirSync(backups)) if (name.endsWith('.meta.json')) JSON.parse(fs.readFileSync(path.join(backups, name), 'utf8'));
  }
}

/** Evidence files a recovery would have left: after kills alone there must be none. */
export function corruptFiles(cwd: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.includes('.corrupt-')) found.push(p);
    }
  };
  walk(cwd);
  return found;
}

/** Temp files of a checkpoint write the kill interrupted (the next start removes them). */
export function checkpointTemps(cwd: string): number {
  return fs.readdirSync(cwd).filter((n) => n.startsWith('storm.json.tmp-')).length;
}
