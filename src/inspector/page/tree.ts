import { joinKey, parseKey } from '../../protocol/keys.ts';
import { isSealed } from '../../protocol/sealed.ts';
import { h } from './dom.ts';

/** What a tree needs from its store panel. */
export interface TreeContext {
  /** Key paths (joinKey) of the nodes the user opened; kept across re-renders. */
  open: Set<string>;
  /** Encrypted key patterns kept from this view (info().encryptedKept): shown as masked entries. */
  masked: string[][];
  /** The key the user picked (its history is shown). */
  selected: string | undefined;
  onSelect(key: string): void;
}

const PREVIEW = 60;

function primitive(value: unknown): HTMLElement {
  if (isSealed(value)) return h('span', { class: 'v masked', title: 'encrypted at rest; no key given' }, '[encrypted]');
  if (typeof value === 'string') {
    const text = value.length > PREVIEW ? `${JSON.stringify(value.slice(0, PREVIEW))}…` : JSON.stringify(value);
    return h('span', { class: 'v str', title: value.length > PREVIEW ? `${value.length} characters` : undefined }, text);
  }
  return h('span', { class: `v ${value === null ? 'null' : typeof value}` }, String(value));
}

function summary(value: object): string {
  return Array.isArray(value) ? `[${value.length}]` : `{${Object.keys(value).length}}`;
}

function label(ctx: TreeContext, path: string[], name: string): HTMLElement {
  const key = joinKey(path);
  const el = h('span', { class: `k${ctx.selected === key ? ' selected' : ''}`, testid: 'tree-key', title: `history of ${key}`, attrs: { 'data-key': key } }, name);
  el.addEventListener('click', (event) => {
    event.preventDefault();
    event.stopPropagation();
    ctx.onSelect(key);
  });
  return el;
}

/** One entry (key: value); objects and arrays open lazily, so a big store costs only what is unfolded. */
function entry(ctx: TreeContext, path: string[], name: string, value: unknown): HTMLElement {
  if (value === null || typeof value !== 'object') {
    return h('div', { class: 'leaf' }, label(ctx, path, name), ': ', primitive(value));
  }
  const key = joinKey(path);
  const details = h('details', { attrs: { 'data-key': key } }, h('summary', {}, label(ctx, path, name), ' ', h('span', { class: 'muted' }, summary(value))));
  const fill = () => {
    if (details.childElementCount > 1) return;
    details.appendChild(children(ctx, path, value));
  };
  if (ctx.open.has(key)) {
    details.open = true;
    fill();
  }
  details.addEventListener('toggle', () => {
    if (details.open) {
      ctx.open.add(key);
      fill();
    } else {
      ctx.open.delete(key);
    }
  });
  return details;
}

/** The entries of an object or array, plus masked entries for encrypted keys this view may not read. */
export function children(ctx: TreeContext, path: string[], value: object): HTMLElement {
  const box = h('div', { class: 'children' });
  for (const [k, v] of Object.entries(value)) box.appendChild(entry(ctx, [...path, k], k, v));
  if (!Array.isArray(value)) {
    for (const pattern of ctx.masked) {
      if (pattern.length !== path.length + 1 || !pattern.every((seg, i) => i === path.length || seg === '*' || seg === path[i])) continue;
      const name = pattern[path.length];
      if (name === '*' || Object.hasOwn(value, name)) continue;
      box.appendChild(h('div', { class: 'leaf', testid: 'masked-key' }, h('span', { class: 'k' }, name), ': ',
        h('span', { class: 'v masked', title: 'an encrypted key this inspector\'s policy does not let it read' }, '[encrypted]')));
    }
  }
  return box;
}

/** Parses encrypted key patterns as keys (a bad one is skipped: the tree is for looking, not for checking). */
export function maskedPatterns(patterns: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const p of patterns) {
    try {
      out.push(p === '*' ? ['*'] : parseKey(p));
    } catch {
      // not a key path
    }
  }
  return out;
}
