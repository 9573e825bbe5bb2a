import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createElement, type ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { useStoreValue } from '../src/client-renderer/react.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { type Settings, startDaemon, tmpDir } from './helpers.ts';

test('useStoreValue reads from the cache; the snapshot keeps its identity until the value changes', async () => {
  const cwd = tmpDir();
  const daemon = await startDaemon(cwd);
  const store = await daemon.store<Settings>('settings');
  await store.set('window', { width: 500 });
  function Theme({ client }: { client: StoreClient<Settings> }): ReactElement {
    const theme = useStoreValue(client, 'theme');
    const width = useStoreValue(client, 'window.width');
    return createElement('p', null, `${theme} ${width}`);
  }
  assert.equal(renderToString(createElement(Theme, { client: store })), '<p>auto 500</p>');
  const peek = (store as unknown as { peek(k: string): unknown }).peek.bind(store);
  // The hook subscribes to its key; an observed key gets a new identity exactly when its value changes.
  const off = store.onDidChange('window', () => {});
  const before = peek('window');
  await store.set('theme', 'dark');
  assert.equal(peek('window'), before, 'unrelated change keeps the identity (no re-render loop)');
  await store.set('window.width', 600);
  assert.notEqual(peek('window'), before);
  off();
  assert.equal(renderToString(createElement(Theme, { client: store })), '<p>dark 600</p>');
});
