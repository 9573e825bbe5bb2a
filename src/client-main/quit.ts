import { StoreError } from '../protocol/errors.ts';
import type { StoreDaemon } from './store-daemon.ts';

/** The part of Electron's `app` the quit helper uses. */
export interface QuitApp {
  on(event: 'will-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  removeListener(event: 'will-quit', listener: (event: { preventDefault(): void }) => void): unknown;
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
 * Makes quitting wait for the daemon. Electron quits in steps: 'before-quit', then every window is asked to close —
 * and any window may refuse (a 'close' listener or the page's beforeunload cancels it, and with it the quit) — then
 * 'will-quit', then the app ends. So the daemon is closed at 'will-quit', once the quit can no longer be cancelled
 * and every window (which may still write while it closes) is gone: the quit is held (`preventDefault()`), `close()`
 * drains queued writes, checkpoints and releases the locks (for at most `timeoutMs`), then `app.quit()` runs again and
 * goes through. A quit that a window cancels leaves the daemon running. Returns a function that unwires it.
 */
export function closeOnQuit(daemon: StoreDaemon, options: CloseOnQuitOptions = {}): () => void {
  const app = options.app ?? electronApps.get(daemon);
  if (!app) throw new StoreError('DAEMON_UNAVAILABLE', 'closeOnQuit(daemon) needs Electron\'s app: call it in Electron\'s main process, or pass { app }.');
  const timeoutMs = options.timeoutMs ?? 5000;
  let state: 'idle' | 'closing' | 'done' = 'idle';
  const onWillQuit = (event: { preventDefault(): void }) => {
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
  app.on('will-quit', onWillQuit);
  return () => void app.removeListener('will-quit', onWillQuit);
}
