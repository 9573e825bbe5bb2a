// Type-level checks: `npm run typecheck` fails if the typed key paths stop catching these mistakes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyPath, KeyValue, StoreClient } from '../../src/protocol/types.ts';

interface Doc {
  theme: 'dark' | 'light';
  window: { width: number; title?: string };
  tasks: Array<{ title: string; done: boolean }>;
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const expectType = <T extends true>(_value?: T) => {};

expectType<Equal<KeyValue<Doc, 'window.width'>, number>>();
expectType<Equal<KeyValue<Doc, 'tasks.0.done'>, boolean>>();
expectType<Equal<Extract<KeyPath<Doc>, 'window.title'>, 'window.title'>>();

async function usage(store: StoreClient<Doc>): Promise<void> {
  const theme: 'dark' | 'light' | undefined = store.get('theme');
  const width: number = store.get('window.width', 800);
  await store.set('window.width', 1024);
  await store.set({ theme: 'dark', 'window.width': 3 });
  // @ts-expect-error unknown key path
  store.get('window.height');
  // @ts-expect-error wrong value type for the path
  await store.set('window.width', 'wide');
  // @ts-expect-error wrong literal
  await store.set('theme', 'blue');
  store.onDidChange('tasks.0.title', (value) => {
    const title: string | undefined = value;
    void title;
  });
  void theme;
  void width;
}

test('typed key paths compile (see npm run typecheck)', () => {
  assert.equal(typeof usage, 'function');
});
