/** Every error code a store operation can fail with (SPEC §5). */
export const STORE_ERROR_CODES = [
  'VALIDATION_FAILED', 'INVALID_KEY', 'NOT_SERIALIZABLE', 'PERMISSION_DENIED', 'CONFLICT',
  'STORE_NOT_FOUND', 'QUOTA_EXCEEDED', 'RATE_LIMITED', 'IO_FAILED', 'MIGRATION_FAILED', 'STORE_LOCKED',
  'BACKUP_NOT_FOUND', 'DAEMON_UNAVAILABLE', 'PROTOCOL_MISMATCH', 'TIMEOUT', 'CLOSED',
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/** What a StoreError looks like on the wire: plain data, so it survives structured clone and comlink. */
export interface SerializedStoreError {
  readonly __storeError: true;
  readonly code: StoreErrorCode;
  readonly message: string;
  readonly store?: string;
  readonly key?: string;
  readonly details?: unknown;
}

/** The one error type of the library: `code` says what went wrong, the message says what to do. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly store?: string;
  readonly key?: string;
  readonly details?: unknown;

  constructor(code: StoreErrorCode, message: string, extra: { store?: string; key?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'StoreError';
    this.code = code;
    if (extra.store !== undefined) this.store = extra.store;
    if (extra.key !== undefined) this.key = extra.key;
    if (extra.details !== undefined) this.details = extra.details;
  }

  /** Plain-data form for posting across a port. */
  toJSON(): SerializedStoreError {
    return {
      __storeError: true, code: this.code, message: this.message,
      ...(this.store !== undefined && { store: this.store }),
      ...(this.key !== undefined && { key: this.key }),
      ...(this.details !== undefined && { details: this.details }),
    };
  }

  /** Rebuilds a real StoreError from its wire form. */
  static fromJSON(data: SerializedStoreError): StoreError {
    const code = (STORE_ERROR_CODES as readonly string[]).includes(data.code) ? data.code : 'PROTOCOL_MISMATCH';
    return new StoreError(code, String(data.message), { store: data.store, key: data.key, details: data.details });
  }
}

/** True for a StoreError in wire form. */
export function isSerializedStoreError(value: unknown): value is SerializedStoreError {
  return typeof value === 'object' && value !== null && (value as { __storeError?: unknown }).__storeError === true;
}

/** Wraps anything thrown into a StoreError; unknown failures become `fallback`. */
export function toStoreError(error: unknown, fallback: StoreErrorCode = 'IO_FAILED', store?: string): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(fallback, message, { store, cause: error });
}
