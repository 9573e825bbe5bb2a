import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wrap } from 'comlink';
import { connectStore } from '../src/client-renderer/index.ts';
import { ClientConnection } from '../src/client/connection.ts';
import { adaptPort, muxPort } from '../src/protocol/endpoint.ts';
import type { DaemonApi } from '../src/protocol/messages.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { type Settings, rejectsWith, startDaemon, tmpDir, untilRev } from './helpers.ts';

/** Every client still at `rev` with `doc`: a rejected write changed nothing anywhere. */
async function unchangedEverywhere(clients: StoreClient<Settings>[], rev: number, doc: unknown) {
  const fresh = clients[0];
  for (const c of clients) {
    assert.equal(c.rev, rev);
    assert.deepEqual(c.store, doc);
  }
  const info = await fresh.info();
  assert.equal(info.rev, rev);
  assert.deepEqual(JSON.parse(await fresh.export()), doc);
}

const cwd = tmpDir();
const daemonP = startDaemon(cwd);

async function setup() {
  const daemon = await daemonP;
  const main = await daemon.store<Settings>('settings');
  const other = await connectStore<Settings>('settings', { port: daemon.createPort() });
  await main.set('window', { width: 640 });
  const rev = main.rev;
  const doc = main.store;
  return { daemon, main, other, rev, doc, clients: [main, other] };
}

/** A raw connection that skips the client-side checks, to prove the daemon checks everything itself. */
async function rawConnection() {
  const daemon = await daemonP;
  const conn = new ClientConnection(daemon.createPort());
  await conn.ready();
  return conn;
}

test('INVALID_KEY: forbidden segments, empty keys and segments, non-strings — client and daemon side', async () => {
  const { main, rev, doc, clients } = await setup();
  const raw = await rawConnection();
  for (const key of ['__proto__', 'a.__proto__.b', 'prototype', 'x.constructor', '__internal__', '__internal__.migrations.version', '', 'a..b', '.a', 'a.']) {
    const e = await rejectsWith(main.set(key as never, 1 as never), 'INVALID_KEY');
    assert.match(e.message, /key|segment/i);
    await rejectsWith(raw.call('write', 'settings', { kind: 'set', key, value: 1 }), 'INVALID_KEY');
    await rejectsWith(main.delete(key as never), 'INVALID_KEY');
  }
  for (const key of [1, null, undefined, true, ['a']]) {
    await rejectsWith(main.set(key as never, 1 as never), 'INVALID_KEY');
    await rejectsWith(main.delete(key as never), 'INVALID_KEY');
  }
  for (const key of [1, null, undefined, {}, ['a']]) {
    await rejectsWith(raw.call('write', 'settings', { kind: 'set', key: key as never, value: 1 }), 'INVALID_KEY');
  }
  await rejectsWith(main.patch([{ op: 'add', path: '/__proto__/x', value: 1 }]), 'INVALID_KEY');
  await rejectsWith(main.patch([{ op: 'add', path: 'no-slash', value: 1 }]), 'INVALID_KEY');
  await rejectsWith(main.patch([{ op: 'frobnicate', path: '/a' } as never]), 'INVALID_KEY');
  await rejectsWith(main.patch([{ op: 'replace', path: '/missing', value: 1 }]), 'INVALID_KEY');
  await rejectsWith(main.reset('a..b' as never), 'INVALID_KEY');
  await rejectsWith(raw.call('write', 'settings', { kind: 'setMany', values: JSON.parse('{"__proto__": {"x": 1}}') }), 'INVALID_KEY');
  await rejectsWith(raw.call('write', 'settings', { kind: 'nope' } as never), 'INVALID_KEY');
  await rejectsWith(raw.call('write', 'settings', null as never), 'INVALID_KEY');
  await rejectsWith(main.set('theme', 'dark', { ifRev: -1 }), 'INVALID_KEY');
  await rejectsWith(main.set('theme', 'dark', { ifRev: 'x' as never }), 'INVALID_KEY');
  await rejectsWith(main.history({ sinceRev: Number.NaN }), 'INVALID_KEY');
  await rejectsWith(connectStore('settings', { port: {} as never }), 'DAEMON_UNAVAILABLE');
  await unchangedEverywhere(clients, rev, doc);
  raw.close();
});

class Point {
  constructor(public x = 1) {}
}

test('NOT_SERIALIZABLE: every non-JSON kind, with the key — client and daemon side', async () => {
  const { main, rev, doc, clients } = await setup();
  const raw = await rawConnection();
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases: Array<[string, unknown]> = [
    ['undefined', undefined], ['function', () => 1], ['symbol', Symbol('s')], ['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY], ['class instance', new Point()], ['Map', new Map([[1, 2]])], ['Set', new Set([1])],
    ['cycle', cyclic], ['Date', new Date()], ['nested Date', { when: new Date() }], ['bigint', 10n],
  ];
  for (const [what, value] of cases) {
    const e = await rejectsWith(main.set('value.inner' as never, value as never), 'NOT_SERIALIZABLE');
    assert.ok(e.key?.startsWith('value.inner'), `${what}: error names the key (got ${e.key})`);
    await rejectsWith(main.set({ ok: 1, bad: value } as never), 'NOT_SERIALIZABLE');
  }
  // What survives structured clone must still be refused by the daemon itself.
  for (const [what, value] of [['NaN', Number.NaN], ['Map', new Map()], ['Set', new Set()], ['Date', new Date()], ['cycle', cyclic], ['undefined', undefined]] as const) {
    const e = await rejectsWith(raw.call('write', 'settings', { kind: 'set', key: 'v', value }), 'NOT_SERIALIZABLE');
    assert.ok(e.key?.startsWith('v'), what);
  }
  await unchangedEverywhere(clients, rev, doc);
  raw.close();
});

test('VALIDATION_FAILED carries ajv instancePath and message; set(object) is all or nothing', async () => {
  const { main, other, rev, doc, clients } = await setup();
  const e = await rejectsWith(main.set('fontSize', 2), 'VALIDATION_FAILED');
  const errors = (e.details as { errors: Array<{ instancePath: string; message: string }> }).errors;
  assert.equal(errors[0].instancePath, '/fontSize');
  assert.match(errors[0].message, />= 6/);
  const e2 = await rejectsWith(other.set({ theme: 'dark', 'window.width': 5 }), 'VALIDATION_FAILED');
  assert.equal((e2.details as { errors: Array<{ instancePath: string }> }).errors[0].instancePath, '/window/width');
  await rejectsWith(main.set('window', { width: 'wide' } as never), 'VALIDATION_FAILED');
  await rejectsWith(main.patch([{ op: 'replace', path: '/theme', value: 'dark' }, { op: 'add', path: '/tags', value: [1] }]), 'VALIDATION_FAILED');
  await unchangedEverywhere(clients, rev, doc);
});

test('CONFLICT: ifRev compare-and-set, failing test op', async () => {
  const { main, other, clients } = await setup();
  const before = main.rev;
  await other.set('theme', 'dark', { ifRev: before });
  const rev = main.rev;
  const doc = main.store;
  const e = await rejectsWith(main.set('theme', 'light', { ifRev: before }), 'CONFLICT');
  assert.match(e.message, /rev/);
  await main.set('tags', ['a']);
  await rejectsWith(main.set('tags.5' as never, 'x' as never), 'INVALID_KEY');
  await main.delete('tags');
  const revAfter = main.rev;
  const docAfter = main.store;
  await rejectsWith(main.patch([{ op: 'test', path: '/theme', value: 'auto' }, { op: 'replace', path: '/theme', value: 'light' }]), 'CONFLICT');
  await rejectsWith(main.delete('theme', { ifRev: rev - 1 }), 'CONFLICT');
  await untilRev(other, revAfter);
  await unchangedEverywhere(clients, revAfter, docAfter);
});

test('STORE_NOT_FOUND for unknown or malformed store names', async () => {
  const { daemon, rev, doc, clients } = await setup();
  const e = await rejectsWith(daemon.store('nope'), 'STORE_NOT_FOUND');
  assert.match(e.message, /known stores: settings/);
  await rejectsWith(connectStore('../etc/passwd', { port: daemon.createPort() }), 'STORE_NOT_FOUND');
  const raw = await rawConnection();
  await rejectsWith(raw.call('write', 42 as never, { kind: 'clear' }), 'STORE_NOT_FOUND');
  await unchangedEverywhere(clients, rev, doc);
  raw.close();
});

test('PROTOCOL_MISMATCH: wrong protocol version, unknown method, comlink GET/SET probes', async () => {
  const { daemon, rev, doc, clients } = await setup();
  const mux = muxPort(adaptPort(daemon.createPort()));
  const remote = wrap<DaemonApi>(mux.endpoint);
  const hello = await remote.hello(999);
  assert.equal(hello.ok, false);
  assert.equal(!hello.ok && hello.error.code, 'PROTOCOL_MISMATCH');
  // Before a successful hello nothing else is served.
  const early = await remote.write('settings', { kind: 'clear' });
  assert.equal(!early.ok && early.error.code, 'PROTOCOL_MISMATCH');
  const unknown = await (remote as unknown as { dropTables(): Promise<{ ok: boolean; error: { code: string } }> }).dropTables();
  assert.equal(unknown.error.code, 'PROTOCOL_MISMATCH');
  // A comlink property read or write would reach into the API object; the guard answers instead.
  const probe = await (remote as unknown as { hello: { name: Promise<unknown> } }).hello.name;
  assert.equal((probe as { error: { code: string } }).error.code, 'PROTOCOL_MISMATCH');
  await unchangedEverywhere(clients, rev, doc);
  mux.port.close();
});

test('CLOSED: a closed client fails fast', async () => {
  const { daemon, rev, doc, clients } = await setup();
  const extra = await connectStore<Settings>('settings', { port: daemon.createPort() });
  extra.close();
  await rejectsWith(extra.set('theme', 'dark'), 'CLOSED');
  await unchangedEverywhere(clients, rev, doc);
});

test('a schema that does not compile makes that store fail to open with VALIDATION_FAILED; others keep working', async () => {
  const { defineStore } = await import('../src/index.ts');
  const { settingsDef } = await import('./helpers.ts');
  const dir = tmpDir();
  const daemon = await startDaemon(dir, { stores: [settingsDef(), defineStore({ name: 'broken', schema: { type: 'objekt' } })] });
  const e = await rejectsWith(daemon.store('broken'), 'VALIDATION_FAILED');
  assert.match(e.message, /schema does not compile/);
  const ok = await daemon.store<Settings>('settings');
  await ok.set('theme', 'dark');
});
