// The audit log, newest first, a page at a time (by id), filtered by action; and the check of its
// hash chain.
import type { AuditEntry, AuditVerification } from '../../../../server/moderation/audit.ts';
import { get, query } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { cell, errorText, fillTable, h, time, when } from './ui.ts';

const PAGE = 50;
const table = $<HTMLTableElement>('audit-table');
const count = $('audit-count');
const action = $<HTMLInputElement>('audit-action');
const verified = $('audit-verified');
/** `beforeId` of each page shown so far: the last is the current page (undefined: the newest). */
let pages: Array<number | undefined> = [undefined];
let next: number | null = null;
let generation = 0;

const showPager = (() => {
  const box = $('audit-pager');
  const newer = box.querySelector<HTMLButtonElement>('[data-page="prev"]')!;
  const older = box.querySelector<HTMLButtonElement>('[data-page="next"]')!;
  newer.addEventListener('click', () => {
    if (pages.length > 1) pages.pop();
    void load();
  });
  older.addEventListener('click', () => {
    if (next !== null) pages.push(next);
    void load();
  });
  return () => {
    box.hidden = pages.length === 1 && next === null;
    newer.disabled = pages.length === 1;
    older.disabled = next === null;
    box.querySelector('.pager-where')!.textContent = t('mod.pager.page', { page: pages.length });
  };
})();

$('audit-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  pages = [undefined];
  void load();
});

/** Details as `key: value` pairs, one per line; objects as compact JSON. */
function details(entry: AuditEntry): HTMLElement {
  const list = h('ul', { class: 'details' });
  if (entry.reason) list.append(h('li', {}, h('strong', {}, `${t('mod.audit.reason')}: `), entry.reason));
  for (const [key, value] of Object.entries(entry.details ?? {})) {
    if (value === null || value === undefined) continue;
    // Moments (`expiresAt`, …) are written in ms: shown as dates.
    const text = typeof value === 'number' && /At$/.test(key) ? when(value) : typeof value === 'string' ? value : JSON.stringify(value);
    list.append(h('li', {}, h('strong', {}, `${key}: `), text));
  }
  return list;
}

function target(entry: AuditEntry): Node | string {
  const report = /^report:(.+)$/.exec(entry.target ?? '');
  return report ? h('a', { href: `#report/${report[1]}` }, entry.target!) : (entry.target ?? '');
}

function row(entry: AuditEntry): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-entry': entry.id },
    cell(t('mod.col.when'), time(entry.at), h('br'), h('span', { class: 'hint' }, `#${entry.id}`)),
    cell(t('mod.col.who'), entry.actor),
    cell(t('mod.col.action'), h('code', {}, entry.action)),
    cell(t('mod.col.target'), target(entry)),
    cell(t('mod.col.details'), details(entry)),
  );
}

export async function load(): Promise<void> {
  const mine = ++generation;
  const beforeId = pages[pages.length - 1];
  const result = await get<{ entries: AuditEntry[]; nextBeforeId: number | null }>(
    `/api/mod/audit${query({ limit: PAGE, beforeId, action: action.value.trim() })}`,
  );
  if (mine !== generation) return;
  if (!result.ok) return say(count, errorText(result.error, result.status));
  next = result.data.nextBeforeId;
  fillTable(table, result.data.entries.map(row), t('mod.audit.empty'));
  say(count, '');
  showPager();
}

$('audit-verify').addEventListener('click', async () => {
  say(verified, t('mod.audit.verifying'));
  verified.className = '';
  const result = await get<AuditVerification>('/api/mod/audit/verify');
  if (!result.ok) return say(verified, errorText(result.error, result.status));
  const { ok, rows, badRowId, problem, anchoredAt } = result.data;
  let text = ok ? t('mod.audit.intact', { rows }) : t('mod.audit.broken', { row: badRowId ?? '?', problem: problem ?? '' });
  if (ok && anchoredAt !== undefined) text += ` ${t('mod.audit.anchored', { id: anchoredAt })}`;
  verified.className = ok ? 'verify-ok' : 'verify-bad';
  say(verified, text);
});
