import type { StoreClient, StoreInfo } from '../../protocol/types.ts';
import { StoreError } from '../../protocol/errors.ts';
import { bytes, confirmButton, h, replace, when } from './dom.ts';
import { lineChart } from './chart.ts';
import { opLines } from './ops.ts';

/** What every tab gets from its store panel. */
export interface TabContext {
  client: StoreClient;
  /** Shows an outcome (ok) or a failure in the panel's notice line. */
  notify(message: string, error?: boolean): void;
}

/** A StoreError's code and message, or any error's text. */
export function describeError(error: unknown): string {
  if (error instanceof StoreError || (error && typeof error === 'object' && 'code' in error && 'message' in error)) {
    const e = error as { code: string; message: string };
    return `${e.code}: ${e.message}`;
  }
  return String(error);
}

/**
 * The history of one key (or of the whole store), newest first, each change with "roll back to here": the store goes
 * back to the state right after that change, as one new (itself undoable) write — rollback() is whole-store, so the
 * button says which rev it goes back to.
 */
export async function historyTab(ctx: TabContext, key: string | undefined): Promise<HTMLElement> {
  const entries = await ctx.client.history({ ...(key !== undefined && { key }), limit: 200 });
  const rows = entries.slice().reverse().map((e) => h('li', { testid: 'history-entry', attrs: { 'data-rev': String(e.rev) } },
    h('div', { class: 'entry-head' },
      h('strong', {}, `rev ${e.rev}`), ' ', h('span', { class: 'muted' }, `${when(e.time)} · ${e.source}`), ' ',
      e.rev === ctx.client.rev
        ? h('span', { class: 'muted' }, '(current)')
        : confirmButton('Roll back to here', `Roll the store back to rev ${e.rev}?`, 'rollback', async () => {
          try {
            const { rev } = await ctx.client.rollback({ rev: e.rev });
            ctx.notify(`Rolled "${ctx.client.name}" back to the state of rev ${e.rev} (as new rev ${rev}).`);
          } catch (error) {
            ctx.notify(`Roll back failed: ${describeError(error)}`, true);
          }
        })),
    h('div', { class: 'ops' }, ...opLines(e.ops, 8).map((line) => h('div', {}, line)))));
  return h('div', { testid: 'history' },
    h('p', { class: 'muted' }, key === undefined ? 'Every change still in the journal (click a key in Data for its own timeline).' : `Changes touching ${key}.`),
    rows.length > 0 ? h('ol', { class: 'timeline' }, ...rows) : h('p', {}, 'No changes retained.'));
}

/** Backups: create, verify, restore (restore asks twice; it is one new write, undoable like any). */
export async function backupsTab(ctx: TabContext): Promise<HTMLElement> {
  const list = await ctx.client.backups.list();
  const rows = list.slice().sort((a, b) => b.time - a.time).map((b) => {
    const verdict = h('span', { class: 'verdict' });
    const verify = h('button', { testid: 'verify' }, 'Verify');
    verify.addEventListener('click', () => {
      verify.disabled = true;
      ctx.client.backups.verify(b.id).then((r) => {
        replace(verdict, r.ok ? h('span', { class: 'ok' }, 'ok') : h('span', { class: 'bad' }, `damaged: ${r.problems.join('; ')}`));
      }, (error: unknown) => replace(verdict, h('span', { class: 'bad' }, describeError(error)))).finally(() => {
        verify.disabled = false;
      });
    });
    const restore = confirmButton('Restore', 'Restore this backup?', 'restore', async () => {
      try {
        const { rev } = await ctx.client.backups.restore(b.id);
        ctx.notify(`Restored backup ${b.id} (as new rev ${rev}).`);
      } catch (error) {
        ctx.notify(`Restore failed: ${describeError(error)}`, true);
      }
    });
    return h('tr', { testid: 'backup-row' }, h('td', {}, when(b.time)), h('td', {}, b.reason), h('td', {}, `rev ${b.rev}`),
      h('td', {}, b.bytes === undefined ? '' : bytes(b.bytes)), h('td', {}, b.by ?? ''), h('td', {}, verify, ' ', restore, ' ', verdict));
  });
  const create = h('button', { testid: 'backup-create' }, 'Create backup');
  create.addEventListener('click', () => {
    create.disabled = true;
    ctx.client.backups.create('inspector').then((b) => ctx.notify(`Backup ${b.id} created.`), (error: unknown) => ctx.notify(`Backup failed: ${describeError(error)}`, true))
      .finally(() => {
        create.disabled = false;
      });
  });
  return h('div', { testid: 'backups' }, create,
    rows.length > 0 ? h('table', {}, h('thead', {}, h('tr', {}, ...['time', 'reason', 'rev', 'size', 'by', ''].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows)) : h('p', {}, 'No backups yet.'));
}

/** Samples of info() over time, for the health charts. */
export interface Samples {
  p50: number[];
  p99: number[];
  journal: number[];
}

/** What happened at open (the recovery report), counters, and commit latency and journal size over time. */
export function healthTab(info: StoreInfo | undefined, samples: Samples): HTMLElement {
  if (!info) return h('p', {}, 'Loading…');
  const r = info.recovery;
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  return h('div', { testid: 'health' },
    h('h3', {}, 'Recovery at open'),
    h('dl', { testid: 'recovery' },
      h('dt', {}, 'source'), h('dd', {}, r.source + (r.backupId ? ` (backup ${r.backupId})` : '')),
      h('dt', {}, 'replayed'), h('dd', {}, `${r.replayed} journal records${r.baseRev !== undefined ? ` on rev ${r.baseRev}` : ''}`),
      r.lostRevs && h('dt', {}, 'lost'), r.lostRevs && h('dd', { class: 'bad' }, `revs ${r.lostRevs.from}–${r.lostRevs.to}`),
      h('dt', {}, 'problems'), h('dd', {}, r.problems.length === 0 ? 'none' : h('ul', {}, ...r.problems.map((p) => h('li', {}, p)))),
      r.keptAside.length > 0 && h('dt', {}, 'kept aside'), r.keptAside.length > 0 && h('dd', {}, h('ul', {}, ...r.keptAside.map((p) => h('li', {}, p))))),
    h('h3', {}, 'Activity'),
    h('p', {}, `${info.counters.writes} writes · ${info.counters.rejected} rejected · ${info.counters.groups} commit groups · ${info.counters.fsyncs} fsyncs · ${info.counters.checkpoints} checkpoints · journal ${info.journal.records} records in ${info.journal.segments} segments · ${info.backups} backups`),
    h('div', { class: 'charts' },
      lineChart('Commit latency', [{ label: 'p50', color: '#2b7be4', values: samples.p50 }, { label: 'p99', color: '#e4572b', values: samples.p99 }], ms, 'chart-latency'),
      lineChart('Journal size', [{ label: 'bytes', color: '#3a9b5c', values: samples.journal }], bytes, 'chart-journal')));
}
