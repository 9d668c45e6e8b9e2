// The appeal page: the visitor's ban (GET /api/ban), the state of an appeal already sent
// (GET /api/appeals), or the form that sends one (POST /api/appeals).
import type { BanStatusResponse, OwnAppeal } from '../../../server/protocol/moderation.ts';
import { api } from './lib/api.ts';
import { $, formatDate, say, t } from './lib/page.ts';

const status = $('appeal-status');
const form = $<HTMLFormElement>('appeal-form');
const error = $('appeal-error');
const text = $<HTMLTextAreaElement>('appeal-message');

/** The appeal's state; after a decision, the form again once the cool-down has passed (the server decides). */
function showAppeal(appeal: OwnAppeal): void {
  const again = appeal.nextAppealAt;
  if (again !== null && again <= Date.now()) {
    say(status, `${t(`appeal.status.${appeal.status}`)} ${t('appeal.againNow')}`);
    form.hidden = false;
    return;
  }
  say(status, again === null ? t(`appeal.status.${appeal.status}`) : `${t(`appeal.status.${appeal.status}`)} ${t('appeal.againFrom', { date: formatDate(again) })}`);
  form.hidden = true;
}

async function load(): Promise<void> {
  const ban = await api<BanStatusResponse>('/api/ban');
  if (!ban.ok) return say(status, t(ban.status === 0 ? 'error.network' : 'appeal.unavailable'));
  if (!ban.data.banned) return say(status, t('appeal.notBanned'));
  $('ban-reason').textContent = t('ban.reason', { reason: ban.data.reason });
  $('ban-until').textContent = ban.data.until === null ? t('ban.permanent') : t('ban.until', { date: formatDate(ban.data.until) });
  $('appeal-ban').hidden = false;
  const mine = await api<{ appeal: OwnAppeal | null }>('/api/appeals');
  if (mine.ok && mine.data.appeal) return showAppeal(mine.data.appeal);
  say(status, '');
  form.hidden = false;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const message = text.value.trim();
  if (!message) {
    say(error, t('appeal.messageRequired'));
    text.focus();
    return;
  }
  say(error, '');
  const result = await api<{ appeal: OwnAppeal }>('/api/appeals', { body: { message } });
  if (result.ok) {
    showAppeal(result.data.appeal);
    say(status, t('appeal.sent'));
    status.focus();
    return;
  }
  const key = `error.${result.error.code}`;
  say(error, t(key) !== key ? t(key) : result.status === 404 || result.status === 405 ? t('appeal.unavailable') : result.error.message || t('error.generic'));
});

void load();
