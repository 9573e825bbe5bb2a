// Builds the preload for Electron's default, sandboxed renderers. A sandboxed preload is not a module: Electron compiles
// the file's text as the body of a function of (require, process, exports, module, Buffer, global, setImmediate,
// clearImmediate), and its `require` knows only electron, events, timers and url. So the preload must be one CommonJS
// file whose only import is `electron`:
//
//   <outdir>/client-renderer/preload.cjs    exports exposeStorePort (package.json "./preload", `require` condition),
//                                           for a CommonJS preload that calls it itself
//   <outdir>/client-renderer/preload.d.cts  its types (a copy of preload.d.ts, when tsc has written that)
//   <outdir>/preload-auto.cjs               calls exposeStorePort() itself ("./preload/auto"): point
//                                           webPreferences.preload at it when the app has no preload of its own
//
// Each file is complete in itself — preload-auto.cjs cannot require preload.cjs, since a sandboxed require cannot
// load files.
//
//   node scripts/bundle-preload.mjs [outdir]     default dist (the packaging test builds to a temp folder)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  // A renderer: no Node built-ins (a sandboxed require would not find them).
  platform: 'browser',
  target: 'es2022',
  external: ['electron'],
  metafile: true,
  logLevel: 'warning',
};

const results = [
  await build({ ...common, entryPoints: ['src/client-renderer/preload.ts'], outfile: path.join(outdir, 'client-renderer', 'preload.cjs') }),
  await build({
    ...common,
    stdin: {
      contents: "import { exposeStorePort } from './src/client-renderer/preload.ts';\nexposeStorePort();\n",
      resolveDir: root,
      sourcefile: 'preload-auto.ts',
      loader: 'ts',
    },
    outfile: path.join(outdir, 'preload-auto.cjs'),
  }),
];

// Only `electron` may be required at run time: anything else is "module not found" in a sandboxed preload.
for (const result of results) {
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const foreign = output.imports.filter((i) => i.external && i.path !== 'electron');
    if (foreign.length > 0) {
      console.error(`bundle-preload: ${file} would require ${foreign.map((i) => i.path).join(', ')}; a sandboxed preload can require only electron, events, timers and url.`);
      process.exit(1);
    }
  }
}

const dts = path.join(outdir, 'client-renderer', 'preload.d.ts');
if (fs.existsSync(dts)) fs.copyFileSync(dts, path.join(outdir, 'client-renderer', 'preload.d.cts'));
