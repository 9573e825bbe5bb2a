import { StoreError } from './errors.ts';

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** True for a usable store name: it becomes a file name, so letters, digits, `-`, `_`, `.`, no separators or `..`. */
export function isStoreName(name: unknown): name is string {
  return typeof name === 'string' && NAME_RE.test(name) && !name.includes('..');
}

/** Returns the name, or throws STORE_NOT_FOUND saying what a name may hold. */
export function checkStoreName(name: unknown): string {
  if (!isStoreName(name)) {
    throw new StoreError('STORE_NOT_FOUND', `${JSON.stringify(name) ?? String(name)} is not a valid store name; use letters, digits, "-", "_" and "." (it becomes a file name).`);
  }
  return name;
}
