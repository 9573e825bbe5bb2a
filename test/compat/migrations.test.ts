/**
 * conf's migration cases (test/migrations.ts, test/advanced-features.ts and the migration cases of test/index.ts).
 * Migrations are functions, so the stores come from fixture modules (`stores` as a module path); the daemon hands
 * them to conf itself, so ordering, ranges and pre-releases follow electron-store. Where a migration fails, ours is
 * all or nothing (README, Migrations): the files are restored from the backup taken first and the store stays closed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { StoreDaemon } from '../../src/client-main/index.ts';
import { rejectsWith } from '../helpers.ts';
import { type Doc, type Sandbox, codeOf, fixture, readStoreFile, sandbox } from './helpers.ts';
import { specialCharacters } from './fixtures/evolve-v1.ts';
import { versions } from './fixtures/versions.ts';

/** Opens the stores module `name` in the sandbox, runs `use` on it, and closes it (so the next open sees the files). */
async function withModule<R>(box: Sandbox, name: string, use: (daemon: StoreDaemon) => Promise<R>): Promise<R> {
  const daemon = await box.start(fixture(name));
  try {
    return await use(daemon);
  } finally {
    await daemon.close();
  }
}

/** The document of store `name` as main's client sees it once `module` is open. */
function docAfter(box: Sandbox, module: string, name: string): Promise<Doc> {
  return withModule(box, module, async (daemon) => (await daemon.store<Doc>(name)).store);
}

const migrationVersion = (box: Sandbox, name: string) => readStoreFile(box.file(name)).internal?.migrations?.version;

test('a chain 1.0.0 → 3.0.0 runs 1.5.0, 2.0.0 and 3.0.0 once each, in order (conf "version skipping behavior")', async () => {
  const box = sandbox();
  await withModule(box, 'chain-v1', async (daemon) => {
    const s = await daemon.store<Doc>('chain');
    assert.deepEqual(s.store, { runs: ['1.0.0'] });
  });
  assert.equal(migrationVersion(box, 'chain'), '1.0.0');

  const revAfterV3 = await withModule(box, 'chain-v3', async (daemon) => {
    const s = await daemon.store<Doc>('chain');
    assert.deepEqual(s.get('runs'), ['1.0.0', '1.5.0', '2.0.0', '3.0.0'], '1.0.0 is not run again; the others once, in order');
    const migrations = (await s.history()).filter((e) => e.source === 'migration');
    assert.equal(migrations.length, 2, 'one migration write per open that migrated');
    assert.deepEqual(migrations[1].ops, [{ op: 'replace', path: '/runs', value: ['1.0.0', '1.5.0', '2.0.0', '3.0.0'] }]);
    assert.ok((await s.backups.list()).some((b) => b.reason === 'before-migration' && b.rev === migrations[0].rev));
    return s.rev;
  });
  assert.equal(migrationVersion(box, 'chain'), '3.0.0');

  await withModule(box, 'chain-v3', async (daemon) => {
    const s = await daemon.store<Doc>('chain');
    assert.deepEqual(s.get('runs'), ['1.0.0', '1.5.0', '2.0.0', '3.0.0'], 'nothing reruns at the same version');
    assert.equal(s.rev, revAfterV3);
  });
});

test('conf "migrations - execution order": a new store at 3.0.0 runs every migration up to it, in declaration order', async () => {
  const box = sandbox();
  assert.deepEqual(await docAfter(box, 'chain-v3', 'chain'), { runs: ['1.0.0', '1.5.0', '2.0.0', '3.0.0'] });
  assert.equal(migrationVersion(box, 'chain'), '3.0.0');
});

test('conf "migrations - idempotency and state consistency" / "should NOT run the migration when the version does not change"', async () => {
  const box = sandbox();
  assert.deepEqual(await docAfter(box, 'chain-v1', 'chain'), { runs: ['1.0.0'] });
  assert.deepEqual(await docAfter(box, 'chain-v1', 'chain'), { runs: ['1.0.0'] });
  assert.deepEqual(await docAfter(box, 'chain-v1', 'chain'), { runs: ['1.0.0'] });
});

test('conf "migrations - semver range evaluation": range keys run when the version satisfies them', async () => {
  const box = sandbox();
  const doc = await docAfter(box, 'fresh', 'ranges');
  assert.deepEqual(doc.runs, ['range1', 'range2', 'exact']);
  assert.equal(doc.future, undefined);
});

test('conf "migrations - complex version predicates with pre-release"', async () => {
  const box = sandbox();
  const doc = await docAfter(box, 'fresh', 'prerelease');
  assert.deepEqual(doc.runs, ['stable1', 'alpha', 'beta1', 'beta2', 'beta3']);
  assert.equal(doc.rc, undefined);
  assert.equal(doc.stable2, undefined);
});

test('conf "migrations - should save the project version as the initial migrated version"', async () => {
  const box = sandbox();
  assert.deepEqual(await docAfter(box, 'fresh', 'initial'), { foo: 'bar' });
  assert.equal(migrationVersion(box, 'initial'), '2.0.0');
});

test('conf "migrations - should not create migration metadata when migrations are not needed"', async () => {
  const box = sandbox();
  await withModule(box, 'fresh', async (daemon) => {
    const s = await daemon.store<Doc>('unneeded');
    await s.set('foo', 'bar');
    assert.deepEqual(s.store, { foo: 'bar' }, 'the client never sees `__internal__`');
    assert.equal(codeOf(() => s.has('__internal__')), 'INVALID_KEY', 'ours refuses the reserved key (conf: has() is false)');
  });
  assert.equal(readStoreFile(box.file('unneeded')).internal?.migrations, undefined);
});

test('conf "migrations - should NOT throw when project version is unspecified and there are no migrations"', async () => {
  const box = sandbox();
  await withModule(box, 'fresh', async (daemon) => {
    assert.equal(daemon.failedStores.unversioned, undefined);
    const s = await daemon.store<Doc>('unversioned');
    await s.set('foo', 'bar');
    assert.equal(s.get('foo'), 'bar');
  });
});

/**
 * The two-step cases share one folder: every store of evolve-v1.ts migrates once, then the files are prepared as
 * conf's cases prepare theirs (a hand-edited migration version, a read-only file), then evolve-v2.ts opens them all.
 */
const evolveBox = sandbox('esd-compat-evolve-');
let evolving: Promise<{ before: Record<string, ReturnType<typeof readStoreFile>>; daemon: StoreDaemon }> | undefined;
const evolved = () => (evolving ??= (async () => {
  await withModule(evolveBox, 'evolve-v1', async (daemon) => assert.deepEqual(daemon.failedStores, {}));
  const before = Object.fromEntries(['bump', 'range-cleanup', 'pre', 'chars', 'user', 'binary', 'partial', 'readonly'].map((n) => [n, readStoreFile(evolveBox.file(n))]));
  // conf "recovery from partial migration state": the recorded version is moved on by hand to 1.5.0.
  const partialFile = evolveBox.file('partial');
  const raw = JSON.parse(fs.readFileSync(partialFile, 'utf8')) as { __internal__: { migrations: { version: string } } };
  raw.__internal__.migrations.version = '1.5.0';
  fs.writeFileSync(partialFile, JSON.stringify(raw, undefined, '\t'));
  // conf "file system edge cases": the store file is read-only.
  fs.chmodSync(evolveBox.file('readonly'), 0o444);
  const daemon = await evolveBox.start(fixture('evolve-v2'));
  return { before, daemon };
})());
async function evolvedDoc(name: string): Promise<Doc> {
  const { daemon } = await evolved();
  assert.equal(daemon.failedStores[name], undefined, `${name} migrated`);
  return (await daemon.store<Doc>(name)).store;
}
/** The migration version recorded in the file (a migration is checkpointed at once, before clients are served). */
async function evolvedVersion(name: string): Promise<string | undefined> {
  await evolvedDoc(name);
  return migrationVersion(evolveBox, name);
}

test('conf "migrations - should save the project version when a migration occurs"', async () => {
  const { before } = await evolved();
  assert.deepEqual(before.bump.doc, { foo: 'bar' });
  assert.equal(before.bump.internal?.migrations?.version, '1.0.0');
  assert.deepEqual(await evolvedDoc('bump'), { foo: 'bazel' });
  assert.equal(await evolvedVersion('bump'), '2.0.0');
});

test('conf "migrations - should cleanup migrations with range conditions"', async () => {
  const { before } = await evolved();
  assert.deepEqual(before['range-cleanup'].doc, { foo: 'bar' });
  assert.equal(before['range-cleanup'].internal?.migrations?.version, '1.0.0');
  assert.deepEqual(await evolvedDoc('range-cleanup'), { foo: 'bazel' });
  assert.equal(await evolvedVersion('range-cleanup'), '2.0.0');
});

test('conf "migrations - should cleanup migrations with non-numeric values"', async () => {
  const { before } = await evolved();
  assert.deepEqual(before.pre.doc, { foo: 'bar' });
  assert.equal(before.pre.internal?.migrations?.version, '1.0.0-alpha');
  assert.deepEqual(await evolvedDoc('pre'), { foo: 'bazel' });
  assert.equal(await evolvedVersion('pre'), '1.0.0-beta');
});

test('conf "migrations - character encoding preservation"', async () => {
  const { before } = await evolved();
  assert.deepEqual(before.chars.doc, { special: specialCharacters }, 'the file holds the characters as set');
  const doc = await evolvedDoc('chars');
  assert.deepEqual(doc.special, specialCharacters);
  assert.equal(doc.combined, Object.values(specialCharacters).join(' '));
  assert.ok((doc.combined as string).includes('🦄✨🌈'));
});

test('conf "migrations - encoding stability across platforms": base64, CR/LF, NUL, U+FFFF and a surrogate pair survive', async () => {
  const { before } = await evolved();
  assert.equal(before.binary.doc.unicode, '\u0000\uFFFF\uD800\uDC00');
  const doc = await evolvedDoc('binary');
  assert.equal(doc.migrated, true, 'the v2 migration found every value intact (it throws otherwise)');
  assert.equal(doc.newlines, 'line1\r\nline2\nline3\r');
});

test('conf "migrations - schema evolution with breaking changes": the result is validated against the new schema', async () => {
  const { before } = await evolved();
  assert.deepEqual(before.user.doc.user, { name: 'John Doe', email: 'john@example.com', age: 30 });
  assert.deepEqual(await evolvedDoc('user'), {
    user: { firstName: 'John', lastName: 'Doe', email: 'john@example.com', birthYear: new Date().getFullYear() - 30 },
  });
  const { daemon } = await evolved();
  const s = await daemon.store<Doc>('user');
  await rejectsWith(s.set('user.email', 'not an email'), 'VALIDATION_FAILED');
});

test('conf "migrations - recovery from partial migration state": only migrations after the recorded version run', async () => {
  const doc = await evolvedDoc('partial');
  assert.equal(doc.step1, true);
  assert.equal(doc.step1_retry, undefined);
  assert.equal(doc.step2, undefined, '1.5.0 counts as done');
  assert.equal(doc.step3, true);
  assert.deepEqual(doc.runs, ['step1', 'step3']);
  assert.equal(await evolvedVersion('partial'), '2.0.0');
});

test('conf "migrations - file system edge cases" (read-only file): the migration commits anyway (atomic rename)', async () => {
  assert.deepEqual(await evolvedDoc('readonly'), { test: 'modified' });
  assert.deepEqual(readStoreFile(evolveBox.file('readonly')).doc, { test: 'modified' });
});

/** Writes `data` as `<name>.json`, as an older app or conf itself left it, and opens the coerce.ts module. */
async function openWithFile(box: Sandbox, name: string, data: Doc): Promise<StoreDaemon> {
  fs.writeFileSync(box.file(name), JSON.stringify(data, undefined, '\t'));
  return box.start(fixture('coerce'));
}

for (const [title, data, expected] of [
  ['conf "migrations - fix invalid schema data"', { myKey: 'true' }, { myKey: true }],
  ['conf "migrations - handle multiple schema violations"', { enabled: 'yes', count: '42' }, { enabled: true, count: 42 }],
  ['conf "migrations - validation should not prevent migrations from running"', { age: '25', active: 'true' }, { age: 25, active: true }],
  ['conf "migrations - schema-driven data coercion"', { port: '8080', enabled: 'true', count: '42' }, { port: 8080, enabled: true, count: 42 }],
] as const) {
  test(`${title}: a file that breaks the schema is migrated before it is validated`, async () => {
    const box = sandbox();
    const daemon = await openWithFile(box, 'coerce', data);
    assert.equal(daemon.failedStores.coerce, undefined);
    const s = await daemon.store<Doc>('coerce');
    assert.deepEqual(s.store, expected);
    assert.deepEqual((await s.info()).recovery.keptAside, [], 'the file was not treated as corrupt');
  });
}

test('conf "migrations - data structure transformation"', async () => {
  const box = sandbox();
  const daemon = await openWithFile(box, 'transform', { settings: 'key1=value1,key2=value2' });
  assert.deepEqual((await daemon.store<Doc>('transform')).get('settings'), { key1: 'value1', key2: 'value2' });
});

test('conf "migrations - data corruption recovery": corrupt JSON is kept aside, the migrations run on the rebuilt store', async () => {
  const box = sandbox();
  fs.writeFileSync(box.file('recover'), '{"test": "value", invalid json}');
  const daemon = await box.start(fixture('coerce'));
  const s = await daemon.store<Doc>('recover');
  assert.equal(s.get('recovered'), true);
  const { keptAside } = (await s.info()).recovery;
  assert.equal(keptAside.length, 1);
  assert.equal(fs.readFileSync(keptAside[0], 'utf8'), '{"test": "value", invalid json}');
});

test('conf "migrations - memory pressure with large datasets" (correctness only): a large object transformed', async () => {
  const box = sandbox();
  const largeData = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`item${i}`, {
    id: i, name: `Item ${i}`, metadata: Array.from({ length: 10 }, (_v, j) => ({ key: `field${j}`, value: `data-${i}-${j}` })),
  }]));
  const daemon = await openWithFile(box, 'large', { largeData });
  const s = await daemon.store<Doc>('large');
  assert.equal(s.has('largeData'), false);
  const transformed = s.get('transformedData') as Record<string, { id: number; processed: boolean }>;
  assert.equal(Object.keys(transformed).length, 2000);
  assert.ok(Object.keys(transformed).every((k) => k.startsWith('new_item')));
  assert.deepEqual(transformed.new_item1999, { ...largeData.item1999, processed: true });
});

test('conf "migrations - rollback on error": a migration that throws leaves the file as it was (MIGRATION_FAILED)', async () => {
  const box = sandbox();
  const originalData = { myKey: 'invalid' };
  fs.writeFileSync(box.file('config'), JSON.stringify(originalData, undefined, '\t'));
  const daemon = await box.start(fixture('throws'));
  const failure = daemon.failedStores.config;
  assert.equal(failure?.code, 'MIGRATION_FAILED');
  assert.match(failure.message, /Migration failed/);
  await rejectsWith(daemon.store('config'), 'MIGRATION_FAILED');
  assert.deepEqual(readStoreFile(box.file('config')).doc, originalData);
});

test('conf "migrations - error rollback behavior" / "atomic rollback on mid-migration failure" / "should rollback changes if a migration failed": all or nothing (README: differs from conf, which keeps 1.5.0)', async () => {
  const box = sandbox();
  await withModule(box, 'evolve-v1', async (daemon) => assert.deepEqual((await daemon.store<Doc>('fail')).store, { runs: ['initial'], initial: true }));
  const before = readStoreFile(box.file('fail'));
  await withModule(box, 'fail-v2', async (daemon) => {
    const failure = daemon.failedStores.fail;
    assert.equal(failure?.code, 'MIGRATION_FAILED');
    assert.match(failure.message, /Critical failure at v2\.0\.0/);
    const details = failure.details as { backupId: string; from: string; to: string };
    assert.equal(details.from, '1.0.0');
    assert.equal(details.to, '3.0.0');
  });
  const after = readStoreFile(box.file('fail'));
  assert.deepEqual(after.doc, before.doc, 'nothing of 1.5.0 or of the half-run 2.0.0 is kept (conf keeps 1.5.0)');
  assert.equal(after.internal?.migrations?.version, '1.0.0', 'the version is untouched (conf records 1.5.0)');
  // The previous version still opens its untouched data.
  assert.deepEqual(await docAfter(box, 'evolve-v1', 'fail'), { runs: ['initial'], initial: true });
});

test('conf "migrations - internal state preservation" / "should preserve internal data when store is overwritten / set to empty object": import() and clear() keep the migration version', async () => {
  const box = sandbox();
  await withModule(box, 'chain-v1', async (daemon) => {
    const s = await daemon.store<Doc>('chain');
    await s.import(JSON.stringify({ different: 'data', __internal__: { migrations: { version: '0.0.1' } } }));
    assert.deepEqual(s.store, { different: 'data' });
  });
  assert.equal(migrationVersion(box, 'chain'), '1.0.0', 'import() ignores `__internal__` and keeps the file\'s');
  assert.deepEqual(await docAfter(box, 'chain-v1', 'chain'), { different: 'data' }, 'so the migration does not run again');
  await withModule(box, 'chain-v1', async (daemon) => {
    const s = await daemon.store<Doc>('chain');
    await s.import('{}');
    await s.set('x', 1);
    await s.clear();
  });
  assert.equal(migrationVersion(box, 'chain'), '1.0.0');
  assert.deepEqual(await docAfter(box, 'chain-v1', 'chain'), {});
});

test('conf "migrations - concurrent modification detection": two daemons on one folder — one migrates, the other gets STORE_LOCKED', async () => {
  const box = sandbox();
  const [a, b] = await Promise.all([box.start(fixture('chain-v3')), box.start(fixture('chain-v3'))]);
  const failed = [a, b].filter((d) => d.failedStores.chain);
  assert.equal(failed.length, 1, 'exactly one daemon has the store');
  assert.equal(failed[0].failedStores.chain.code, 'STORE_LOCKED');
  const winner = failed[0] === a ? b : a;
  assert.deepEqual((await winner.store<Doc>('chain')).get('runs'), ['1.0.0', '1.5.0', '2.0.0', '3.0.0']);
  await winner.close();
  await failed[0].close();
  assert.deepEqual(await docAfter(box, 'chain-v3', 'chain'), { runs: ['1.0.0', '1.5.0', '2.0.0', '3.0.0'] }, 'migrated once');
});

test('conf "migrations - version normalization edge cases": pre-release and build metadata versions', async () => {
  const box = sandbox();
  await withModule(box, 'versions', async (daemon) => {
    assert.deepEqual(daemon.failedStores, {});
    for (const [i, version] of versions.entries()) {
      assert.equal((await daemon.store<Doc>(`version-${i}`)).get('version'), version);
    }
  });
  for (const [i, version] of versions.entries()) assert.equal(migrationVersion(box, `version-${i}`), version);
});
