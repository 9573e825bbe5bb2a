// Bundles each window-side entry (renderer, preload, react) the way a browser bundler would, and fails if the bundle
// pulls in a Node built-in or any file from src/daemon/ or src/client-main/. Complements .dependency-cruiser.cjs: that
// checks direct imports folder by folder, this checks what actually ends up in a window, through every package too.
//
//   node scripts/check-bundles.mjs [root]     root: the folder holding src/ (default: this repository)
//
// With platform 'browser' esbuild cannot resolve a Node built-in at all; the plugin below turns such an import into an
// empty stand-in module in the 'node-builtin' namespace, so it shows up in the metafile's inputs and is reported with
// whoever imported it, instead of ending the build at the first one. A package that maps a built-in away for browsers
// (package.json "browser" field) is resolved by esbuild as usual and is not an offender.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const entries = ['src/client-renderer/index.ts', 'src/client-renderer/preload.ts', 'src/client-renderer/react.ts', 'src/inspector/page/main.ts'];
const forbiddenFiles = /^src\/(daemon|client-main)\//;

const builtins = new Set(builtinModules);
const isBuiltin = (spec) => spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const builtinFilter = new RegExp(`^(node:.*|(${[...builtins].filter((b) => !b.startsWith('_')).map(escape).join('|')})(/.*)?)$`);

const builtinStandIn = {
  name: 'node-builtin-stand-in',
  setup(b) {
    b.onResolve({ filter: builtinFilter }, async (args) => {
      if (args.pluginData?.standIn) return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { standIn: true } });
      if (resolved.errors.length === 0) return resolved;
      return { path: args.path, namespace: 'node-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, () => ({ contents: '', loader: 'js' }));
  },
};

let failed = false;
for (const entry of entries) {
  let result;
  try {
    result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      external: ['electron', 'react'],
      conditions: ['source'],
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [builtinStandIn],
    });
  } catch (error) {
    failed = true;
    console.error(`FAIL ${entry}: esbuild could not bundle it`);
    for (const e of error.errors ?? [error]) console.error(`  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text ?? e.message}`);
    continue;
  }
  const inputs = result.metafile.inputs;
  const importersOf = new Map();
  for (const [file, info] of Object.entries(inputs)) {
    for (const imp of info.imports) {
      if (!importersOf.has(imp.path)) importersOf.set(imp.path, []);
      importersOf.get(imp.path).push(file);
    }
  }
  const offenders = [];
  for (const file of Object.keys(inputs)) {
    const name = file.startsWith('node-builtin:') ? file.slice('node-builtin:'.length) : file;
    if (file.startsWith('node-builtin:') || isBuiltin(name)) offenders.push({ file, why: `Node built-in '${name}'` });
    else if (forbiddenFiles.test(file)) offenders.push({ file, why: `${file} (src/daemon/ and src/client-main/ never reach a window)` });
  }
  // External imports stay out of inputs; a built-in marked external some other way is an offender all the same.
  for (const [file, info] of Object.entries(inputs)) {
    for (const imp of info.imports) {
      if (imp.external && isBuiltin(imp.path)) offenders.push({ file: imp.path, why: `Node built-in '${imp.path}' (external, imported by ${file})` });
    }
  }
  if (offenders.length > 0) {
    failed = true;
    console.error(`FAIL ${entry}: ${offenders.length} forbidden input(s) in the window bundle`);
    for (const o of offenders) {
      const by = importersOf.get(o.file);
      console.error(`  ${o.why}${by ? ` <- imported by ${by.join(', ')}` : ''}`);
    }
    continue;
  }
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`ok ${entry}: ${Object.keys(inputs).length} inputs, ${(bytes / 1024).toFixed(1)} kB, no Node built-in, nothing from src/daemon/ or src/client-main/`);
}
process.exit(failed ? 1 : 0);
