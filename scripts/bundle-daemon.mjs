// Replaces dist/daemon/entry.js with one bundled ESM file: a utility process or worker then loads one file instead of
// ~150 modules at start (measured in bench/PROFILE.md: −85 ms of the daemon's start). electron-store (and electron,
// which it imports) stay external: they exist only where Electron runs the daemon.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/daemon/entry.ts'],
  outfile: 'dist/daemon/entry.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['electron', 'electron-store'],
  // Bundled CommonJS (ajv, proper-lockfile) calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __esdRequire } from 'node:module'; const require = __esdRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
