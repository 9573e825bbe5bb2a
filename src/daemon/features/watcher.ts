import fs from 'node:fs';
import type { FSWatcher } from 'chokidar';
import type { StoreHandle } from '../engine/store-handle.ts';
import type { CheckpointFile } from '../storage/checkpoint.ts';
import type { ExternalEdits } from './external-edits.ts';

/** How long the file must stay unchanged before a change to it is read (editors write in several steps). */
const STABLE_MS = 60;
/** How long a vanished file may take to come back before it counts as deleted (editors that delete, then write). */
const DELETE_GRACE_MS = 150;

/**
 * Watches `<name>.json` for hand edits while the app runs (chokidar) and hands each change to ExternalEdits: our own
 * checkpoints are recognized by their text and ignored; an edit is merged or rejected; a deletion is a reset.
 */
export class ExternalEditWatcher {
  #watcher: FSWatcher | undefined;
  #busy: Promise<void> = Promise.resolve();
  #starting: Promise<void> | undefined;
  #closed = false;

  /** The file as the store opened it (inode, size, mtime), to tell at start() whether anyone touched it since. */
  readonly #atOpen: string;

  constructor(readonly store: StoreHandle, readonly checkpoint: CheckpointFile, readonly edits: ExternalEdits) {
    this.#atOpen = fileState(checkpoint.path);
  }

  /**
   * Resolves once chokidar is watching. It starts after the store served its first read (OpenStore), so chokidar is
   * loaded and set up then, off the path to that read; an edit made before it watched is found by one comparison of
   * the file with our last checkpoint once it does.
   */
  start(): Promise<void> {
    this.#starting ??= (async () => {
      const { watch } = await import('chokidar');
      if (this.#closed) return;
      const watcher = watch(this.checkpoint.path, {
        ignoreInitial: true,
        // Editors write in several steps; wait until the file stops changing.
        awaitWriteFinish: { stabilityThreshold: STABLE_MS, pollInterval: 15 },
      });
      this.#watcher = watcher;
      const onEvent = () => this.#queue(() => this.#handle());
      watcher.on('change', onEvent);
      watcher.on('add', onEvent);
      watcher.on('unlink', onEvent);
      await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      // The file changed before chokidar watched (an edit, a deletion, or our own checkpoint, which #handle knows).
      // Like chokidar's events, only once it stopped changing: an editor may be between truncating and writing it,
      // and a half-written file would be taken for a broken edit (rejected, the file restored over the user's text).
      if (fileState(this.checkpoint.path) !== this.#atOpen) this.#queue(async () => {
        await whenStable(this.checkpoint.path, STABLE_MS, () => this.#closed);
        await this.#handle();
      });
    })();
    return this.#starting;
  }

  #queue(task: () => Promise<void>): void {
    this.#busy = this.#busy.then(task).catch(() => {});
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
    if (this.checkpoint.isOnDisk(text)) return; // our own checkpoint
    await this.edits.applyText(text);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#starting;
    await this.#watcher?.close();
    await this.#busy;
  }
}

function fileState(file: string): string {
  try {
    const stat = fs.statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** Resolves once `file` (its inode, size and mtime) stayed the same for `ms`, checked every 15 ms, or on `stop()`. */
async function whenStable(file: string, ms: number, stop: () => boolean): Promise<void> {
  let state = fileState(file);
  let since = Date.now();
  while (!stop() && Date.now() - since < ms) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    const now = fileState(file);
    if (now !== state) {
      state = now;
      since = Date.now();
    }
  }
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
