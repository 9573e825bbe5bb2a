import { StoreError } from '../protocol/errors.ts';

/** Thrown for a malformed command line: exit code 2 and the usage of the command. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where a command's output goes: stdout for results (JSON with `--json`), stderr for notes, progress and errors. */
export class Output {
  constructor(readonly json: boolean, readonly stdout: NodeJS.WritableStream = process.stdout, readonly stderr: NodeJS.WritableStream = process.stderr) {}

  /** The command's result: `data` as JSON with --json, else the text `human()` makes. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data, undefined, 2)}\n`);
    else {
      const text = human();
      if (text !== '') this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** A note for people (stderr, human mode only): caveats about what was shown. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`note: ${text}\n`);
  }

  /** One line per step of long work (stderr, human mode only). */
  progress(text: string): void {
    if (!this.json) this.stderr.write(`… ${text}\n`);
  }

  /** A failure: `CODE: message` on stderr; with --json also `{ error }` on stdout, so stdout always parses. */
  error(error: StoreError | UsageError): void {
    if (error instanceof UsageError) {
      if (this.json) this.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message } }, undefined, 2)}\n`);
      this.stderr.write(`usage error: ${error.message}\n`);
      return;
    }
    const { __storeError: _marker, ...plain } = error.toJSON();
    if (this.json) this.stdout.write(`${JSON.stringify({ error: plain }, undefined, 2)}\n`);
    this.stderr.write(`${error.code}: ${error.message}\n`);
  }
}
