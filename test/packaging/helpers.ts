/**
 * Helpers of the packaging tests: the daemon entry built the way `npm run build` builds it, copied alone into an
 * empty folder — as it sits in an app.asar or next to an app's bundled main, with no node_modules to fall back on.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineStore } from '../../src/index.ts';
import { tmpDir } from '../helpers.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every folder from `dir` up to the root that holds a node_modules folder (there must be none). */
export function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules'))) found.push(path.join(d, 'node_modules'));
    if (path.dirname(d) === d) return found;
  }
}

/**
 * Bundles the daemon with scripts/bundle-daemon.mjs (from the current sources) and copies the entry alone, as `name`
 * — no source map, no package.json — into an empty folder under os.tmpdir(). Fails if a node_modules folder is anywhere above it:
 * the run would not prove the file self-contained.
 */
export function isolatedDaemonEntry(name = 'entry.js'): string {
  const build = tmpDir('esd-daemon-build-');
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'bundle-daemon.mjs'), path.join(build, 'entry.js')], { cwd: repoRoot, stdio: 'pipe' });
  const app = tmpDir('esd-packaged-app-');
  const entry = path.join(app, name);
  fs.copyFileSync(path.join(build, 'entry.js'), entry);
  assert.deepEqual(nodeModulesAbove(app), [], `a node_modules folder above ${app} would let the daemon resolve packages outside its file; set TMPDIR to a folder with none above it`);
  assert.deepEqual(fs.readdirSync(app), [name]);
  return entry;
}

/** A store whose schema needs ajv (types, uniqueItems → ajv's runtime `equal`) and ajv-formats (`format: email`). */
export interface Prefs {
  email: string;
  tags: string[];
  count: number;
  [key: string]: unknown;
}

export const prefsDef = () =>
  defineStore<Prefs>({
    name: 'prefs',
    schema: {
      type: 'object',
      properties: {
        email: { type: 'string', format: 'email' },
        tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
        count: { type: 'integer', minimum: 0 },
      },
    },
    defaults: { email: 'someone@example.com', tags: [], count: 0 },
  });
