/**
 * Helpers of the compatibility suite: a sandbox folder whose daemons are closed before it is removed, the store file
 * as conf sees it, and conf itself (the engine electron-store extends) as the reference implementation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import Conf from 'conf';
import { startStoreDaemon, type DaemonOptions, type MainStoreClient, type StoreDaemon } from '../../src/client-main/index.ts';
import { defineStore } from '../../src/index.ts';
import type { StoreDefinition } from '../../src/protocol/types.ts';

export type Doc = Record<string, unknown>;

/** The absolute path of a fixture module (a `stores` module for migrations). */
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

/** A fresh folder for one test; every daemon started through it is closed before the folder is removed. */
export interface Sandbox {
  readonly cwd: string;
  /** Starts a worker-hosted daemon in this folder (or `options.cwd`). */
  start(stores: StoreDefinition[] | string, options?: Partial<DaemonOptions>): Promise<StoreDaemon>;
  /** Starts a daemon with one store and opens main's client of it. */
  open<T extends object = Doc>(def: StoreDefinition<T>): Promise<{ daemon: StoreDaemon; store: MainStoreClient<T> }>;
  /** `<cwd>/<name>.json`. */
  file(name: string): string;
}

export function sandbox(prefix = 'esd-compat-'): Sandbox {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const daemons: StoreDaemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.close()));
    fs.rmSync(cwd, { recursive: true, force: true });
  });
  const start = async (stores: StoreDefinition[] | string, options: Partial<DaemonOptions> = {}): Promise<StoreDaemon> => {
    const daemon = await startStoreDaemon({ cwd, host: 'worker', ...options, stores });
    daemons.push(daemon);
    return daemon;
  };
  return {
    cwd,
    start,
    async open<T extends object = Doc>(def: StoreDefinition<T>) {
      const daemon = await start([defineStore(def) as StoreDefinition]);
      return { daemon, store: await daemon.store<T>(def.name) };
    },
    file: (name: string) => path.join(cwd, `${name}.json`),
  };
}

/** The store file as JSON: the document and conf's `__internal__` (migration version, our rev) apart. */
export function readStoreFile(file: string): { doc: Doc; internal: { migrations?: { version?: string }; storeDaemon?: { rev: number } } | undefined } {
  const { __internal__: internal, ...doc } = JSON.parse(fs.readFileSync(file, 'utf8')) as Doc;
  return { doc, internal: internal as { migrations?: { version?: string }; storeDaemon?: { rev: number } } | undefined };
}

/** conf (what electron-store extends) on `<cwd>/<name>.json`: the reference reader and writer of the file format. */
export function confOf(cwd: string, name: string, options: { encryptionKey?: string } = {}): Conf<Doc> {
  return new Conf<Doc>({ cwd, configName: name, ...options });
}

/** conf's document without its `__internal__` bookkeeping (ours keeps a rev there). */
export function confDoc(conf: Conf<Doc>): Doc {
  const { __internal__: _internal, ...doc } = conf.store;
  return doc;
}

/** The `code` of a thrown or rejected StoreError (or `undefined` if it did not fail). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}
