// Architecture rules for src/, checked by `npm run lint` (depcruise src --config .dependency-cruiser.cjs).
// test/unit/architecture.test.ts proves that each kind of rule fails on a planted violation.
//
// Layers:
//   src/protocol/         pure: wire types, errors, keys, write parsing. No other src/ folder, no Node built-in.
//   src/client/           the one client core (main and windows). Never daemon, client-main or client-renderer.
//   src/client-renderer/  connectStore, preload, react. Never daemon or client-main.
//   src/client-main/      startStoreDaemon, supervisor, launchers, Electron wiring. Never daemon.
//   src/daemon/           engine/, storage/, features/, host/. engine/ and storage/ use only the leaf
//                         features (validator, encryption), never the rest of features/.
//
// tsPreCompilationDeps: true makes `import type`, `export type ... from` and type-position
// `import('x').T` count as dependencies, so every rule below holds for types too.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle anywhere in src/, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'clients-not-to-daemon',
      severity: 'error',
      comment: 'The client side (client/, client-main/, client-renderer/) talks to the daemon over the protocol only; it never imports src/daemon/.',
      from: { path: '^src/(client|client-main|client-renderer)/' },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'client-core-and-renderer-not-to-client-main',
      severity: 'error',
      comment: 'src/client/ and src/client-renderer/ run in windows too; they never import src/client-main/ (Electron main process code).',
      from: { path: '^src/(client|client-renderer)/' },
      to: { path: '^src/client-main/' },
    },
    {
      name: 'client-core-not-to-client-renderer',
      severity: 'error',
      comment: 'src/client/ is shared by main and windows; it never imports src/client-renderer/.',
      from: { path: '^src/client/' },
      to: { path: '^src/client-renderer/' },
    },
    {
      name: 'protocol-is-self-contained',
      severity: 'error',
      comment: 'src/protocol/ imports nothing from other src/ folders (not even type-only).',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'protocol-no-node-builtins',
      severity: 'error',
      comment: 'src/protocol/ is loaded in windows too: no Node built-in module (node:* or bare fs, path, ...), not even type-only.',
      from: { path: '^src/protocol/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'inspector-page-is-a-window',
      severity: 'error',
      comment: 'src/inspector/page/ runs in a window: it is a client (client-renderer, protocol), never daemon, main or server code.',
      from: { path: '^src/inspector/page/' },
      to: { path: '^src/(daemon|client-main|cli|inspector/serve)/' },
    },
    {
      name: 'inspector-server-is-a-relay',
      severity: 'error',
      comment: 'src/inspector/serve/ only relays a port it is given: it knows the protocol, not the daemon or the clients.',
      from: { path: '^src/inspector/serve/' },
      to: { path: '^src/', pathNot: '^src/(protocol|inspector/serve)/' },
    },
    {
      name: 'gate-is-a-relay',
      severity: 'error',
      comment: 'src/gate/ measures and relays windows\' messages: it knows the protocol, never the daemon or the clients (a bug there must not reach the stores).',
      from: { path: '^src/gate/' },
      to: { path: '^src/', pathNot: '^src/(protocol|gate)/' },
    },
    {
      name: 'engine-only-leaf-features',
      severity: 'error',
      comment: 'src/daemon/engine/ may import only the leaf features validator.ts and encryption.ts from src/daemon/features/ (type-only imports included).',
      from: { path: '^src/daemon/engine/' },
      to: { path: '^src/daemon/features/', pathNot: '^src/daemon/features/(validator|encryption)\\.ts$' },
    },
    {
      name: 'storage-only-encryption-feature',
      severity: 'error',
      comment: 'src/daemon/storage/ may import only the leaf feature encryption.ts from src/daemon/features/ (type-only imports included).',
      from: { path: '^src/daemon/storage/' },
      to: { path: '^src/daemon/features/', pathNot: '^src/daemon/features/encryption\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import must resolve; an unresolved one would silently escape the rules above.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Follow src/ only; packages are recorded (so rules can see them) but not crawled.
    doNotFollow: { path: 'node_modules' },
    // See the header: type-only imports are dependencies.
    tsPreCompilationDeps: true,
    // Also catch process.getBuiltinModule('node:fs') as a dependency on a Node built-in.
    detectProcessBuiltinModuleCalls: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      // Imports name their .ts file explicitly (allowImportingTsExtensions); the rest resolve like Node/TS do.
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['source', 'import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
