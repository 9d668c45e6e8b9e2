// The landing page and the entry step. Step 1 chooses text or video and interests; step 2 (#start)
// shows the rules, takes the acceptance, the age, an invite code or an e-mail check, and opens a
// session. The ticket and the answers go to sessionStorage for the chat page.
import type { EmailStartResponse, EmailStatusResponse } from '../../../server/protocol/http.ts';
import type { ChatMode, Limits } from '../../../server/protocol/messages.ts';
import { api } from './lib/api.ts';
import { banFrom, showBan } from './lib/ban.ts';
import { loadEntry, saveEntry, saveTicket, startSession, type Entry } from './lib/entry.ts';
import { $, instance, say, t } from './lib/page.ts';

const chooseForm = $<HTMLFormElement>('choose');
const entryForm = $<HTMLFormElement>('entry-form');
const emailForm = $<HTMLFormElement>('email-form');
const chooseError = $('choose-error');
const entryError = $('entry-error');
const age = $<HTMLInputElement>('age');
const invite = $<HTMLInputElement>('invite');
const interests = $<HTMLInputElement>('interests');
const accept = $<HTMLInputElement>('accept');
const start = $<HTMLButtonElement>('start');
/** The protocol's limits (checked against it by the type), without bundling the server's schemas. */
const LIMITS: Pick<typeof Limits, 'maxInterests' | 'interestMaxLength'> = { maxInterests: 10, interestMaxLength: 32 };
const modeInputs = [...chooseForm.querySelectorAll<HTMLInputElement>('input[name="mode"]')];

// Only the modes this instance offers; a single mode is chosen already.
for (const input of modeInputs) {
  const offered = instance.modes.includes(input.value as ChatMode);
  input.closest('label')!.hidden = !offered;
  input.disabled = !offered;
}
const offered = modeInputs.filter((input) => !input.disabled);
if (offered.length === 1) offered[0]!.checked = true;
age.min = String(instance.minAge);
$('invite-field').hidden = instance.accessMode !== 'invite';

// Coming back in the same tab: the previous answers.
const previous = loadEntry();
if (previous) {
  const input = modeInputs.find((m) => m.value === previous.mode && !m.disabled);
  if (input) input.checked = true;
  interests.value = previous.interests.join(', ');
  if (previous.age > 0) age.value = String(previous.age);
  invite.value = previous.inviteCode ?? '';
}

function chosenMode(): ChatMode | undefined {
  return modeInputs.find((input) => input.checked)?.value as ChatMode | undefined;
}

/** "Chess, music ,  films" → ["chess", "music", "films"], or undefined when over the limits. */
function parseInterests(text: string): string[] | undefined {
  const list = [...new Set(text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (list.length > LIMITS.maxInterests || list.some((s) => s.length > LIMITS.interestMaxLength)) return undefined;
  return list;
}

function showStep(): void {
  const entry = location.hash === '#start';
  $('choose-step').hidden = entry;
  $('entry-step').hidden = !entry;
  if (entry) $('entry-heading').focus();
}
window.addEventListener('hashchange', showStep);

chooseForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const mode = chosenMode();
  if (!mode) {
    say(chooseError, t('home.mode.required'));
    (offered[0] ?? modeInputs[0])?.focus();
    return;
  }
  if (!parseInterests(interests.value)) {
    say(chooseError, t('home.interestsInvalid'));
    interests.focus();
    return;
  }
  say(chooseError, '');
  location.hash = '#start';
});

// Back to step 1 without leaving the site (the entry step may be the first page of the tab).
$('back').addEventListener('click', () => {
  history.replaceState(null, '', location.pathname);
  showStep();
  $('interests').focus();
});

/** The message for an error code, with the server's own message as the last resort. */
function explain(code: string, message: string): string {
  const key = `error.${code}`;
  const text = t(key);
  return text === key ? message || t('error.generic') : text;
}

entryForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  say(entryError, '');
  const mode = chosenMode();
  const list = parseInterests(interests.value);
  if (!mode || !list) {
    // Reloaded on the entry step with nothing chosen yet: back to the choice, saying why.
    history.replaceState(null, '', location.pathname);
    showStep();
    say(chooseError, t('home.mode.required'));
    return;
  }
  if (!accept.checked) {
    say(entryError, t('error.rules_not_accepted'));
    accept.focus();
    return;
  }
  const years = Number(age.value);
  if (!age.value.trim() || !Number.isInteger(years) || years < 0 || years > 150) {
    say(entryError, t('error.age_invalid'));
    age.focus();
    return;
  }
  const entry: Entry = { mode, interests: list, age: years };
  if (instance.accessMode === 'invite' && invite.value.trim()) entry.inviteCode = invite.value.trim();
  start.disabled = true;
  start.textContent = t('entry.starting');
  const result = await startSession(entry);
  start.disabled = false;
  start.textContent = t('entry.start');
  if (result.ok) {
    saveEntry(entry);
    saveTicket(result.data);
    location.assign('/chat');
    return;
  }
  const { code, message } = result.error;
  if (code === 'banned') return showBan(banFrom(result.error));
  say(entryError, explain(code, message));
  const field = { too_young: age, age_band_locked: age, invite_required: invite, invite_invalid: invite, email_required: $('email') }[code];
  (field ?? entryError).focus();
});

// --- E-mail verification (accessMode "email") ---
if (instance.accessMode === 'email') {
  const status = $('email-status');
  emailForm.hidden = false;
  const params = new URLSearchParams(location.search);
  if (params.has('verified') || params.has('verify')) {
    // Back from the link in the mail: straight to the entry step, without the query in the address.
    history.replaceState(null, '', '/#start');
    if (params.get('verify') === 'invalid') say(status, t('entry.emailInvalidLink'));
  }
  void api<EmailStatusResponse>('/api/email/status').then((result) => {
    if (result.ok && result.data.verified) {
      $('email-intro').hidden = true;
      emailForm.querySelector<HTMLElement>('.field')!.hidden = true;
      say(status, t('entry.emailVerified'));
    }
  });
  emailForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = $<HTMLInputElement>('email');
    const address = email.value.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
      say(status, t('error.invalid_email'));
      email.focus();
      return;
    }
    // The choices made so far survive the trip through the mailbox (same tab or not).
    const mode = chosenMode();
    const list = parseInterests(interests.value);
    if (mode && list) saveEntry({ mode, interests: list, age: Number(age.value) || 0 });
    const result = await api<EmailStartResponse>('/api/email/start', { body: { email: address } });
    say(status, result.ok ? t('entry.emailSent', { email: address, minutes: result.data.expiresInMinutes }) : explain(result.error.code === 'invalid_body' ? 'invalid_email' : result.error.code, result.error.message));
  });
}

showStep();
