import fs from 'node:fs';
import type { Operation } from 'rfc6902';
import { FieldCipher, SEALED_PREFIX } from '../daemon/features/encryption.ts';
import { fromPointer, parseKey } from '../protocol/keys.ts';
import { UsageError } from './output.ts';

/**
 * How FieldCipher seals a value in files (features/encryption.ts): one string with this prefix. The CLI recognizes
 * sealed values by it; decrypting goes through FieldCipher itself (each value is bound to its key path).
 */
export { SEALED_PREFIX };

/** What a sealed value shows as without `--key-file`. */
export const MASK = '[encrypted]';

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/**
 * Shows values as read from the files: every sealed string opened with the key (`--key-file`) or replaced by
 * `[encrypted]`. Works on any JSON (documents, op values) without knowing the store's `encryptedKeys`: FieldCipher
 * opens each sealed string as the value of a one-key document, so the daemon's own decryption is used.
 */
export class Lens {
  readonly #open: ((sealed: string, at: readonly string[]) => unknown) | undefined;
  /** Sealed values met so far (opened or masked). */
  sealed = 0;

  constructor(readonly store: string, key: Uint8Array | undefined) {
    if (key) {
      const cipher = new FieldCipher(store, ['v'], key);
      this.#open = (sealed, at) => cipher.openSealed(sealed, at);
    }
  }

  get canDecrypt(): boolean {
    return this.#open !== undefined;
  }

  /** A copy of `value` (which sits at `at`, the document root by default) with sealed strings opened or masked (IO_FAILED for a wrong key). */
  show<T>(value: T, at: readonly string[] = []): T {
    return this.#walk(value, at) as T;
  }

  /** Ops with their values shown as by `show`, each at its own path. */
  showOps(ops: readonly Operation[]): Operation[] {
    return ops.map((op) => ('value' in op ? { ...op, value: this.show(op.value, fromPointer(op.path)) } as Operation : op));
  }

  #walk(value: unknown, at: readonly string[]): unknown {
    if (isSealed(value)) {
      this.sealed++;
      return this.#open ? this.#open(value, at) : MASK;
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v, i) => this.#walk(v, [...at, String(i)]));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.#walk(v, [...at, k]);
    return out;
  }
}

/** True if `value` holds a sealed string anywhere. */
export function containsSealed(value: unknown): boolean {
  if (isSealed(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(containsSealed);
}

/** True if `value` holds the `[encrypted]` placeholder anywhere (an export made without the key). */
export function containsMask(value: unknown): boolean {
  if (value === MASK) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(containsMask);
}

/**
 * `encryptedKeys` patterns for the sealed values found in `value` (which sits at `at`): what to seal again on write
 * when no stores module says. Exact paths only: a wider pattern could seal a value the app's own patterns do not
 * cover, which the app would then read as ciphertext. A path that cannot be written as a pattern (a segment holding a
 * dot, or `*`) is left out: a value written there stays in clear until the app's next checkpoint seals it.
 */
export function sealedPatterns(value: unknown, at: readonly string[] = [], out = new Set<string>()): Set<string> {
  if (isSealed(value)) {
    const expressible = at.length > 0 && at.every((s) => {
      if (s === '*' || s.includes('.')) return false;
      try {
        parseKey(s);
        return true;
      } catch {
        return false;
      }
    });
    if (expressible) out.add(at.join('.'));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) sealedPatterns(v, [...at, k], out);
  }
  return out;
}

/** Reads `--key-file`: 32 raw bytes, or 64 hex characters (surrounding whitespace ignored). */
export function readKeyFile(file: string): Uint8Array {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`--key-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  if (data.length === 32) return new Uint8Array(data);
  const text = data.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  throw new UsageError(`--key-file ${file} must hold the 32-byte key: 32 raw bytes, or 64 hex characters (it holds ${data.length} bytes).`);
}
