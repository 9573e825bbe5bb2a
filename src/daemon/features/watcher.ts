import fs from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import type { StoreHandle } from '../engine/store-handle.ts';
import type { CheckpointFile } from '../storage/checkpoint.ts';
import type { ExternalEdits } from './external-edits.ts';

/** How long a vanished file may take to come back before it counts as deleted (editors that delete, then write). */
const DELETE_GRACE_MS = 150;

/**
 * Watches `<name>.json` for hand edits while the app runs (chokidar) and hands each change to ExternalEdits: our own
 * checkpoints are recognized by their text and ignored; an edit is merged or rejected; a deletion is a reset.
 */
export class ExternalEditWatcher {
  #watcher: FSWatcher | undefined;
  #busy: Promise<void> = Promise.resolve();

  constructor(readonly store: StoreHandle, readonly checkpoint: CheckpointFile, readonly edits: ExternalEdits) {}

  /** Resolves once chokidar is watching. */
  start(): Promise<void> {
    this.#watcher = watch(this.checkpoint.path, {
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
    if (this.store.closed) return;
    let text = read(this.checkpoint.path);
    if (text === undefined) {
      await new Promise((resolve) => setTimeout(resolve, DELETE_GRACE_MS));
      text = read(this.checkpoint.path);
      if (this.store.closed) return;
      if (text === undefined) return this.edits.reset();
    }
    if (text === this.checkpoint.lastText) return; // our own checkpoint
    await this.edits.applyText(text);
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
    await this.#busy;
  }
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
