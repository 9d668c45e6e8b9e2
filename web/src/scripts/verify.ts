// The confirm page of a magic link: the token is in the address's fragment (never sent to a
// server by the browser); the button sends it once with POST /api/email/verify, then the entry step
// takes over (`/?verified=1`, or `/?verify=invalid` where a new link can be asked for).
import type { EmailStatusResponse } from '../../../server/protocol/http.ts';
import { api } from './lib/api.ts';
import { $, say, t } from './lib/page.ts';

const INVALID = '/?verify=invalid';
const token = new URLSearchParams(location.hash.slice(1)).get('token');
// Out of the address bar and the history: the token is spent once pressed, and it is nobody's business.
history.replaceState(null, '', location.pathname);
const status = $('verify-status');
const button = $<HTMLButtonElement>('verify-confirm');

if (!token) location.replace(INVALID);

button.addEventListener('click', async () => {
  button.disabled = true;
  say(status, t('verify.working'));
  const result = await api<EmailStatusResponse>('/api/email/verify', { body: { token } });
  if (result.ok) return location.replace('/?verified=1');
  if (result.error.code === 'link_invalid' || result.error.code === 'invalid_body') return location.replace(INVALID);
  // A network or server failure spent nothing: the same button tries again.
  button.disabled = false;
  say(status, t(result.status === 0 ? 'error.network' : 'error.generic'));
  status.focus();
});
