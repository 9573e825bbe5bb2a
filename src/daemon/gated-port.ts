import v8 from 'node:v8';
import type { PortLike } from '../protocol/endpoint.ts';
import type { StoreDefinition } from '../protocol/types.ts';

/** The largest message a window may send when a store it may write has no maxBytes (README, Security model). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The gate's limit on a window's messages: room for the largest value any store can hold (maxBytes counts compact
 * JSON; the serialization the gate measures can take up to twice that for text outside Latin-1, and an import's
 * pretty JSON more), or DEFAULT_MAX_MESSAGE_BYTES when a store has no maxBytes.
 */
export function maxMessageBytes(defs: Iterable<StoreDefinition>): number {
  let max = 0;
  for (const def of defs) {
    if (def.maxBytes === undefined) return Math.max(DEFAULT_MAX_MESSAGE_BYTES, max);
    max = Math.max(max, 4 * def.maxBytes + 1024 * 1024);
  }
  return max === 0 ? DEFAULT_MAX_MESSAGE_BYTES : max;
}

/**
 * A port from the gate (src/gate): each message arrives as the bytes of its serialization, already measured against
 * the limit there; decoded here, in time that limit bounds. Anything else on it is not from the gate and is dropped.
 */
export function gatedPort(port: PortLike): PortLike {
  return {
    post: (message, transfer) => port.post(message, transfer),
    onMessage: (listener) => port.onMessage((data, ports) => {
      if (!(data instanceof Uint8Array)) return;
      let message: unknown;
      try {
        message = v8.deserialize(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      } catch {
        return;
      }
      listener(message, ports);
    }),
    onClose: (listener) => port.onClose(listener),
    start: () => port.start(),
    close: () => port.close(),
  };
}
