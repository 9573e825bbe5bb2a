// The architecture rules of `npm run lint` (.dependency-cruiser.cjs and scripts/check-bundles.mjs) run on copies of
// src/ in temp folders: the copy as it is must pass, and planted violations must fail with the rule's name. A rule
// that cannot fail (a typo in a path, an import that no longer resolves, type-only imports not seen) shows up here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const depcruise = path.join(repo, 'node_modules', '.bin', process.platform === 'win32' ? 'depcruise.cmd' : 'depcruise');
const checkBundles = path.join(repo, 'scripts', 'check-bundles.mjs');
const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of src/ with the lint config and tsconfig (and the repository's node_modules linked in), plus `files` written over it. */
function copyTree(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esd-arch-'));
  temps.push(dir);
  fs.cpSync(path.join(repo, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const file of ['.dependency-cruiser.cjs', 'tsconfig.json']) fs.copyFileSync(path.join(repo, file), path.join(dir, file));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

interface Run { code: number; output: string }

function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}${error && typeof error.code !== 'number' ? String(error) : ''}` });
    });
  });
}

const cruise = (dir: string) => run(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], dir);
const appendTo = (file: string, text: string) => fs.readFileSync(path.join(repo, file), 'utf8') + text;

// Every run starts now, side by side (each is a second or two of mostly start-up); the tests await their own.
const clean = cruise(copyTree());
const daemonFromMain = cruise(copyTree({
  'src/client-main/bad.ts': "import { Daemon } from '../daemon/daemon.ts';\nexport const daemon = Daemon;\n",
}));
// Type-only on both sides: the cycle exists only if `import type` counts (tsPreCompilationDeps).
const protocolCycle = cruise(copyTree({
  'src/protocol/cycle-a.ts': "import type { B } from './cycle-b.ts';\nexport interface A { b?: B }\n",
  'src/protocol/cycle-b.ts': "import type { A } from './cycle-a.ts';\nexport interface B { a?: A }\n",
}));
const otherRules = cruise(copyTree({
  'src/client/bad-main.ts': "import type { StoreDaemon } from '../client-main/store-daemon.ts';\nexport type D = StoreDaemon;\n",
  'src/client/bad-renderer.ts': "export { connectStore } from '../client-renderer/index.ts';\n",
  'src/client-renderer/bad-main.ts': "import '../client-main/quit.ts';\n",
  'src/protocol/bad-src.ts': "import type { CachedStore } from '../client/cached-store.ts';\nexport type C = CachedStore;\n",
  'src/protocol/bad-node.ts': "import type { Stats } from 'node:fs';\nimport { EventEmitter } from 'events';\nexport type S = Stats;\nexport const E = EventEmitter;\n",
  'src/protocol/bad-node-type.ts': "export type P = import('node:worker_threads').MessagePort;\n",
  'src/daemon/engine/bad-features.ts': "import type { BackupSource } from '../features/recovery.ts';\nimport type { DocumentValidator } from '../features/validator.ts';\nimport type { FieldCipher } from '../features/encryption.ts';\nexport type X = [BackupSource, DocumentValidator, FieldCipher];\n",
  'src/daemon/storage/bad-features.ts': "import type { DocumentValidator } from '../features/validator.ts';\nimport type { FieldCipher } from '../features/encryption.ts';\nexport type X = [DocumentValidator, FieldCipher];\n",
  'src/daemon/bad-unresolved.ts': "import './no-such-file.ts';\n",
}));
const bundlesReal = run(process.execPath, [checkBundles], repo);
const bundlesPlanted = (() => {
  const dir = copyTree({
    'src/client-renderer/bad.ts': "import fs from 'node:fs';\nimport { closeOnQuit } from '../client-main/quit.ts';\nexport const x = [fs, closeOnQuit];\n",
    'src/client-renderer/preload.ts': appendTo('src/client-renderer/preload.ts', "\nimport './bad.ts';\n"),
  });
  return run(process.execPath, [checkBundles, dir], dir);
})();

const violation = (rule: string, from: string, to?: string) =>
  new RegExp(`error ${rule}: ${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${to ? ` → ${to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` : ''}`);

test('the unmodified src/ passes every architecture rule', async () => {
  const { code, output } = await clean;
  assert.equal(code, 0, output);
  assert.match(output, /no dependency violations found/);
});

test('src/client-main/ importing src/daemon/ fails clients-not-to-daemon', async () => {
  const { code, output } = await daemonFromMain;
  assert.notEqual(code, 0, output);
  assert.match(output, violation('clients-not-to-daemon', 'src/client-main/bad.ts', 'src/daemon/daemon.ts'));
});

test('a cycle of type-only imports in src/protocol/ fails no-circular', async () => {
  const { code, output } = await protocolCycle;
  assert.notEqual(code, 0, output);
  assert.match(output, /error no-circular: src\/protocol\/cycle-[ab]\.ts → \s*src\/protocol\/cycle-[ab]\.ts/);
});

test('every other rule fails on its own planted violation, and the allowed leaf features pass', async () => {
  const { code, output } = await otherRules;
  assert.notEqual(code, 0, output);
  assert.match(output, violation('client-core-and-renderer-not-to-client-main', 'src/client/bad-main.ts', 'src/client-main/store-daemon.ts'));
  assert.match(output, violation('client-core-and-renderer-not-to-client-main', 'src/client-renderer/bad-main.ts', 'src/client-main/quit.ts'));
  assert.match(output, violation('client-core-not-to-client-renderer', 'src/client/bad-renderer.ts', 'src/client-renderer/index.ts'));
  assert.match(output, violation('protocol-is-self-contained', 'src/protocol/bad-src.ts', 'src/client/cached-store.ts'));
  // Node built-ins are named without their node: prefix in the report.
  assert.match(output, violation('protocol-no-node-builtins', 'src/protocol/bad-node.ts', 'fs'));
  assert.match(output, violation('protocol-no-node-builtins', 'src/protocol/bad-node.ts', 'events'));
  assert.match(output, violation('protocol-no-node-builtins', 'src/protocol/bad-node-type.ts', 'worker_threads'));
  assert.match(output, violation('engine-only-leaf-features', 'src/daemon/engine/bad-features.ts', 'src/daemon/features/recovery.ts'));
  assert.match(output, violation('storage-only-encryption-feature', 'src/daemon/storage/bad-features.ts', 'src/daemon/features/validator.ts'));
  assert.match(output, violation('not-to-unresolvable', 'src/daemon/bad-unresolved.ts', './no-such-file.ts'));
  // The exceptions: engine/ may use validator.ts and encryption.ts, storage/ may use encryption.ts.
  assert.doesNotMatch(output, /src\/daemon\/engine\/bad-features\.ts → src\/daemon\/features\/(validator|encryption)\.ts/);
  assert.doesNotMatch(output, /src\/daemon\/storage\/bad-features\.ts → src\/daemon\/features\/encryption\.ts/);
});

test('the window bundles (renderer, preload, react) hold no Node built-in and no daemon or client-main code', async () => {
  const { code, output } = await bundlesReal;
  assert.equal(code, 0, output);
  for (const entry of ['index', 'preload', 'react']) assert.match(output, new RegExp(`^ok src/client-renderer/${entry}\\.ts: `, 'm'));
});

test('the bundle check fails on a window bundle that pulls in node:fs and src/client-main/', async () => {
  const { code, output } = await bundlesPlanted;
  assert.equal(code, 1, output);
  assert.match(output, /FAIL src\/client-renderer\/preload\.ts/);
  assert.match(output, /Node built-in 'node:fs' <- imported by src\/client-renderer\/bad\.ts/);
  assert.match(output, /src\/client-main\/quit\.ts .*<- imported by src\/client-renderer\/bad\.ts/);
  assert.match(output, /^ok src\/client-renderer\/index\.ts: /m);
});
