/**
 * Windows are untrusted: attacks through real ports from daemon.createPort(policy), asserting the attacker learns
 * nothing, changes nothing, gets a typed error, and the other clients keep working.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { ClientConnection } from '../src/client/connection.ts';
import { connectStore } from '../src/client-renderer/index.ts';
import { defineStore } from '../src/index.ts';
import { adaptPort } from '../src/protocol/endpoint.ts';
import { MAX_UNSEEN_EVENTS } from '../src/daemon/event-flow.ts';
import { rejectsWith, settingsDef, startDaemon, tmpDir, untilRev } from './helpers.ts';

interface Profile {
  name?: string;
  pin?: string;
  notes?: string[];
  list?: unknown[];
  [key: string]: unknown;
}

const profileDef = (extra: Partial<Parameters<typeof defineStore<Profile>>[0]> = {}) => defineStore<Profile>({ name: 'profile', ...extra });

test('admin is not a bypass: rollback, restore, import and clear need write access to every path they change', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set({ name: 'ada', pin: '1234' });
  const backup = await main.backups.create('known');
  await main.set('pin', '9999');
  const before = main.store;
  const rev = main.rev;
  // An admin window that may write only `name`.
  const win = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { write: ['name'] } }, admin: true }) });
  await rejectsWith(win.rollback({ rev: 1 }), 'PERMISSION_DENIED');
  await rejectsWith(win.backups.restore(backup.id), 'PERMISSION_DENIED');
  await rejectsWith(win.clear(), 'PERMISSION_DENIED');
  await rejectsWith(win.import(JSON.stringify({ name: 'eve', pin: '0000' })), 'PERMISSION_DENIED');
  assert.equal(main.rev, rev, 'nothing committed');
  assert.deepEqual(main.store, before);
  // What it may write, it still may: and a rollback touching only that is allowed.
  await win.set('name', 'grace');
  await win.rollback({ rev });
  await untilRev(main, rev + 2);
  assert.equal(main.get('name'), 'ada');
});

test('backups a window creates rotate among themselves and never evict the automatic or main-created ones', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef({ backups: { max: 3 } })] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set('name', 'ada');
  const mine = [await main.backups.create('main-1'), await main.backups.create('main-2')];
  const win = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: '*' }) });
  for (let i = 0; i < 8; i++) await win.backups.create(`spam-${i}`);
  const ids = (await main.backups.list()).map((b) => b.id);
  for (const b of mine) assert.ok(ids.includes(b.id), `${b.reason} survived`);
  assert.ok((await main.backups.list()).some((b) => b.reason === 'start'), 'the start-up backup survived');
  assert.equal((await main.backups.list()).filter((b) => b.by === 'client').length, 3, 'the window keeps at most max of its own');
});

test('hidden means invisible: info(), backups.list/create/verify expose nothing derived from a hidden value', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  const win = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { hidden: ['pin'] } } }) });
  const views = [];
  for (const pin of ['1', '123456789012345678901234567890']) {
    await main.set({ name: 'ada', pin });
    await untilRev(win, main.rev);
    const info = await win.info();
    const created = await win.backups.create('probe');
    const listed = (await win.backups.list()).find((b) => b.id === created.id)!;
    views.push({ bytes: info.bytes, keys: info.keys, journalBytes: info.journal.bytes, problems: info.recovery.problems, created, listed, verify: await win.backups.verify(created.id) });
  }
  assert.equal(views[0].bytes, views[1].bytes, 'bytes do not move when only the hidden value changes');
  assert.equal(views[0].keys, views[1].keys);
  assert.equal(views[0].journalBytes, views[1].journalBytes);
  for (const v of views) {
    assert.equal(v.created.sha256, undefined, 'no digest: an offline oracle for a short PIN');
    assert.equal(v.created.bytes, undefined);
    assert.equal(v.listed.sha256, undefined);
    assert.equal(v.listed.bytes, undefined);
    assert.deepEqual(v.verify, { ok: true, problems: [] });
  }
  // Main (unfiltered) still gets everything.
  const full = await main.info();
  assert.ok(full.bytes > views[1].bytes);
  assert.ok((await main.backups.list())[0].sha256);
});

test('quota accounting is exact: 20,000 add/remove pairs cannot drive it below zero, and escaped keys are counted in full', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef({ maxBytes: 2000 })] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set('list', []);
  const ops: Array<Promise<{ rev: number }>> = [];
  for (let i = 0; i < 20_000; i++) {
    ops.push(main.patch([{ op: 'add', path: '/list/-', value: 1 }]));
    ops.push(main.patch([{ op: 'remove', path: '/list/0' }]));
  }
  await Promise.all(ops);
  const exact = (doc: unknown) => Buffer.byteLength(JSON.stringify(doc));
  assert.equal((await main.info()).bytes, exact(main.store));
  await rejectsWith(main.set('big', 'x'.repeat(3000)), 'QUOTA_EXCEEDED');
  // Keys JSON escapes take more bytes than characters: the quota sees the bytes.
  const key = '"\\\n'.repeat(100);
  await rejectsWith(main.set({ [key.replaceAll('.', '\\.')]: 'x'.repeat(1500) }), 'QUOTA_EXCEEDED');
  await main.set('ok', 'small');
  assert.equal((await main.info()).bytes, exact(main.store));
});

test('a value alone over maxBytes is refused before it is built and validated (QUOTA_EXCEEDED, nothing written)', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef({ maxBytes: 10_000 })] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  const win = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: '*' }) });
  const huge: Record<string, number> = {};
  // Under the gate's count of values (it would refuse it itself), far over this store's maxBytes.
  for (let i = 0; i < 50_000; i++) huge[`k${i}`] = i;
  const rev = main.rev;
  const e = await rejectsWith(win.set('huge', huge), 'QUOTA_EXCEEDED');
  assert.match(e.message, /maxBytes/);
  assert.equal(main.rev, rev);
  await win.set('name', 'still works');
});

test('keys and values at the edges: empty pointer segments are INVALID_KEY, deep values NOT_SERIALIZABLE before posting', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef()] });
  t.after(() => daemon.close());
  const win = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: '*' }) });
  await win.set('free', { a: 1 });
  const rev = win.rev;
  await rejectsWith(win.patch([{ op: 'add', path: '/free/', value: 1 }]), 'INVALID_KEY');
  await rejectsWith(win.patch([{ op: 'add', path: '/', value: 1 }]), 'INVALID_KEY');
  await rejectsWith(win.patch([{ op: 'add', path: '/a//b', value: 1 }]), 'INVALID_KEY');
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  const e = await rejectsWith(win.set('deep', deep as never), 'NOT_SERIALIZABLE');
  assert.match(e.message, /nested more than 1000 levels/);
  // The daemon checks too (a raw request that skips the client's checks).
  const raw = new ClientConnection(daemon.createPort({ stores: '*' }));
  t.after(() => raw.close());
  let deepish: unknown = 1;
  for (let i = 0; i < 1500; i++) deepish = [deepish];
  await rejectsWith(raw.call('write', 'profile', { kind: 'set', key: 'deep', value: deepish }), 'NOT_SERIALIZABLE');
  await rejectsWith(raw.call('write', 'profile', { kind: 'patch', ops: [{ op: 'add', path: '/free/', value: 1 }] }), 'INVALID_KEY');
  assert.equal(win.rev, rev, 'nothing written');
});

test('nothing hangs: a request the other side never answers rejects with TIMEOUT at the client deadline', async () => {
  // A peer that greets and then answers nothing more (a daemon that cannot decode the request, or is stuck).
  const { port1, port2 } = new MessageChannel();
  port2.on('message', (m: { ch?: string; m?: { id?: string; path?: string[] } }) => {
    if (m?.ch === 'rpc' && m.m?.path?.[0] === 'hello') {
      port2.postMessage({ ch: 'rpc', m: { id: m.m.id, type: 'RAW', value: { ok: true, value: { protocol: 1, clientId: 'x', stores: [] } } } });
    }
  });
  const conn = new ClientConnection(port1, { requestTimeoutMs: 300 });
  await conn.ready();
  const e = await rejectsWith(conn.call('info', 'profile'), 'TIMEOUT');
  assert.match(e.message, /did not answer within 300 ms/);
  conn.close();
  port2.close();
});

test("files of one store are never another's: store 'a' never deletes the checkpoint of a store named 'a.json.tmp-1'", async (t) => {
  const cwd = tmpDir();
  const a = defineStore<Profile>({ name: 'a' });
  const other = defineStore<Profile>({ name: 'a.json.tmp-1' });
  const first = await startDaemon(cwd, { stores: [a, other] });
  await (await first.store<Profile>('a.json.tmp-1')).set('name', 'kept');
  await first.close();
  const second = await startDaemon(cwd, { stores: [a, other] });
  t.after(() => second.close());
  assert.ok(fs.existsSync(path.join(cwd, 'a.json.tmp-1.json')));
  assert.equal((await second.store<Profile>('a.json.tmp-1')).get('name'), 'kept');
});

test('a flood of hidden-path probes and bad requests from one window leaves another client working and learning nothing', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef(), settingsDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set({ name: 'ada', pin: '4321' });
  const attacker = new ClientConnection(daemon.createPort({ stores: { profile: { hidden: ['pin'], write: ['name'] } } }));
  t.after(() => attacker.close());
  await attacker.ready();
  const answers = await Promise.allSettled([
    attacker.call('write', 'profile', { kind: 'set', key: 'pin.x', value: 1 }),
    attacker.call('write', 'profile', { kind: 'delete', key: 'pin' }),
    attacker.call('write', 'profile', { kind: 'patch', ops: [{ op: 'test', path: '/pin', value: '4321' }] }),
    attacker.call('write', 'profile', { kind: 'patch', ops: [{ op: 'copy', from: '/pin', path: '/name' }] }),
    attacker.call('write', 'profile', { kind: 'patch', ops: [{ op: 'move', from: '/pin', path: '/name' }] }),
    attacker.call('history', 'profile', { key: 'pin' }),
  ]);
  for (const a of answers.slice(0, 5)) assert.equal(a.status === 'rejected' && (a.reason as { code: string }).code, 'PERMISSION_DENIED');
  const history = answers[5];
  assert.equal(history.status, 'fulfilled');
  assert.ok(!JSON.stringify((history as PromiseFulfilledResult<unknown>).value).includes('4321'));
  assert.equal(main.get('pin'), '4321');
  assert.deepEqual(await main.set('name', 'grace'), { rev: main.rev });
});

interface Vault {
  ai?: { apiKey?: string; model?: string };
  'api.key'?: string;
  other?: string;
  [key: string]: unknown;
}

const key = (n: number) => new Uint8Array(32).fill(n);

test('encryptedKeys are parsed as keys: `api\\\\.key` is the one key "api.key", sealed on disk and hidden from windows', async (t) => {
  const cwd = tmpDir();
  const vault = defineStore<Vault>({ name: 'vault', encryptedKeys: ['api\\.key'] });
  const daemon = await startDaemon(cwd, { stores: [vault], encryptionKey: key(3) });
  const main = await daemon.store<Vault>('vault');
  await main.set('api\\.key' as never, 'sk-dotted' as never);
  const win = await connectStore<Vault>('vault', { port: daemon.createPort({ stores: '*' }) });
  assert.deepEqual(win.store, {});
  await daemon.close();
  for (const file of [path.join(cwd, 'vault.json'), ...fs.readdirSync(path.join(cwd, 'storeHistory', 'vault')).map((f) => path.join(cwd, 'storeHistory', 'vault', f))]) {
    assert.ok(!fs.readFileSync(file, 'utf8').includes('sk-dotted'), `${path.basename(file)} holds no plaintext`);
  }
  t.after(() => {});
});

test('an encrypted key is visible to a window only when a read pattern names it, never through an ancestor', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [defineStore<Vault>({ name: 'vault', encryptedKeys: ['ai.apiKey'] })], encryptionKey: key(4) });
  t.after(() => daemon.close());
  const main = await daemon.store<Vault>('vault');
  await main.set('ai', { apiKey: 'sk-1', model: 'm' });
  const ancestor = await connectStore<Vault>('vault', { port: daemon.createPort({ stores: { vault: { read: ['ai'] } } }) });
  assert.deepEqual(ancestor.store, { ai: { model: 'm' } });
  const named = await connectStore<Vault>('vault', { port: daemon.createPort({ stores: { vault: { read: ['ai.apiKey'] } } }) });
  assert.deepEqual(named.store, { ai: { apiKey: 'sk-1' } });
});

test('a wrong key never opens a store, on any path: with a damaged checkpoint it refuses instead of "recovering", and the right key still opens everything', async () => {
  const cwd = tmpDir();
  const def = defineStore<Vault>({ name: 'vault', encryptedKeys: ['ai.apiKey'] });
  const first = await startDaemon(cwd, { stores: [def], encryptionKey: key(5) });
  const main = await first.store<Vault>('vault');
  for (let i = 0; i < 5; i++) await main.set('ai', { apiKey: `sk-${i}`, model: 'm' });
  await main.backups.create('old');
  await main.set('other', 'after the backup');
  await first.close();
  const segments = () => fs.readdirSync(path.join(cwd, 'storeHistory', 'vault')).sort();
  const journalBefore = segments();
  fs.writeFileSync(path.join(cwd, 'vault.json'), '{"damaged');
  const wrong = await startDaemon(cwd, { stores: [def], encryptionKey: key(6) });
  assert.equal(wrong.failedStores.vault?.code, 'IO_FAILED');
  assert.match(wrong.failedStores.vault.message, /another encryptionKey/);
  await wrong.close();
  assert.deepEqual(segments(), journalBefore, 'the journal was not moved aside');
  const right = await startDaemon(cwd, { stores: [def], encryptionKey: key(5) });
  const again = await right.store<Vault>('vault');
  assert.deepEqual(again.store, { ai: { apiKey: 'sk-4', model: 'm' }, other: 'after the backup' });
  await right.close();
});

test('a value at an encrypted path that is not valid ciphertext of this store and path is damage, never plaintext', async () => {
  const cwd = tmpDir();
  const def = defineStore<Vault>({ name: 'vault', encryptedKeys: ['ai.apiKey', 'other'] });
  const first = await startDaemon(cwd, { stores: [def], encryptionKey: key(7) });
  const main = await first.store<Vault>('vault');
  await main.set({ ai: { apiKey: 'sk-real', model: 'm' }, other: 'o' });
  await main.backups.create('good');
  await first.close();
  const file = path.join(cwd, 'vault.json');
  // Moved between paths: the ciphertext of `other` put at ai.apiKey (GCM associated data binds it to its path).
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { ai: { apiKey: string }; other: string };
  raw.ai.apiKey = raw.other;
  fs.writeFileSync(file, JSON.stringify(raw));
  const reopened = await startDaemon(cwd, { stores: [def], encryptionKey: key(7) });
  const store = await reopened.store<Vault>('vault');
  assert.equal(store.get('ai.apiKey'), 'sk-real', 'rebuilt from the backup, not the moved value');
  assert.match((await store.info()).recovery.problems.join('\n'), /does not open/);
  await reopened.close();
  // A changed format prefix is not "plaintext" either.
  const raw2 = JSON.parse(fs.readFileSync(file, 'utf8')) as { ai: { apiKey: string } };
  raw2.ai.apiKey = raw2.ai.apiKey.replace('esd:aes-256-gcm:v2:', 'esd:aes-256-gcm:v9:');
  fs.writeFileSync(file, JSON.stringify(raw2));
  const third = await startDaemon(cwd, { stores: [def], encryptionKey: key(7) });
  const s3 = await third.store<Vault>('vault');
  assert.equal(s3.get('ai.apiKey'), 'sk-real');
  await third.close();
});

test('array elements are not security units: a pattern reaching into an array applies to the array whole', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set({ list: [{ secret: 's0', v: 0 }, { v: 1 }], notes: ['a', 'b'], name: 'ada' });
  // A hidden pattern into an array hides the whole array: remove /list/0 can no longer move a hidden element into view.
  const hider = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { hidden: ['list.0.secret'] } } }) });
  assert.deepEqual(hider.store, { notes: ['a', 'b'], name: 'ada' });
  await rejectsWith(hider.patch([{ op: 'remove', path: '/list/0' }]), 'PERMISSION_DENIED');
  await main.patch([{ op: 'remove', path: '/list/0' }]);
  await untilRev(hider, main.rev);
  assert.equal(hider.get('list'), undefined, 'the array stays hidden after its elements shift');
  assert.ok(!JSON.stringify(await hider.history({ sinceRev: 0 })).includes('s0'));
  // A write pattern into an array grants nothing inside it: add /notes/0 would shift (rewrite) protected elements.
  const writer = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { write: ['notes.1'] } } }) });
  const rev = main.rev;
  await rejectsWith(writer.patch([{ op: 'add', path: '/notes/0', value: 'x' }]), 'PERMISSION_DENIED');
  await rejectsWith(writer.set('notes.1', 'B'), 'PERMISSION_DENIED');
  // Authorization comes before any range check: an out-of-range index tells nothing about the array's length.
  const far = await rejectsWith(writer.set('notes.99', 'x'), 'PERMISSION_DENIED');
  const near = await rejectsWith(writer.set('notes.2', 'x'), 'PERMISSION_DENIED');
  assert.equal(far.code, near.code);
  assert.equal(main.rev, rev);
  // A read pattern into an array grants none of it; naming the array grants it whole.
  const partial = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { read: ['notes.0', 'name'] } } }) });
  assert.deepEqual(partial.store, { name: 'ada' });
  const whole = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { read: ['notes'] } } }) });
  assert.deepEqual(whole.store, { notes: ['a', 'b'] });
});

test('no client can stall the others: a request flood is refused cheaply (RATE_LIMITED) while main keeps writing; snapshots are shared per rev; history pages are capped', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  for (let i = 0; i < 1200; i++) await main.set('name', `n${i}`);
  const flooder = new ClientConnection(daemon.createPort({ stores: '*', maxRequestsPerSecond: 100 }));
  t.after(() => flooder.close());
  await flooder.ready();
  const flood = Array.from({ length: 300 }, () => flooder.call('snapshot', 'profile'));
  const writes = Array.from({ length: 20 }, (_, i) => main.set('other', i));
  const outcomes = await Promise.allSettled(flood);
  await Promise.all(writes);
  const limited = outcomes.filter((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'RATE_LIMITED').length;
  assert.ok(limited > 200, `most of the flood is refused (${limited} of 300)`);
  const served = outcomes.filter((o): o is PromiseFulfilledResult<{ rev: number; json: string; path: string }> => o.status === 'fulfilled').map((o) => o.value);
  for (const s of served) assert.deepEqual(JSON.parse(s.json).name, 'n1199');
  assert.equal(main.get('other'), 19, "main's writes all went through");
  // History: at most 1,000 records per call, the newest ones.
  const page = await main.history({ sinceRev: 0, limit: 5000 });
  assert.equal(page.length, 1000);
  assert.equal(page.at(-1)!.rev, main.rev);
  // A window's default budget (no maxRequestsPerSecond) is finite too; main's is not.
  const window = new ClientConnection(daemon.createPort({ stores: '*' }));
  t.after(() => window.close());
  await window.ready();
  const many = await Promise.allSettled(Array.from({ length: 200 }, () => window.call('snapshot', 'profile')));
  assert.ok(many.some((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'RATE_LIMITED'));
  const mainMany = await Promise.allSettled(Array.from({ length: 200 }, () => main.info()));
  assert.ok(mainMany.every((o) => o.status === 'fulfilled'));
});

test('a migration scratch copy never holds plaintext of encrypted keys, including values the migration writes', async () => {
  const cwd = tmpDir();
  // Version 1 of the store: an encrypted key written in normal operation.
  const v1 = defineStore<Vault>({ name: 'vault', version: '1.0.0', encryptedKeys: ['ai.apiKey'] });
  const first = await startDaemon(cwd, { stores: [v1], encryptionKey: key(8) });
  await (await first.store<Vault>('vault')).set('ai', { apiKey: 'sk-old' });
  await first.close();
  const fixture = path.join(import.meta.dirname, 'fixtures', 'stores-encrypted-migration.ts');
  const second = await startDaemon(cwd, { stores: fixture, encryptionKey: key(8) });
  const store = await second.store<Vault & { seen?: { before: boolean; after: boolean } }>('vault');
  assert.deepEqual(store.get('seen'), { before: false, after: false }, 'the scratch file held only ciphertext');
  assert.equal(store.get('ai.apiKey'), 'sk-written-by-migration', 'the migration saw and wrote plain values');
  await second.close();
  for (const name of fs.readdirSync(cwd)) {
    const file = path.join(cwd, name);
    if (fs.statSync(file).isFile()) assert.ok(!fs.readFileSync(file, 'utf8').includes('sk-'), `${name} holds no plaintext`);
  }
});

test('whole-document work is charged by its size: a window flooding backups.verify()/create() or info() on a large store is refused after a few, and main keeps writing', async (t) => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set({ notes: Array.from({ length: 2000 }, (_, i) => `${i}`.padEnd(500, 'x')), pin: '1234' });
  const backup = await main.backups.create('test');
  const floods = [
    (w: ClientConnection) => w.call('backupsVerify', 'profile', backup.id),
    (w: ClientConnection) => w.call('backupsCreate', 'profile', 'flood'),
  ];
  for (const flood of floods) {
    // A fresh window each time: what one flood ran up in debt must not decide the next one's count.
    const window = new ClientConnection(daemon.createPort({ stores: { profile: { hidden: ['pin'] } } }));
    t.after(() => window.close());
    await window.ready();
    const writes = Array.from({ length: 10 }, (_, i) => main.set('name', `n${i}`));
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => flood(window)));
    await Promise.all(writes);
    const served = outcomes.filter((o) => o.status === 'fulfilled').length;
    assert.ok(served >= 1 && served <= 10, `a 1 MB store's worth of work per request: ${served} of 40 served`);
    assert.ok(outcomes.every((o) => o.status === 'fulfilled' || (o.reason as { code: string }).code === 'RATE_LIMITED'));
    assert.equal(main.get('name'), 'n9');
    await main.set('name', 'reset');
  }
  // info() of a filtered view is worked out once per rev and shared: twenty in a row cost one serialization and
  // their admissions, within one burst of the budget (twenty serializations would not be).
  const window = new ClientConnection(daemon.createPort({ stores: { profile: { hidden: ['pin'] } } }));
  t.after(() => window.close());
  await window.ready();
  const infos = await Promise.all(Array.from({ length: 20 }, () => window.call('info', 'profile')));
  assert.equal(new Set(infos.map((i) => `${i.rev}:${i.bytes}:${i.keys}`)).size, 1);
  assert.equal(infos[0].bytes, Buffer.byteLength(JSON.stringify({ ...main.store, pin: undefined })));
});

test('a budget lower than a request\'s cost makes it slow, never impossible: a client limited to 20 units per second still opens a store (a subscribe costs 20)', async (t) => {
  const daemon = await startDaemon(tmpDir(), { stores: [profileDef({ defaults: { name: 'ada' } })] });
  t.after(() => daemon.close());
  const slow = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: '*', maxRequestsPerSecond: 20 }) });
  assert.equal(slow.get('name'), 'ada');
  slow.close();
});

test('a write that changes nothing still commits for a client that may not read what it writes: "no new rev" would confirm a guess of a hidden value', async (t) => {
  const daemon = await startDaemon(tmpDir(), { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set({ name: 'ada', pin: '0042' });
  const window = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: { profile: { read: ['name'], write: ['pin'] } } }) });
  assert.deepEqual(window.store, { name: 'ada' });
  const revs: number[] = [];
  for (const guess of ['0041', '0042', '0042']) {
    const before = main.rev;
    const { rev } = await window.set('pin', guess);
    revs.push(rev - before);
    // Main's cache gets the window's write as a change event, after the window's promise resolved.
    await untilRev(main, rev);
  }
  assert.deepEqual(revs, [1, 1, 1], 'a right guess and a wrong one look the same');
  assert.equal(main.get('pin'), '0042');
  // Main (and any client that reads the whole store) keeps electron-store's rule: an equal set() commits nothing.
  const { rev } = await main.set('pin', '0042');
  assert.equal(rev, main.rev);
  assert.equal((await main.set('name', 'ada')).rev, rev);
});

test('which array an op concerns is decided as the op found the document: deleting or reshaping the array later shows none of its hidden elements, live or in history', async (t) => {
  const daemon = await startDaemon(tmpDir(), { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  await main.set({ list: [{ url: 'a' }, { url: 'b' }], name: 'ada' });
  const port = daemon.createPort({ stores: { profile: { hidden: ['list.0.url'] } } });
  // Every message the window's port receives, as it arrives (before the client filters or applies anything).
  const received: string[] = [];
  const raw = adaptPort(port);
  const window = await connectStore<Profile>('profile', { port: { ...raw, onMessage: (l) => raw.onMessage((data, ports) => {
    received.push(JSON.stringify(data));
    l(data, ports);
  }) } });
  assert.deepEqual(window.store, { name: 'ada' });
  await main.set('list.1.url', 'SECRET-1');
  // In one group: an element write, then the array removed (so at the group's end there is no array to decide by).
  await Promise.all([main.set('name', 'bob'), main.set('list.1.url', 'SECRET-2'), main.delete('list')]);
  // Then the array's path becomes an object: the old element ops would no longer look like array ops.
  const { rev } = await main.set('list', { 1: { url: 'plain' } } as never);
  await untilRev(window, rev);
  assert.deepEqual(window.store, { name: 'bob', list: { 1: { url: 'plain' } } });
  const history = JSON.stringify(await window.history({ sinceRev: 0 }));
  for (const secret of ['SECRET-1', 'SECRET-2', '"a"', '"b"']) {
    assert.ok(!history.includes(secret), `history shows ${secret}: ${history}`);
    assert.ok(!received.some((m) => m.includes(secret)), `the port carried ${secret}`);
  }
  // The removal of an array it never saw is not sent either (rev 5), live or in history.
  const live = received.map((m) => JSON.parse(m) as { ch: string; e?: { t: string; changes?: Array<{ rev: number; ops: unknown[] }> } })
    .flatMap((m) => (m.ch === 'evt' && m.e?.t === 'changes' ? m.e.changes ?? [] : []));
  assert.deepEqual(live.find((c) => c.rev === 5)?.ops, []);
  assert.ok(!(JSON.parse(history) as Array<{ rev: number }>).some((e) => e.rev === 5));
  assert.ok(history.includes('plain'), 'what it may see still comes');
});

test('a huge message from a window is decoded and refused in the gate, never by the daemon: main\'s writes go on meanwhile', async (t) => {
  const daemon = await startDaemon(tmpDir(), { stores: [profileDef({ maxBytes: 100_000 })] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  const window = new ClientConnection(daemon.createPort({ stores: '*' }));
  t.after(() => window.close());
  await window.ready();
  const huge: Record<string, number> = {};
  for (let i = 0; i < 1_000_000; i++) huge[`k${i}`] = i;
  const order: string[] = [];
  // Posted first, straight on the port (as a hostile page would, past any check of the client's).
  const write = window.write('profile', { kind: 'set', key: 'huge', value: huge }).then(() => 'written', (e: { code: string; message: string }) => {
    order.push(`window: ${e.code}`);
    return e.message;
  });
  const importing = window.call('importStore', 'profile', JSON.stringify(huge)).then(() => 'imported', (e: { code: string }) => e.code);
  await main.set('name', 'main wrote meanwhile');
  order.push('main');
  assert.match(await write, /more than 100000 values .* over a window's limit/);
  assert.equal(await importing, 'QUOTA_EXCEEDED');
  assert.deepEqual(order, ['main', 'window: QUOTA_EXCEEDED'], 'main\'s write did not wait for the huge message');
  assert.equal(main.get('huge'), undefined);
  // The window's next (normal) request goes through.
  const { rev: last } = await window.write('profile', { kind: 'set', key: 'name', value: 'window' });
  await untilRev(main, last);
  assert.equal(main.get('name'), 'window');
});

test('the gate weighs what a message costs to decode, not only its bytes: a sparse array, a value per second budget, and a refused write keeps flow control right', async (t) => {
  const daemon = await startDaemon(tmpDir(), { stores: [profileDef()] });
  t.after(() => daemon.close());
  const main = await daemon.store<Profile>('profile');
  const window = new ClientConnection(daemon.createPort({ stores: '*' }));
  t.after(() => window.close());
  await window.ready();
  // A few dozen bytes that unfold into 2^32 - 1 slots: refused by count (the daemon would loop over every one).
  const keys: string[] = [];
  keys.length = 2 ** 32 - 1;
  await assert.rejects(window.write('profile', { kind: 'reset', keys }), { code: 'QUOTA_EXCEEDED' });
  // Under the per-message limit, but more values per second than a window may send: RATE_LIMITED.
  const chunk = Array.from({ length: 90_000 }, (_, i) => i);
  const outcomes = await Promise.allSettled([0, 1, 2].map((i) => window.write('profile', { kind: 'set', key: `chunk${i}`, value: chunk })));
  assert.equal(outcomes[0].status, 'fulfilled');
  assert.ok(outcomes.some((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'RATE_LIMITED'));
  // The refusals came from the daemon's side of the event channel: the window still follows every change.
  const follower = await connectStore<Profile>('profile', { port: daemon.createPort({ stores: '*' }) });
  const big: Record<string, number> = {};
  for (let i = 0; i < 200_000; i++) big[`k${i}`] = i;
  await rejectsWith(follower.set('huge', big as never), 'QUOTA_EXCEEDED');
  let rev = 0;
  for (let i = 0; i < MAX_UNSEEN_EVENTS + 100; i++) ({ rev } = await main.set('name', `n${i}`));
  await untilRev(follower, rev);
  assert.equal(follower.get('name'), main.get('name'));
});
