import crypto from 'node:crypto';
import type { Operation } from 'rfc6902';
import { StoreError } from '../../protocol/errors.ts';
import { fromPointer, parseKey, toPointer } from '../../protocol/keys.ts';
import type { JsonObject } from '../../protocol/types.ts';
import { SEALED_PREFIX } from '../../protocol/sealed.ts';

/** v2 binds each ciphertext to its store and key path (GCM associated data); v1 (no binding) is still read. */
const PREFIX = 'esd:aes-256-gcm:v2:';
const PREFIX_V1 = 'esd:aes-256-gcm:v1:';
// Any string in our sealed format: one that no longer opens is corruption, never a plaintext value.
export { SEALED_PREFIX };
const SEALED = SEALED_PREFIX;
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
    // Parsed as keys are (`api\\.key` is the one key "api.key"), `*` standing for one segment.
    this.patterns = (encryptedKeys ?? []).map((p) => {
      if (typeof p !== 'string') throw new StoreError('INVALID_KEY', `Store "${store}": encryptedKeys are dot-path patterns.`, { store });
      return parseKey(p, store);
    });
    if (this.patterns.length > 0 && !key) {
      throw new StoreError('IO_FAILED', `Store "${store}" has encryptedKeys but the daemon has no encryptionKey; pass startStoreDaemon({ encryptionKey }) (32 bytes, e.g. from loadEncryptionKey() in Electron). Nothing was opened, so nothing is written in clear.`, { store });
    }
    this.#key = key && this.patterns.length > 0 ? Buffer.from(key) : undefined;
  }

  get active(): boolean {
    return this.#key !== undefined;
  }

  /** The key matched the check stored with the store (see keyCheck): a value that does not open is damage, not a wrong key. */
  keyVerified = false;

  /** The encrypted path that `path` lies strictly below, if any (writes there are journaled at that path whole). */
  enclosing(path: readonly string[]): string[] | undefined {
    for (const p of this.patterns) if (p.length < path.length && agree(p, path, p.length)) return path.slice(0, p.length);
    return undefined;
  }

  /** A copy of `doc` with every encrypted value sealed (copies only the nodes along the matched paths). */
  sealDoc(doc: JsonObject): JsonObject {
    return this.active ? (this.#map(doc, [], (v, at) => this.#seal(v, at)) as JsonObject) : doc;
  }

  /** Opens every sealed value of a document read from a file. */
  unsealDoc(doc: JsonObject): JsonObject {
    return this.active ? (this.#map(doc, [], (v, at) => this.#open(v, at)) as JsonObject) : doc;
  }

  /** Ops as written to the journal: values at or containing encrypted paths sealed. */
  sealOps(ops: readonly Operation[]): Operation[] {
    return this.active ? ops.map((op) => this.#mapOp(op, (v, at) => this.#seal(v, at))) : [...ops];
  }

  unsealOps(ops: readonly Operation[]): Operation[] {
    return this.active ? ops.map((op) => this.#mapOp(op, (v, at) => this.#open(v, at))) : [...ops];
  }

  /** Opens one sealed value found at `at` (tools that read files: the CLI). */
  openSealed(value: string, at: readonly string[]): unknown {
    return this.#open(value, at);
  }

  /**
   * A MAC of a constant under the key, stored with the store: a start with another key is refused before anything
   * is read as data (a wrong key must never "recover" from an old backup or move the journal aside).
   */
  keyCheck(): string {
    return crypto.createHmac('sha256', this.#key!).update(`electron-store-daemon key check\0${this.store}`).digest('hex');
  }

  #mapOp(op: Operation, fn: (v: unknown, at: readonly string[]) => unknown): Operation {
    if (!('value' in op)) return op;
    return { ...op, value: this.#map(op.value, fromPointer(op.path), fn) } as Operation;
  }

  /** Applies `fn` to every value of `value` (which sits at `at`) whose path matches a pattern. */
  #map(value: unknown, at: string[], fn: (v: unknown, at: readonly string[]) => unknown): unknown {
    if (this.patterns.some((p) => matches(p, at))) return fn(value, at);
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

  /** The associated data a ciphertext is bound to: this store and the value's own key path. */
  #aad(at: readonly string[]): Buffer {
    return Buffer.from(`${this.store}\0${toPointer(at)}`, 'utf8');
  }

  #seal(value: unknown, at: readonly string[]): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key!, iv);
    cipher.setAAD(this.#aad(at));
    const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  #open(value: unknown, at: readonly string[]): unknown {
    // A value that was never sealed: the key was listed in encryptedKeys after it was written (sealed at the next
    // checkpoint). Anything in the sealed format must open, under this key, for this store and this path.
    if (typeof value !== 'string' || !value.startsWith(SEALED)) return value;
    const v2 = value.startsWith(PREFIX);
    const raw = Buffer.from(value.slice((v2 ? PREFIX : PREFIX_V1).length), 'base64');
    try {
      if (!v2 && !value.startsWith(PREFIX_V1)) throw new Error('unknown sealed format');
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key!, raw.subarray(0, 12));
      if (v2) decipher.setAAD(this.#aad(at));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
    } catch (error) {
      throw new StoreError('IO_FAILED', `Store "${this.store}": the encrypted value at "${toPointer(at)}" does not open with this encryptionKey (a wrong or rotated key, or the value was altered or moved from another key or store). Pass the key the data was written with; if the key is right, the file is damaged.`, { store: this.store, cause: error });
    }
  }
}
