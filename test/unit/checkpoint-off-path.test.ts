import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import Conf from 'conf';
import { CopyOnWrite } from '../../src/daemon/engine/copy-on-write.ts';
import { Draft } from '../../src/daemon/engine/draft.ts';
import { CheckpointFile } from '../../src/daemon/storage/checkpoint.ts';
import { FsSeam } from '../../src/daemon/storage/fs-seam.ts';
import { jsonPieces } from '../../src/daemon/storage/sliced-json.ts';
import type { JsonObject } from '../../src/protocol/types.ts';
import { tmpDir } from '../helpers.ts';

function sampleDoc(): JsonObject {
  return {
    settings: { theme: 'dark', nested: { deep: { list: [1, { x: 'a\nb\t"c"' }] } }, empty: {}, none: [] },
    tasks: Array.from({ length: 300 }, (_, i) => ({ id: i, title: `task ${i}`, tags: i % 2 ? ['a'] : [], meta: { n: i * 1.5, ok: null } })),
    'odd key "\\/': -0,
    big: 1e21,
  };
}

test('the sliced serializer produces exactly JSON.stringify(value, undefined, "\\t"), conf\'s format', () => {
  const cases: unknown[] = [{}, [], { a: [] }, { a: {} }, sampleDoc(), [sampleDoc(), [[[]]], 'x'], { wide: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, { v: [i] }])) }];
  for (const value of cases) assert.equal([...jsonPieces(value)].join(''), JSON.stringify(value, undefined, '\t'));
  // And it comes out in many pieces, not one.
  assert.ok([...jsonPieces(sampleDoc())].length > 300);
});

test('copy-on-write: a frozen view of the document stays exactly as it was while drafts change, undo and delete', () => {
  const doc = sampleDoc();
  const before = JSON.stringify(doc);
  const cow = new CopyOnWrite();
  const frozen = { ...doc };
  const d = new Draft(doc, 't', undefined, cow);
  d.set(['settings', 'nested', 'deep', 'list', '1', 'x'], 'changed');
  d.set(['tasks', '5', 'title'], 'renamed');
  d.patchOp({ op: 'add', path: '/tasks/-', value: { id: 300 } }, 0);
  d.patchOp({ op: 'remove', path: '/tasks/0' }, 1);
  d.patchOp({ op: 'move', from: '/settings/theme', path: '/settings/empty/theme' }, 2);
  d.remove(['settings', 'none']);
  d.set(['added'], { a: 1 });
  assert.ok(JSON.stringify(frozen) === before, 'the frozen view did not move');
  assert.equal((doc.tasks as Array<{ title: string }>)[4].title, 'renamed');
  // A rejected write is undone on the live document, again without touching the frozen view.
  const live = structuredClone(doc);
  const rejected = new Draft(doc, 't', undefined, cow);
  rejected.set(['tasks', '7', 'meta', 'n'], 0);
  rejected.remove(['settings']);
  rejected.undo();
  assert.ok(isDeepStrictEqual(doc, live), 'undo restored the live document');
  assert.ok(JSON.stringify(frozen) === before, 'nor did undo move it');
  // Each shared container is copied once: later writes to the same place change the live copy in place.
  const tasks = doc.tasks;
  new Draft(doc, 't', undefined, cow).set(['tasks', '9', 'title'], 'again');
  assert.equal(doc.tasks, tasks);
});

test('an off-path checkpoint writes the same file as conf would, and one abandoned midway changes nothing on disk', async () => {
  const cwd = tmpDir();
  const file = new CheckpointFile({ cwd, name: 's', StoreClass: Conf, fsSeam: new FsSeam(), markFile: path.join(cwd, 'marks', 's.json') });
  const doc = sampleDoc();
  const meta = { rev: 7, time: 1 };
  assert.equal(await file.writeOffPath(doc, { v: 1 }, meta, { sliceMs: 0, wanted: () => true }), true);
  const text = fs.readFileSync(file.path, 'utf8');
  assert.equal(text, JSON.stringify({ ...doc, __internal__: { v: 1, storeDaemon: meta } }, undefined, '\t'));
  assert.equal(file.isOnDisk(text), true, 'known to be on disk');
  assert.equal(file.wrote(text), true, 'the mark knows the file');
  assert.equal(file.mark()?.rev, 7);

  let checks = 0;
  const abandoned = await file.writeOffPath({ ...doc, other: 1 }, {}, { rev: 8, time: 2 }, { sliceMs: 0, wanted: () => ++checks < 5 });
  assert.equal(abandoned, false);
  assert.equal(fs.readFileSync(file.path, 'utf8'), text);
  assert.equal(file.mark()?.rev, 7);
  assert.deepEqual(fs.readdirSync(cwd).filter((n) => n.includes('.tmp-')), [], 'its temp file is removed');
});
