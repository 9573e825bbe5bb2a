export { defineStore, isStoreDefinition } from './protocol/define.ts';
export { StoreError, STORE_ERROR_CODES, type StoreErrorCode } from './protocol/errors.ts';
export type * from './protocol/types.ts';
