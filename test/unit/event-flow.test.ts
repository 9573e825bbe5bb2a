import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventFlow, MAX_UNSEEN_CHARS, MAX_UNSEEN_EVENTS } from '../../src/daemon/event-flow.ts';

/** Sends change events until one is refused; returns how many went out. */
function fill(flow: EventFlow, chars = 0): number {
  let n = 0;
  while (flow.admitChange(chars, () => flow.sent())) {
    flow.sent();
    n++;
  }
  return n;
}

test('lags past MAX_UNSEEN_EVENTS unconfirmed events; one lagging marker; ends when everything sent is confirmed', () => {
  const flow = new EventFlow();
  let markers = 0;
  assert.equal(fill(flow), MAX_UNSEEN_EVENTS);
  assert.equal(flow.lagging, true);
  assert.equal(flow.admitChange(0, () => markers++), false);
  assert.equal(markers, 0, 'the marker goes out once');
  assert.equal(flow.seen(MAX_UNSEEN_EVENTS), false, 'the marker is not confirmed yet');
  assert.equal(flow.seen(MAX_UNSEEN_EVENTS + 1), true);
  assert.equal(flow.lagging, false);
  assert.equal(flow.admitChange(0, () => markers++), true);
});

test('bounded by characters too; confirmed events free their characters', () => {
  const flow = new EventFlow();
  const big = MAX_UNSEEN_CHARS / 4;
  assert.equal(fill(flow, big), 4);
  assert.equal(flow.seen(5), true);
  assert.equal(fill(flow, big), 4);
});

test('seen() ignores what a hostile client may send: not a number, going back, beyond what was sent', () => {
  const flow = new EventFlow();
  fill(flow);
  for (const bad of ['5', -1, 1.5, Number.NaN, MAX_UNSEEN_EVENTS + 2, null, {}]) assert.equal(flow.seen(bad), false);
  assert.equal(flow.lagging, true);
  assert.equal(flow.seen(10), false);
  assert.equal(flow.seen(9), false, 'cannot go back');
  assert.equal(flow.lagging, true);
});

test('one change bigger than the character bound still goes to a client that has confirmed everything', () => {
  const flow = new EventFlow();
  assert.equal(flow.admitChange(MAX_UNSEEN_CHARS + 1, () => assert.fail('no lag')), true);
  flow.sent();
  let markers = 0;
  assert.equal(flow.admitChange(1, () => markers++), false, 'the next waits for its confirmation');
  assert.equal(markers, 1);
});
