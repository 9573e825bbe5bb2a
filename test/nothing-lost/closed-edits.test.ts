// Hand edits of a store file made while the app was closed (SPEC §6.8, §6.10): the daemon's mark tells its own file
// from the user's; an edit is applied on top of the daemon's own last state as one `external` write, a broken edit is
// rejected (the daemon's state stands, the text is kept aside), deleting the file is a reset to the defaults.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStoreDaemon, type MainStoreClient, type StoreDaemon, type StoreError } from '../../src/client-main/index.ts';
import { defineStore } from '../../src/index.ts';
import type { BackupInfo, HistoryEntry, StoreInfo } from '../../src/protocol/types.ts';
import { type Settings, settingsDef, startDaemon, tmpDir, untilRev, waitFor } from '../helpers.ts';

type Doc = Record<string, unknown>;
type Rejection = { store: string; keptAs: string; error: StoreError };

const fileOf = (cwd: string) => path.join(cwd, 'settings.json');
const DEFAULTS = { theme: 'auto', fontSize: 14 };

/** The file as the user sees it: the document and conf's `__internal__`. */
function readFile(cwd: string): { doc: Doc; internal: { migrations?: { version?: string }; storeDaemon?: { rev: number } } | undefined } {
  const { __internal__: internal, ...doc } = JSON.parse(fs.readFileSync(fileOf(cwd), 'utf8')) as Doc;
  return { doc, internal: internal as never };
}

/** Edits the file as a user would (parse, change, write back with an editor's 2-space indent); returns the text written. */
function handEdit(cwd: string, edit: (raw: Doc) => void): string {
  const raw = JSON.parse(fs.readFileSync(fileOf(cwd), 'utf8')) as Doc;
  edit(raw);
  const text = JSON.stringify(raw, undefined, 2);
  fs.writeFileSync(fileOf(cwd), text);
  return text;
}

const asideFiles = (cwd: string) => fs.readdirSync(cwd).filter((n) => /^settings\.(rejected|corrupt)-.+\.json$/.test(n));

/** Three writes (rev 3), then close(): the daemon's own checkpoint and its mark are on disk. */
async function seed(cwd: string): Promise<{ doc: Settings; rev: number }> {
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [settingsDef()] });
  const store = await daemon.store<Settings>('settings');
  await store.set('theme', 'dark');
  await store.set('k1', 1);
  await store.set('window', { width: 800 });
  const state = { doc: store.store, rev: store.rev };
  await daemon.close();
  assert.deepEqual(state, { doc: { theme: 'dark', fontSize: 14, k1: 1, window: { width: 800 } }, rev: 3 });
  return state;
}

interface Opened {
  daemon: StoreDaemon;
  store: MainStoreClient<Settings>;
  info: StoreInfo;
  history: HistoryEntry[];
  /** Every 'external-change-rejected' event, listened to right after startStoreDaemon() resolved. */
  rejections: Rejection[];
  /** With `expectRejection`: the first 'external-change-rejected' (emitted after the start resolved). */
  firstRejection?: Promise<Rejection>;
}

async function reopen(cwd: string, options: { expectRejection?: boolean } = {}): Promise<Opened> {
  const daemon = await startDaemon(cwd);
  // Right after the await: the events of the start are held for this turn.
  const rejections: Rejection[] = [];
  daemon.on('external-change-rejected', (r) => rejections.push(r));
  const firstRejection = options.expectRejection
    ? waitFor<Rejection>((done) => {
      daemon.on('external-change-rejected', done);
      return () => daemon.off('external-change-rejected', done);
    }, 'external-change-rejected')
    : undefined;
  firstRejection?.catch(() => {});
  const store = await daemon.store<Settings>('settings');
  return { daemon, store, info: await store.info(), history: await store.history(), rejections, firstRejection };
}

/** The third start, after the edit was handled: nothing to detect, nothing to rebuild. */
async function assertPlainOpen(cwd: string, doc: Doc, rev: number, lastHistory: HistoryEntry | undefined): Promise<Opened> {
  const again = await reopen(cwd);
  assert.deepEqual(again.store.store, doc, 'the second restart serves the same document');
  assert.equal(again.store.rev, rev, 'no new rev at the second restart');
  assert.equal(again.info.recovery.source, 'checkpoint', 'the second restart opens the checkpoint as it is');
  assert.equal(again.info.recovery.replayed, 0);
  assert.deepEqual(again.info.recovery.problems, [], 'no edit detected again');
  assert.deepEqual(again.history.at(-1), lastHistory);
  assert.deepEqual(again.rejections, []);
  return again;
}

interface Accepted {
  name: string;
  edit(raw: Doc): void;
  doc: Doc;
  ops: HistoryEntry['ops'];
}

const accepted: Accepted[] = [
  {
    name: 'a value changed',
    edit: (raw) => { raw.fontSize = 20; },
    doc: { theme: 'dark', fontSize: 20, k1: 1, window: { width: 800 } },
    ops: [{ op: 'replace', path: '/fontSize', value: 20 }],
  },
  {
    name: 'a key added',
    edit: (raw) => { raw.tags = ['work', 'home']; },
    doc: { theme: 'dark', fontSize: 14, k1: 1, window: { width: 800 }, tags: ['work', 'home'] },
    ops: [{ op: 'add', path: '/tags', value: ['work', 'home'] }],
  },
  {
    name: 'a key removed',
    edit: (raw) => { delete raw.window; },
    doc: { theme: 'dark', fontSize: 14, k1: 1 },
    ops: [{ op: 'remove', path: '/window' }],
  },
  {
    // Without its rev the file must not be taken for a rev-0 checkpoint with the journal replayed over it (which would
    // put theme back to 'dark'): it is the user's document.
    name: '__internal__ removed entirely (and a value changed)',
    edit: (raw) => {
      delete raw.__internal__;
      raw.theme = 'light';
    },
    doc: { theme: 'light', fontSize: 14, k1: 1, window: { width: 800 } },
    ops: [{ op: 'replace', path: '/theme', value: 'light' }],
  },
  {
    name: 'the whole file replaced by a different valid document',
    edit: (raw) => {
      for (const key of Object.keys(raw)) delete raw[key];
      Object.assign(raw, { fontSize: 30, theme: 'light', tags: ['a'], notes: { pinned: true } });
    },
    doc: { fontSize: 30, theme: 'light', tags: ['a'], notes: { pinned: true } },
    ops: [
      { op: 'remove', path: '/k1' },
      { op: 'remove', path: '/window' },
      { op: 'replace', path: '/fontSize', value: 30 },
      { op: 'replace', path: '/theme', value: 'light' },
      { op: 'add', path: '/tags', value: ['a'] },
      { op: 'add', path: '/notes', value: { pinned: true } },
    ],
  },
];

const byPath = (ops: HistoryEntry['ops']) => [...ops].sort((a, b) => a.path.localeCompare(b.path));

for (const c of accepted) {
  test(`closed edit, ${c.name}: applied on top of the daemon's state as one external write, undoable; the next start is plain`, async () => {
    const cwd = tmpDir();
    const before = await seed(cwd);
    handEdit(cwd, c.edit);

    const { daemon, store, info, history, rejections } = await reopen(cwd);
    assert.deepEqual(store.store, c.doc, 'the document is exactly the edited one');
    assert.equal(store.rev, before.rev + 1, 'one new rev');
    const last = history.at(-1)!;
    assert.equal(last.rev, before.rev + 1);
    assert.equal(last.source, 'external');
    assert.deepEqual(byPath(last.ops), byPath(c.ops));
    assert.match(info.recovery.problems.join('\n'), /settings\.json was edited while the app was closed: the edit is applied on top of the daemon's own last state/);
    assert.deepEqual(info.recovery.keptAside, []);
    assert.deepEqual(asideFiles(cwd), [], 'nothing kept aside: the edit was taken');
    assert.deepEqual(rejections, []);
    // The file is the daemon's again, with the edit in it and the new rev.
    const onDisk = readFile(cwd);
    assert.deepEqual(onDisk.doc, c.doc);
    assert.equal(onDisk.internal?.storeDaemon?.rev, before.rev + 1);
    await daemon.close();

    const again = await assertPlainOpen(cwd, c.doc, before.rev + 1, last);
    // Undoable like any write: rollback to the rev before the edit.
    assert.deepEqual(await again.store.rollback({ rev: before.rev }), { rev: before.rev + 2 });
    assert.deepEqual(again.store.store, before.doc);
  });
}

test('closed edit that only reformats the file (same document): no new rev, no history entry; the file is the daemon\'s again', async () => {
  const cwd = tmpDir();
  const before = await seed(cwd);
  const seeded = await reopen(cwd);
  await seeded.daemon.close();
  handEdit(cwd, () => {});
  const { daemon, store, history, rejections } = await reopen(cwd);
  assert.deepEqual(store.store, before.doc);
  assert.equal(store.rev, before.rev);
  assert.deepEqual(history, seeded.history);
  assert.deepEqual(rejections, []);
  assert.equal(readFile(cwd).internal?.storeDaemon?.rev, before.rev);
  await daemon.close();
  await assertPlainOpen(cwd, before.doc, before.rev, seeded.history.at(-1));
});

interface Rejected {
  name: string;
  /** Writes the broken file; returns its text. */
  edit(cwd: string): string;
  kept: RegExp;
  problem: RegExp;
  /** Whether info().recovery.keptAside lists the file kept aside. */
  inKeptAside: boolean;
}

const rejected: Rejected[] = [
  {
    name: 'made invalid JSON',
    edit: (cwd) => {
      const text = fs.readFileSync(fileOf(cwd), 'utf8').replace('"theme": "dark"', '"theme": "light",,');
      fs.writeFileSync(fileOf(cwd), text);
      return text;
    },
    kept: /^settings\.corrupt-.+\.json$/,
    problem: /checkpoint settings\.json was unusable: it is not valid JSON/,
    inKeptAside: true,
  },
  {
    name: 'made schema-invalid',
    edit: (cwd) => handEdit(cwd, (raw) => {
      raw.fontSize = 'huge';
      raw.theme = 'light';
    }),
    kept: /^settings\.rejected-.+\.json$/,
    problem: /a hand edit of settings\.json was rejected \(.*fontSize.*\); its text is kept as .*settings\.rejected-/,
    inKeptAside: false,
  },
];

for (const c of rejected) {
  test(`closed edit, file ${c.name}: rejected, the daemon's state stands and is written back, the text kept aside, main told`, async () => {
    const cwd = tmpDir();
    const before = await seed(cwd);
    const seededHistory = await (async () => {
      // The history as it was before the edit (read from a plain open, then closed again).
      const plain = await reopen(cwd);
      const h = plain.history;
      await plain.daemon.close();
      return h;
    })();
    const text = c.edit(cwd);

    const { daemon, store, info, history, rejections, firstRejection } = await reopen(cwd, { expectRejection: true });
    const event = await firstRejection!;
    assert.deepEqual(rejections, [event], 'one event');
    assert.equal(event.store, 'settings');
    assert.equal(event.error.code, 'VALIDATION_FAILED');
    assert.equal(event.error.name, 'StoreError');
    assert.match(path.basename(event.keptAs), c.kept);
    assert.equal(fs.readFileSync(event.keptAs, 'utf8'), text, 'the rejected text is kept byte for byte');
    assert.deepEqual(asideFiles(cwd), [path.basename(event.keptAs)]);

    assert.deepEqual(store.store, before.doc, "the daemon's state stands");
    assert.equal(store.rev, before.rev, 'no new rev');
    assert.deepEqual(history, seededHistory, 'no new history entry');
    assert.notEqual(history.at(-1)?.source, 'external');
    assert.match(info.recovery.problems.join('\n'), c.problem);
    if (c.inKeptAside) assert.deepEqual(info.recovery.keptAside, [event.keptAs]);
    // The file holds the daemon's state again.
    const onDisk = readFile(cwd);
    assert.deepEqual(onDisk.doc, before.doc);
    assert.equal(onDisk.internal?.storeDaemon?.rev, before.rev);
    await daemon.close();

    await assertPlainOpen(cwd, before.doc, before.rev, history.at(-1));
    assert.deepEqual(asideFiles(cwd), [path.basename(event.keptAs)], 'the evidence stays');
  });
}

test('a rejected closed edit: its text, kept aside as settings.rejected-<time>.json, is listed in info().recovery.keptAside like a corrupt copy', async () => {
  const cwd = tmpDir();
  await seed(cwd);
  handEdit(cwd, (raw) => { raw.fontSize = 'huge'; });
  const { info, firstRejection } = await reopen(cwd, { expectRejection: true });
  const event = await firstRejection!;
  assert.deepEqual(info.recovery.keptAside, [event.keptAs]);
});

test('closed edit, file deleted: a reset to the defaults as one external write, a before-reset backup first, undoable; the next start is plain', async () => {
  const cwd = tmpDir();
  const before = await seed(cwd);
  fs.rmSync(fileOf(cwd));

  const { daemon, store, info, history, rejections } = await reopen(cwd);
  assert.deepEqual(store.store, DEFAULTS);
  assert.equal(store.rev, before.rev + 1);
  const last = history.at(-1)!;
  assert.equal(last.rev, before.rev + 1);
  assert.equal(last.source, 'external');
  assert.deepEqual(byPath(last.ops), byPath([
    { op: 'remove', path: '/k1' },
    { op: 'remove', path: '/window' },
    { op: 'replace', path: '/theme', value: 'auto' },
  ]));
  assert.match(info.recovery.problems.join('\n'), /settings\.json was deleted while the app was closed: the store is reset to its defaults/);
  assert.deepEqual(rejections, []);
  const backup = (await store.backups.list()).find((b) => b.reason === 'before-reset') as BackupInfo;
  assert.ok(backup, 'a before-reset backup was taken');
  assert.equal(backup.rev, before.rev);
  const { __internal__: _i, ...backedUp } = JSON.parse(fs.readFileSync(path.join(cwd, 'backups', 'settings', `${backup.id}.json`), 'utf8')) as Doc;
  assert.deepEqual(backedUp, before.doc, 'the backup holds the state before the reset');
  const onDisk = readFile(cwd);
  assert.deepEqual(onDisk.doc, DEFAULTS, 'the file is written again');
  assert.equal(onDisk.internal?.storeDaemon?.rev, before.rev + 1);
  await daemon.close();

  const again = await assertPlainOpen(cwd, DEFAULTS, before.rev + 1, last);
  assert.deepEqual(await again.store.rollback({ rev: before.rev }), { rev: before.rev + 2 });
  assert.deepEqual(again.store.store, before.doc);
});

test('a crash before the first checkpoint: the file never existed (no mark), and the store is rebuilt from the journal', async () => {
  const cwd = tmpDir();
  // Empty defaults: nothing to write at open; no checkpoint by count or idle time before the kill.
  const def = defineStore<Doc>({ name: 'settings' });
  const tuning = { checkpointRecords: 1e9, checkpointIdleMs: 1e9 };
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: [def], restart: { maxRestarts: 0 }, tuning });
  daemon.on('error', () => {});
  const store = await daemon.store<Doc>('settings');
  const acked: Array<[string, number]> = [];
  for (let i = 1; i <= 12; i++) {
    assert.deepEqual(await store.set(`k${i}`, i), { rev: i });
    acked.push([`k${i}`, i]);
  }
  const exited = new Promise<void>((resolve) => daemon.on('exit', () => resolve()));
  daemon.kill();
  await exited;
  assert.equal(fs.existsSync(fileOf(cwd)), false, 'no checkpoint was ever written');
  assert.equal(fs.existsSync(path.join(cwd, 'storeHistory', '.marks', 'settings.json')), false, 'no mark: the daemon never wrote the file');

  const reopened = await startStoreDaemon({ cwd, host: 'worker', stores: [def], tuning });
  after(() => reopened.close());
  const rejections: Rejection[] = [];
  reopened.on('external-change-rejected', (r) => rejections.push(r));
  const s = await reopened.store<Doc>('settings');
  assert.deepEqual(s.store, Object.fromEntries(acked), 'every acknowledged write is there');
  assert.equal(s.rev, 12);
  const info = await s.info();
  assert.notEqual(info.recovery.source, 'defaults');
  assert.equal(info.recovery.lostRevs, undefined);
  assert.match(info.recovery.problems.join('\n'), /checkpoint settings\.json is missing although the store has a journal/);
  assert.doesNotMatch(info.recovery.problems.join('\n'), /deleted while the app was closed/, 'not taken for a deletion (no reset)');
  assert.notEqual((await s.history()).at(-1)?.source, 'external');
  assert.deepEqual(rejections, []);
  assert.deepEqual((await s.backups.list()).filter((b) => b.reason === 'before-reset'), []);
});

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

/** A store whose migration counts its runs; the first start migrates (migrationRuns 1). */
async function seedCounted(cwd: string): Promise<{ doc: Doc; rev: number }> {
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: fixture('stores-counted') });
  const s = await daemon.store<Doc>('settings');
  assert.equal(s.get('migrationRuns'), 1, 'the first start ran the migration once');
  await s.set('theme', 'dark');
  const state = { doc: s.store, rev: s.rev };
  await daemon.close();
  assert.equal(readFile(cwd).internal?.migrations?.version, '2.0.0');
  return state;
}

async function reopenCounted(cwd: string) {
  const daemon = await startStoreDaemon({ cwd, host: 'worker', stores: fixture('stores-counted') });
  after(() => daemon.close());
  assert.deepEqual(Object.keys(daemon.failedStores), []);
  const s = await daemon.store<Doc>('settings');
  return { daemon, s, info: await s.info(), history: await s.history() };
}

test("conf's migration version is the file's: an edit keeping __internal__.migrations.version but not storeDaemon reruns no migration; the user's value stands", async () => {
  const cwd = tmpDir();
  const before = await seedCounted(cwd);
  handEdit(cwd, (raw) => {
    const internal = raw.__internal__ as Doc;
    delete internal.storeDaemon;
    assert.deepEqual(internal, { migrations: { version: '2.0.0' } });
    raw.fontSize = 22;
  });

  const { daemon, s, info, history } = await reopenCounted(cwd);
  assert.deepEqual(s.store, { ...before.doc, fontSize: 22 });
  assert.equal(s.get('migrationRuns'), 1, 'the migration did not run again');
  assert.equal(s.rev, before.rev + 1);
  assert.equal(history.at(-1)?.source, 'external');
  assert.deepEqual(history.at(-1)?.ops, [{ op: 'replace', path: '/fontSize', value: 22 }]);
  assert.equal(history.filter((e) => e.source === 'migration').length, 1);
  assert.match(info.recovery.problems.join('\n'), /edited while the app was closed/);
  assert.equal(readFile(cwd).internal?.migrations?.version, '2.0.0');
  assert.deepEqual((await s.backups.list()).filter((b) => b.reason === 'before-migration').length, 1, 'no second migration backup');
  await daemon.close();
  assert.equal(readFile(cwd).internal?.migrations?.version, '2.0.0');
});

test('__internal__ removed entirely from a migrated store: the data is the user\'s, the migration does not rerun', async () => {
  const cwd = tmpDir();
  const before = await seedCounted(cwd);
  handEdit(cwd, (raw) => {
    delete raw.__internal__;
    raw.theme = 'light';
  });

  const { daemon, s, history } = await reopenCounted(cwd);
  assert.deepEqual(s.store, { ...before.doc, theme: 'light' }, "the user's document, not the journal replayed over it");
  assert.equal(s.get('migrationRuns'), 1, 'the migration did not run again');
  assert.equal(s.rev, before.rev + 1);
  assert.equal(history.at(-1)?.source, 'external');
  assert.equal(history.filter((e) => e.source === 'migration').length, 1);
  assert.equal(readFile(cwd).internal?.migrations?.version, '2.0.0', 'the daemon wrote its migration version back');
  await daemon.close();

  const again = await reopenCounted(cwd);
  assert.deepEqual(again.s.store, { ...before.doc, theme: 'light' });
  assert.equal(again.s.rev, before.rev + 1);
  assert.deepEqual(again.info.recovery.problems, []);
});

test('a file naming an older migration version: that version is the file\'s, so the migration runs again on the edited data', async () => {
  const cwd = tmpDir();
  const before = await seedCounted(cwd);
  handEdit(cwd, (raw) => {
    (raw.__internal__ as { migrations: { version: string } }).migrations.version = '1.0.0';
  });

  const { s, history } = await reopenCounted(cwd);
  assert.equal(s.get('migrationRuns'), 2, 'the file said 1.0.0: the 2.0.0 migration ran again');
  assert.equal(s.get('theme'), before.doc.theme);
  // The version-only change is an external write of its own (no document ops, so history() does not list it); then
  // the migration, as one `migration` write.
  assert.equal(s.rev, before.rev + 2);
  assert.deepEqual(history.at(-1)?.source, 'migration');
  assert.equal(history.at(-1)?.rev, before.rev + 2);
  assert.deepEqual(history.at(-1)?.ops, [{ op: 'replace', path: '/migrationRuns', value: 2 }]);
  assert.equal(readFile(cwd).internal?.migrations?.version, '2.0.0');
});

test('live: deleting the file while the daemon runs resets the store to its defaults, after a before-reset backup', async () => {
  const cwd = tmpDir();
  // No checkpoint of its own races the deletion: the file stays as written at open until the reset rewrites it.
  const daemon = await startDaemon(cwd, { tuning: { checkpointRecords: 1e9, checkpointIdleMs: 1e9 } });
  const store = await daemon.store<Settings>('settings');
  await store.set('theme', 'dark');
  await store.set('window', { width: 640 });
  const before = { doc: store.store, rev: store.rev };
  assert.equal(before.rev, 2);

  fs.rmSync(fileOf(cwd));
  await untilRev(store, before.rev + 1);
  assert.equal(store.rev, before.rev + 1);
  assert.deepEqual(store.store, DEFAULTS);
  const last = (await store.history()).at(-1)!;
  assert.equal(last.source, 'external');
  assert.deepEqual(byPath(last.ops), byPath([{ op: 'remove', path: '/window' }, { op: 'replace', path: '/theme', value: 'auto' }]));
  const backup = (await store.backups.list()).find((b) => b.reason === 'before-reset') as BackupInfo;
  assert.ok(backup, 'a before-reset backup was taken');
  assert.equal(backup.rev, before.rev);
  const { __internal__: _i, ...backedUp } = JSON.parse(fs.readFileSync(path.join(cwd, 'backups', 'settings', `${backup.id}.json`), 'utf8')) as Doc;
  assert.deepEqual(backedUp, before.doc);

  // The store goes on: the next write is the next rev, and it lands in the file.
  assert.deepEqual(await store.set('fontSize', 16), { rev: before.rev + 2 });
  assert.deepEqual(await store.rollback({ rev: before.rev }), { rev: before.rev + 3 });
  assert.deepEqual(store.store, before.doc, 'the reset is undoable');
  await daemon.close();
  assert.deepEqual(readFile(cwd).doc, before.doc);
});
