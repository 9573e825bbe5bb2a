/**
 * `JSON.stringify(value, undefined, '\t')` — conf's file format — produced in pieces, so a large document can be
 * serialized a few milliseconds at a time between commit groups instead of in one 50 ms block (bench/PROFILE.md,
 * "Round 2 — checkpoints off the commit path"). The concatenated pieces equal JSON.stringify's text exactly.
 *
 * Containers with many members (and everything near the root) are walked member by member; anything else is handed
 * to the native JSON.stringify whole and re-indented, which is where nearly all the time goes. A value with few
 * members that is itself huge deep down (a chain of single-key objects ending in a 10 MB string) comes out as one
 * piece: the slicing is only as fine as the document's shape allows.
 */

/** Containers with more members than this are walked member by member. */
const WALK_MEMBERS = 32;
/** Containers this close to the root are always walked. */
const WALK_DEPTH = 2;

/** Yields the text in pieces; the caller decides when to pause between them. */
export function* jsonPieces(value: unknown): Generator<string, void, undefined> {
  yield* piecesOf(value, 0);
}

function* piecesOf(value: unknown, depth: number): Generator<string, void, undefined> {
  if (value === null || typeof value !== 'object' || !shouldWalk(value, depth)) {
    yield whole(value, depth);
    return;
  }
  const inner = '\n' + '\t'.repeat(depth + 1);
  const close = '\n' + '\t'.repeat(depth) + (Array.isArray(value) ? ']' : '}');
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    for (let i = 0; i < value.length; i++) {
      yield (i === 0 ? '[' : ',') + inner;
      // JSON.stringify writes null for what JSON cannot hold inside an array.
      const item: unknown = value[i];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* piecesOf(item, depth + 1);
    }
    return yield close;
  }
  let first = true;
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    // JSON.stringify leaves out members it cannot represent.
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    yield (first ? '{' : ',') + inner + JSON.stringify(key) + ': ';
    first = false;
    yield* piecesOf(member, depth + 1);
  }
  yield first ? '{}' : close;
}

function shouldWalk(value: object, depth: number): boolean {
  // toJSON decides its own text: leave such values to JSON.stringify.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (depth < WALK_DEPTH) return true;
  return (Array.isArray(value) ? value.length : Object.keys(value).length) > WALK_MEMBERS;
}

/** A value serialized whole, indented as if it sat at `depth`. */
function whole(value: unknown, depth: number): string {
  const text = JSON.stringify(value, undefined, '\t') as string | undefined;
  if (text === undefined) return 'null';
  // JSON text holds newlines only as indentation (inside strings they are escaped): re-indent by replacing them.
  return depth === 0 ? text : text.replaceAll('\n', '\n' + '\t'.repeat(depth));
}
