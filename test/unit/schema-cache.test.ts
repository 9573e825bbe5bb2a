import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DocumentValidator } from '../../src/daemon/features/validator.ts';
import { tmpDir } from '../helpers.ts';

// Uses every runtime helper ajv's standalone code may load: formats, string length (ucs2length), deep equality (enum
// of objects), uri.
const schema = {
  type: 'object',
  properties: {
    theme: { enum: ['auto', 'dark', { custom: true }] },
    title: { type: 'string', maxLength: 3 },
    at: { type: 'string', format: 'date-time' },
    site: { type: 'string', format: 'uri' },
    tags: { type: 'array', uniqueItems: true },
    window: { type: 'object', properties: { width: { type: 'integer', minimum: 100 } } },
  },
};
const valid = { theme: { custom: true }, title: '😀😀😀', at: '2026-01-01T00:00:00Z', site: 'https://example.com/x', tags: [1, 2], window: { width: 100 } };
const invalid = [
  { theme: { custom: false } }, { title: '😀😀😀😀' }, { at: 'yesterday' }, { site: 'not a uri' }, { tags: [{ a: 1 }, { a: 1 }] }, { window: { width: 99 } },
];

/** Both validators give the same verdicts, whole and per change. */
function assertSameVerdicts(a: DocumentValidator, b: DocumentValidator): void {
  assert.deepEqual(b.validateAll(valid), []);
  for (const doc of invalid) {
    assert.deepEqual(b.validateAll(doc), a.validateAll(doc), JSON.stringify(doc));
    assert.ok(b.validateAll(doc).length > 0, JSON.stringify(doc));
    const key = Object.keys(doc)[0];
    assert.deepEqual(b.validateChanged(doc, [[key]]), a.validateChanged(doc, [[key]]));
  }
}

function entryOf(file: string): { key: string; sha256: string; code: string } {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; sha256: string; code: string };
}

test('a compiled schema is kept and used at the next start with the same schema; its verdicts are the compiled ones', async () => {
  const file = path.join(tmpDir(), 'marks', 'settings.schema-cache.json');
  const compiled = new DocumentValidator(schema, file);
  assert.equal(compiled.fromCache, false);
  await compiled.saveCache();
  assert.ok(fs.existsSync(file));
  const cached = new DocumentValidator(structuredClone(schema), file);
  assert.equal(cached.fromCache, true);
  assertSameVerdicts(compiled, cached);
});

test('a changed schema does not use the entry of the old one, and rewrites it', async () => {
  const file = path.join(tmpDir(), 'settings.schema-cache.json');
  await new DocumentValidator(schema, file).saveCache();
  const stricter = structuredClone(schema);
  stricter.properties.title.maxLength = 1;
  const v = new DocumentValidator(stricter, file);
  assert.equal(v.fromCache, false);
  assert.equal(v.validateAll({ title: 'ab' }).length, 1, 'the new schema is the one applied');
  await v.saveCache();
  const again = new DocumentValidator(stricter, file);
  assert.equal(again.fromCache, true);
  assert.equal(again.validateAll({ title: 'ab' }).length, 1);
});

test('an edited entry (code that no longer matches its digest) is ignored and rewritten', async () => {
  const file = path.join(tmpDir(), 'settings.schema-cache.json');
  await new DocumentValidator(schema, file).saveCache();
  const entry = entryOf(file);
  // Code that would accept anything, under the right key: never trusted, because it is not what was stored.
  fs.writeFileSync(file, JSON.stringify({ ...entry, code: '"use strict";module.exports = function validate() { return true; };' }));
  const v = new DocumentValidator(schema, file);
  assert.equal(v.fromCache, false);
  assert.ok(v.validateAll({ title: 'too long' }).length > 0);
  await v.saveCache();
  assert.equal(entryOf(file).code, entry.code, 'rewritten with the compiled code');
  assert.equal(new DocumentValidator(schema, file).fromCache, true);
});

test('a garbled or foreign entry is ignored: not JSON, truncated, code that does not load, code that requires anything else', async () => {
  const file = path.join(tmpDir(), 'settings.schema-cache.json');
  await new DocumentValidator(schema, file).saveCache();
  const entry = entryOf(file);
  const sha = (code: string) => (import('node:crypto')).then((c) => c.createHash('sha256').update(code).digest('hex'));
  const bad = [
    'not json',
    fs.readFileSync(file, 'utf8').slice(0, 200),
    JSON.stringify({ ...entry, code: 'syntax error (', sha256: await sha('syntax error (') }),
    JSON.stringify({ ...entry, code: 'module.exports = require("node:fs");', sha256: await sha('module.exports = require("node:fs");') }),
    JSON.stringify({ ...entry, format: 999 }),
    JSON.stringify(null),
  ];
  for (const text of bad) {
    fs.writeFileSync(file, text);
    const v = new DocumentValidator(schema, file);
    assert.equal(v.fromCache, false, text.slice(0, 60));
    assert.ok(v.validateAll({ title: 'too long' }).length > 0);
    await v.saveCache();
    assert.equal(new DocumentValidator(schema, file).fromCache, true, 'rewritten');
  }
});

test('a schema that does not compile still fails, and writes no entry', () => {
  const file = path.join(tmpDir(), 'settings.schema-cache.json');
  assert.throws(() => new DocumentValidator({ type: 'object', properties: { a: { $ref: '#/nowhere' } } }, file));
  assert.equal(fs.existsSync(file), false);
});
