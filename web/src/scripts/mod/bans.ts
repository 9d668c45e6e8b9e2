// Bans: the list by status (active, expired, lifted, all), adding one by target, lifting one.
import type { Ban } from '../../../../server/protocol/moderation.ts';
import { call, get, post, query } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { badge, banTargetLabel, can, cell, confirmDialog, endsText, errorText, fillTable, h, inside, pager, time, tOr } from './ui.ts';

type BanView = Ban & { status: 'active' | 'expired' | 'lifted' };

const PAGE = 50;
const table = $<HTMLTableElement>('bans-table');
const count = $('bans-count');
const status = $<HTMLSelectElement>('bans-status');
const addForm = $<HTMLFormElement>('ban-add-form');
const addError = $('ban-add-error');
let offset = 0;
let generation = 0;

const showPager = pager('bans-pager', (direction) => {
  offset = Math.max(0, offset + (direction === 'next' ? PAGE : -PAGE));
  void load();
});

status.addEventListener('change', () => {
  offset = 0;
  void load();
});
$('bans-filter').addEventListener('submit', (event) => event.preventDefault());

export function severityLabel(severity: string): string {
  return tOr(`mod.severity.${severity}`, severity);
}

function row(ban: BanView): HTMLTableRowElement {
  const reason = cell(t('mod.col.banReason'), ban.reason);
  if (ban.quarantine) inside(reason).append(' ', badge(t('mod.bans.quarantine'), 'warn'));
  if (ban.reportId) inside(reason).append(' ', h('a', { href: `#report/${ban.reportId}` }, t('mod.bans.fromReport')));
  const actions = cell(t('mod.col.actions'));
  if (ban.status === 'active' && can('bans.remove')) {
    const lift = h('button', { type: 'button', class: 'secondary small lift-ban' }, t('mod.bans.lift'));
    lift.addEventListener('click', () => void liftBan(ban));
    inside(actions).append(lift);
  }
  const by = cell(t('mod.col.by'), ban.createdBy, h('br'), time(ban.createdAt));
  if (ban.liftedAt !== null) inside(by).append(h('br'), t('mod.bans.liftedBy', { by: ban.liftedBy ?? '?' }));
  return h(
    'tr',
    { 'data-ban': ban.id },
    cell(t('mod.col.target'), ...banTargetLabel(ban.targetKind, ban.target)),
    reason,
    cell(t('mod.col.severity'), severityLabel(ban.severity)),
    by,
    cell(t('mod.col.ends'), endsText(ban.expiresAt)),
    cell(t('mod.col.status'), badge(t(`mod.ban.status.${ban.status}`), ban.status === 'active' ? 'open' : 'done')),
    actions,
  );
}

async function liftBan(ban: Ban): Promise<void> {
  const why = await confirmDialog({
    title: t('mod.bans.liftTitle'),
    text: t('mod.bans.liftText', { reason: ban.reason }),
    ok: t('mod.bans.lift'),
    input: { label: t('mod.bans.liftReason') },
    kind: 'primary',
  });
  if (why === null) return;
  const result = await call<{ ban: BanView }>('DELETE', `/api/mod/bans/${encodeURIComponent(ban.id)}`, why ? { reason: why } : {});
  if (!result.ok) return say(count, errorText(result.error, result.status));
  void load(t('mod.bans.lifted'));
}

/** Loads a page of the list; `done` (what was just done) is said before the count. */
export async function load(done = ''): Promise<void> {
  const mine = ++generation;
  const result = await get<{ bans: BanView[]; hasMore: boolean }>(`/api/mod/bans${query({ status: status.value, limit: PAGE, offset })}`);
  if (mine !== generation) return;
  if (!result.ok) return say(count, errorText(result.error, result.status));
  fillTable(table, result.data.bans.map(row), t('mod.bans.empty'));
  say(count, [done, t('mod.bans.count', { count: offset + result.data.bans.length })].filter(Boolean).join(' '));
  showPager(offset > 0, result.data.hasMore, t('mod.pager.page', { page: Math.floor(offset / PAGE) + 1 }));
}

addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const target = $<HTMLInputElement>('ban-target');
  const reason = $<HTMLInputElement>('ban-reason');
  if (!target.value.trim()) {
    say(addError, t('mod.bans.targetRequired'));
    return target.focus();
  }
  if (!reason.value.trim()) {
    say(addError, t('mod.ban.reasonRequired'));
    return reason.focus();
  }
  const noteText = $<HTMLTextAreaElement>('ban-note').value.trim();
  const result = await post<{ ban: BanView; warnings?: Array<{ code: string; message: string }> }>('/api/mod/bans', {
    target: target.value.trim(),
    reason: reason.value.trim(),
    severity: $<HTMLSelectElement>('ban-severity').value,
    duration: $<HTMLSelectElement>('ban-duration').value,
    ...(noteText ? { note: noteText } : {}),
  });
  if (!result.ok) {
    say(addError, errorText(result.error, result.status));
    return target.focus();
  }
  say(addError, '');
  addForm.reset();
  status.value = 'active';
  offset = 0;
  // A ban that could lock the instance out is made, and said so (the terminal asks for --force).
  const risks = (result.data.warnings ?? []).map((warning) => tOr(`mod.bans.risk.${warning.code}`, warning.message));
  await load(risks.length ? t('mod.bans.addedRisky', { target: result.data.ban.target, risks: risks.join('; ') }) : t('mod.bans.added', { target: result.data.ban.target }));
});
