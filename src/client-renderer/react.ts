// React bindings (`electron-store-daemon/react`); react is a peer dependency, left external by bundlers.
export { useStoreDocument } from './react/document.ts';
export { StoreProvider, useStoreClient, type StoreClientState, type StoreConnectOptions, type StoreConnector, type StoreProviderProps } from './react/provider.ts';
export type { StoreSource } from './react/source.ts';
export { useStore, type StoreValueUpdate, type StoreWriteState, type UseStoreResult } from './react/store.ts';
export { useStoreValue } from './react/value.ts';
