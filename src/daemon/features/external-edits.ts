import fs from 'node:fs';
import path from 'node:path';
import { StoreError, toStoreError } from '../../protocol/errors.ts';
import { fromPointer } from '../../protocol/keys.ts';
import type { JsonObject } from '../../protocol/types.ts';
import { checkJsonValue } from '../../protocol/values.ts';
import { replaceDocument } from '../../protocol/write.ts';
import type { StoreHandle } from '../engine/store-handle.ts';
import type { ClosedEdit } from '../engine/types.ts';
import { INTERNAL_KEY, type CheckpointFile } from '../storage/checkpoint.ts';
import type { BackupService } from './backups.ts';
import { diffDocuments } from './document-diff.ts';
import type { FieldCipher } from './encryption.ts';

export interface ExternalRejection {
  store: string;
  keptAs: string;
  error: StoreError;
}

export interface ExternalEditsOptions {
  store: StoreHandle;
  checkpoint: CheckpointFile;
  cipher: FieldCipher;
  backups: BackupService;
  defaults: JsonObject;
  /** Whether a document with this conf data must fit the schema (not while migrations are still to run on it). */
  validates(internal: Record<string, unknown>): boolean;
  onRejected(rejection: ExternalRejection): void;
}

/**
 * Changes of the store file the daemon did not make — live (the watcher) or while the app was closed (found at open) —
 * all go one way (SPEC §6.8, §6.10): an edit is diffed against what the daemon last wrote there (three-way), committed
 * as a write with source `external` (validated, journaled, broadcast, undoable); an edit that does not parse or fit
 * the schema is rejected (the daemon's state stands, the file is rewritten, the text kept as
 * `<name>.rejected-<time>.json`, `onRejected` fires); deleting the file resets the store to its defaults, as in
 * electron-store, after a backup. conf's migration version is the file's whenever the file names one.
 */
export class ExternalEdits {
  constructor(readonly o: ExternalEditsOptions) {}

  /** What recovery found at open, applied now that the store is open. */
  async afterOpen(edit: ClosedEdit | undefined): Promise<void> {
    if (edit?.kind === 'edit') {
      let doc: JsonObject;
      try {
        // A hand edit is input like any other: plain JSON only (JSON.parse can make an own __proto__ key).
        checkJsonValue(edit.doc, '(file)', this.o.store.name);
        doc = edit.doc;
      } catch (error) {
        return this.reject(edit.text, this.#unusable(error));
      }
      await this.apply(doc, edit.internal, edit.base, edit.text, true);
    } else if (edit?.kind === 'deleted') {
      await this.reset();
    } else if (edit?.kind === 'rejected') {
      this.o.onRejected({ store: this.o.store.name, keptAs: edit.keptAs, error: this.#unusable(new Error(edit.reason)) });
    }
  }

  /** A live edit: the file's text, against the last checkpoint the daemon wrote. */
  async applyText(text: string): Promise<void> {
    let parsed: { doc: JsonObject; internal: Record<string, unknown> };
    try {
      parsed = this.#parse(text);
    } catch (error) {
      return this.reject(text, this.#unusable(error));
    }
    // The edit started from the checkpoint on disk: the document at its rev (without a mark, the current one).
    const { store, checkpoint } = this.o;
    const base = await store.whenCommitted(() => store.documentAt(checkpoint.onDisk()?.rev ?? store.rev));
    await this.apply(parsed.doc, parsed.internal, base, text, false);
  }

  /** Commits `edited` on top of the store as the change from `base`; `rewrite`: also when nothing changed. */
  async apply(edited: JsonObject, internal: Record<string, unknown>, base: JsonObject, text: string, rewrite: boolean): Promise<void> {
    const { store, checkpoint } = this.o;
    const ops = diffDocuments(base, edited);
    const migrations = internal.migrations;
    const internalChange = migrations !== undefined && JSON.stringify(migrations) !== JSON.stringify(store.internal.migrations) ? { migrations } : undefined;
    if (ops.length === 0 && !internalChange) {
      if (rewrite) await store.whenCommitted(() => store.rewriteCheckpoint());
      return;
    }
    try {
      await store.submit('external', (draft) => {
        for (const op of ops) {
          try {
            draft.patchOp(op, 0);
          } catch {
            // The store moved on since that checkpoint (the path is gone): the edit wins for that top-level key.
            const [top] = fromPointer(op.path);
            if (Object.hasOwn(edited, top)) draft.set([top], structuredClone(edited[top]));
            else draft.remove([top]);
          }
        }
      }, { validateAll: true, validate: this.o.validates({ ...store.internal, ...internalChange }), ...(internalChange && { internal: internalChange }) });
      await store.whenCommitted(() => store.rewriteCheckpoint());
    } catch (error) {
      await this.reject(text, toStoreError(error, 'VALIDATION_FAILED', store.name));
    }
  }

  /** The file was deleted: back up, then reset to the defaults as one undoable external write. */
  async reset(): Promise<void> {
    const { store } = this.o;
    try {
      await this.o.backups.createSafe('before-reset');
      await store.submit('external', (draft) => replaceDocument(draft, this.o.defaults), { validateAll: true });
    } catch (error) {
      store.reportProblem(`the file was deleted but the store could not be reset (${(error as Error).message}); it was rewritten as it was`);
    }
    await store.whenCommitted(() => store.rewriteCheckpoint());
  }

  /** Keeps the rejected text aside, puts the daemon's state back in the file, and tells main. */
  async reject(text: string, error: StoreError): Promise<void> {
    const { store, checkpoint } = this.o;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const keptAs = path.join(path.dirname(checkpoint.path), `${store.name}.rejected-${stamp}.json`);
    fs.writeFileSync(keptAs, text);
    store.reportProblem(`a hand edit of ${path.basename(checkpoint.path)} was rejected (${error.message}); its text is kept as ${keptAs}`, keptAs);
    await store.whenCommitted(() => store.rewriteCheckpoint());
    this.o.onRejected({ store: store.name, keptAs, error });
  }

  #unusable(error: unknown): StoreError {
    const file = path.basename(this.o.checkpoint.path);
    return new StoreError('VALIDATION_FAILED', `The hand edit of ${file} cannot be used (${(error as Error).message}); the file was restored.`, { store: this.o.store.name });
  }

  #parse(text: string): { doc: JsonObject; internal: Record<string, unknown> } {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the file is not a JSON object');
    const { [INTERNAL_KEY]: rawInternal, ...rest } = parsed as Record<string, unknown>;
    const doc = this.o.cipher.unsealDoc(rest as JsonObject);
    checkJsonValue(doc, '(file)', this.o.store.name);
    const { storeDaemon: _meta, ...internal } = (rawInternal && typeof rawInternal === 'object' && !Array.isArray(rawInternal) ? rawInternal : {}) as Record<string, unknown>;
    return { doc, internal };
  }
}
