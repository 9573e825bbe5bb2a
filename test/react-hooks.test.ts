// React bindings rendered for real (react-dom into a jsdom document) against a worker-hosted daemon. Every wait is on a
// promise or a change event, inside act() so React flushes what those events scheduled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JSDOM } from 'jsdom';
import { act, Activity, Component, createElement, StrictMode, Suspense, useState, type ReactElement, type ReactNode } from 'react';
import { connectStore } from '../src/client-renderer/index.ts';
import {
  StoreProvider,
  useStore,
  useStoreClient,
  useStoreDocument,
  useStoreValue,
  type StoreClientState,
  type StoreConnectOptions,
  type StoreConnector,
  type StoreWriteState,
} from '../src/client-renderer/react.ts';
import type { StoreError } from '../src/protocol/errors.ts';
import type { StoreClient } from '../src/protocol/types.ts';
import { rejectsWith, type Settings, settingsDef, startDaemon, tmpDir, untilRev } from './helpers.ts';

// react-dom decides at load whether it has a DOM, so the globals come first and react-dom/client after them.
const dom = new JSDOM('<!doctype html><html><body></body></html>');
Object.assign(globalThis, { window: dom.window, document: dom.window.document, IS_REACT_ACT_ENVIRONMENT: true });
// Node 21+ has its own navigator; Node 20 has none, and react-dom reads navigator.userAgent at load.
if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: dom.window.navigator, configurable: true });
const { createRoot } = await import('react-dom/client');

const settings = settingsDef();

interface Mounted {
  container: HTMLElement;
  render(element: ReactElement): Promise<void>;
  unmount(): Promise<void>;
  errors: unknown[];
}

async function mount(element: ReactElement): Promise<Mounted> {
  const container = dom.window.document.createElement('div');
  dom.window.document.body.append(container);
  const errors: unknown[] = [];
  const root = createRoot(container, { onCaughtError: (error) => errors.push(error), onUncaughtError: (error) => errors.push(error) });
  await act(async () => root.render(element));
  return {
    container,
    errors,
    render: (next) => act(async () => root.render(next)),
    unmount: async () => {
      await act(async () => root.unmount());
      container.remove();
    },
  };
}

/** Writes through `writer` (main, say) and waits, inside act(), until `reader` has applied it. */
async function changeFrom(writer: Promise<{ rev: number }>, reader: StoreClient<Settings>): Promise<void> {
  await act(async () => {
    const { rev } = await writer;
    await untilRev(reader, rev);
  });
}

async function setup(): Promise<{ daemon: Awaited<ReturnType<typeof startDaemon>>; main: StoreClient<Settings>; client: StoreClient<Settings> }> {
  const daemon = await startDaemon(tmpDir());
  const main = await daemon.store<Settings>('settings');
  const client = await connectStore<Settings>('settings', { port: daemon.createPort() });
  return { daemon, main, client };
}

test('useStore re-renders live when another client changes its key, and only then (render counters)', async () => {
  const { main, client } = await setup();
  const renders = { theme: 0, fontSize: 0, window: 0 };
  function Theme(): ReactElement {
    renders.theme++;
    const [theme] = useStore(client, 'theme');
    return createElement('i', null, theme);
  }
  function FontSize(): ReactElement {
    renders.fontSize++;
    const [size] = useStore(client, 'fontSize');
    return createElement('b', null, String(size));
  }
  function Width(): ReactElement {
    renders.window++;
    const win = useStoreValue(client, 'window');
    return createElement('u', null, String(win?.width));
  }
  const view = await mount(createElement('p', null, createElement(Theme), createElement(FontSize), createElement(Width)));
  assert.equal(view.container.textContent, 'auto14undefined');
  assert.deepEqual(renders, { theme: 1, fontSize: 1, window: 1 });

  await changeFrom(main.set('theme', 'dark'), client);
  assert.equal(view.container.textContent, 'dark14undefined');
  assert.deepEqual(renders, { theme: 2, fontSize: 1, window: 1 }, 'only the theme component re-rendered');

  await changeFrom(main.set('window', { width: 800 }), client);
  await changeFrom(main.set('fontSize', 20), client);
  assert.equal(view.container.textContent, 'dark20800');
  assert.deepEqual(renders, { theme: 2, fontSize: 2, window: 2 });

  // A change below an observed object re-renders its reader (new identity), and nobody else.
  await changeFrom(main.set('window.width', 640), client);
  assert.equal(view.container.textContent, 'dark20640');
  assert.deepEqual(renders, { theme: 2, fontSize: 2, window: 3 });

  // A change to a key nobody here reads re-renders nothing.
  await changeFrom(main.set('tags', ['a']), client);
  assert.deepEqual(renders, { theme: 2, fontSize: 2, window: 3 });
  await view.unmount();
});

test('setValue: pending while the durable write is in flight, then the new value; a rejected write sets error and changes nothing', async () => {
  const { main, client } = await setup();
  const log: Array<{ value: number | undefined; pending: boolean; error: StoreError | undefined }> = [];
  let setFontSize!: (value: number | ((current: number | undefined) => number)) => Promise<boolean>;
  function Editor(): ReactElement {
    const [value, setValue, state] = useStore(client, 'fontSize');
    setFontSize = setValue;
    log.push({ value, pending: state.pending, error: state.error });
    return createElement('span', null, String(value));
  }
  const view = await mount(createElement(Editor));
  assert.deepEqual(log.slice(), [{ value: 14, pending: false, error: undefined }]);

  let write!: Promise<boolean>;
  await act(async () => {
    write = setFontSize(18);
  });
  await act(async () => assert.equal(await write, true));
  const started = log.findIndex((r) => r.pending);
  assert.ok(started > 0, 'a render with pending: true');
  assert.equal(log[started].value, 14, 'pending starts before the value changes');
  const afterPending = log.slice(started).filter((r) => !r.pending);
  assert.ok(afterPending.length > 0 && afterPending.every((r) => r.value === 18), 'pending ends with the new value already shown');
  assert.equal(view.container.textContent, '18');
  assert.equal(main.get('fontSize'), 18, 'the write reached the daemon');

  // Updater form: the current value from the cache.
  await act(async () => assert.equal(await setFontSize((n) => (n ?? 0) + 2), true));
  assert.equal(view.container.textContent, '20');

  // fontSize has minimum 6 in the schema: the daemon rejects, the value stays, the error is reported.
  const revBefore = client.rev;
  let ok: boolean | undefined;
  await act(async () => {
    ok = await setFontSize(2);
  });
  assert.equal(ok, false, 'setValue resolves false instead of rejecting');
  const rejected = log.at(-1)!;
  assert.equal(rejected.error?.code, 'VALIDATION_FAILED');
  assert.equal(rejected.error?.name, 'StoreError');
  assert.equal(rejected.value, 20);
  assert.equal(rejected.pending, false);
  assert.equal(client.rev, revBefore, 'nothing committed');
  assert.equal(view.container.textContent, '20');

  // The next successful write clears the error.
  await act(async () => assert.equal(await setFontSize(22), true));
  assert.deepEqual(log.at(-1), { value: 22, pending: false, error: undefined });
  await view.unmount();
});

test('StoreProvider + useStoreClient: loading, then one shared client per store; useStore by name and by definition', async () => {
  const { daemon, main } = await setup();
  const connecting: Array<Promise<unknown>> = [];
  const connect: StoreConnector = <T extends object>(name: string, options: StoreConnectOptions) => {
    const p = connectStore<T>(name, options);
    connecting.push(p);
    return p;
  };
  const states: Array<StoreClientState<Settings>> = [];
  const seen: Array<StoreClient<Settings> | undefined> = [];
  const themes: Array<{ theme: string | undefined; state: StoreWriteState }> = [];
  let setTheme!: (value: Settings['theme']) => Promise<boolean>;
  function Status(): ReactElement {
    const state = useStoreClient(settings);
    states.push(state);
    return createElement('i', null, state.loading ? 'loading' : state.client ? `rev ${state.client.rev}` : 'error');
  }
  function Other(): ReactElement {
    const { client } = useStoreClient<Settings>('settings');
    seen.push(client);
    return createElement('i', null, '');
  }
  function ThemeByName(): ReactElement {
    const [theme, set, state] = useStore<Settings, 'theme'>('settings', 'theme');
    setTheme = set;
    themes.push({ theme, state });
    return createElement('b', null, String(theme));
  }
  function SizeByDefinition(): ReactElement {
    const [size] = useStore(settings, 'fontSize'); // typed from the definition: number | undefined
    const n: number | undefined = size;
    return createElement('u', null, String(n));
  }
  const view = await mount(
    createElement(StoreProvider, { port: daemon.createPort(), connect }, createElement(Status), createElement(Other), createElement(ThemeByName), createElement(SizeByDefinition)),
  );
  assert.equal(view.container.textContent, 'loadingundefinedundefined');
  assert.equal(states[0].loading, true);
  assert.equal(states[0].client, undefined);
  assert.equal(themes[0].state.loading, true);
  assert.equal(connecting.length, 1, 'one connection for the four hooks');

  // A write made while connecting waits for the client, then goes through.
  let write!: Promise<boolean>;
  await act(async () => {
    write = setTheme('light');
  });
  await act(async () => {
    await connecting[0];
  });
  const ready = states.at(-1)!;
  assert.equal(ready.loading, false);
  assert.ok(ready.client);
  assert.equal(seen.at(-1), ready.client, 'the same client for every hook of the provider');
  await act(async () => assert.equal(await write, true));
  assert.equal(themes.at(-1)!.theme, 'light');
  assert.equal(themes.at(-1)!.state.pending, false);
  assert.equal(main.get('theme'), 'light');
  assert.match(view.container.textContent ?? '', /^rev \dlight14$/);

  // Live through the provider's client.
  await changeFrom(main.set('fontSize', 30), ready.client);
  assert.match(view.container.textContent ?? '', /light30$/);

  // Unmounting the provider closes its clients.
  const client = ready.client;
  await view.unmount();
  await Promise.resolve();
  await rejectsWith(client.set('theme', 'dark'), 'CLOSED');
});

test('StoreProvider: suspense mode, a failed connection and retry, StrictMode keeps the clients, no provider is an error', async () => {
  const { daemon } = await setup();
  const connecting: Array<Promise<unknown>> = [];
  const connect: StoreConnector = <T extends object>(name: string, options: StoreConnectOptions) => {
    const p = connectStore<T>(name, options);
    connecting.push(p);
    return p;
  };

  // Suspense: the fallback while connecting, then the client is always there.
  function Suspended(): ReactElement {
    const { client } = useStoreClient(settings, { suspense: true });
    return createElement('b', null, useStoreValue(client, 'theme'));
  }
  const suspended = await mount(
    createElement(StrictMode, null, createElement(StoreProvider, { port: daemon.createPort(), connect }, createElement(Suspense, { fallback: 'waiting' }, createElement(Suspended)))),
  );
  assert.equal(suspended.container.textContent, 'waiting');
  await act(async () => {
    await connecting[0];
  });
  assert.equal(suspended.container.textContent, 'auto');
  assert.equal(connecting.length, 1, 'StrictMode renders twice but connects once');
  const strictClient = (await connecting[0]) as StoreClient<Settings>;
  await act(async () => {
    await strictClient.set('theme', 'dark');
  });
  assert.equal(suspended.container.textContent, 'dark', 'the client survived StrictMode\'s unmount/remount of effects');
  await suspended.unmount();

  // A store the daemon does not have: error, and retry connects again.
  const states: Array<StoreClientState> = [];
  function Missing(): ReactElement {
    const state = useStoreClient('no-such-store');
    states.push(state);
    return createElement('i', null, state.error ? state.error.code : state.loading ? 'loading' : 'ready');
  }
  const missing = await mount(createElement(StoreProvider, { port: daemon.createPort(), connect }, createElement(Missing)));
  await act(async () => {
    await connecting.at(-1)!.catch(() => {});
  });
  assert.equal(missing.container.textContent, 'STORE_NOT_FOUND');
  const before = connecting.length;
  const failedAt = states.length;
  await act(async () => states.at(-1)!.retry());
  assert.equal(connecting.length, before + 1);
  assert.ok(states.slice(failedAt).some((s) => s.loading), 'loading again after retry()');
  await act(async () => {
    await connecting.at(-1)!.catch(() => {});
  });
  assert.equal(missing.container.textContent, 'STORE_NOT_FOUND');
  await missing.unmount();

  // A name without a provider throws a StoreError that says what to do.
  class Boundary extends Component<{ children: ReactNode }, { error: Error | undefined }> {
    override state = { error: undefined as Error | undefined };
    static getDerivedStateFromError(error: Error): { error: Error } {
      return { error };
    }
    override render(): ReactNode {
      return this.state.error ? this.state.error.message : this.props.children;
    }
  }
  function Orphan(): ReactElement {
    const [theme] = useStore<Settings, 'theme'>('settings', 'theme');
    return createElement('i', null, theme);
  }
  const orphan = await mount(createElement(Boundary, null, createElement(Orphan)));
  assert.match(orphan.container.textContent ?? '', /outside any <StoreProvider>/);
  await orphan.unmount();
});

test('useStoreDocument: re-renders on any change, the same object otherwise; an old document is never mutated', async () => {
  const { main, client } = await setup();
  const docs: Array<Readonly<Settings>> = [];
  let rerender!: () => void;
  function Doc(): ReactElement {
    const doc = useStoreDocument(client);
    docs.push(doc);
    return createElement('pre', null, `${doc.theme} ${doc.fontSize} ${doc.window?.width}`);
  }
  function Parent(): ReactElement {
    const [n, setN] = useState(0);
    rerender = () => setN(n + 1);
    return createElement('div', { 'data-n': n }, createElement(Doc));
  }
  const view = await mount(createElement(Parent));
  assert.equal(view.container.textContent, 'auto 14 undefined');
  await act(async () => rerender());
  assert.equal(docs.length, 2);
  assert.equal(docs[1], docs[0], 'a re-render without a change keeps the identity');

  await changeFrom(main.set('window', { width: 300 }), client);
  assert.equal(docs.length, 3);
  assert.notEqual(docs[2], docs[1]);
  assert.equal(view.container.textContent, 'auto 14 300');
  await act(async () => rerender());
  assert.equal(docs[3], docs[2], 'identity kept until the next change');

  const before = docs.at(-1)!;
  await changeFrom(main.set('window.width', 900), client);
  await changeFrom(main.set('theme', 'light'), client);
  assert.equal(view.container.textContent, 'light 14 900');
  assert.equal(before.window?.width, 300, 'the document a render saw is never changed under it');
  assert.equal(before.theme, 'auto');

  // A write that changes nothing commits nothing: no re-render.
  const count = docs.length;
  await act(async () => {
    await main.set('theme', 'light');
  });
  assert.equal(docs.length, count);
  await view.unmount();

  // Two readers of one client share a document object.
  const pair: Array<Readonly<Settings>> = [];
  function Reader(): ReactElement {
    pair.push(useStoreDocument(client));
    return createElement('i');
  }
  const two = await mount(createElement('div', null, createElement(Reader), createElement(Reader)));
  await changeFrom(main.set('fontSize', 40), client);
  assert.equal(pair.at(-1), pair.at(-2));
  assert.equal(pair.at(-1)!.fontSize, 40);
  await two.unmount();
});

test('useStoreValue catches a change that lands between the render and the subscription (value updated in place)', async () => {
  // A change that arrives while nobody listens to the key may update the cache's object in place (same identity), so
  // useSyncExternalStore alone would not see it. This fake client makes exactly that happen at subscription time.
  const doc = { window: { width: 100 } };
  let rev = 1;
  const fake = {
    get rev() {
      return rev;
    },
    peek: (key: string) => (key === 'window' ? doc.window : undefined),
    onDidChange: () => {
      doc.window.width = 200;
      rev++;
      return () => {};
    },
  } as unknown as StoreClient<Settings>;
  let renders = 0;
  function Width(): ReactElement {
    renders++;
    return createElement('i', null, String(useStoreValue(fake, 'window')?.width));
  }
  const view = await mount(createElement(Width));
  assert.equal(view.container.textContent, '200');
  assert.equal(renders, 2);
  await view.unmount();
});

// Compile-time only (never called): keys and values are typed from the store's type.
export function typeChecks(client: StoreClient<Settings>): void {
  const [theme, setTheme] = useStore(client, 'theme');
  const t: 'auto' | 'dark' | 'light' | undefined = theme;
  void setTheme('dark');
  // @ts-expect-error not a theme
  void setTheme('blue');
  const [width, setWidth] = useStore(settings, 'window.width');
  const w: number | undefined = width;
  void setWidth((old) => (old ?? 0) + 1);
  // @ts-expect-error a number is expected
  void setWidth('wide');
  const doc: Readonly<Settings> = useStoreDocument(client);
  const maybe: Readonly<Settings> | undefined = useStoreDocument(settings);
  const { client: c } = useStoreClient(settings, { suspense: true });
  const sameType: StoreClient<Settings> = c;
  void [t, w, doc, maybe, sameType];
}

test('StoreProvider inside <Activity>: hidden then shown again, it connects again and its hooks are live and writable', async () => {
  const { daemon, main } = await setup();
  const connecting: Array<Promise<StoreClient<object>>> = [];
  const connect: StoreConnector = <T extends object>(name: string, options: StoreConnectOptions) => {
    const p = connectStore<T>(name, options);
    connecting.push(p as unknown as Promise<StoreClient<object>>);
    return p;
  };
  let setTheme!: (value: Settings['theme']) => Promise<boolean>;
  function Theme(): ReactElement {
    const [theme, set] = useStore<Settings, 'theme'>('settings', 'theme');
    setTheme = set;
    return createElement('b', null, String(theme));
  }
  const port = daemon.createPort();
  const tree = (mode: 'visible' | 'hidden') => createElement(Activity, { mode, children: createElement(StoreProvider, { port, connect }, createElement(Theme)) });
  const view = await mount(tree('visible'));
  await act(async () => void (await connecting[0]));
  assert.equal(view.container.textContent, 'auto');
  // Hiding runs the subtree's effect cleanups (the provider closes its clients); showing runs its effects again.
  await view.render(tree('hidden'));
  await act(async () => await Promise.resolve());
  const first = (await connecting[0]) as StoreClient<Settings>;
  await rejectsWith(first.set('theme', 'dark'), 'CLOSED');
  await view.render(tree('visible'));
  assert.equal(connecting.length, 2, 'one new connection');
  const second = await act(async () => await connecting[1]);
  await changeFrom(main.set('theme', 'dark'), second as StoreClient<Settings>);
  assert.equal(view.container.textContent, 'dark');
  const next = main.rev + 1;
  await act(async () => assert.equal(await setTheme('light'), true));
  // Main's cache gets the write as a change event, after the hook's promise resolved.
  await untilRev(main, next);
  assert.equal(main.get('theme'), 'light');
  await view.unmount();
});
