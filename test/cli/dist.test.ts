import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { cli, cliJson, DIST_CLI, makeFolder } from './helpers.ts';

// The built CLI, as `npx electron-store-daemon` runs it (package.json "bin"). CI builds before testing; a checkout
// without dist/ skips this.
test('the built dist/cli/main.js: shebang, list and verify on a real folder', async (t) => {
  if (!fs.existsSync(DIST_CLI)) {
    t.skip('dist/cli/main.js is not built: run `npm run build` first (CI builds before testing)');
    return;
  }
  assert.equal(fs.readFileSync(DIST_CLI, 'utf8').split('\n')[0], '#!/usr/bin/env node');
  const folder = await makeFolder();
  const list = await cliJson(['list', folder], { bin: DIST_CLI });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.json.stores.map((s: { name: string; rev: number }) => [s.name, s.rev]), [['notes', 1], ['settings', 5]]);
  const verify = await cli(['verify', folder], { bin: DIST_CLI });
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /All is well\./);
  const rollback = await cliJson(['rollback', folder, 'settings', '--rev', '2'], { bin: DIST_CLI });
  assert.equal(rollback.code, 0, rollback.stderr);
  const usage = await cli(['nope'], { bin: DIST_CLI });
  assert.equal(usage.code, 2);
});
