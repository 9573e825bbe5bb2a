import v8 from 'node:v8';
import type { PortLike } from '../protocol/endpoint.ts';
import type { StoreDefinition } from '../protocol/types.ts';

/** The largest message a window may send when a store it may write has no maxBytes (README, Security model). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The gate's limit on the bytes of a window's message: room for the largest value any store can hold (maxBytes counts
 * compact JSON; the serialization the gate measures can take several times that — text outside Latin-1, arrays of
 * small numbers, an import's pretty JSON), at least DEFAULT_MAX_MESSAGE_BYTES. (What bounds decoding is the gate's
 * count of values, MAX_MESSAGE_VALUES; this bounds what large strings can add.)
 */
export function maxMessageBytes(defs: Iterable<StoreDefinition>): number {
  let max = DEFAULT_MAX_MESSAGE_BYTES;
  for (const def of defs) if (def.maxBytes !== undefined) max = Math.max(max, 8 * def.maxBytes + 1024 * 1024);
  return max;
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
