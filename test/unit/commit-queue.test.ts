import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitQueue } from '../../src/daemon/engine/commit-queue.ts';

/** One turn of the event loop: the queue starts a group on setImmediate, so this is its unit of "later". */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A runGroup that records each group and keeps it in flight until the test calls `release()`, like a group waiting
 * for its fdatasync. `log` gets `start:<ids>` and `end:<ids>`; `maxInFlight` shows whether groups ever overlapped.
 */
function gatedRunner(log: string[] = []) {
  const groups: string[][] = [];
  const releases: Array<() => void> = [];
  const waiters: Array<() => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const runGroup = (jobs: string[]): Promise<void> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    groups.push([...jobs]);
    log.push(`start:${jobs.join(',')}`);
    for (const wake of waiters.splice(0)) wake();
    return new Promise<void>((resolve) => releases.push(() => {
      log.push(`end:${jobs.join(',')}`);
      inFlight--;
      resolve();
    }));
  };
  return {
    runGroup,
    groups,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    /** Resolves once runGroup has been called `n` times. */
    started(n: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const check = () => (groups.length >= n ? resolve() : void waiters.push(check));
        check();
      });
    },
    /** Lets the oldest group in flight finish. */
    release(): void {
      const next = releases.shift();
      assert.ok(next, 'a group is in flight');
      next();
    },
  };
}

test('jobs pushed in the same tick go to runGroup as one group, and not synchronously at push', async () => {
  const groups: string[][] = [];
  const queue = new CommitQueue<string>(async (jobs) => {
    groups.push([...jobs]);
  });
  assert.equal(queue.busy, false);
  queue.push('a');
  queue.push('b');
  await Promise.resolve(); // a microtask later is still the same tick
  queue.push('c');
  assert.deepEqual(groups, [], 'runGroup waits for the tick to end');
  assert.equal(queue.pending, 3);
  assert.equal(queue.busy, true);

  await queue.drain();
  assert.deepEqual(groups, [['a', 'b', 'c']]);
  assert.equal(queue.pending, 0);
  assert.equal(queue.busy, false);

  queue.push('d');
  await queue.drain();
  assert.deepEqual(groups, [['a', 'b', 'c'], ['d']], 'a push after the queue went idle starts a new group');
});

test('jobs pushed while a group runs wait for it and then form the next group, in push order', async () => {
  const runner = gatedRunner();
  const queue = new CommitQueue<string>(runner.runGroup);
  queue.push('a');
  await runner.started(1);
  assert.equal(queue.pending, 0, 'the running group took its jobs off the queue');

  queue.push('b');
  queue.push('c');
  await nextTurn(); // a whole turn passes: still no second group while the first is in flight
  queue.push('d');
  assert.deepEqual(runner.groups, [['a']]);
  assert.equal(queue.pending, 3);
  assert.equal(queue.busy, true);

  runner.release();
  await runner.started(2);
  assert.deepEqual(runner.groups[1], ['b', 'c', 'd']);

  queue.push('e');
  queue.push('f');
  runner.release();
  await runner.started(3);
  assert.deepEqual(runner.groups, [['a'], ['b', 'c', 'd'], ['e', 'f']]);
  runner.release();
  await queue.drain();
  assert.equal(runner.maxInFlight, 1, 'runGroup is never called while another group is in flight');
});

test('whenIdle runs at once when idle, and otherwise between groups, never while runGroup is in flight', async () => {
  const log: string[] = [];
  const runner = gatedRunner(log);
  const queue = new CommitQueue<string>(runner.runGroup);
  const idle = (name: string) => () => log.push(`${name}${runner.inFlight > 0 ? ' DURING A GROUP' : ''}`);

  let ranAtOnce = false;
  queue.whenIdle(() => {
    ranAtOnce = true;
  });
  assert.equal(ranAtOnce, true, 'idle queue: runs synchronously');

  queue.push('a');
  queue.whenIdle(idle('idle-1')); // a group is scheduled but not started: waits for it
  assert.deepEqual(log, []);
  await runner.started(1);
  queue.whenIdle(idle('idle-2')); // a group is in flight
  queue.push('b');
  await nextTurn();
  assert.deepEqual(log, ['start:a'], 'nothing ran while group a is in flight');

  runner.release();
  await runner.started(2);
  assert.deepEqual(log, ['start:a', 'end:a', 'idle-1', 'idle-2', 'start:b'], 'after group a, before group b');

  queue.whenIdle(idle('idle-3'));
  runner.release();
  await queue.drain();
  assert.deepEqual(log, ['start:a', 'end:a', 'idle-1', 'idle-2', 'start:b', 'end:b', 'idle-3']);

  let ranAfter = false;
  queue.whenIdle(() => {
    ranAfter = true;
  });
  assert.equal(ranAfter, true, 'idle again: runs synchronously');
});

test('drain resolves only after every queued job ran, including jobs that arrived during earlier groups', async () => {
  const idleQueue = new CommitQueue<string>(async () => {});
  await idleQueue.drain(); // an idle queue drains at once (a promise that never settles fails the test)

  const runner = gatedRunner();
  const queue = new CommitQueue<string>(runner.runGroup);
  let drained = false;
  queue.push('a');
  queue.push('b');
  const drain = queue.drain().then(() => {
    drained = true;
  });

  await runner.started(1);
  queue.push('c');
  runner.release();
  await runner.started(2);
  assert.equal(drained, false, 'job c is still in flight');

  queue.push('d');
  runner.release();
  await runner.started(3);
  assert.equal(drained, false, 'job d is still in flight');

  runner.release();
  await drain;
  assert.deepEqual(runner.groups, [['a', 'b'], ['c'], ['d']]);
  assert.equal(queue.pending, 0);
  assert.equal(queue.busy, false);
});

interface Job {
  id: string;
  bad: boolean;
  resolve(value: string): void;
  reject(error: Error): void;
}

/** A job carrying its own resolve/reject, as the engine's jobs do; `done` settles with the job's outcome. */
function makeJob(id: string, bad = false): { job: Job; done: Promise<string> } {
  let resolve!: (value: string) => void;
  let reject!: (error: Error) => void;
  const done = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { job: { id, bad, resolve, reject }, done };
}

const outcome = (settled: PromiseSettledResult<string>) =>
  settled.status === 'fulfilled' ? settled.value : `rejected: ${(settled.reason as Error).message}`;

test('a job rejected inside a group does not disturb the other jobs of that group or the groups after it', async () => {
  const groups: string[][] = [];
  let entered!: () => void;
  const firstGroupEntered = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const queue = new CommitQueue<Job>(async (jobs) => {
    groups.push(jobs.map((j) => j.id));
    entered();
    await nextTurn(); // the group's I/O
    for (const job of jobs) {
      if (job.bad) job.reject(new Error(`${job.id} is bad`));
      else job.resolve(`${job.id} ok`);
    }
  });

  const first = [makeJob('a'), makeJob('b', true), makeJob('c'), makeJob('d', true), makeJob('e')];
  for (const j of first) queue.push(j.job);
  const firstOutcomes = Promise.allSettled(first.map((j) => j.done));

  await firstGroupEntered;
  const second = [makeJob('f', true), makeJob('g')];
  for (const j of second) queue.push(j.job);
  const secondOutcomes = Promise.allSettled(second.map((j) => j.done));

  assert.deepEqual((await firstOutcomes).map(outcome), ['a ok', 'rejected: b is bad', 'c ok', 'rejected: d is bad', 'e ok']);
  assert.deepEqual((await secondOutcomes).map(outcome), ['rejected: f is bad', 'g ok']);
  assert.deepEqual(groups, [['a', 'b', 'c', 'd', 'e'], ['f', 'g']]);

  const last = makeJob('h');
  queue.push(last.job);
  assert.equal(await last.done, 'h ok', 'the queue keeps working after rejections');
  await queue.drain();
  assert.deepEqual(groups, [['a', 'b', 'c', 'd', 'e'], ['f', 'g'], ['h']]);
  assert.equal(queue.busy, false);
});
