import type { Operation } from 'rfc6902';
import { StoreError } from '../protocol/errors.ts';
import { fromPointer, joinKey, parseKey } from '../protocol/keys.ts';
import { checkPolicyShape } from '../protocol/policy-shape.ts';
import type { ClientPolicy, JsonObject } from '../protocol/types.ts';
import type { ParsedWrite } from '../protocol/write.ts';

type Pattern = string[];

function compile(patterns: unknown, what: string): Pattern[] {
  if (patterns === undefined) return [];
  if (!Array.isArray(patterns)) throw new StoreError('PERMISSION_DENIED', `policy: ${what} must be an array of key patterns.`);
  return patterns.map((p) => (p === '*' ? ['*'] : parseKey(p)));
}

/** True if `pattern` matches `path` or an ancestor of it (a pattern covers everything below it). */
function covers(pattern: Pattern, path: readonly string[]): boolean {
  if (pattern.length > path.length) return false;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== '*' && pattern[i] !== path[i]) return false;
  return true;
}

/** True if some path matched by `pattern` lies strictly below `path`. */
function reachesBelow(pattern: Pattern, path: readonly string[]): boolean {
  if (pattern.length <= path.length) return false;
  for (let i = 0; i < path.length; i++) if (pattern[i] !== '*' && pattern[i] !== path[i]) return false;
  return true;
}

/** What prune() returns for a value that is hidden whole. */
const HIDDEN = Symbol('hidden');

/**
 * Array elements are not security units: an index shifts under add/remove, so a pattern that reaches into an array
 * applies to the array whole. The unit of `path` in `doc` is the path cut at its first array (or the path itself).
 * Decided against the document, since a policy cannot know which keys hold arrays.
 */
export function unitOf(doc: unknown, path: readonly string[]): readonly string[] {
  let node = doc;
  for (let i = 0; i < path.length; i++) {
    if (Array.isArray(node)) return path.slice(0, i);
    if (node === null || typeof node !== 'object') return path;
    node = (node as Record<string, unknown>)[path[i]];
  }
  return path;
}

/**
 * Removes every subtree of `value` (which sits at `at`) matched by one of `patterns`; an array that a pattern reaches
 * into is removed whole (HIDDEN). Returns a copy.
 */
function prune(value: unknown, at: readonly string[], patterns: Pattern[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const relevant = patterns.filter((p) => reachesBelow(p, at));
  if (relevant.length === 0) return value;
  if (Array.isArray(value)) return HIDDEN;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const childPath = [...at, k];
    if (relevant.some((p) => covers(p, childPath))) continue;
    const kept = prune(v, childPath, relevant);
    if (kept !== HIDDEN) out[k] = kept;
  }
  return out;
}

/** Keeps only the subtrees matched by `patterns` (read allow-list); a pattern reaching into an array grants none of it. */
function keepOnly(value: unknown, at: readonly string[], patterns: Pattern[]): unknown {
  if (patterns.some((p) => covers(p, at))) return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const childPath = [...at, k];
    if (!patterns.some((p) => covers(p, childPath) || reachesBelow(p, childPath))) continue;
    const kept = keepOnly(v, childPath, patterns);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/**
 * One client's permissions on one store: what it may see (read allow-list minus hidden keys, which never leave the
 * daemon for it), what it may write, and whether admin operations are allowed.
 */
export class StoreAccess {
  readonly #read: Pattern[] | undefined;
  readonly #write: Pattern[] | undefined;
  readonly #hidden: Pattern[];

  constructor(readonly store: string, readonly allowed: boolean, rules: { read?: unknown; write?: unknown; hidden?: unknown } | undefined,
    extraHidden: string[], readonly admin: boolean) {
    this.#read = rules?.read === undefined ? undefined : compile(rules.read, 'read');
    this.#write = rules?.write === undefined ? undefined : compile(rules.write, 'write');
    const explicitRead = this.#read ?? [];
    // Encrypted keys are hidden unless a read pattern names them exactly: never through an ancestor (`read: ['ai']`
    // does not reveal `ai.apiKey`). Patterns are parsed as keys are (`api\\.key` is one key).
    const extraKeys = extraHidden.filter((p) => {
      const h = parseKey(p);
      return !explicitRead.some((r) => r.length === h.length && covers(r, h));
    });
    const explicitHidden = compile(rules?.hidden, 'hidden');
    this.#hidden = [...explicitHidden, ...extraKeys.map((p) => parseKey(p))];
    // Named to the client only where its rules would otherwise show them: a key under a hidden or unread path stays
    // unnamed.
    this.encryptedKept = extraKeys.filter((p) => {
      const h = parseKey(p);
      return !explicitHidden.some((x) => covers(x, h)) && (this.#read === undefined || this.#read.some((r) => covers(r, h)));
    });
  }

  /** Encrypted key patterns kept from this client that its rules would otherwise let it read (tools show them masked). */
  readonly encryptedKept: string[];

  get filtersReads(): boolean {
    return this.#read !== undefined || this.#hidden.length > 0;
  }

  /** The document as this client may see it. */
  filterDoc(doc: JsonObject): JsonObject {
    if (!this.filtersReads) return doc;
    let out: unknown = doc;
    if (this.#read) out = keepOnly(out, [], this.#read) ?? {};
    return prune(out, [], this.#hidden) as JsonObject;
  }

  /**
   * The ops of a change as this client may see them: ops on hidden paths dropped, values pruned. An op that concerns
   * an array (inside one, or adding, replacing or removing one) is shown only to a client that may read the whole
   * array. Which array is told by `anchors` (recorded when the op was applied, see Draft.anchors); without them (a
   * record from before they were kept) by `doc`, the current document.
   */
  filterOps(ops: Operation[], doc?: unknown, anchors?: readonly number[]): Operation[] {
    if (!this.filtersReads) return ops;
    const out: Operation[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const path = fromPointer(op.path);
      const anchor = anchors ? anchors[i] : undefined;
      const unit = anchor === undefined ? unitOf(doc, path) : anchor >= 0 ? path.slice(0, anchor) : path;
      if (unit.length < path.length || anchor === path.length) {
        if (this.canReadWhole(unit)) out.push(op);
        continue;
      }
      if (this.#hidden.some((h) => covers(h, path))) continue;
      if (this.#read && !this.#read.some((r) => covers(r, path) || reachesBelow(r, path))) continue;
      if ('value' in op) {
        let value: unknown = op.value;
        if (this.#read && !this.#read.some((r) => covers(r, path))) value = keepOnly(value, path, this.#read);
        value = prune(value, path, this.#hidden);
        if (value === HIDDEN || value === undefined) continue;
        out.push({ ...op, value } as Operation);
      } else out.push(op);
    }
    return out;
  }

  /** True when writes are restricted (a write list or hidden keys): only then are paths worth checking up front. */
  get filtersWrites(): boolean {
    return this.#write !== undefined || this.#read !== undefined || this.#hidden.length > 0;
  }

  /** True if the client may see the whole value at `path` (nothing hidden in it, all of it read-listed). */
  canReadWhole(path: readonly string[]): boolean {
    if (this.#hidden.some((h) => covers(h, path) || reachesBelow(h, path))) return false;
    return !this.#read || this.#read.some((r) => covers(r, path));
  }

  /**
   * The policy gate for a write, before anything is evaluated: admin operations need admin; every path the write
   * names must be writable (not hidden, inside `write`) and every path it reads visible. Decided before the write is
   * tried, so whether a path exists or what a hidden value is cannot show through which error comes back. The engine
   * calls `checkWrite` again with the paths the write actually changed (a `set` below a scalar replaces the scalar).
   */
  authorize(write: ParsedWrite, doc: unknown): void {
    if (write.admin) this.checkAdmin(write.admin);
    // import() replaces the whole document: a client that cannot see all of it would delete what it cannot see.
    if (write.kind === 'import') this.checkWholeStore('import()');
    if (!this.filtersWrites) return;
    for (const path of write.reads) {
      const unit = unitOf(doc, path);
      if (!this.canReadWhole(unit)) throw new StoreError('PERMISSION_DENIED', `This client may not read "${joinKey(unit)}" in store "${this.store}".`, { store: this.store, key: joinKey(unit) });
    }
    this.checkWrite(write.writes, doc);
  }

  /** Throws PERMISSION_DENIED unless the client may read and write the whole store (import). */
  checkWholeStore(operation: string): void {
    if (this.filtersReads || this.filtersWrites) {
      throw new StoreError('PERMISSION_DENIED', `${operation} needs a client that may read and write the whole store (no read, write or hidden patterns, and no encrypted keys kept from it).`, { store: this.store });
    }
  }

  /** Throws PERMISSION_DENIED unless every changed path is writable. */
  checkWrite(paths: readonly (readonly string[])[], doc?: unknown): void {
    for (const written of paths) {
      // Inside an array the unit is the array: a write pattern must grant it whole, and nothing in it may be hidden.
      const path = doc === undefined ? written : unitOf(doc, written);
      const hidden = this.#hidden.some((h) => covers(h, path) || reachesBelow(h, path));
      const writable = this.#write === undefined ? true : this.#write.some((w) => covers(w, path));
      if (hidden || !writable) {
        throw new StoreError('PERMISSION_DENIED', `This client may not write "${joinKey(path)}" in store "${this.store}"; grant it in the client's policy.`, { store: this.store, key: joinKey(path) });
      }
    }
  }

  checkAdmin(operation: string): void {
    if (!this.admin) {
      throw new StoreError('PERMISSION_DENIED', `${operation} is an admin operation; give this client a policy with admin: true (main has it by default).`, { store: this.store });
    }
  }
}

/** A client's policy, checked once when the client is attached; `access(store)` gives its gate for one store. */
export class Policy {
  readonly #policy: ClientPolicy;
  readonly #tokens: { level: number; last: number } = { level: 0, last: 0 };
  readonly #requests: { level: number; last: number } = { level: 0, last: 0 };
  readonly #rate: number | undefined;

  constructor(policy: unknown, readonly trusted: boolean) {
    this.#policy = checkPolicyShape(policy) ?? {};
    const rate = this.#policy.maxWritesPerSecond;
    this.#rate = rate;
    this.#tokens.level = rate ?? 0;
  }

  /** The access rules for one store (encrypted keys hidden from untrusted clients). */
  access(store: string, encryptedKeys: string[]): StoreAccess {
    const stores = this.#policy.stores ?? '*';
    const allowed = stores === '*' || Object.hasOwn(stores, store);
    const rules = stores === '*' ? undefined : stores[store];
    const admin = this.#policy.admin ?? this.trusted;
    return new StoreAccess(store, allowed, rules, this.trusted ? [] : encryptedKeys, admin);
  }

  /**
   * The request budget, a cost-based token bucket (burst: a quarter second's worth): false when the client is over it.
   * Untrusted clients get policy.maxRequestsPerSecond (default 1,000 cost units per second); main is not limited.
   * A request is admitted once the bucket holds its cost, or is full, and then pays its whole cost, going into debt if
   * it must: a request costlier than the burst (any request, at a low rate) is slow, never impossible.
   */
  takeRequestTokens(cost: number): boolean {
    const burst = this.#refill();
    if (burst === undefined) return true;
    if (this.#requests.level < Math.min(cost, burst)) return false;
    this.#requests.level -= cost;
    return true;
  }

  /**
   * Charges work found out after admission (a history page's records, a backup's size): always taken, in debt if need
   * be, so the client's next requests wait for it.
   */
  chargeRequestTokens(cost: number): void {
    if (this.#refill() !== undefined) this.#requests.level -= cost;
  }

  /** Refills the request bucket for the time passed; its burst, or undefined for a client without a budget. */
  #refill(): number | undefined {
    const rate = this.#policy.maxRequestsPerSecond ?? (this.trusted ? undefined : 1000);
    if (rate === undefined) return undefined;
    const now = performance.now();
    const budget = this.#requests;
    // A short burst (a quarter second's worth): a long one lets a flood queue seconds of work ahead of other clients.
    const burst = rate / 4;
    budget.level = budget.last === 0 ? burst : Math.min(burst, budget.level + ((now - budget.last) / 1000) * rate);
    budget.last = now;
    return burst;
  }

  /** Token bucket: throws RATE_LIMITED past maxWritesPerSecond (burst of one second's worth). */
  takeWriteToken(store: string): void {
    if (this.#rate === undefined) return;
    const now = performance.now();
    this.#tokens.level = Math.min(this.#rate, this.#tokens.level + ((now - this.#tokens.last) / 1000) * this.#rate);
    this.#tokens.last = now;
    if (this.#tokens.level < 1) {
      throw new StoreError('RATE_LIMITED', `This client is limited to ${this.#rate} writes per second; batch changes with set(object) or patch().`, { store });
    }
    this.#tokens.level -= 1;
  }
}

