import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CheckpointSchedule } from '../../src/daemon/engine/checkpoint-schedule.ts';

const MB = 1024 * 1024;

/**
 * A `run` that counts its calls, and `called()`: resolves at the first call. The schedule's timers are unref'd, so
 * a ref'd guard timer keeps the process alive meanwhile (and fails the test if `run` never comes).
 */
function runner() {
  let calls = 0;
  let wake: (() => void) | undefined;
  const run = () => {
    calls++;
    wake?.();
  };
  return {
    run,
    get calls() {
      return calls;
    },
    called(what: string, ms = 10_000): Promise<void> {
      if (calls > 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`run was not called within ${ms} ms: ${what}`)), ms);
        wake = () => {
          clearTimeout(guard);
          wake = undefined;
          resolve();
        };
      });
    },
  };
}

/**
 * For tests that prove an absence: Node's mock timers, so "nothing ran within 3 × idleMs" is decided by moving the
 * clock, not by waiting on a real one.
 */
function mockClock(t: TestContext): (ms: number) => void {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  return (ms) => t.mock.timers.tick(ms);
}

// --- due() ---

test('due() with defaults: 1000 records alone are not enough; the journal must also reach 1 MB on a small document', () => {
  const s = new CheckpointSchedule({}, () => assert.fail('due() never runs'));
  assert.equal(s.due(0), false, 'nothing recorded');
  s.recorded(999, MB);
  assert.equal(s.due(100), false, '999 records');
  s.recorded(1, 0);
  assert.equal(s.due(100), true, '1000 records and 1 MB on a 100-byte document');

  const small = new CheckpointSchedule({}, () => {});
  small.recorded(5000, MB - 1);
  assert.equal(small.due(100), false, '5000 records but under 1 MB of journal');
  small.recorded(0, 1);
  assert.equal(small.due(100), true);
});

test('due() with defaults: on a large document the journal must reach twice its size', () => {
  const s = new CheckpointSchedule({}, () => {});
  const doc = 3 * MB;
  s.recorded(1000, 6 * MB - 1);
  assert.equal(s.due(doc), false, '1000 records, journal just under 2× a 3 MB document');
  s.recorded(0, 1);
  assert.equal(s.due(doc), true, 'journal at 2× the document');
  assert.equal(s.due(doc + 1), false, 'a slightly larger document raises the bar');
});

test('due() with defaults: the journal threshold is capped at 16 MB for very large documents', () => {
  const s = new CheckpointSchedule({}, () => {});
  s.recorded(1000, 16 * MB - 1);
  assert.equal(s.due(20 * MB), false);
  s.recorded(0, 1);
  assert.equal(s.due(20 * MB), true, '16 MB of journal suffices even for a 20 MB document (2× would be 40 MB)');
  assert.equal(s.due(200 * MB), true);
});

test('due() with defaults: 32 MB of journal alone makes a checkpoint due, whatever the record count or document size', () => {
  const s = new CheckpointSchedule({}, () => {});
  s.recorded(1, 32 * MB - 1);
  assert.equal(s.due(100 * MB), false);
  s.recorded(0, 1);
  assert.equal(s.due(100 * MB), true, 'one record of 32 MB');

  const tuned = new CheckpointSchedule({ bytes: 500 }, () => {});
  tuned.recorded(1, 499);
  assert.equal(tuned.due(0), false);
  tuned.recorded(1, 1);
  assert.equal(tuned.due(10 * MB), true, 'a tuned bytes threshold alone');
});

test('due() with records tuned: the record count alone decides, whatever the journal or document size', () => {
  const s = new CheckpointSchedule({ records: 5 }, () => {});
  s.recorded(4, 4);
  assert.equal(s.due(100 * MB), false, '4 of 5 records');
  s.recorded(1, 1);
  assert.equal(s.due(100 * MB), true, '5 tiny records on a 100 MB document');

  // Tuned to the default value still means "records alone".
  const thousand = new CheckpointSchedule({ records: 1000 }, () => {});
  thousand.recorded(1000, 10);
  assert.equal(thousand.due(10 * MB), true);
});

test('succeeded() resets the counts since the last checkpoint', () => {
  const s = new CheckpointSchedule({ records: 3 }, () => {});
  s.recorded(3, 30);
  assert.equal(s.due(0), true);
  s.succeeded();
  assert.equal(s.due(0), false);
  s.recorded(2, 20);
  assert.equal(s.due(0), false, 'counting starts again from zero');
  s.recorded(1, 10);
  assert.equal(s.due(0), true);

  const bytes = new CheckpointSchedule({ bytes: 100 }, () => {});
  bytes.recorded(1, 100);
  assert.equal(bytes.due(0), true);
  bytes.succeeded();
  assert.equal(bytes.due(0), false, 'bytes reset too');
});

// --- afterCommit() and the idle timer ---

test('afterCommit() runs the checkpoint at once when due', () => {
  const r = runner();
  const s = new CheckpointSchedule({ records: 2, idleMs: 60_000 }, r.run);
  s.recorded(1, 10);
  s.afterCommit(0);
  assert.equal(r.calls, 0, 'not due yet: only the (long) idle timer is armed');
  s.recorded(1, 10);
  s.afterCommit(0);
  assert.equal(r.calls, 1, 'due: run synchronously');
  s.cancel();
});

test('afterCommit() when not due arms an idle timer that runs the checkpoint after idleMs', async () => {
  const r = runner();
  const s = new CheckpointSchedule({ records: 100, idleMs: 5 }, r.run);
  s.recorded(1, 10);
  s.afterCommit(0);
  assert.equal(r.calls, 0, 'not synchronously');
  await r.called('the idle timer');
  assert.equal(r.calls, 1);
});

test('afterCommit() re-arms the idle timer: several commits in a row lead to one idle checkpoint', (t) => {
  const tick = mockClock(t);
  const r = runner();
  const idleMs = 20;
  const s = new CheckpointSchedule({ records: 100, idleMs }, r.run);
  for (let i = 0; i < 5; i++) {
    s.recorded(1, 10);
    s.afterCommit(0);
    tick(idleMs / 2);
  }
  assert.equal(r.calls, 0, 'each commit pushed the idle checkpoint back');
  tick(idleMs / 2);
  assert.equal(r.calls, 1, 'idleMs after the last commit');
  tick(3 * idleMs);
  assert.equal(r.calls, 1, 'each commit replaced the previous timer');
});

test('starting() stops a pending idle timer', (t) => {
  const tick = mockClock(t);
  const r = runner();
  const idleMs = 10;
  const s = new CheckpointSchedule({ records: 100, idleMs }, r.run);
  s.recorded(1, 10);
  s.afterCommit(0);
  s.starting();
  tick(3 * idleMs);
  assert.equal(r.calls, 0);
});

test('cancel() stops a pending idle timer', (t) => {
  const tick = mockClock(t);
  const r = runner();
  const idleMs = 10;
  const s = new CheckpointSchedule({ records: 100, idleMs }, r.run);
  s.recorded(1, 10);
  s.afterCommit(0);
  s.cancel();
  tick(3 * idleMs);
  assert.equal(r.calls, 0);
});

test('an idleMs past setTimeout\'s limit means never, not at once', (t) => {
  const tick = mockClock(t);
  const r = runner();
  const s = new CheckpointSchedule({ records: 100, idleMs: 2 ** 32 }, r.run);
  s.recorded(1, 10);
  s.afterCommit(0);
  tick(30);
  assert.equal(r.calls, 0, 'a delay of 2^32 ms must not wrap around to 1 ms');
  s.cancel();
});

// --- failed() and the retry timer ---

test('failed() arms a retry that runs the checkpoint again, also when no further write comes', async () => {
  const r = runner();
  const s = new CheckpointSchedule({ records: 100, idleMs: 5 }, r.run);
  s.starting();
  s.failed(false);
  assert.equal(r.calls, 0, 'not synchronously');
  await r.called('the retry timer');
  assert.equal(r.calls, 1);
});

test('failed(closed) arms no retry', (t) => {
  const tick = mockClock(t);
  const r = runner();
  const s = new CheckpointSchedule({ records: 100, idleMs: 5 }, r.run);
  s.failed(true);
  // The first retry delay is max(min(idleMs, 1000), 10) = 10 ms.
  tick(50);
  assert.equal(r.calls, 0);
});

test('starting() and cancel() also stop a pending retry', (t) => {
  const tick = mockClock(t);
  const r = runner();
  const s = new CheckpointSchedule({ records: 100, idleMs: 5 }, r.run);
  s.failed(false);
  s.starting();
  const other = runner();
  const u = new CheckpointSchedule({ records: 100, idleMs: 5 }, other.run);
  u.failed(false);
  u.cancel();
  tick(50);
  assert.equal(r.calls, 0, 'starting()');
  assert.equal(other.calls, 0, 'cancel()');
});
