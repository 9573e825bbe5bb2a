import assert from 'node:assert/strict';
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { daemonEnv } from '../../src/client-main/daemon-process.ts';
import { startDaemon, tmpDir } from '../helpers.ts';

test("the daemon's environment turns Node's compile cache on in the store folder, unless the app's environment says otherwise", () => {
  const env = daemonEnv('/data/app', { PATH: '/bin', HOME: '/home/u' });
  assert.deepEqual(env, { PATH: '/bin', HOME: '/home/u', NODE_COMPILE_CACHE: path.join('/data/app', 'storeHistory', '.compile-cache') });
  assert.equal(daemonEnv('/data/app', { NODE_COMPILE_CACHE: '/elsewhere' }), undefined, 'inherited as is');
  assert.equal(daemonEnv('/data/app', { NODE_DISABLE_COMPILE_CACHE: '1' }), undefined, 'left off');
});

const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

test('where the runtime has a compile cache (Node ≥ 22.1), a started daemon fills it in the store folder', { skip: !hasCompileCache && 'Node < 22.1: no compile cache' }, async () => {
  if (process.env.NODE_COMPILE_CACHE !== undefined || process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) return;
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  await daemon.close();
  const dir = path.join(cwd, 'storeHistory', '.compile-cache');
  assert.ok(fs.readdirSync(dir).length > 0, 'the cache folder holds entries');
});
