import assert from 'node:assert/strict';
import fs from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { daemonEnv } from '../../src/client-main/daemon-process.ts';
import { settingsDef, tmpDir } from '../helpers.ts';
import { startStoreDaemon } from '../../src/client-main/index.ts';

test("the daemon's environment turns Node's compile cache on in Node's default folder, unless the app's environment says otherwise", () => {
  const env = daemonEnv({ PATH: '/bin', HOME: '/home/u' });
  assert.deepEqual(env, { PATH: '/bin', HOME: '/home/u', NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'node-compile-cache') });
  assert.equal(daemonEnv({ NODE_COMPILE_CACHE: '/elsewhere' }), undefined, 'inherited as is');
  assert.equal(daemonEnv({ NODE_DISABLE_COMPILE_CACHE: '1' }), undefined, 'left off');
});

const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

test('where the runtime has a compile cache (Node ≥ 22.1), a started daemon fills it, outside the store folder', { skip: !hasCompileCache && 'Node < 22.1: no compile cache' }, async () => {
  if (process.env.NODE_COMPILE_CACHE !== undefined || process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) return;
  const cwd = tmpDir();
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [settingsDef()] });
  await daemon.close();
  assert.ok(fs.readdirSync(path.join(os.tmpdir(), 'node-compile-cache')).length > 0, 'the cache folder holds entries');
  assert.deepEqual(fs.readdirSync(path.join(cwd, 'storeHistory')).sort(), ['.marks', 'settings']);
});
