/** When to checkpoint (tuning; defaults below). */
export interface CheckpointTuning {
  /** Journal records since the last checkpoint that make one due (default 1000, but see `due`). */
  records?: number;
  /** Journal bytes since the last checkpoint that make one due regardless (default 32 MB). */
  bytes?: number;
  /** Checkpoint after this long without writes (default 2000 ms). */
  idleMs?: number;
  /** Documents of at least this many bytes are checkpointed off the commit path (default 256 KB; see Checkpointer). */
  offPathBytes?: number;
}

/**
 * Decides when a store's whole document is rewritten to retire the journal since the last checkpoint, and keeps the
 * idle and retry timers. `run` must checkpoint at the next idle moment of the commit queue.
 */
export class CheckpointSchedule {
  readonly #records: number;
  readonly #bytes: number;
  readonly #idleMs: number;
  /** Records were tuned explicitly: then they alone decide (tests and benchmarks rely on exact cadences). */
  readonly #recordsTuned: boolean;
  #since = { records: 0, bytes: 0 };
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #retry: { timer: ReturnType<typeof setTimeout> | undefined; delay: number } = { timer: undefined, delay: 0 };

  constructor(tuning: CheckpointTuning, private readonly run: () => void) {
    this.#records = tuning.records ?? 1000;
    this.#bytes = tuning.bytes ?? 32 * 1024 * 1024;
    this.#idleMs = tuning.idleMs ?? 2000;
    this.#recordsTuned = tuning.records !== undefined;
  }

  /** Counts journal records written since the last checkpoint (also those replayed at open). */
  recorded(records: number, bytes: number): void {
    this.#since.records += records;
    this.#since.bytes += bytes;
  }

  /**
   * Unless tuned, a checkpoint waits until the journal since the last one is at least twice the document's size
   * (1–16 MB), so a large store is not rewritten every 1,000 small writes (bench/PROFILE.md §3), while start-up
   * replay stays bounded.
   */
  due(documentBytes: number): boolean {
    const since = this.#since;
    if (since.bytes >= this.#bytes) return true;
    if (since.records < this.#records) return false;
    if (this.#recordsTuned) return true;
    return since.bytes >= Math.min(16 * 1024 * 1024, Math.max(1024 * 1024, 2 * documentBytes));
  }

  /** After a committed group: checkpoint now if due, else (re)arm the idle timer. */
  afterCommit(documentBytes: number): void {
    if (this.due(documentBytes)) {
      this.run();
      return;
    }
    clearTimeout(this.#idleTimer);
    // setTimeout treats delays past 2^31-1 ms as 1 ms; "never" must stay never.
    this.#idleTimer = setTimeout(this.run, Math.min(this.#idleMs, 2 ** 31 - 1));
    this.#idleTimer.unref?.();
  }

  /** A checkpoint is starting: no timer needs to fire for it any more. */
  starting(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#retry.timer);
    this.#retry.timer = undefined;
  }

  /** What was journaled since the last checkpoint, as of now (what a checkpoint starting now covers). */
  since(): { records: number; bytes: number } {
    return { ...this.#since };
  }

  /** The checkpoint is on disk; it covers `covered` (records journaled while it was written still count). */
  succeeded(covered: { records: number; bytes: number } = this.#since): void {
    this.#retry.delay = 0;
    this.#since = { records: Math.max(0, this.#since.records - covered.records), bytes: Math.max(0, this.#since.bytes - covered.bytes) };
  }

  /** The checkpoint failed: retry on a growing delay (never a busy loop), also when no further write comes. */
  failed(closed: boolean): void {
    const retry = this.#retry;
    retry.delay = Math.min(Math.max(retry.delay * 2, Math.min(this.#idleMs, 1000), 10), 30_000);
    if (closed) return;
    retry.timer = setTimeout(this.run, retry.delay);
    retry.timer.unref?.();
  }

  /** Stops every timer (close). */
  cancel(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#retry.timer);
  }
}
