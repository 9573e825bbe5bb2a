#!/usr/bin/env node
/**
 * electron-store-daemon's offline CLI: inspect, verify and repair an app's store folder from a terminal.
 *
 *   npx electron-store-daemon <command> <folder> [args] [--json] [--stores <module>] [--key-file <path>]
 *
 * Read-only commands read the files without the lock (they work while the app runs); commands that write open the
 * store through the daemon's own open sequence and need the app to be closed (STORE_LOCKED otherwise).
 * Exit codes: 0 done, 1 failed (or `verify` found problems, `get` found no value), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { StoreError, toStoreError } from '../protocol/errors.ts';
import * as read from './commands/read.ts';
import { verify } from './commands/verify.ts';
import * as write from './commands/write.ts';
import { inspect } from './commands/inspect.ts';
import type { CliContext, CliOptions } from './context.ts';
import { loadStoresModule } from './defs.ts';
import { checkFolder } from './folder.ts';
import { Output, UsageError } from './output.ts';
import { readKeyFile } from './sealed.ts';

type Run = (ctx: CliContext) => number | void | Promise<number | void>;

interface Command {
  /** Positional arguments after the folder; `?` marks an optional one. */
  args: string[];
  options: Array<keyof CliOptions>;
  summary: string;
  run: Run;
}

const COMMANDS: Record<string, Command> = {
  list: { args: [], options: [], summary: 'the stores in the folder: rev, sizes, journal, backups, whether the app has them open', run: read.list },
  get: { args: ['store', 'key?'], options: [], summary: 'the document, or the value at a dot path (exit 1 when there is none)', run: read.get },
  history: { args: ['store'], options: ['key', 'since', 'limit'], summary: 'journal records, oldest first: --key K (touching K), --since REV, --limit N (default 100)', run: read.history },
  export: { args: ['store'], options: [], summary: 'the document as JSON (what `import` takes)', run: read.exportStore },
  verify: { args: ['store?'], options: [], summary: 'checks checkpoint, journal and backups of one store or all; exit 1 listing each problem', run: verify },
  backups: {
    args: ['store', 'action', 'id?'], options: ['reason'], summary: 'list | create [--reason R] | restore <id>',
    run: (ctx) => {
      const action = ctx.args[1];
      if (action === 'list') return read.listBackups(ctx);
      if (action === 'create' || action === 'restore') return write.backupsWrite(ctx, action);
      throw new UsageError(`backups takes list, create or restore <id>; got "${action}".`, 'backups');
    },
  },
  rollback: { args: ['store'], options: ['rev', 'time'], summary: '--rev N | --time T: undo every write after it, as one new write', run: write.rollback },
  import: { args: ['store', 'file'], options: [], summary: 'replace the document with a JSON file (a before-import backup is taken first)', run: write.importStore },
  compact: { args: ['store'], options: [], summary: 'checkpoint now and prune the journal as retention allows', run: write.compact },
  inspect: { args: [], options: ['port'], summary: 'serve the live inspector on 127.0.0.1 (prints a one-time link; --port N) until Ctrl+C', run: inspect },
};

const COMMON: Array<keyof CliOptions> = ['json', 'stores', 'key-file'];
const WRITES = new Set(['rollback', 'import', 'compact', 'inspect']);

function usage(command?: string): string {
  const line = (name: string, c: Command) => `  ${[name, '<folder>', ...c.args.map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : `<${a}>`))].join(' ')}`;
  if (command && COMMANDS[command]) return `usage:\n${line(command, COMMANDS[command])}\n    ${COMMANDS[command].summary}\n`;
  return [
    'usage: electron-store-daemon <command> <folder> [arguments] [options]',
    '',
    'Read-only (no lock; fine while the app runs — the view may be a moment old):',
    ...['list', 'get', 'history', 'export', 'verify'].flatMap((n) => [line(n, COMMANDS[n]), `      ${COMMANDS[n].summary}`]),
    '  backups <folder> <store> list | create [--reason R] | restore <id>',
    '      list is read-only; create and restore change the store',
    '',
    'Changing a store (takes its lock: quit the app first):',
    ...[...WRITES].flatMap((n) => [line(n, COMMANDS[n]), `      ${COMMANDS[n].summary}`]),
    '',
    'Options:',
    '  --json              machine-readable output on stdout (errors too, as { error: { code, message } })',
    '  --stores <module>   the module exporting your defineStore() results: schema checks, encrypted keys, retention',
    '  --key-file <path>   the 32-byte encryption key (raw, or 64 hex characters) to decrypt encrypted values',
    '',
    'Exit codes: 0 done, 1 failed (verify found problems, get found no value), 2 usage error.',
    '',
  ].join('\n');
}

/** Runs one command line; returns the exit code. Output goes to `out` (stdout/stderr by default). */
export async function main(argv: string[], out?: Output): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const json = argv.includes('--json');
  const output = out ?? new Output(json);
  try {
    parsed = parse(argv);
  } catch (error) {
    return fail(output, error, argv.find((a) => !a.startsWith('-')));
  }
  if (parsed === 'help') {
    output.stdout.write(usage());
    return 0;
  }
  try {
    const { command, folder, args, options } = parsed;
    const ctx: CliContext = {
      folder: checkFolder(folder), out: output, args, options,
      defs: await loadStoresModule(options.stores),
      key: options['key-file'] === undefined ? undefined : readKeyFile(options['key-file']),
    };
    const code = await COMMANDS[command].run(ctx);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    return fail(output, error, parsed.command);
  }
}

function fail(output: Output, error: unknown, command: string | undefined): number {
  if (error instanceof UsageError) {
    output.error(error);
    if (!output.json) output.stderr.write(usage(error.command ?? (command && COMMANDS[command] ? command : undefined)));
    return 2;
  }
  const e = error instanceof StoreError ? error : toStoreError(error, 'IO_FAILED');
  output.error(e);
  return 1;
}

function parse(argv: string[]): { command: string; folder: string; args: string[]; options: CliOptions } | 'help' {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, stores: { type: 'string' }, 'key-file': { type: 'string' },
        key: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' }, rev: { type: 'string' }, time: { type: 'string' }, reason: { type: 'string' }, port: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, commandIn(argv));
  }
  const [command, folder, ...args] = positionals;
  if (values.help || command === 'help' || command === undefined) {
    if (command === undefined && !values.help) throw new UsageError('no command given.');
    return 'help';
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}.`);
  if (folder === undefined) throw new UsageError(`${command} needs the store folder (the app's userData, or the daemon's cwd).`, command);
  const required = spec.args.filter((a) => !a.endsWith('?')).length;
  if (args.length < required) throw new UsageError(`${command} needs ${spec.args.slice(args.length).filter((a) => !a.endsWith('?')).map((a) => `<${a}>`).join(' ')}.`, command);
  if (args.length > spec.args.length) throw new UsageError(`${command} takes at most ${spec.args.length + 1} arguments; unexpected "${args[spec.args.length]}".`, command);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'help') continue;
    if (!COMMON.includes(name as keyof CliOptions) && !spec.options.includes(name as keyof CliOptions)) throw new UsageError(`${command} does not take --${name}.`, command);
  }
  return { command, folder, args, options: values as CliOptions };
}

/** The command named on a command line parseArgs refused, for the usage to print. */
function commandIn(argv: string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  return first && COMMANDS[first] ? first : undefined;
}

/** Run as the program (the bin, or `node src/cli/main.ts`), not when imported by a test. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return fs.realpathSync(entry) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  // `… | head`: the reader went away; that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
