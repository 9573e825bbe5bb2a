import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { StoreError, toStoreError } from '../../protocol/errors.ts';
import { fromPointer } from '../../protocol/keys.ts';
import { checkJsonValue } from '../../protocol/values.ts';
import type { JsonObject } from '../../protocol/types.ts';
import { INTERNAL_KEY, type CheckpointFile } from '../storage/checkpoint.ts';
import { diffDocuments } from './document-diff.ts';
import type { StoreHandle } from '../engine/store-handle.ts';
import type { FieldCipher } from './encryption.ts';

export interface ExternalRejection {
  store: string;
  keptAs: string;
  error: StoreError;
}

/**
 * Watches `<name>.json` for hand edits (SPEC §6.10). An edit is diffed against the last checkpoint (what the editor
 * started from), applied to memory as a write with source `external`, validated and broadcast. An invalid edit is
 * rejected: memory stays, the file is rewritten from memory, the rejected text is kept as
 * `<name>.rejected-<time>.json`, and `onRejected` fires (main re-emits it as `external-change-rejected`).
 */
export class ExternalEditWatcher {
  #watcher: FSWatcher | undefined;
  #busy: Promise<void> = Promise.resolve();

  constructor(readonly engine: StoreHandle, readonly checkpoint: CheckpointFile, readonly cipher: FieldCipher, readonly onRejected: (rejection: ExternalRejection) => void) {}

  /** Resolves once chokidar is watching. */
  start(): Promise<void> {
    const file = this.checkpoint.path;
    this.#watcher = watch(file, {
      ignoreInitial: true,
      // Editors write in several steps; wait until the file stops changing.
      awaitWriteFinish: { stabilityThreshold: 60, pollInterval: 15 },
    });
    const onEvent = () => {
      this.#busy = this.#busy.then(() => this.#handle()).catch(() => {});
    };
    this.#watcher.on('change', onEvent);
    this.#watcher.on('add', onEvent);
    this.#watcher.on('unlink', onEvent);
    return new Promise((resolve) => this.#watcher!.once('ready', () => resolve()));
  }

  async #handle(): Promise<void> {
    const engine = this.engine;
    if (engine.closed) return;
    let text: string;
    try {
      text = fs.readFileSync(this.checkpoint.path, 'utf8');
    } catch {
      // Deleted by hand: put the store's file back.
      await engine.whenCommitted(() => engine.rewriteCheckpoint());
      return;
    }
    if (text === this.checkpoint.lastText) return; // our own checkpoint
    let edited: JsonObject;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the file is not a JSON object');
      const { [INTERNAL_KEY]: _internal, ...rest } = parsed as Record<string, unknown>;
      edited = this.cipher.unsealDoc(rest as JsonObject);
      // A hand edit is input like any other: plain JSON only (JSON.parse can make an own __proto__ key).
      checkJsonValue(edited, '(file)', engine.name);
    } catch (error) {
      await this.#reject(text, new StoreError('VALIDATION_FAILED', `The hand edit of ${path.basename(this.checkpoint.path)} cannot be used (${(error as Error).message}); the file was restored.`, { store: engine.name }));
      return;
    }
    const base = this.cipher.unsealDoc(parseBase(this.checkpoint.lastText));
    const ops = diffDocuments(base, edited);
    if (ops.length === 0) {
      this.checkpoint.lastText = text;
      return;
    }
    try {
      await engine.submit('external', (draft) => {
        for (const op of ops) {
          try {
            draft.patchOp(op, 0);
          } catch {
            // Memory moved on since the checkpoint (the path is gone): the edit wins for that top-level key.
            const [top] = fromPointer(op.path);
            if (Object.hasOwn(edited, top)) draft.set([top], structuredClone(edited[top]));
            else draft.remove([top]);
          }
        }
      }, { validateAll: true });
      await engine.whenCommitted(() => engine.rewriteCheckpoint());
    } catch (error) {
      await this.#reject(text, toStoreError(error, 'VALIDATION_FAILED', engine.name));
    }
  }

  async #reject(text: string, error: StoreError): Promise<void> {
    const engine = this.engine;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const keptAs = path.join(path.dirname(this.checkpoint.path), `${engine.name}.rejected-${stamp}.json`);
    fs.writeFileSync(keptAs, text);
    await engine.whenCommitted(() => engine.rewriteCheckpoint());
    this.onRejected({ store: engine.name, keptAs, error });
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
    await this.#busy;
  }
}

function parseBase(text: string | undefined): JsonObject {
  if (!text) return {};
  try {
    const { [INTERNAL_KEY]: _internal, ...rest } = JSON.parse(text) as Record<string, unknown>;
    return rest as JsonObject;
  } catch {
    return {};
  }
}
