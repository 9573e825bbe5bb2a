import crypto from 'node:crypto';
import type { Operation } from 'rfc6902';
import { StoreError } from '../../protocol/errors.ts';
import { fromPointer, parseKey } from '../../protocol/keys.ts';
import type { JsonObject } from '../../protocol/types.ts';

const PREFIX = 'esd:aes-256-gcm:v1:';
type Pattern = string[];

/** True if the first `n` segments of `pattern` (`*` = any one segment) match the first `n` of `path`. */
function agree(pattern: Pattern, path: readonly string[], n: number): boolean {
  for (let i = 0; i < n; i++) if (pattern[i] !== '*' && pattern[i] !== path[i]) return false;
  return true;
}

/** True if `pattern` matches exactly `path`. */
function matches(pattern: Pattern, path: readonly string[]): boolean {
  return pattern.length === path.length && agree(pattern, path, path.length);
}

/**
 * Encryption at rest for a store's `encryptedKeys` (AES-256-GCM, a fresh IV per value, key from main). The value at
 * each matching path is replaced in files by one string `esd:aes-256-gcm:v1:<base64 iv|tag|ciphertext>` of its JSON.
 * Memory, validation and trusted clients see plaintext; checkpoint, journal and backups only ever hold ciphertext.
 */
export class FieldCipher {
  readonly patterns: Pattern[];
  readonly #key: Buffer | undefined;

  constructor(readonly store: string, encryptedKeys: readonly string[] | undefined, key: Uint8Array | undefined) {
    this.patterns = (encryptedKeys ?? []).map((p) => {
      if (typeof p !== 'string') throw new StoreError('INVALID_KEY', `Store "${store}": encryptedKeys are dot-path patterns.`, { store });
      return p.split('.').map((s) => (s === '*' ? s : parseKey(s, store)[0]));
    });
    if (this.patterns.length > 0 && !key) {
      throw new StoreError('IO_FAILED', `Store "${store}" has encryptedKeys but the daemon has no encryptionKey; pass startStoreDaemon({ encryptionKey }) (32 bytes, e.g. from loadEncryptionKey() in Electron). Nothing was opened, so nothing is written in clear.`, { store });
    }
    this.#key = key && this.patterns.length > 0 ? Buffer.from(key) : undefined;
  }

  get active(): boolean {
    return this.#key !== undefined;
  }

  /** The encrypted path that `path` lies strictly below, if any (writes there are journaled at that path whole). */
  enclosing(path: readonly string[]): string[] | undefined {
    for (const p of this.patterns) if (p.length < path.length && agree(p, path, p.length)) return path.slice(0, p.length);
    return undefined;
  }

  /** A copy of `doc` with every encrypted value sealed (copies only the nodes along the matched paths). */
  sealDoc(doc: JsonObject): JsonObject {
    return this.active ? (this.#map(doc, [], (v) => this.#seal(v)) as JsonObject) : doc;
  }

  /** Opens every sealed value of a document read from a file. */
  unsealDoc(doc: JsonObject): JsonObject {
    return this.active ? (this.#map(doc, [], (v) => this.#open(v)) as JsonObject) : doc;
  }

  /** Ops as written to the journal: values at or containing encrypted paths sealed. */
  sealOps(ops: readonly Operation[]): Operation[] {
    return this.active ? ops.map((op) => this.#mapOp(op, (v) => this.#seal(v))) : [...ops];
  }

  unsealOps(ops: readonly Operation[]): Operation[] {
    return this.active ? ops.map((op) => this.#mapOp(op, (v) => this.#open(v))) : [...ops];
  }

  #mapOp(op: Operation, fn: (v: unknown) => unknown): Operation {
    if (!('value' in op)) return op;
    return { ...op, value: this.#map(op.value, fromPointer(op.path), fn) } as Operation;
  }

  /** Applies `fn` to every value of `value` (which sits at `at`) whose path matches a pattern. */
  #map(value: unknown, at: string[], fn: (v: unknown) => unknown): unknown {
    if (this.patterns.some((p) => matches(p, at))) return fn(value);
    if (value === null || typeof value !== 'object') return value;
    const below = this.patterns.filter((p) => p.length > at.length && agree(p, at, at.length));
    if (below.length === 0) return value;
    let out: Record<string, unknown> | unknown[] | undefined;
    for (const [k, v] of Object.entries(value)) {
      const mapped = this.#map(v, [...at, k], fn);
      if (mapped !== v) {
        out ??= Array.isArray(value) ? [...value] : { ...(value as object) };
        (out as Record<string, unknown>)[k] = mapped;
      }
    }
    return out ?? value;
  }

  #seal(value: unknown): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key!, iv);
    const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  #open(value: unknown): unknown {
    if (typeof value !== 'string' || !value.startsWith(PREFIX)) return value; // written before the key was listed
    const raw = Buffer.from(value.slice(PREFIX.length), 'base64');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key!, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
    } catch (error) {
      throw new StoreError('IO_FAILED', `Store "${this.store}": an encrypted value cannot be decrypted with this encryptionKey (wrong or rotated key?). Pass the key the data was written with.`, { store: this.store, cause: error });
    }
  }
}

