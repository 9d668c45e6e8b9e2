// The report queue: filters (status, reason, age band), 50 a page, oldest open report first.
import type { ReportSummary } from '../../../../server/protocol/moderation.ts';
import { get, query } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { badge, cell, errorText, fillTable, h, inside, pager, time, tOr } from './ui.ts';

const PAGE = 50;
const form = $<HTMLFormElement>('reports-filter');
const table = $<HTMLTableElement>('reports-table');
const count = $('reports-count');
let offset = 0;
let total = 0;
/** Ignores the answer to a load that a newer one replaced. */
let generation = 0;

const showPager = pager('reports-pager', (direction) => {
  offset = Math.max(0, offset + (direction === 'next' ? PAGE : -PAGE));
  void load();
});

form.addEventListener('change', () => {
  offset = 0;
  void load();
});
form.addEventListener('submit', (event) => event.preventDefault());

export function reasonLabel(reason: string): string {
  return tOr(`report.reason.${reason}`, reason);
}

export function bandLabel(band: string | null): string {
  return band ? tOr(`mod.band.${band}`, band) : t('mod.unknown');
}

/** The status of a report: open, or how it was resolved. */
export function reportStatus(report: Pick<ReportSummary, 'status' | 'resolution'>): HTMLElement {
  if (report.status === 'open') return badge(t('mod.reports.status.open'), 'open');
  return badge(tOr(`mod.resolution.${report.resolution}`, t('mod.reports.status.resolved')), 'done');
}

function row(report: ReportSummary): HTMLTableRowElement {
  const reason = cell(t('mod.col.reason'), reasonLabel(report.reason));
  if (report.sensitive) inside(reason).append(' ', badge(t('mod.reports.sensitive'), 'sensitive'));
  if (report.quarantined) inside(reason).append(' ', badge(t('mod.reports.quarantined'), 'warn'));
  return h(
    'tr',
    { 'data-report': report.id },
    cell(t('mod.col.received'), time(report.createdAt, 'relative')),
    reason,
    cell(t('mod.col.band'), bandLabel(report.reportedBand)),
    cell(t('mod.col.mode'), report.mode ? tOr(`mod.mode.${report.mode}`, report.mode) : '–'),
    cell(t('mod.col.frames'), String(report.frames)),
    cell(t('mod.col.status'), reportStatus(report)),
    cell(t('mod.col.open'), h('a', { href: `#report/${report.id}`, class: 'button secondary small' }, t('mod.reports.open'))),
  );
}

export async function load(): Promise<void> {
  const mine = ++generation;
  const data = new FormData(form);
  const result = await get<{ reports: ReportSummary[]; total: number }>(
    `/api/mod/reports${query({ status: String(data.get('status')), reason: String(data.get('reason') ?? ''), band: String(data.get('band') ?? ''), limit: PAGE, offset })}`,
  );
  if (mine !== generation) return;
  if (!result.ok) {
    say(count, errorText(result.error, result.status));
    return;
  }
  total = result.data.total;
  fillTable(table, result.data.reports.map(row), t('mod.reports.empty'));
  say(count, t('mod.reports.count', { count: total }));
  const pages = Math.max(1, Math.ceil(total / PAGE));
  showPager(offset > 0, offset + PAGE < total, t('mod.pager.where', { page: Math.floor(offset / PAGE) + 1, pages }));
}

/** Whether the queue shows open reports (and so should follow the open-report count). */
export function showsOpen(): boolean {
  return (form.elements.namedItem('status') as HTMLSelectElement).value === 'open';
}
