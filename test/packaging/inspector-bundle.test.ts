// The inspector page as the package ships it: scripts/bundle-inspector.mjs makes one browser script (no Node
// built-in, no require) beside the HTML and CSS, and the server serves those files as they are (no esbuild on the spot).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadAssets } from '../../src/inspector/serve/assets.ts';
import { serveInspector } from '../../src/inspector/serve/server.ts';
import { tmpDir } from '../helpers.ts';
import { repoRoot } from './helpers.ts';

test('the built inspector page is self-contained and served as built, behind the one-time link', async () => {
  const out = tmpDir('esd-inspector-build-');
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'bundle-inspector.mjs'), out], { cwd: repoRoot, stdio: 'pipe' });
  const dir = path.join(out, 'inspector', 'page');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['index.html', 'inspector.css', 'inspector.js']);
  const js = fs.readFileSync(path.join(dir, 'inspector.js'), 'utf8');
  assert.doesNotMatch(js, /\brequire\(|node:/);
  const server = await serveInspector({ createPort: () => undefined, assets: await loadAssets(dir) });
  try {
    const origin = new URL(server.url).origin;
    assert.equal((await fetch(`${origin}/inspector.js`)).status, 403, 'nothing without the session');
    const first = await fetch(server.url, { redirect: 'manual' });
    const cookie = first.headers.get('set-cookie')!.split(';')[0];
    assert.match(first.headers.get('set-cookie')!, /HttpOnly; SameSite=Strict/);
    const served = await fetch(`${origin}/inspector.js`, { headers: { cookie } });
    assert.equal(served.status, 200);
    assert.equal(await served.text(), js);
    assert.equal((await fetch(`${origin}/other`, { headers: { cookie } })).status, 404);
  } finally {
    await server.close();
  }
});
