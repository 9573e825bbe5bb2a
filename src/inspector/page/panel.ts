import type { StoreClient, StoreInfo } from '../../protocol/types.ts';
import { bytes, h, replace } from './dom.ts';
import { backupsTab, describeError, healthTab, historyTab, type Samples, type TabContext } from './tabs.ts';
import { children, maskedPatterns, type TreeContext } from './tree.ts';

type Tab = 'data' | 'history' | 'backups' | 'health';
const TABS: Tab[] = ['data', 'history', 'backups', 'health'];
/** Health samples kept (one a second: two minutes). */
const SAMPLES = 120;

/**
 * One store in the inspector: a header (rev, size, keys), and tabs — the live tree, the history of the picked key,
 * backups, and health. The tree re-renders on every change (only the nodes the user unfolded are built); the other
 * tabs are fetched from the daemon when shown and again after changes.
 */
export class StorePanel {
  readonly el: HTMLElement;
  readonly #client: StoreClient;
  readonly #head: HTMLElement;
  readonly #body: HTMLElement;
  readonly #notice: HTMLElement;
  readonly #tabButtons = new Map<Tab, HTMLButtonElement>();
  readonly #tree: TreeContext;
  readonly #samples: Samples = { p50: [], p99: [], journal: [] };
  #tab: Tab = 'data';
  #info: StoreInfo | undefined;
  #renderQueued = false;
  /** Bumped per render: a slow fetch for an older render must not overwrite a newer one. */
  #renderId = 0;

  constructor(client: StoreClient) {
    this.#client = client;
    this.#tree = {
      open: new Set(), masked: [], selected: undefined,
      onSelect: (key) => {
        this.#tree.selected = key;
        this.show('history');
      },
    };
    this.#head = h('div', { class: 'store-head' });
    this.#body = h('div', { class: 'store-body' });
    this.#notice = h('div', { class: 'notice', testid: 'notice' });
    const tabs = h('nav', { class: 'tabs' }, ...TABS.map((t) => {
      const b = h('button', { testid: `tab-${t}`, onclick: () => this.show(t) }, t);
      this.#tabButtons.set(t, b);
      return b;
    }));
    this.el = h('article', { class: 'store', testid: 'store', attrs: { 'data-store': client.name } }, this.#head, tabs, this.#notice, this.#body);
    this.show('data');
  }

  /** Switches tab (history shows the picked key, or every change when none is picked). */
  show(tab: Tab): void {
    this.#tab = tab;
    for (const [t, b] of this.#tabButtons) b.classList.toggle('active', t === tab);
    this.#render();
  }

  /** The store changed (live event): header and the visible tab follow, once per frame at most. */
  changed(): void {
    if (this.#renderQueued) return;
    this.#renderQueued = true;
    requestAnimationFrame(() => {
      this.#renderQueued = false;
      this.#render();
    });
  }

  /** Polls info() for the header and the health charts. */
  async sample(): Promise<void> {
    const info = await this.#client.info();
    const maskedChanged = info.encryptedKept.join('\n') !== this.#info?.encryptedKept.join('\n');
    this.#info = info;
    this.#tree.masked = maskedPatterns(info.encryptedKept);
    const push = (list: number[], v: number) => {
      list.push(v);
      if (list.length > SAMPLES) list.shift();
    };
    push(this.#samples.p50, info.latencyMs.commitP50);
    push(this.#samples.p99, info.latencyMs.commitP99);
    push(this.#samples.journal, info.journal.bytes);
    this.#renderHead();
    if (this.#tab === 'health' || (this.#tab === 'data' && maskedChanged)) this.#render();
  }

  notify(message: string, error = false): void {
    replace(this.#notice, h('span', { class: error ? 'bad' : 'ok' }, message));
  }

  #renderHead(): void {
    const c = this.#client;
    const info = this.#info;
    replace(this.#head,
      h('h2', {}, c.name),
      h('span', { class: 'badge', testid: 'rev' }, `rev ${c.rev}`),
      h('span', { class: 'badge' }, `${c.size} keys`),
      info && h('span', { class: 'badge', title: 'as its file would be (compact JSON)' }, bytes(info.bytes)),
      info && h('span', { class: 'badge' }, info.durability),
      info && info.encryptedKept.length > 0 && h('span', { class: 'badge masked', title: info.encryptedKept.join(', ') }, `${info.encryptedKept.length} encrypted key${info.encryptedKept.length === 1 ? "" : "s"} masked`),
      h('div', { class: 'muted path' }, c.path));
  }

  #render(): void {
    this.#renderHead();
    const id = ++this.#renderId;
    const ctx: TabContext = { client: this.#client, notify: (m, e) => this.notify(m, e) };
    const put = (el: HTMLElement) => {
      if (id === this.#renderId) replace(this.#body, el);
    };
    const fail = (error: unknown) => put(h('p', { class: 'bad' }, describeError(error)));
    switch (this.#tab) {
      case 'data':
        put(h('div', { class: 'tree', testid: 'tree' }, children(this.#tree, [], this.#client.store)));
        break;
      case 'history': {
        const key = this.#tree.selected;
        const clear = key !== undefined && h('button', { onclick: () => {
          this.#tree.selected = undefined;
          this.show('history');
        } }, 'all keys');
        historyTab(ctx, key).then((el) => put(h('div', {}, clear, el)), fail);
        break;
      }
      case 'backups':
        backupsTab(ctx).then(put, fail);
        break;
      case 'health':
        put(healthTab(this.#info, this.#samples));
        break;
    }
  }
}
