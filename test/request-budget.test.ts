// A window's request budget (policy.maxRequestsPerSecond, 1,000 cost units per second by default) bounds floods, but
// the client's own bookkeeping must live within it: a page that opens many stores at once, or whose stores all
// resubscribe on a new port, is retried past the budget instead of failing or being left with a stale cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedStore } from '../src/client/cached-store.ts';
import { ClientConnection } from '../src/client/connection.ts';
import { connectStore } from '../src/client-renderer/index.ts';
import { defineStore } from '../src/index.ts';
import { startDaemon, tmpDir, untilRev } from './helpers.ts';

/** More stores than one burst of the default budget pays subscribes for (a subscribe costs 20 of a 250-unit burst). */
const N = 24;
const stores = Array.from({ length: N }, (_, i) => defineStore({ name: `s${i}`, defaults: { x: 0 } }));

test('a window opens more stores at once than one burst of its request budget pays for', async () => {
  const daemon = await startDaemon(tmpDir(), { stores });
  const port = daemon.createPort({ stores: '*' });
  const clients = await Promise.all(stores.map((s) => connectStore<{ x: number }>(s.name, { port })));
  assert.deepEqual(clients.map((c) => c.get('x')), Array(N).fill(0));
  // Still a budget: requests the client makes itself are refused past it.
  const refused = await Promise.allSettled(Array.from({ length: 40 }, () => clients[0].export()));
  assert.ok(refused.some((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'RATE_LIMITED'));
});

test('on a new port every store resubscribes, also past the budget: none stays stale, every write settles', async () => {
  const daemon = await startDaemon(tmpDir(), { stores });
  const main = await Promise.all(stores.map((s) => daemon.store<{ x: number }>(s.name)));
  const conn = new ClientConnection(daemon.createPort({ stores: '*' }));
  const clients: Array<CachedStore<{ x: number }>> = [];
  // One by one, so the opening itself stays within the budget; the new port below makes them all resubscribe at once.
  for (const s of stores) clients.push(await CachedStore.open<{ x: number }>(conn, s.name));
  await conn.attach(daemon.createPort({ stores: '*' }));
  // Changes made by main after the new port reach every cache...
  const revs = await Promise.all(main.map((m) => m.set('x', 1)));
  await Promise.all(clients.map((c, i) => untilRev(c, revs[i].rev)));
  assert.deepEqual(clients.map((c) => c.get('x')), Array(N).fill(1));
  // ...and the window's own writes settle, each with its cache showing it.
  const written = await Promise.all(clients.map((c) => c.set('x', 2)));
  assert.deepEqual(written.map((w, i) => w.rev === clients[i].rev && clients[i].get('x')), Array(N).fill(2));
  // Main's caches get those writes as change events, after the window's promises resolved.
  await Promise.all(main.map((m, i) => untilRev(m, written[i].rev)));
  assert.deepEqual(main.map((m) => m.get('x')), Array(N).fill(2));
});
