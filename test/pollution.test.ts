import assert from 'node:assert/strict';
import { test } from 'node:test';
import Conf from 'conf';
import { connectStore } from '../src/client-renderer/index.ts';
import type { StoreEngine } from '../src/daemon/engine/store-engine.ts';
import { openEngine } from '../src/daemon/open-store.ts';
import type { WriteRequest } from '../src/protocol/messages.ts';
import { type Settings, rejectsWith, settingsDef, startDaemon, tmpDir } from './helpers.ts';

const attacks = (): WriteRequest[] => [
  { kind: 'set', key: '__proto__.polluted', value: 'yes' },
  { kind: 'set', key: 'a.__proto__.polluted', value: 'yes' },
  { kind: 'set', key: 'constructor.prototype.polluted', value: 'yes' },
  { kind: 'setMany', values: JSON.parse('{"__proto__": {"polluted": "yes"}}') },
  { kind: 'setMany', values: { nested: JSON.parse('{"__proto__": {"polluted": "yes"}}') } },
  { kind: 'set', key: 'v', value: JSON.parse('{"__proto__": {"polluted": "yes"}}') },
  { kind: 'patch', ops: [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }] },
  { kind: 'patch', ops: [{ op: 'add', path: '/constructor/prototype/polluted', value: 'yes' }] },
  { kind: 'patch', ops: [{ op: 'add', path: '/x', value: {} }, { op: 'copy', from: '/x', path: '/__proto__' }] },
  { kind: 'patch', ops: [{ op: 'move', from: '/__proto__', path: '/y' }] },
  { kind: 'delete', key: '__proto__' },
];

test('prototype pollution through keys, set(object) and patch paths changes nothing (daemon engine, in this thread)', async () => {
  const cwd = tmpDir();
  const engine = openEngine(settingsDef(), { cwd, StoreClass: Conf });
  const before = structuredClone(engine.doc);
  for (const attack of attacks()) {
    const error = await engine.write(attack, 'attacker').then(() => undefined, (e: Error & { code: string }) => e);
    assert.ok(error, `${JSON.stringify(attack)} must be rejected`);
    assert.equal(error.code, 'INVALID_KEY', `${JSON.stringify(attack)}: ${error.message}`);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  assert.equal(engine.rev, 0);
  assert.deepEqual(engine.doc, before);
  await engine.close();
});

test('prototype pollution attempts from clients are refused end to end', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const main = await daemon.store<Settings>('settings');
  const other = await connectStore<Settings>('settings', { port: daemon.createPort() });
  for (const attack of attacks()) {
    if (attack.kind === 'set') await rejectsWith(other.set(attack.key as never, attack.value as never), 'INVALID_KEY');
    if (attack.kind === 'setMany') await rejectsWith(other.set(attack.values as never), 'INVALID_KEY');
    if (attack.kind === 'patch') await rejectsWith(other.patch(attack.ops), 'INVALID_KEY');
    if (attack.kind === 'delete') await rejectsWith(other.delete(attack.key as never), 'INVALID_KEY');
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(main.rev, 0);
  assert.deepEqual(main.store, { theme: 'auto', fontSize: 14 });
  assert.deepEqual(JSON.parse(await main.export()), { theme: 'auto', fontSize: 14 });
});
