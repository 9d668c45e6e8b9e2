// The audit log, newest first, a page at a time (by id), filtered by action; and the check of its
// hash chain.
import type { AuditEntry, AuditVerification } from '../../../../server/protocol/moderation.ts';
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

/** A catalog string, or undefined when the catalog has none (an action newer than this page). */
function known(key: string, vars?: Record<string, string | number>): string | undefined {
  const text = t(key, vars);
  return text === key ? undefined : text;
}

/**
 * What the entry's free text is, by action: the person reads a ban's reason, but a report's or an
 * appeal's text is the moderator's own note — never labelled "reason" beside the report's reason.
 */
function textLabel(action: string): string {
  if (action.startsWith('report.')) return t('mod.audit.field.privateNote');
  if (action.startsWith('appeal.')) return t('mod.audit.field.decision');
  if (action === 'ban.add' || action === 'ban.quarantine') return t('mod.audit.field.banReason');
  return t('mod.audit.field.why');
}

/** A detail's label and value, in the page's language where the catalog knows them. */
function detail(action: string, key: string, value: unknown): [string, string] {
  if (key === 'note') return [t('mod.audit.field.privateNote'), String(value)];
  if (key === 'reason' && typeof value === 'string') return [t('mod.audit.field.reportReason'), known(`report.reason.${value}`) ?? value];
  if (key === 'severity' && typeof value === 'string') return [t('mod.audit.field.severity'), known(`mod.severity.${value}`) ?? value];
  if ((key === 'role' || key === 'from' || key === 'to') && action === 'moderator.set_role' && typeof value === 'string') {
    return [known(`mod.audit.field.${key}`) ?? key, known(`mod.role.${value}`) ?? value];
  }
  // Moments (`expiresAt`, …) are written in ms: shown as dates.
  const text = typeof value === 'number' && /At$/.test(key) ? when(value) : typeof value === 'string' ? value : JSON.stringify(value);
  return [known(`mod.audit.field.${key}`) ?? key, text];
}

/** Details as `label: value` pairs, one per line; objects as compact JSON. */
function details(entry: AuditEntry): HTMLElement {
  const list = h('ul', { class: 'details' });
  // "Label:" in English, "Libellé :" in French: the catalog says how.
  const item = (label: string, text: string) => h('li', {}, h('strong', {}, `${t('mod.audit.label', { label })} `), text);
  if (entry.reason) list.append(item(textLabel(entry.action), entry.reason));
  for (const [key, value] of Object.entries(entry.details ?? {})) {
    if (value === null || value === undefined) continue;
    list.append(item(...detail(entry.action, key, value)));
  }
  return list;
}

function target(entry: AuditEntry): Node | string {
  const report = /^report:(.+)$/.exec(entry.target ?? '');
  return report ? h('a', { href: `#report/${report[1]}` }, entry.target!) : (entry.target ?? '');
}

/** The action in words (both catalogs name every action), with its code for filtering and the CLI. */
function actionCell(action: string): Array<Node | string> {
  const label = known(`mod.audit.actions.${action}`);
  return label ? [label, h('br'), h('code', { class: 'hint' }, action)] : [h('code', {}, action)];
}

function row(entry: AuditEntry): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-entry': entry.id },
    cell(t('mod.col.when'), time(entry.at), h('br'), h('span', { class: 'hint' }, `#${entry.id}`)),
    cell(t('mod.col.who'), entry.actor),
    cell(t('mod.col.action'), ...actionCell(entry.action)),
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
