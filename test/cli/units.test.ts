import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FieldCipher } from '../../src/daemon/features/encryption.ts';
import { formatBytes, opLine } from '../../src/cli/format.ts';
import { isSealed, Lens, MASK, sealedPatterns } from '../../src/cli/sealed.ts';
import { table } from '../../src/cli/table.ts';
import { ROOT } from './helpers.ts';

test('the CLI recognizes what FieldCipher seals, and opens it with FieldCipher', () => {
  const key = new Uint8Array(32).fill(9);
  const sealed = new FieldCipher('s', ['a.b'], key).sealDoc({ a: { b: { deep: [1, 'x'] }, c: 1 } });
  const value = (sealed.a as Record<string, unknown>).b;
  assert.ok(isSealed(value), `FieldCipher's format changed: ${String(value).slice(0, 30)}; update SEALED_PREFIX in src/cli/sealed.ts`);
  assert.deepEqual(new Lens('s', key).show(sealed), { a: { b: { deep: [1, 'x'] }, c: 1 } });
  const masked = new Lens('s', undefined);
  assert.deepEqual(masked.show(sealed), { a: { b: MASK, c: 1 } });
  assert.equal(masked.sealed, 1);
  assert.deepEqual([...sealedPatterns(sealed)], ['a.b']);
  assert.deepEqual([...sealedPatterns({ 'x.y': value, list: [value] })], ['list.0'], 'exact paths; one that cannot be a pattern is left out');
});

test('ops read as lines; tables align', () => {
  assert.equal(opLine({ op: 'replace', path: '/theme', value: 'dark' }), 'replace /theme "dark"');
  assert.equal(opLine({ op: 'remove', path: '/window' }), 'remove /window');
  assert.equal(opLine({ op: 'move', path: '/b', from: '/a' }), 'move /b from /a');
  assert.equal(opLine({ op: 'add', path: '/t', value: 'x'.repeat(200) }).length, 'add /t '.length + 80);
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1536), '1.5 kB');
  assert.equal(table(['name', 'n'], [['a', 1], ['long', 100]]), 'name  n\na       1\nlong  100');
});

test('src/cli imports no client code (it is a daemon-side tool), and nothing else in src/ imports src/cli', () => {
  const files = (dir: string): string[] => fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
  const imports = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => path.resolve(path.dirname(file), m[1]));
  const src = path.join(ROOT, 'src');
  for (const file of files(path.join(src, 'cli'))) {
    for (const target of imports(file)) assert.ok(!/[\\/]src[\\/]client(-main|-renderer)?[\\/]/.test(target), `${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}`);
  }
  for (const file of files(src).filter((f) => !f.includes(`${path.sep}cli${path.sep}`))) {
    for (const target of imports(file)) assert.ok(!target.includes(`${path.sep}src${path.sep}cli${path.sep}`), `${path.relative(ROOT, file)} imports the CLI`);
  }
});
