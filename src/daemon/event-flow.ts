/**
 * How far a connection's events may run ahead of what its client has confirmed (`seen`). MessagePorts give no
 * backpressure: a window that never reads its port would have the daemon queue every change for it, without bound.
 * Past these, the connection is lagging: its change events are dropped until the client confirms everything sent,
 * and then each of its stores gets one `resync` (a snapshot at the current rev) instead of what it missed.
 */
export const MAX_UNSEEN_EVENTS = 4096;
/** The same bound in characters of JSON change text (what dominates the queued memory of big changes). */
export const MAX_UNSEEN_CHARS = 32 * 1024 * 1024;

/** One connection's count of events sent and confirmed. */
export class EventFlow {
  #sent = 0;
  #seen = 0;
  /** Characters of change text sent and not yet confirmed, by the event count at which they were sent. */
  #chars: Array<{ at: number; chars: number }> = [];
  #unseenChars = 0;
  /** The count at which `lagging` went out, while lagging. */
  #laggingAt: number | undefined;

  get lagging(): boolean {
    return this.#laggingAt !== undefined;
  }

  /**
   * Whether a change event of `chars` characters may go out now. When it may not and the connection was not lagging
   * yet, `startLagging` is called (to post the `lagging` marker, which `sent` counts).
   */
  admitChange(chars: number, startLagging: () => void): boolean {
    if (this.#laggingAt !== undefined) return false;
    // One change bigger than the bound still goes to a client that has confirmed everything: it could never go otherwise.
    if (this.#sent - this.#seen >= MAX_UNSEEN_EVENTS || (this.#unseenChars > 0 && this.#unseenChars + chars > MAX_UNSEEN_CHARS)) {
      startLagging();
      this.#laggingAt = this.#sent;
      return false;
    }
    if (chars > 0) {
      this.#chars.push({ at: this.#sent + 1, chars });
      this.#unseenChars += chars;
    }
    return true;
  }

  /** Counts an event posted (changes, acks, markers: everything on the event channel). */
  sent(): void {
    this.#sent++;
  }

  /**
   * The client's count. Returns true when it ends a lag (everything sent is confirmed): the caller resyncs the
   * client's stores. A count that is not a number, goes back, or runs ahead of what was sent is ignored.
   */
  seen(n: unknown): boolean {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < this.#seen || n > this.#sent) return false;
    this.#seen = n;
    while (this.#chars.length > 0 && this.#chars[0].at <= n) this.#unseenChars -= this.#chars.shift()!.chars;
    if (this.#laggingAt !== undefined && n >= this.#laggingAt) {
      this.#laggingAt = undefined;
      return true;
    }
    return false;
  }
}
