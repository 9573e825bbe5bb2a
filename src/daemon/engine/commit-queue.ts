/**
 * Group commit: jobs that arrive while a group is being made durable wait and then go together, so one
 * fdatasync serves them all. `whenIdle` runs work at a moment when no group is in flight (snapshots,
 * checkpoints) — the in-memory document then equals the committed one.
 */
export class CommitQueue<J> {
  #queue: J[] = [];
  #running = false;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(private readonly runGroup: (jobs: J[]) => Promise<void>) {}

  push(job: J): void {
    this.#queue.push(job);
    this.#schedule();
  }

  get pending(): number {
    return this.#queue.length;
  }

  get busy(): boolean {
    return this.#running || this.#scheduled;
  }

  /** Runs `fn` now if no group is in flight, else right after the current group, before the next one starts. */
  whenIdle(fn: () => void): void {
    if (!this.#running && !this.#scheduled) fn();
    else this.#idle.push(fn);
  }

  /** Resolves once every queued job has been committed or rejected. */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.#queue.length === 0 && !this.#running ? resolve() : this.#idle.push(check));
      this.whenIdle(check);
    });
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: messages that arrived in the same I/O poll join this group.
    setImmediate(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    this.#scheduled = false;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const jobs = this.#queue;
        this.#queue = [];
        await this.runGroup(jobs);
        this.#runIdle();
      }
    } finally {
      this.#running = false;
      this.#runIdle();
    }
  }

  #runIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const fn of waiting) fn();
  }
}
