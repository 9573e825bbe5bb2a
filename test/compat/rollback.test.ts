/**
 * `rollback({ time })`: back to the state at a moment, taken from the history entries' own `time` values (no sleeps:
 * several writes may share a millisecond, so the expected state is "the last rev at or before that time").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { HistoryEntry } from '../../src/protocol/types.ts';
import { rejectsWith } from '../helpers.ts';
import { type Doc, sandbox } from './helpers.ts';

/** The rev `rollback({ time })` must go back to: the last entry at or before `time` (0: before every write). */
const revAt = (history: HistoryEntry[], time: number): number => history.filter((e) => e.time <= time).reduce((rev, e) => Math.max(rev, e.rev), 0);

test('rollback({ time }) goes back to the state at that time, as one new write; epoch ms and ISO strings', async () => {
  const { store } = await sandbox().open<{ a: number; b?: { c: number[] }; list?: string[] }>({ name: 'config', defaults: { a: 0 } });
  const states: Doc[] = [store.store]; // states[rev]
  for (const write of [() => store.set('a', 1), () => store.set('b', { c: [1] }), () => store.set('a', 2), () => store.delete('b'), () => store.appendToArray('list', 'x')]) {
    const { rev } = await write();
    states[rev] = store.store;
  }
  const history = await store.history();
  assert.deepEqual(history.map((e) => e.rev), [1, 2, 3, 4, 5]);

  /** Rolls back to `time`; checks the state against `states` and the rev (a new one, unless nothing had to change). */
  const rollbackTo = async (time: number | string): Promise<number> => {
    const ms = typeof time === 'number' ? time : Date.parse(time);
    const target = revAt(await store.history(), ms);
    const before = store.rev;
    const changes = !isDeepStrictEqual(store.store, states[target]);
    const { rev } = await store.rollback({ time });
    if (changes) assert.equal(rev, before + 1, 'a rollback is one new write');
    else assert.ok(rev === before || rev === before + 1);
    assert.deepEqual(store.store, states[target], `the state of rev ${target}`);
    states[rev] = store.store;
    return target;
  };

  // To the time of rev 2: the state after the last write of that millisecond.
  assert.ok((await rollbackTo(history[1].time)) >= 2);
  // Before every write (as an ISO string): the defaults.
  assert.equal(await rollbackTo(new Date(history[0].time - 1).toISOString()), 0);
  assert.deepEqual(store.store, { a: 0 });
  // Forward again, to the time of rev 5 (the rollbacks' own writes may share its millisecond).
  assert.ok((await rollbackTo(history[4].time)) >= 5);
});

test('rollback({ time }) rejects a malformed time with INVALID_KEY and changes nothing', async () => {
  const { store } = await sandbox().open<Doc>({ name: 'config' });
  await store.set('a', 1);
  for (const time of ['not a date', Number.NaN]) await rejectsWith(store.rollback({ time }), 'INVALID_KEY');
  assert.deepEqual(store.store, { a: 1 });
  assert.equal(store.rev, 1);
});
