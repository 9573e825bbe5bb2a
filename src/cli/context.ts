import type { StoreDefinition } from '../protocol/types.ts';
import type { Output } from './output.ts';

/** Options a command may take (main.ts checks which are allowed where). */
export interface CliOptions {
  json?: boolean;
  stores?: string;
  'key-file'?: string;
  key?: string;
  since?: string;
  limit?: string;
  rev?: string;
  time?: string;
  reason?: string;
  port?: string;
}

/** What every command gets: the folder (absolute, existing), output, the stores module's definitions, the key. */
export interface CliContext {
  folder: string;
  out: Output;
  defs: Map<string, StoreDefinition>;
  key: Uint8Array | undefined;
  options: CliOptions;
  /** The command's positional arguments after the folder. */
  args: string[];
}
