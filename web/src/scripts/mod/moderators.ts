// Moderator accounts, for those who manage some: create (a generated password is shown once),
// change a role, disable or enable, reset a password. Whose accounts a role manages comes from the
// server (`manages`: owners everyone, admins all but owners and safeguarding, safeguarding its own
// role); nobody disables themselves. The server enforces it all; the page only offers what it allows.
import { ROLES, type Role } from '../../../../server/protocol/enums.ts';
import { get, post, call } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { badge, can, cell, confirmDialog, errorText, fillTable, h, inside, session, time, tOr, type ModeratorView } from './ui.ts';

const table = $<HTMLTableElement>('moderators-table');
const status = $('moderators-status');
const error = $('moderators-error');
const form = $<HTMLFormElement>('moderator-form');
const formError = $('moderator-error');
const secret = $('moderator-secret');
let generation = 0;

const roleLabel = (role: string) => tOr(`mod.role.${role}`, role);

/** Whether the signed-in moderator may manage accounts of this role (as the server said at login). */
function mayManage(role: Role): boolean {
  return can('moderators.manage') && (session.me?.manages ?? []).includes(role);
}

function showSecret(username: string, password: string): void {
  $('moderator-secret-label').textContent = t('mod.moderators.passwordFor', { username });
  $('moderator-secret-password').textContent = password;
  secret.hidden = false;
  secret.focus();
}

function row(account: ModeratorView): HTMLTableRowElement {
  const me = account.id === session.me?.moderator.id;
  const name = cell(t('mod.login.username'), account.username);
  if (me) inside(name).append(' ', badge(t('mod.moderators.you')));
  if (account.email) inside(name).append(h('br'), h('small', {}, account.email));
  const state = account.disabled ? badge(t('mod.moderators.disabled'), 'done') : badge(t('mod.moderators.active'), 'open');
  const stateCell = cell(t('mod.col.status'), state);
  if (account.mustChangePassword && !account.disabled) inside(stateCell).append(' ', badge(t('mod.moderators.mustChange'), 'warn'));
  const actions = cell(t('mod.col.actions'));
  const roleCell = cell(t('mod.moderators.role'), roleLabel(account.role));
  if (mayManage(account.role) && !me) {
    const id = `role-${account.id}`;
    const select = h('select', { id, class: 'small' }, ...ROLES.filter(mayManage).map((role) => h('option', { value: role, selected: role === account.role }, roleLabel(role))));
    // Applied by its own button: arrow keys in a select fire `change` at every step.
    const apply = h('button', { type: 'button', class: 'secondary small', hidden: true }, t('mod.moderators.applyRole'));
    select.addEventListener('change', () => (apply.hidden = select.value === account.role));
    apply.addEventListener('click', () =>
      void act(`/api/mod/moderators/${encodeURIComponent(account.username)}`, 'PATCH', { role: select.value }, t('mod.moderators.roleChanged', { username: account.username, role: roleLabel(select.value) })),
    );
    inside(roleCell).replaceChildren(h('div', { class: 'row-actions' }, h('label', { for: id, class: 'visually-hidden' }, t('mod.moderators.roleOf', { username: account.username })), select, apply));
    const toggle = h('button', { type: 'button', class: 'secondary small' }, t(account.disabled ? 'mod.moderators.enable' : 'mod.moderators.disable'));
    toggle.addEventListener('click', async () => {
      if (!account.disabled) {
        const ok = await confirmDialog({ title: t('mod.moderators.disableTitle', { username: account.username }), text: t('mod.moderators.disableText'), ok: t('mod.moderators.disable') });
        if (ok === null) return;
      }
      const verb = account.disabled ? 'enable' : 'disable';
      void act(`/api/mod/moderators/${encodeURIComponent(account.username)}/${verb}`, 'POST', {}, t(`mod.moderators.${verb}Done`, { username: account.username }));
    });
    const reset = h('button', { type: 'button', class: 'secondary small' }, t('mod.moderators.reset'));
    reset.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('mod.moderators.resetTitle', { username: account.username }), text: t('mod.moderators.resetText'), ok: t('mod.moderators.reset') });
      if (ok === null) return;
      const result = await post<{ password: string }>(`/api/mod/moderators/${encodeURIComponent(account.username)}/reset-password`);
      if (!result.ok) return say(error, errorText(result.error, result.status));
      say(error, '');
      showSecret(account.username, result.data.password);
      void load();
    });
    inside(actions).append(h('div', { class: 'row-actions' }, toggle, reset));
  }
  return h('tr', { 'data-moderator': account.username }, name, roleCell, stateCell, cell(t('mod.col.created'), time(account.createdAt)), actions);
}

async function act(path: string, method: string, body: unknown, done: string): Promise<void> {
  const result = await call<unknown>(method, path, body);
  if (!result.ok) {
    say(error, errorText(result.error, result.status));
    say(status, '');
  } else {
    say(error, '');
    say(status, done);
  }
  void load();
}

export async function load(): Promise<void> {
  const mine = ++generation;
  // Roles a moderator may not grant are not offered.
  for (const option of $<HTMLSelectElement>('moderator-role').options) option.disabled = !mayManage(option.value as Role);
  const result = await get<{ moderators: ModeratorView[] }>('/api/mod/moderators');
  if (mine !== generation) return;
  if (!result.ok) return say(error, errorText(result.error, result.status));
  fillTable(table, result.data.moderators.map(row), '');
}

/** A generated password is not left on the page. */
export function leave(): void {
  secret.hidden = true;
  $('moderator-secret-password').textContent = '';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = $<HTMLInputElement>('moderator-username');
  const password = $<HTMLInputElement>('moderator-password').value;
  const email = $<HTMLInputElement>('moderator-email').value.trim();
  if (!username.value.trim()) {
    say(formError, t('mod.moderators.usernameRequired'));
    return username.focus();
  }
  const result = await post<{ moderator: ModeratorView; password?: string }>('/api/mod/moderators', {
    username: username.value.trim(),
    role: $<HTMLSelectElement>('moderator-role').value,
    ...(password ? { password } : {}),
    ...(email ? { email } : {}),
  });
  if (!result.ok) {
    say(formError, errorText(result.error, result.status));
    return username.focus();
  }
  say(formError, '');
  form.reset();
  say(status, t('mod.moderators.created', { username: result.data.moderator.username }));
  if (result.data.password) showSecret(result.data.moderator.username, result.data.password);
  void load();
});
