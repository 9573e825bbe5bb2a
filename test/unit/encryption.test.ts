import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { applyPatch } from 'rfc6902';
import { Draft } from '../../src/daemon/engine/draft.ts';
import { FieldCipher } from '../../src/daemon/features/encryption.ts';
import type { StoreError } from '../../src/protocol/errors.ts';

const key = crypto.randomBytes(32);

test('sealed documents and ops hold only ciphertext at encrypted paths, and open back to the plaintext', () => {
  const cipher = new FieldCipher('s', ['ai.apiKey', 'accounts.*.token'], key);
  const doc = { ai: { apiKey: 'sk-secret-one', model: 'm' }, accounts: { a: { token: 'token-alpha-secret', name: 'A' }, b: { token: { nested: 'token-beta-secret' } } }, plain: 1 };
  const sealed = cipher.sealDoc(doc);
  const text = JSON.stringify(sealed);
  for (const secret of ['sk-secret-one', 'token-alpha-secret', 'token-beta-secret']) assert.ok(!text.includes(secret), `${secret} is not in the sealed text`);
  assert.equal(sealed.plain, 1);
  assert.equal((sealed.ai as { model: string }).model, 'm');
  assert.deepEqual(doc.ai.apiKey, 'sk-secret-one', 'the input is not mutated');
  assert.deepEqual(cipher.unsealDoc(JSON.parse(text)), doc);

  const ops = [{ op: 'replace', path: '/ai', value: { apiKey: 'sk-secret-two', model: 'n' } }, { op: 'add', path: '/accounts/c/token', value: 'token-gamma-secret' }] as const;
  const sealedOps = cipher.sealOps(ops as never);
  assert.ok(!JSON.stringify(sealedOps).includes('sk-secret-two') && !JSON.stringify(sealedOps).includes('token-gamma-secret'));
  assert.deepEqual(cipher.unsealOps(JSON.parse(JSON.stringify(sealedOps))), ops);
});

test('a wrong key is IO_FAILED with a clear message; encryptedKeys without a key refuse to open', () => {
  const sealed = new FieldCipher('s', ['k'], key).sealDoc({ k: 'secret' });
  const other = new FieldCipher('s', ['k'], crypto.randomBytes(32));
  assert.throws(() => other.unsealDoc(sealed), (e: StoreError) => e.code === 'IO_FAILED' && /key/.test(e.message));
  assert.throws(() => new FieldCipher('s', ['k'], undefined), (e: StoreError) => e.code === 'IO_FAILED' && /encryptionKey/.test(e.message));
});

test('a write below an encrypted path is journaled as a replace of that whole path (ciphertext cannot be patched)', () => {
  const cipher = new FieldCipher('s', ['ai.apiKey'], key);
  const original = { ai: { apiKey: { id: 'x', secret: 'old' } } };
  const doc = structuredClone(original);
  const draft = new Draft(doc, 's', (p) => cipher.enclosing(p));
  draft.set(['ai', 'apiKey', 'secret'], 'new');
  assert.deepEqual(draft.ops, [{ op: 'replace', path: '/ai/apiKey', value: { id: 'x', secret: 'new' } }]);
  assert.deepEqual(draft.inverse, [{ op: 'replace', path: '/ai/apiKey', value: { id: 'x', secret: 'old' } }]);
  const replay = structuredClone(original);
  applyPatch(replay, draft.ops);
  assert.deepEqual(replay, doc);
  draft.undo();
  assert.deepEqual(doc, original);
});
