// Builds the inspector page into <outdir>/inspector/page: inspector.js (src/inspector/page/main.ts and everything it
// imports — the renderer client, protocol — in one browser script), beside a copy of index.html and inspector.css.
// Both openInspector()'s window and the served page (inspect command) load these files.
//
//   node scripts/bundle-inspector.mjs [outdir]     default dist
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(path.resolve(process.argv[2] ?? path.join(root, 'dist')), 'inspector', 'page');
const src = path.join(root, 'src', 'inspector', 'page');

await build({
  absWorkingDir: root,
  entryPoints: [path.join(src, 'main.ts')],
  outfile: path.join(outdir, 'inspector.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'inspector.css']) fs.copyFileSync(path.join(src, file), path.join(outdir, file));
