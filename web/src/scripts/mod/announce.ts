// An announcement to everyone online (a `notice` in every chat, on every server node).
import { post } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { clock, errorText } from './ui.ts';

const form = $<HTMLFormElement>('announce-form');
const text = $<HTMLTextAreaElement>('announce-text');
const error = $('announce-error');
const status = $('announce-status');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = text.value.trim();
  say(status, '');
  if (!value) {
    say(error, t('mod.announce.required'));
    return text.focus();
  }
  const button = form.querySelector('button')!;
  button.disabled = true;
  const result = await post<{ announcement: { text: string; at: number } }>('/api/mod/announce', { text: value });
  button.disabled = false;
  if (!result.ok) return say(error, errorText(result.error, result.status));
  say(error, '');
  text.value = '';
  say(status, t('mod.announce.sent', { time: clock(result.data.announcement.at) }));
});
