// The signed-in moderator's own password: changed at will, and before anything else when the
// account was given a one-time password (created without one, or reset).
import { post } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { errorText } from './ui.ts';

const form = $<HTMLFormElement>('password-form');
const error = $('password-error');
const status = $('password-status');

/** Called once the password is changed: `forced` tells whether it unlocks the dashboard. */
let changed: () => void = () => {};

export function onPasswordChanged(handler: () => void): void {
  changed = handler;
}

export function show(forced: boolean): void {
  $('account-forced').hidden = !forced;
  say(error, '');
  say(status, '');
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const current = $<HTMLInputElement>('password-current');
  const next = $<HTMLInputElement>('password-next');
  const confirm = $<HTMLInputElement>('password-confirm');
  say(status, '');
  if (!current.value || !next.value) {
    say(error, t('mod.account.required'));
    return (current.value ? next : current).focus();
  }
  if (next.value !== confirm.value) {
    say(error, t('mod.account.mismatch'));
    return confirm.focus();
  }
  const result = await post<unknown>('/api/mod/password', { current: current.value, next: next.value });
  if (!result.ok) {
    say(error, errorText(result.error, result.status));
    return (result.error.code === 'invalid_credentials' ? current : next).focus();
  }
  form.reset();
  say(error, '');
  say(status, t('mod.account.changed'));
  changed();
});
