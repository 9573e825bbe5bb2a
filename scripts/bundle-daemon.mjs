// Replaces dist/daemon/entry.js with one self-contained ESM file: everything the daemon runs (electron-store, conf,
// ajv, ajv-formats, rfc6902, chokidar, comlink, proper-lockfile and their dependencies) is inside it, so the file works
// on its own — copied out of node_modules, inside an app.asar, or next to an app's bundled main — and a utility process
// or worker loads one file instead of ~150 modules at start (bench/PROFILE.md: −85 ms of the daemon's start).
//
// Only `electron` stays external, and only electron-store imports it: for `app`/`ipcMain`/`shell` in the main process
// and `ipcRenderer` in a renderer. The daemon loads electron-store in a utility process only (conf in the worker host)
// and there none of these exist: electron-store reads `app`/`ipcMain` as undefined and takes the cwd and version the
// daemon passes. An external `import electron from 'electron'` would be hoisted to the top of the ESM bundle and fail
// the worker host, where no `electron` module exists; so electron-store gets a stand-in that imports Electron lazily,
// when electron-store itself is loaded, and only where Electron runs.
//
//   node scripts/bundle-daemon.mjs [outfile]     default dist/daemon/entry.js (the packaging test builds to a temp folder)
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const electronForElectronStore = {
  name: 'electron-for-electron-store',
  setup(b) {
    b.onResolve({ filter: /^electron$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]electron-store[\\/]/.test(args.importer)) return undefined;
      return { path: 'electron', namespace: 'electron-for-electron-store' };
    });
    b.onLoad({ filter: /.*/, namespace: 'electron-for-electron-store' }, () => ({
      loader: 'js',
      contents: [
        "const electron = process.versions.electron ? await import('electron') : {};",
        'export default electron.default ?? electron;',
      ].join('\n'),
    }));
  },
};

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.resolve(process.argv[2] ?? path.join(root, 'dist/daemon/entry.js'));

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/daemon/entry.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['electron'],
  plugins: [electronForElectronStore],
  // Bundled CommonJS (ajv, proper-lockfile) calls require() for Node built-ins; give the ESM bundle one.
  banner: { js: "import { createRequire as __esdRequire } from 'node:module'; const require = __esdRequire(import.meta.url);" },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// Self-contained means: no import or require() of anything but Node built-ins and (lazily) `electron`.
const outputs = Object.values(result.metafile.outputs).filter((o) => o.entryPoint);
const builtin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);
const foreign = outputs.flatMap((o) => o.imports).filter((i) => i.external && !builtin(i.path) && i.path !== 'electron');
if (foreign.length > 0) {
  console.error(`bundle-daemon: ${path.relative(root, outfile)} would load ${foreign.map((i) => i.path).join(', ')} at run time; bundle them.`);
  process.exit(1);
}
