// Appeals: what the banned person wrote and the ban it is about; a decision (keep or lift the ban)
// with a note. The moderator who made a ban cannot decide its appeal: the page says so up front.
import type { Appeal } from '../../../../server/protocol/moderation.ts';
import { get, post, query } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { severityLabel } from './bans.ts';
import { badge, banTargetLabel, can, endsText, errorText, h, myActorName, time, when } from './ui.ts';

const list = $('appeals-list');
const count = $('appeals-count');
const status = $<HTMLSelectElement>('appeals-status');
let generation = 0;

status.addEventListener('change', () => void load());
$('appeals-filter').addEventListener('submit', (event) => event.preventDefault());

function banFacts(appeal: Appeal): HTMLElement {
  const ban = appeal.ban;
  if (!ban) return h('p', { class: 'hint' }, t('mod.appeals.banGone'));
  const rows: Array<[string, Array<Node | string>]> = [
    [t('mod.col.target'), banTargetLabel(ban.targetKind, ban.target)],
    [t('mod.col.banReason'), [ban.reason]],
    [t('mod.col.severity'), [severityLabel(ban.severity)]],
    [t('mod.col.by'), [ban.createdBy, ' · ', time(ban.createdAt)]],
    [t('mod.col.ends'), [endsText(ban.expiresAt)]],
  ];
  if (ban.reportId) rows.push([t('mod.appeals.report'), [h('a', { href: `#report/${ban.reportId}` }, t('mod.appeals.openReport'))]]);
  if (ban.liftedAt !== null) rows.push([t('mod.col.status'), [t('mod.ban.status.lifted')]]);
  return h('dl', { class: 'facts compact' }, ...rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, ...value)]));
}

function decideForm(appeal: Appeal): HTMLElement {
  if (appeal.ban && appeal.ban.createdBy === myActorName()) {
    return h('p', { class: 'mod-explain same-moderator' }, t('mod.appeals.yourBan'));
  }
  const id = `decide-${appeal.id}`;
  const noteField = h('textarea', { id: `${id}-note`, rows: 2, maxlength: 1000, required: true, 'aria-describedby': `${id}-hint` });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const decide = async (decision: 'uphold' | 'lift') => {
    const text = noteField.value.trim();
    if (!text) {
      say(error, t('mod.appeals.noteRequired'));
      return noteField.focus();
    }
    const result = await post<{ appeal: Appeal }>(`/api/mod/appeals/${encodeURIComponent(appeal.id)}/decide`, { decision, note: text });
    if (!result.ok) return say(error, errorText(result.error, result.status));
    const card = form.closest('article')!;
    card.replaceWith(appealCard(result.data.appeal));
    say(count, t(decision === 'lift' ? 'mod.appeals.liftedDone' : 'mod.appeals.upheldDone'));
  };
  const uphold = h('button', { type: 'button', class: 'secondary decide', 'data-decision': 'uphold' }, t('mod.appeals.uphold'));
  const lift = h('button', { type: 'button', class: 'primary decide', 'data-decision': 'lift', hidden: !can('bans.remove') }, t('mod.appeals.lift'));
  uphold.addEventListener('click', () => void decide('uphold'));
  lift.addEventListener('click', () => void decide('lift'));
  const form = h(
    'form',
    { class: 'decide-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: `${id}-note` }, t('mod.appeals.note')), noteField, h('p', { id: `${id}-hint`, class: 'hint' }, t('mod.appeals.noteHint'))),
    error,
    h('div', { class: 'actions' }, uphold, lift),
  );
  form.addEventListener('submit', (event) => event.preventDefault());
  return form;
}

function appealCard(appeal: Appeal): HTMLElement {
  const kind = appeal.status === 'open' ? 'open' : 'done';
  const card = h(
    'article',
    { class: 'card appeal-item', 'data-appeal': appeal.id, 'aria-labelledby': `appeal-${appeal.id}` },
    h('h2', { id: `appeal-${appeal.id}`, class: 'item-heading' }, t('mod.appeals.from', { date: when(appeal.createdAt) }), ' ', badge(t(`mod.appeal.status.${appeal.status}`), kind)),
    h('blockquote', { class: 'appeal-message' }, appeal.message),
    h('h3', {}, t('mod.appeals.theBan')),
    banFacts(appeal),
  );
  if (appeal.status !== 'open') {
    card.append(h('p', { class: 'mod-explain' }, t('mod.appeals.decided', { by: appeal.decidedBy ?? '?', date: appeal.decidedAt ? when(appeal.decidedAt) : '', note: appeal.decisionNote ?? '' })));
  } else if (can('appeals.decide')) {
    card.append(decideForm(appeal));
  }
  return card;
}

export async function load(): Promise<void> {
  const mine = ++generation;
  const result = await get<{ appeals: Appeal[] }>(`/api/mod/appeals${query({ status: status.value, limit: 100 })}`);
  if (mine !== generation) return;
  if (!result.ok) return say(count, errorText(result.error, result.status));
  const { appeals } = result.data;
  list.replaceChildren(...(appeals.length ? appeals.map(appealCard) : [h('p', { class: 'empty-note' }, t('mod.appeals.empty'))]));
  say(count, t('mod.appeals.count', { count: appeals.length }));
}
