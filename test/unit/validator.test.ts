import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocumentValidator } from '../../src/daemon/features/validator.ts';
import { Draft } from '../../src/daemon/engine/draft.ts';
import type { JsonObject } from '../../src/protocol/types.ts';

const schema = {
  type: 'object',
  required: ['theme'],
  additionalProperties: false,
  definitions: { task: { type: 'object', required: ['title'], properties: { title: { type: 'string', minLength: 1 }, done: { type: 'boolean' } }, additionalProperties: false } },
  properties: {
    theme: { enum: ['auto', 'dark', 'light'] },
    fontSize: { type: 'number', minimum: 6 },
    window: { type: 'object', properties: { width: { type: 'integer' } }, additionalProperties: { type: 'number' } },
    tasks: { type: 'array', maxItems: 5, items: { $ref: '#/definitions/task' } },
    pair: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, if: { required: ['a'] }, then: { required: ['b'] } },
    email: { type: 'string', format: 'email' },
  },
};

/** Deterministic pseudo-random writes; each is validated incrementally and whole — the verdicts must agree. */
const refRoot = () => {
  const { definitions, ...doc } = schema;
  return { $ref: '#/definitions/Doc', definitions: { ...definitions, Doc: doc } };
};

for (const [label, make] of [['a plain schema', () => schema], ['a $ref root', refRoot]] as const) test(`incremental validation agrees with whole-document validation on 3,000 random writes (${label})`, () => {
  const v = new DocumentValidator(make());
  const doc: JsonObject = { theme: 'auto', tasks: [] };
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const values = [1, 'x', '', true, null, { title: 'a' }, { title: '' }, { nope: 1 }, [1], 'a@b.co', 'not-mail', 7.5, 3, { a: 1 }, { a: 1, b: 2 }];
  const paths = [['theme'], ['fontSize'], ['window'], ['window', 'width'], ['window', 'extra'], ['tasks'], ['tasks', '0'], ['tasks', '0', 'title'],
    ['tasks', '0', 'done'], ['pair'], ['pair', 'a'], ['pair', 'b'], ['email'], ['unknown'], ['theme2']];
  let agreed = 0;
  for (let i = 0; i < 3000; i++) {
    const draft = new Draft(doc, 't');
    const p = paths[rnd(paths.length)];
    try {
      if (rnd(5) === 0) draft.remove(p);
      else if (p[0] === 'tasks' && p.length === 2 && Array.isArray(doc.tasks)) draft.patchOp({ op: 'add', path: '/tasks/-', value: values[rnd(values.length)] }, 0);
      else draft.set(p, structuredClone(values[rnd(values.length)]));
    } catch {
      draft.undo();
      continue;
    }
    const whole = v.validateAll(doc).length === 0;
    const incremental = v.validateChanged(doc, draft.paths).length === 0;
    assert.equal(incremental, whole, `write ${i} at ${p.join('.')}: incremental ${incremental}, whole ${whole}, doc ${JSON.stringify(doc)}`);
    agreed++;
    if (!whole) draft.undo();
  }
  assert.ok(agreed > 2000);
});

test('validation errors carry instancePath relative to the document root', () => {
  const v = new DocumentValidator(schema);
  const doc: JsonObject = { theme: 'auto', tasks: [{ title: 'a' }] };
  const draft = new Draft(doc, 't');
  draft.set(['tasks', '0', 'title'], '');
  const issues = v.validateChanged(doc, draft.paths);
  assert.equal(issues[0].instancePath, '/tasks/0/title');
  assert.match(issues[0].message, /fewer than 1/);
});

/**
 * A document whose task 3 counts reads of its title: a validator that looks at the whole array would read it.
 * Writes tasks.1.done and returns how many times task 3 was read.
 */
function probeDeepChange(v: DocumentValidator): { doc: JsonObject; reads: () => number } {
  let calls = 0;
  const items = Array.from({ length: 5 }, (_, i) => ({ title: `t${i}` }));
  Object.defineProperty(items[3], 'title', { get: () => { calls++; return 't3'; }, enumerable: true });
  const doc = { theme: 'auto', tasks: items } as unknown as JsonObject;
  const draft = new Draft(doc, 't');
  draft.set(['tasks', '1', 'done'], true);
  assert.deepEqual(v.validateChanged(doc, draft.paths), []);
  return { doc, reads: () => calls };
}

test('a change deep in a large array validates only the element, not the array', () => {
  const v = new DocumentValidator(schema);
  const { doc, reads } = probeDeepChange(v);
  assert.equal(reads(), 0);
  v.validateAll(doc);
  assert.ok(reads() > 0, 'the whole-document check does read it (the probe works)');
});

test('a root that is only a $ref (schemas generated from TypeScript types) is still validated incrementally', () => {
  const v = new DocumentValidator(refRoot());
  const { doc, reads } = probeDeepChange(v);
  assert.equal(reads(), 0, 'the other records were not validated');
  const bad = new Draft(doc, 't');
  bad.set(['tasks', '1', 'done'], 'yes');
  assert.equal(v.validateChanged(doc, bad.paths)[0].instancePath, '/tasks/1/done');
  bad.undo();
  const extra = new Draft(doc, 't');
  extra.set(['unknown'], 1);
  assert.equal(v.validateChanged(doc, extra.paths).length > 0, v.validateAll(doc).length > 0);
});
