/**
 * The page code of the browser tests, bundled by esbuild (platform browser) and served to Chromium: `connectStore`
 * from the renderer entry, as an app's page imports it, plus a small React example bound to the store. The test
 * drives it through `window.esdPage`.
 */
import { createElement as h, type CSSProperties } from 'react';
import { createRoot } from 'react-dom/client';
import { connectStore, StoreError, type StoreClient } from '../../src/client-renderer/index.ts';
import { StoreProvider, useStore } from '../../src/client-renderer/react.ts';

type Doc = Record<string, unknown>;

const connecting = new Map<string, Promise<StoreClient<Doc>>>();
const clients = new Map<string, StoreClient<Doc>>();
/** Every value the React example rendered for `theme`, in order (the test waits on them). */
const renders: unknown[] = [];
const renderWaiters: Array<{ value: unknown; resolve: () => void }> = [];

function client(name: string): StoreClient<Doc> {
  const c = clients.get(name);
  if (!c) throw new Error(`no client for ${name} yet`);
  return c;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const THEMES: Record<string, CSSProperties> = {
  auto: { background: '#f4f6f8', color: '#1d2733' },
  light: { background: '#ffffff', color: '#1d2733' },
  dark: { background: '#1e2530', color: '#e8edf3' },
};

/** The example: a settings card that follows the store, whoever writes it. */
function SettingsCard(): ReturnType<typeof h> {
  const [theme, setTheme] = useStore<Doc>('settings', 'theme');
  const [fontSize, , fontState] = useStore<Doc>('settings', 'fontSize');
  renders.push(theme);
  for (const w of renderWaiters.splice(0)) {
    if (same(w.value, theme)) w.resolve();
    else renderWaiters.push(w);
  }
  const palette = THEMES[String(theme)] ?? THEMES.auto;
  return h(
    'main',
    { id: 'card', style: { ...palette, fontFamily: 'sans-serif', fontSize: Number(fontSize ?? 14), padding: 24, borderRadius: 12, width: 420, boxShadow: '0 2px 10px rgba(0,0,0,.2)' } },
    h('h1', { style: { fontSize: '1.4em', margin: '0 0 12px' } }, 'electron-store-daemon'),
    h('p', { style: { margin: '4px 0' } }, 'Store ', h('code', null, 'settings'), fontState.loading ? ' (connecting…)' : ' — live from the daemon'),
    h('p', { id: 'theme', style: { margin: '4px 0' } }, 'theme: ', h('b', null, String(theme))),
    h('p', { id: 'font-size', style: { margin: '4px 0' } }, 'fontSize: ', h('b', null, String(fontSize))),
    h(
      'div',
      { style: { marginTop: 12, display: 'flex', gap: 8 } },
      ...['auto', 'light', 'dark'].map((t) => h('button', { key: t, onClick: () => void setTheme(t), disabled: t === theme }, t)),
    ),
  );
}

const api = {
  /** Starts connectStore(name) now; `connected(name)` awaits it. */
  startConnect(name: string): void {
    const p = connectStore<Doc>(name, { timeoutMs: 15_000 });
    connecting.set(name, p);
    p.then((c) => void clients.set(name, c), () => {});
  },
  async connected(name: string): Promise<{ doc: Doc; rev: number }> {
    const c = await connecting.get(name)!;
    return { doc: c.store, rev: c.rev };
  },
  get(name: string, key: string): unknown {
    return client(name).get(key);
  },
  /** client.set, its outcome as data (a StoreError's name, code and class survive only here, in the page). */
  async set(name: string, key: string, value: unknown): Promise<{ ok: true; rev: number } | { ok: false; name: string; code: unknown; message: string; isStoreError: boolean }> {
    try {
      return { ok: true, rev: (await client(name).set(key, value)).rev };
    } catch (error) {
      const e = error as Error & { code?: unknown };
      return { ok: false, name: e.name, code: e.code, message: e.message, isStoreError: e instanceof StoreError };
    }
  },
  /** Resolves once `key` holds `value` in this page's cache (now, or at the change event that brings it). */
  untilValue(name: string, key: string, value: unknown): Promise<void> {
    const c = client(name);
    if (same(c.get(key), value)) return Promise.resolve();
    return new Promise((resolve) => {
      const off = c.onDidChange(key, (now) => {
        if (!same(now, value)) return;
        off();
        resolve();
      });
    });
  },
  /** Mounts the React example into #root; it connects through StoreProvider (the preload's port). */
  mountExample(): void {
    createRoot(document.getElementById('root')!).render(h(StoreProvider, { timeoutMs: 15_000 }, h(SettingsCard)));
  },
  /** Resolves once the example's latest render shows `theme` = value (now, or at the render that does). */
  untilRendered(value: unknown): Promise<void> {
    if (renders.length > 0 && same(renders.at(-1), value)) return Promise.resolve();
    return new Promise((resolve) => renderWaiters.push({ value, resolve }));
  },
  renders(): unknown[] {
    return [...renders];
  },
};

(window as unknown as { esdPage: typeof api }).esdPage = api;
