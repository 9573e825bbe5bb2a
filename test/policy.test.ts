import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectStore } from '../src/client-renderer/index.ts';
import { defineStore } from '../src/index.ts';
import { type Settings, rejectsWith, settingsDef, startDaemon, tmpDir, untilRev } from './helpers.ts';

interface Secrets {
  ai?: { apiKey?: string; model?: string };
  theme?: string;
  big?: string;
}

test('PERMISSION_DENIED, RATE_LIMITED and hidden keys through a client policy, end to end', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [settingsDef(), defineStore<Secrets>({ name: 'app', encryptedKeys: ['ai.apiKey'] })], encryptionKey: new Uint8Array(32).fill(7) });
  const main = await daemon.store<Secrets>('app');
  await main.set('ai', { apiKey: 'sk-secret', model: 'small' });
  const window = await connectStore<Secrets>('app', {
    port: daemon.createPort({ stores: { app: { write: ['theme'] } }, maxWritesPerSecond: 5 }),
  });
  // Encrypted keys are hidden from untrusted clients: snapshot, events, history, export.
  assert.deepEqual(window.store, { ai: { model: 'small' } });
  await main.set('ai.apiKey', 'sk-rotated');
  await main.set('ai.model', 'large');
  await untilRev(window, main.rev);
  assert.equal(window.get('ai.apiKey'), undefined);
  assert.equal(window.get('ai.model'), 'large');
  assert.ok(!JSON.stringify(await window.history()).includes('sk-'));
  assert.ok(!(await window.export()).includes('sk-'));

  const rev = main.rev;
  await rejectsWith(window.set('ai.model', 'x'), 'PERMISSION_DENIED');
  await rejectsWith(window.set('ai.apiKey', 'x'), 'PERMISSION_DENIED');
  await rejectsWith(window.clear(), 'PERMISSION_DENIED');
  await rejectsWith(window.rollback({ rev: 0 }), 'PERMISSION_DENIED');
  await rejectsWith(window.import('{}'), 'PERMISSION_DENIED');
  await rejectsWith(connectStore<Settings>('settings', { port: daemon.createPort({ stores: { app: {} } }) }), 'PERMISSION_DENIED');
  assert.equal(main.rev, rev);

  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => window.set('theme', `t${i}`)));
  const limited = results.filter((r) => r.status === 'rejected');
  assert.ok(limited.length >= 10, `limited ${limited.length}`);
  for (const r of limited) assert.equal(((r as PromiseRejectedResult).reason as { code: string }).code, 'RATE_LIMITED');
});

test('QUOTA_EXCEEDED: a write that would grow the store past maxBytes changes nothing', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [defineStore<Secrets>({ name: 'small', maxBytes: 2000 })] });
  const store = await daemon.store<Secrets>('small');
  await store.set('big', 'x'.repeat(1000));
  const rev = store.rev;
  const e = await rejectsWith(store.set('theme', 'y'.repeat(1500)), 'QUOTA_EXCEEDED');
  assert.match(e.message, /maxBytes/);
  assert.equal(store.rev, rev);
  assert.equal(store.get('theme'), undefined);
  // Shrinking is always allowed.
  await store.set('big', 'small');
  await store.set('theme', 'y'.repeat(1500));
});

test('patch copy, move and test cannot read hidden keys; existence of a hidden key does not show through errors', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd, { stores: [defineStore<Secrets & { leak?: unknown }>({ name: 'app' })] });
  const main = await daemon.store<Secrets & { leak?: unknown }>('app');
  await main.set('ai', { apiKey: 'TOPSECRET', model: 'm' });
  const window = await connectStore<Secrets & { leak?: unknown }>('app', { port: daemon.createPort({ stores: { app: { hidden: ['ai.apiKey'] } } }) });
  const rev = main.rev;
  await rejectsWith(window.patch([{ op: 'copy', from: '/ai/apiKey', path: '/leak' }]), 'PERMISSION_DENIED');
  await rejectsWith(window.patch([{ op: 'copy', from: '/ai', path: '/leak' }]), 'PERMISSION_DENIED');
  await rejectsWith(window.patch([{ op: 'move', from: '/ai/apiKey', path: '/leak' }]), 'PERMISSION_DENIED');
  await rejectsWith(window.patch([{ op: 'test', path: '/ai/apiKey', value: 'TOPSECRET' }]), 'PERMISSION_DENIED');
  await rejectsWith(window.patch([{ op: 'test', path: '/ai/apiKey', value: 'guess' }]), 'PERMISSION_DENIED');
  // Present or missing, a hidden key answers the same.
  await rejectsWith(window.delete('ai.apiKey'), 'PERMISSION_DENIED');
  await rejectsWith(window.delete('ai.apiKey.missing' as never), 'PERMISSION_DENIED');
  await rejectsWith(window.patch([{ op: 'remove', path: '/ai/apiKey/missing' }]), 'PERMISSION_DENIED');
  // An admin window that cannot see everything may not replace everything.
  const admin = await connectStore<Secrets>('app', { port: daemon.createPort({ stores: { app: { hidden: ['ai.apiKey'] } }, admin: true }) });
  await rejectsWith(admin.import(await admin.export()), 'PERMISSION_DENIED');
  assert.equal(main.get('ai.apiKey'), 'TOPSECRET');
  // What the window may see, it may still copy.
  await window.patch([{ op: 'copy', from: '/ai/model', path: '/leak' }]);
  assert.equal(main.rev, rev + 1);
  assert.equal(main.get('leak'), 'm');
  assert.equal(window.get('ai.apiKey'), undefined);
});

test('info().encryptedKept names the encrypted keys kept from a client only where its policy would show them', async () => {
  const vault = defineStore<{ a: { token?: string; pin?: string }; b: { secret?: string }; c?: string }>({ name: 'vault', encryptedKeys: ['a.token', 'a.pin', 'b.secret'] });
  const daemon = await startDaemon(tmpDir(), { stores: [vault], encryptionKey: new Uint8Array(32).fill(7) });
  const kept = async (policy: Parameters<typeof daemon.createPort>[0]) => (await (await connectStore('vault', { port: daemon.createPort(policy) })).info()).encryptedKept;
  assert.deepEqual(await (await daemon.store('vault')).info().then((i) => i.encryptedKept), [], 'main reads them all');
  assert.deepEqual(await kept({ stores: '*' }), ['a.token', 'a.pin', 'b.secret']);
  assert.deepEqual(await kept({ stores: { vault: { hidden: ['b'] } } }), ['a.token', 'a.pin'], 'b is hidden: b.secret is not named');
  assert.deepEqual(await kept({ stores: { vault: { read: ['a', 'a.pin'] } } }), ['a.token'], 'read names a.pin exactly; b is not read');
});
