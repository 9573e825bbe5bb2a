/**
 * How an encrypted value looks in the store file and, for a daemon that has no key for it, on the wire: a string with
 * this prefix. Tools (CLI, inspector) show such strings masked; the daemon treats one that no longer opens as damage.
 */
export const SEALED_PREFIX = 'esd:aes-256-gcm:';

/** True for a value in the sealed format. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}
