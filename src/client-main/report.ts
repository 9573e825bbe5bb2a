import type { EventEmitter } from 'node:events';

/**
 * Emits `error` on the daemon handle, or logs it: an 'error' event with no listener would throw from a timer, and a
 * listener that throws must not take the supervisor down with it.
 */
export function emitOrLog(emitter: EventEmitter, error: unknown): void {
  try {
    if (emitter.listenerCount('error') > 0) {
      emitter.emit('error', error);
      return;
    }
  } catch (thrown) {
    console.error('[electron-store-daemon] an \'error\' listener threw:', thrown);
  }
  console.error('[electron-store-daemon]', error);
}
