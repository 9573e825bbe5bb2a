import type { JsonObject } from '../../protocol/types.ts';

/**
 * Keeps a frozen view of the document valid while writes go on: a checkpoint serializes the document as it was at
 * its rev, a slice at a time, while later groups change the live one. The frozen view holds its own copy of the root;
 * below it, the live document shares every node with it until a write is about to change one. `own` then copies
 * the containers on the path to that node (once each: copies belong to the live document and are changed in place
 * from then on), so nothing the frozen view can reach is ever mutated. Costs nothing when no checkpoint runs.
 */
export class CopyOnWrite {
  readonly #owned = new WeakSet<object>();

  /** Makes every container from the root down to `parent` the live document's own; call before mutating `parent`. */
  own(root: JsonObject, parent: readonly string[]): void {
    let node: Record<string, unknown> = root;
    for (const segment of parent) {
      if (!Object.hasOwn(node, segment)) return;
      const child = node[segment];
      // Below a scalar or a missing member the write creates new values: nothing shared to protect.
      if (child === null || typeof child !== 'object') return;
      if (this.#owned.has(child)) {
        node = child as Record<string, unknown>;
        continue;
      }
      const copy = Array.isArray(child) ? child.slice() : { ...(child as Record<string, unknown>) };
      node[segment] = copy;
      this.#owned.add(copy);
      node = copy as Record<string, unknown>;
    }
  }
}
