// Invite codes (the `invite` access mode): create one with a number of uses and an expiry (the
// code is shown once, only its first group is kept), list them, revoke one.
import type { Invite } from '../../../../server/protocol/moderation.ts';
import { call, get, post } from './api.ts';
import { $, instance, say, t } from '../lib/page.ts';
import { badge, can, cell, confirmDialog, endsText, errorText, fillTable, h, inside, time } from './ui.ts';

const table = $<HTMLTableElement>('invites-table');
const count = $('invites-count');
const form = $<HTMLFormElement>('invite-form');
const error = $('invite-error');
const codeBox = $('invite-code-box');
const code = $('invite-code');
const copied = $('invite-copied');
let generation = 0;

function row(invite: Invite): HTMLTableRowElement {
  const actions = cell(t('mod.col.actions'));
  if (invite.status === 'active' && can('invites.revoke')) {
    const revoke = h('button', { type: 'button', class: 'secondary small revoke-invite' }, t('mod.invites.revoke'));
    revoke.addEventListener('click', () => void revokeInvite(invite));
    inside(actions).append(revoke);
  }
  return h(
    'tr',
    { 'data-invite': invite.id },
    cell(t('mod.col.code'), h('code', {}, `${invite.hint}-…`)),
    cell(t('mod.col.uses'), t('mod.invites.used', { used: invite.usedCount, max: invite.maxUses })),
    cell(t('mod.col.ends'), endsText(invite.expiresAt)),
    cell(t('mod.col.note'), invite.note ?? ''),
    cell(t('mod.col.by'), invite.createdBy, h('br'), time(invite.createdAt)),
    cell(t('mod.col.status'), badge(t(`mod.invite.status.${invite.status}`), invite.status === 'active' ? 'open' : 'done')),
    actions,
  );
}

async function revokeInvite(invite: Invite): Promise<void> {
  const ok = await confirmDialog({ title: t('mod.invites.revokeTitle'), text: t('mod.invites.revokeText', { hint: invite.hint }), ok: t('mod.invites.revoke') });
  if (ok === null) return;
  const result = await call<{ invite: Invite }>('DELETE', `/api/mod/invites/${encodeURIComponent(invite.id)}`);
  if (!result.ok) return say(count, errorText(result.error, result.status));
  void load(t('mod.invites.revoked'));
}

/** Loads the list; `done` (what was just done) is said before the count. */
export async function load(done = ''): Promise<void> {
  const mine = ++generation;
  const result = await get<{ invites: Invite[] }>('/api/mod/invites');
  if (mine !== generation) return;
  if (!result.ok) return say(count, errorText(result.error, result.status));
  fillTable(table, result.data.invites.map(row), t('mod.invites.empty'));
  $('invites-mode').hidden = instance.accessMode === 'invite';
  say(count, [done, t('mod.invites.count', { count: result.data.invites.length })].filter(Boolean).join(' '));
}

/** The last code shown disappears when the moderator leaves the page. */
export function leave(): void {
  code.textContent = '';
  codeBox.hidden = true;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const uses = Number($<HTMLInputElement>('invite-uses').value);
  if (!Number.isInteger(uses) || uses < 1 || uses > 100_000) {
    say(error, t('mod.invites.usesInvalid'));
    return $('invite-uses').focus();
  }
  const hours = $<HTMLSelectElement>('invite-expires').value;
  const note = $<HTMLInputElement>('invite-note').value.trim();
  const result = await post<{ invite: Invite; code: string }>('/api/mod/invites', {
    uses,
    expiresInHours: hours ? Number(hours) : null,
    ...(note ? { note } : {}),
  });
  if (!result.ok) return say(error, errorText(result.error, result.status));
  say(error, '');
  say(copied, '');
  form.reset();
  // Grouped in fours, as people read it aloud; the server accepts it with or without dashes.
  const raw = result.data.code.replace(/[^0-9A-Z]/gi, '');
  code.textContent = raw.match(/.{1,4}/g)?.join('-') ?? result.data.code;
  codeBox.hidden = false;
  codeBox.focus();
  await load();
});

$('invite-copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(code.textContent ?? '');
    say(copied, t('mod.copied'));
  } catch {
    // No clipboard (plain HTTP, or refused): select the code so that Ctrl+C copies it.
    getSelection()?.selectAllChildren(code);
    say(copied, t('mod.copyManually'));
  }
});
