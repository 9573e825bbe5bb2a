import { applyPatch, type Operation } from 'rfc6902';
import { fromPointer } from '../protocol/keys.ts';
import type { JsonObject } from '../protocol/types.ts';

type Node = Record<string, unknown> | unknown[];

/**
 * Applies a change's ops to the cache. Nodes are copied (path copying) only from `copyFrom(path)` — the depth of the
 * shallowest node someone observes on that path (an `onDidAnyChange` listener observes the root, a key listener or
 * React hook its key) — down to the op's parent; above that the document is updated in place. So the old value a
 * listener is handed is never mutated, while a write to one record of a large array costs O(depth), not O(array).
 * Returns the (possibly new) root.
 */
export function applyOps(doc: JsonObject, ops: readonly Operation[], copyFrom: (path: readonly string[]) => number, paths?: readonly string[][]): JsonObject {
  let root: JsonObject = doc;
  const copied = new Set<object>();
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k];
    if (op.op !== 'add' && op.op !== 'remove' && op.op !== 'replace') {
      // The daemon sends only these three; anything else goes the slow, general way on a full copy.
      root = { ...root };
      const [err] = applyPatch(root, [op]);
      if (err) throw err;
      continue;
    }
    const segments = paths?.[k] ?? fromPointer(op.path);
    if (segments.length === 0) throw new Error('root ops are not sent by the daemon');
    const from = copyFrom(segments);
    if (from === 0 && !copied.has(root)) {
      root = { ...root };
      copied.add(root);
    }
    let node: Node = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const key = segments[i];
      let child = (node as Record<string, unknown>)[key];
      if (child === null || typeof child !== 'object') throw new Error(`no container at ${op.path}`);
      if (i + 1 >= from && !copied.has(child)) {
        child = Array.isArray(child) ? [...child] : { ...(child as object) };
        copied.add(child as object);
        (node as Record<string, unknown>)[key] = child;
      }
      node = child as Node;
    }
    const last = segments[segments.length - 1];
    if (Array.isArray(node)) {
      const index = last === '-' ? node.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > node.length) throw new Error(`bad index at ${op.path}`);
      if (op.op === 'add') node.splice(index, 0, op.value);
      else if (op.op === 'remove') node.splice(index, 1);
      else node[index] = op.value;
    } else if (op.op === 'remove') {
      delete node[last];
    } else {
      node[last] = op.value;
    }
  }
  return root;
}
