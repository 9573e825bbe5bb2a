/** A ring of recent samples for p50/p99 in `info()` (O(1) to add, sorts only when asked). */
export class LatencyWindow {
  #samples: number[] = [];
  #next = 0;
  constructor(private readonly capacity: number) {}

  add(ms: number): void {
    if (this.#samples.length < this.capacity) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.capacity;
  }

  quantile(q: number): number {
    if (this.#samples.length === 0) return 0;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
}
