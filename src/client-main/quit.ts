import { StoreError } from '../protocol/errors.ts';
import type { StoreDaemon } from './store-daemon.ts';

/** The part of Electron's `app` the quit helper uses. */
export interface QuitApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  removeListener(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

export interface CloseOnQuitOptions {
  /** Electron's `app`; defaults to the one of the Electron main process that started the daemon. */
  app?: QuitApp;
  /** How long quitting may wait for the daemon to flush before the app quits anyway (default 5000 ms). */
  timeoutMs?: number;
}

const electronApps = new WeakMap<StoreDaemon, QuitApp>();

/** @internal The Electron side records its `app` so `closeOnQuit(daemon)` needs no argument. */
export function rememberElectronApp(daemon: StoreDaemon, app: QuitApp): void {
  electronApps.set(daemon, app);
}

/**
 * Makes quitting wait for the daemon: on the first `before-quit` it cancels the quit, awaits `daemon.close()`
 * (queued writes drained, stores checkpointed, locks released) for at most `timeoutMs`, then calls `app.quit()`
 * again, which then goes through. Quit requests while it waits are held too. Returns a function that unwires it.
 */
export function closeOnQuit(daemon: StoreDaemon, options: CloseOnQuitOptions = {}): () => void {
  const app = options.app ?? electronApps.get(daemon);
  if (!app) throw new StoreError('DAEMON_UNAVAILABLE', 'closeOnQuit(daemon) needs Electron\'s app: call it in Electron\'s main process, or pass { app }.');
  const timeoutMs = options.timeoutMs ?? 5000;
  let state: 'idle' | 'closing' | 'done' = 'idle';
  const onBeforeQuit = (event: { preventDefault(): void }) => {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'closing') return;
    state = 'closing';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    void Promise.race([daemon.close().catch(() => {}), timedOut]).then(() => {
      clearTimeout(timer);
      state = 'done';
      app.quit();
    });
  };
  app.on('before-quit', onBeforeQuit);
  return () => void app.removeListener('before-quit', onBeforeQuit);
}
