// Flow control of events: a client that does not read its port (a hung or hostile window) gets at most
// MAX_UNSEEN_EVENTS change events queued for it, then one `lagging` marker, and nothing more until it confirms what
// it has; once it catches up, a resync brings its cache to the current rev. A client that keeps reading never lags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectStore } from '../src/client-renderer/index.ts';
import { adaptPort, type PortLike } from '../src/protocol/endpoint.ts';
import { MAX_UNSEEN_CHARS, MAX_UNSEEN_EVENTS } from '../src/daemon/event-flow.ts';
import { type Settings, startDaemon, tmpDir, untilRev } from './helpers.ts';

/** A real daemon port whose incoming messages are held while `paused`: a page whose thread does not get to them. */
function holdablePort(raw: unknown): PortLike & { hold(): void; release(): void; held: unknown[]; whenHeld(match: (m: unknown) => boolean): Promise<void> } {
  const port = adaptPort(raw);
  const listeners: Array<(data: unknown, ports: readonly unknown[]) => void> = [];
  let holding = false;
  const held: unknown[] = [];
  const waiters = new Set<{ match: (m: unknown) => boolean; resolve: () => void }>();
  port.onMessage((data, ports) => {
    if (!holding) {
      for (const l of listeners) l(data, ports);
      return;
    }
    held.push(data);
    for (const w of waiters) {
      if (w.match(data)) {
        waiters.delete(w);
        w.resolve();
      }
    }
  });
  return {
    post: (m, t) => port.post(m, t),
    onMessage: (l) => void listeners.push(l),
    onClose: (l) => port.onClose(l),
    start: () => port.start(),
    close: () => port.close(),
    held,
    whenHeld: (match) => new Promise<void>((resolve) => {
      if (held.some(match)) resolve();
      else waiters.add({ match, resolve });
    }),
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const data of held.splice(0)) for (const l of listeners) l(data, []);
    },
  };
}

const eventsIn = (messages: unknown[]) => messages.filter((m) => (m as { ch?: string }).ch === 'evt').map((m) => (m as { e: { t: string } }).e);

test('a client that stops reading gets a bounded queue, then catches up by one resync', async () => {
  const daemon = await startDaemon(tmpDir());
  const main = await daemon.store<Settings>('settings');
  const port = holdablePort(daemon.createPort({ stores: '*' }));
  const window = await connectStore<Settings>('settings', { port });
  const seen: number[] = [];
  window.onDidChange('fontSize', (v) => seen.push(v as number));
  port.hold();
  // Far more commit groups than the bound (each awaited write is its own group).
  const writes = MAX_UNSEEN_EVENTS + 1500;
  for (let i = 0; i < writes; i++) await main.set('fontSize', 6 + (i % 60));
  const events = eventsIn(port.held);
  const changes = events.filter((e) => e.t === 'changes');
  assert.ok(changes.length <= MAX_UNSEEN_EVENTS, `${changes.length} change events queued for a client that read none`);
  assert.equal(events.filter((e) => e.t === 'lagging').length, 1);
  assert.ok(events.length < writes, 'the rest was dropped, not queued');

  port.release();
  await untilRev(window, main.rev);
  assert.deepEqual(window.store, main.store);
  // And it follows live again: the next write arrives as a change event.
  const { rev } = await main.set('theme', 'light');
  await untilRev(window, rev);
  assert.equal(window.get('theme'), 'light');
  assert.equal(seen.at(-1), main.get('fontSize'));
});

test('a window that writes while it lags still gets its writes acknowledged', async () => {
  const daemon = await startDaemon(tmpDir());
  const main = await daemon.store<Settings>('settings');
  const port = holdablePort(daemon.createPort());
  const window = await connectStore<Settings>('settings', { port });
  port.hold();
  for (let i = 0; i < MAX_UNSEEN_EVENTS + 10; i++) await main.set('fontSize', 6 + (i % 60));
  const write = window.set('theme', 'dark');
  // The ack comes on its own while change events are held back; the client sees it once it reads again.
  await port.whenHeld((m) => eventsIn([m]).some((e) => e.t === 'acks'));
  port.release();
  const { rev } = await write;
  await untilRev(window, rev);
  assert.equal(window.get('theme'), 'dark');
  assert.equal(main.get('theme'), 'dark');
});

test('a client that keeps reading never lags, also when each change is large (it confirms by size too)', async () => {
  const daemon = await startDaemon(tmpDir());
  const main = await daemon.store<Settings>('settings');
  const raw = adaptPort(daemon.createPort({ stores: '*' }));
  const events: string[] = [];
  const port: PortLike = { ...raw, onMessage: (l) => raw.onMessage((data, ports) => {
    events.push(...eventsIn([data]).map((e) => e.t));
    l(data, ports);
  }) };
  const window = await connectStore<Record<string, unknown>>('settings', { port });
  // 256 events (the count at which a client confirms) of this size are four times the daemon's character bound.
  const big = 'x'.repeat(Math.ceil((4 * MAX_UNSEEN_CHARS) / 256));
  let rev = 0;
  for (let i = 0; i < 300; i++) ({ rev } = await main.set(`k${i % 4}` as never, `${i}${big}` as never));
  await untilRev(window, rev);
  assert.equal(events.filter((t) => t === 'lagging' || t === 'resync').length, 0, `events: ${[...new Set(events)].join(', ')}`);
  assert.equal((window.get('k3') as string).slice(0, 3), '299');
});
