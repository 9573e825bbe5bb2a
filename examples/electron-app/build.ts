// Builds the example into examples/electron-app/dist (run by `npm run example:electron`, after `npm run build`):
// main as ESM with packages left external (electron-store-daemon/main then finds its own daemon entry), the
// preload as one CommonJS file (sandboxed preloads cannot import modules), the page as one browser bundle.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
fs.mkdirSync(out, { recursive: true });

await build({ entryPoints: [path.join(here, 'main.ts')], outfile: path.join(out, 'main.mjs'), bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node22' });
await build({ entryPoints: [path.join(here, 'preload.ts')], outfile: path.join(out, 'preload.cjs'), bundle: true, external: ['electron'], platform: 'node', format: 'cjs', target: 'chrome140' });
await build({ entryPoints: [path.join(here, 'renderer.ts')], outfile: path.join(out, 'renderer.js'), bundle: true, platform: 'browser', format: 'esm', target: 'chrome140' });
fs.copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
console.log(`built ${path.relative(process.cwd(), out)}: start it with electron ${path.relative(process.cwd(), path.join(out, 'main.mjs'))}`);
