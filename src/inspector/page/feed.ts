import type { ChangeInfo } from '../../protocol/types.ts';
import { clock, h } from './dom.ts';
import { opLines } from './ops.ts';

/** How many changes the feed keeps on screen. */
const KEEP = 300;

/** The live change feed of every store, newest first. */
export class Feed {
  readonly el: HTMLElement;
  readonly #body: HTMLElement;

  constructor() {
    this.#body = h('tbody', { testid: 'feed-body' });
    this.el = h('section', { class: 'feed', testid: 'feed' },
      h('h2', {}, 'Live changes'),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'time'), h('th', {}, 'store'), h('th', {}, 'rev'), h('th', {}, 'source'), h('th', {}, 'ops'))), this.#body));
  }

  /** Adds a change as it arrives (its time is when this page saw it: change events carry no clock). */
  add(store: string, change: ChangeInfo): void {
    const row = h('tr', { testid: 'feed-row', attrs: { 'data-store': store, 'data-rev': String(change.rev) } },
      h('td', { class: 'muted' }, clock(Date.now())),
      h('td', {}, store),
      h('td', {}, change.rev),
      h('td', { class: 'muted' }, change.source),
      h('td', { class: 'ops' }, ...opLines(change.ops).map((line) => h('div', {}, line))));
    this.#body.prepend(row);
    while (this.#body.childElementCount > KEEP) this.#body.lastElementChild?.remove();
  }
}
