import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import equalModule from 'ajv/dist/runtime/equal.js';
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';
import uriModule from 'ajv/dist/runtime/uri.js';
import validationErrorModule from 'ajv/dist/runtime/validation_error.js';
import formatsModule from 'ajv-formats/dist/formats.js';

/**
 * A store's compiled schema, kept beside the store: ajv's standalone code for the whole-document validator, so a start
 * whose schema has not changed skips compiling it (bench/PROFILE.md, Round 2 — start).
 *
 * The schema stays the authority. An entry is used only when its key — a hash of the schema, the validator's options
 * and this daemon's own code file — matches, and when its code hashes to the digest stored with it; anything else
 * (another schema, another daemon version, a garbled or edited file, code that does not load) is ignored, the schema
 * is compiled, and the entry is rewritten. The digest catches corruption, not a forger: whoever can write the store
 * folder can write the store itself.
 */

/** Bump when what is cached (its shape, or the options the code was generated with) changes. */
const FORMAT = 1;

interface Entry {
  format: number;
  key: string;
  sha256: string;
  code: string;
}

/**
 * The generated code loads these by name; nothing else may be required from it. A default import of a CommonJS module
 * is its `module.exports` (Node's ESM, tsx and esbuild's bundle alike): what `require()` would return.
 */
const RUNTIME: Record<string, unknown> = {
  'ajv/dist/runtime/equal': equalModule,
  'ajv/dist/runtime/ucs2length': ucs2lengthModule,
  'ajv/dist/runtime/uri': uriModule,
  'ajv/dist/runtime/validation_error': validationErrorModule,
  'ajv-formats/dist/formats': formatsModule,
};

/** This daemon's code, by size and time: an updated package (and so perhaps another ajv) never reads an older entry. */
function codeFingerprint(): string | undefined {
  try {
    const stat = fs.statSync(fileURLToPath(import.meta.url));
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export class SchemaCache {
  readonly key: string | undefined;

  constructor(readonly file: string, schema: object, variant: string) {
    const code = codeFingerprint();
    this.key = code === undefined ? undefined : sha256(JSON.stringify([FORMAT, variant, code, schema]));
  }

  /** The cached validator, when the entry is for this schema and intact; undefined otherwise (compile, then `save`). */
  load(): ValidateFunction | undefined {
    if (this.key === undefined) return undefined;
    let entry: Partial<Entry>;
    try {
      entry = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<Entry>;
    } catch {
      return undefined;
    }
    if (!entry || entry.format !== FORMAT || entry.key !== this.key || typeof entry.code !== 'string' || entry.sha256 !== sha256(entry.code)) return undefined;
    try {
      const module = { exports: {} as { default?: unknown } };
      const require = (name: string): unknown => {
        if (!Object.hasOwn(RUNTIME, name)) throw new Error(`the cached validator requires ${name}`);
        return RUNTIME[name];
      };
      // The code is ajv's own output for this schema (hash-checked above); it sees only `require` for ajv's helpers.
      new Function('require', 'module', 'exports', entry.code)(require, module, module.exports);
      const validate = module.exports.default ?? module.exports;
      return typeof validate === 'function' ? (validate as ValidateFunction) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Writes the entry for `code` (temp file, then rename: a reader sees the old entry or the new one). Off the path to
   * the first read and best effort: without the entry the next start compiles, as this one did.
   */
  async save(code: string): Promise<void> {
    if (this.key === undefined) return;
    const entry: Entry = { format: FORMAT, key: this.key, sha256: sha256(code), code };
    const tmp = `${this.file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await fs.promises.writeFile(tmp, JSON.stringify(entry));
      await fs.promises.rename(tmp, this.file);
    } catch {
      await fs.promises.rm(tmp, { force: true }).catch(() => {});
    }
  }
}
