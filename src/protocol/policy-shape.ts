import type { ClientPolicy } from './types.ts';

const RULE_KEYS = ['read', 'write', 'hidden'] as const;

/**
 * Checks that a client policy has the documented shape and returns it. A malformed policy is a programmer error, so
 * it throws a TypeError that says what to pass (as conf does for bad options); main checks before handing out a port
 * and the daemon checks again, since a policy crosses a process boundary.
 */
export function checkPolicyShape(policy: unknown): ClientPolicy | undefined {
  if (policy === undefined) return undefined;
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw new TypeError('A client policy is an object: { stores?: "*" | { [store]: { read?, write?, hidden? } }, admin?: boolean, maxWritesPerSecond?: number, maxRequestsPerSecond?: number }.');
  }
  const p = policy as Record<string, unknown>;
  const stores = p.stores;
  if (stores !== undefined && stores !== '*') {
    if (stores === null || typeof stores !== 'object' || Array.isArray(stores)) throw new TypeError('policy.stores must be "*" or an object of store names.');
    for (const [name, rules] of Object.entries(stores)) {
      if (rules === undefined) continue;
      if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) {
        throw new TypeError(`policy.stores["${name}"] must be an object { read?, write?, hidden? } of key-pattern arrays.`);
      }
      for (const k of RULE_KEYS) {
        const list = (rules as Record<string, unknown>)[k];
        if (list !== undefined && (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))) {
          throw new TypeError(`policy.stores["${name}"].${k} must be an array of key patterns (dot paths, "*" for one segment).`);
        }
      }
    }
  }
  if (p.admin !== undefined && typeof p.admin !== 'boolean') throw new TypeError('policy.admin must be true or false.');
  for (const key of ['maxWritesPerSecond', 'maxRequestsPerSecond'] as const) {
    const rate = p[key];
    if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate))) {
      throw new TypeError(`policy.${key} must be a positive number.`);
    }
  }
  return policy as ClientPolicy;
}
