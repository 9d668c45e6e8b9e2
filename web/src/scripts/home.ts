// The landing page and the entry step. The landing page starts a text or a video chat in one click
// (with optional interests), shows the live count and what the instance promises; the first time
// in a tab, the entry step (#start) comes first: the rules, their acceptance, the age, an invite
// code, an e-mail check, or a sign-in with the school (which gives the age band: then no age is
// asked). The ticket and the answers go to sessionStorage for the chat page, so a
// later start in the same tab (and a reconnection) skips the entry step.
import type { Availability, EmailStartResponse, EmailStatusResponse, OidcStatusResponse, PresenceResponse } from '../../../server/protocol/http.ts';
import { Limits } from '../../../server/protocol/limits.ts';
import type { ChatMode } from '../../../server/protocol/messages.ts';
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
/** How often the live count is asked for while the page is in view (the answer is cached about as long). */
const PRESENCE_EVERY_MS = 15_000;
const startButtons = [...chooseForm.querySelectorAll<HTMLButtonElement>('button[name="mode"]')];

// Only the modes this instance offers.
for (const button of startButtons) button.hidden = !instance.modes.includes(button.value as ChatMode);
age.min = String(instance.minAge);
$('invite-field').hidden = instance.accessMode !== 'invite';
/** The school's sign-in: for everyone (no age is asked), or for staff beside typed ages and invite codes. */
const schoolSignIn = instance.schoolSignIn;
const label = schoolSignIn?.label ?? instance.name;
/** Whether this browser holds a school sign-in (its band comes from the school: no age, no invite). */
let signedIn = false;
$('age-field').hidden = schoolSignIn?.members === true;

/** The answers given earlier in this tab; with the rules accepted, a start is one click. */
const previous = loadEntry();
if (previous) {
  interests.value = previous.interests.join(', ');
  if (previous.age > 0) age.value = String(previous.age);
  invite.value = previous.inviteCode ?? '';
}
$('first-time').hidden = Boolean(previous?.rulesAccepted);
/** The mode chosen on the landing page, for the entry step (back from an e-mail link: the one chosen before). */
let chosen: ChatMode | undefined = previous && instance.modes.includes(previous.mode) ? previous.mode : undefined;

// --- What the instance promises, from its settings ---
{
  const { moderation, minAge, relayOnly, accessMode, modes } = instance;
  const shown: Record<string, boolean> = {
    reports: true,
    quarantine: true,
    bands: minAge < 18,
    adults: minAge >= 18,
    contactEveryone: moderation.contactDetailsBlocked === 'everyone',
    contactMinors: moderation.contactDetailsBlocked === 'minors' && minAge < 18,
    relay: relayOnly && modes.includes('video'),
    invite: accessMode === 'invite',
    email: accessMode === 'email',
    oidc: accessMode === 'oidc',
    notRecorded: true,
  };
  const vars = { count: moderation.quarantineReporters, minutes: moderation.quarantineWindowMinutes, days: moderation.evidenceDays, minAge, label };
  for (const item of document.querySelectorAll<HTMLElement>('[data-promise]')) {
    const id = item.dataset.promise!;
    item.hidden = !shown[id];
    item.textContent = t(`home.promise.${id}`, vars);
  }
}

// --- The live count ---
const onlineNow = $('online-now');
async function showOnline(): Promise<void> {
  if (document.visibilityState !== 'visible') return;
  const result = await api<PresenceResponse>('/api/presence');
  if (result.ok) {
    say(onlineNow, t('home.online', { count: result.data.online }));
    showAvailability(result.data.availability);
  }
}

// --- Open or closed, and whether video is offered now (opening hours, a pause, moderators on duty) ---
let availability: Availability | undefined;

/** A start is possible now: the space is open, and the mode offered. */
function enableStarts(): void {
  for (const button of startButtons) button.disabled = availability !== undefined && (!availability.open || (button.value === 'video' && !availability.video));
}

function showAvailability(now: Availability | undefined): void {
  if (!now) return;
  availability = now;
  const when =
    now.opensAt === null
      ? ''
      : new Intl.DateTimeFormat(document.documentElement.lang, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: now.timeZone }).format(now.opensAt);
  let text = '';
  if (now.state === 'closed') text = when ? t('home.closed', { when }) : t('home.closedNoTime');
  else if (now.state === 'paused') text = [when ? t('home.paused', { when }) : t('home.pausedNoTime'), now.message ? t('home.pausedMessage', { message: now.message }) : ''].filter(Boolean).join(' ');
  say($('availability'), text);
  say($('video-note'), now.open && now.videoReason === 'no_moderator' && instance.modes.includes('video') ? t('home.videoNoModerator') : '');
  enableStarts();
}
void showOnline();
setInterval(() => void showOnline(), PRESENCE_EVERY_MS);
document.addEventListener('visibilitychange', () => void showOnline());

/** "Chess, music ,  films" → ["chess", "music", "films"], or undefined when over the limits. */
function parseInterests(text: string): string[] | undefined {
  const list = [...new Set(text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (list.length > Limits.maxInterests || list.some((s) => [...s].length > Limits.interestMaxLength)) return undefined;
  return list;
}

function showStep(): void {
  const entry = location.hash === '#start';
  $('choose-step').hidden = entry;
  $('entry-step').hidden = !entry;
  if (!entry) return;
  // Without a choice yet (a reload, a link from the e-mail opened elsewhere) the start asks for one.
  say($('entry-mode'), chosen ? t(chosen === 'video' ? 'entry.mode.video' : 'entry.mode.text') : '');
  $('entry-heading').focus();
}
window.addEventListener('hashchange', showStep);

/** Opens a session with these answers and goes to the chat; else shows why and returns the error code. */
async function open(entry: Entry, error: HTMLElement): Promise<string | undefined> {
  const result = await startSession(entry);
  if (result.ok) {
    saveEntry({ ...entry, rulesAccepted: true });
    saveTicket(result.data);
    location.assign('/chat');
    return undefined;
  }
  const { code, message } = result.error;
  if (code === 'banned') showBan(banFrom(result.error));
  else if (code === 'sign_in_required' && location.hash !== '#start') location.hash = '#start';
  else say(error, explain(code, message));
  return code;
}

// Enter in the interests field chooses nothing by itself: it goes to the buttons.
interests.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || event.isComposing) return;
  event.preventDefault();
  startButtons.find((button) => !button.hidden)?.focus();
});

chooseForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = (event as SubmitEvent).submitter as HTMLButtonElement | null;
  const mode = button?.value as ChatMode | undefined;
  if (!mode || !instance.modes.includes(mode)) return;
  const list = parseInterests(interests.value);
  if (!list) {
    say(chooseError, t('home.interestsInvalid'));
    interests.focus();
    return;
  }
  say(chooseError, '');
  chosen = mode;
  if (previous?.rulesAccepted && (previous.age > 0 || previous.schoolSignIn)) {
    // The rules were accepted in this tab already: straight to the chat.
    for (const b of startButtons) b.disabled = true;
    const refused = await open({ ...previous, mode, interests: list }, chooseError);
    enableStarts();
    if (refused && refused !== 'banned') button?.focus();
    return;
  }
  location.hash = '#start';
});

// Back to the landing page without leaving the site (the entry step may be the first page of the tab).
$('back').addEventListener('click', () => {
  history.replaceState(null, '', location.pathname);
  showStep();
  startButtons.find((button) => button.value === chosen && !button.hidden)?.focus();
});

/** The message for an error code, with the server's own message as the last resort. */
function explain(code: string, message: string): string {
  const key = `error.${code}`;
  const text = t(key, { label });
  return text === key ? message || t('error.generic') : text;
}

entryForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  say(entryError, '');
  const mode = chosen;
  const list = parseInterests(interests.value);
  if (!mode || !list) {
    // Back to the landing page, saying why.
    history.replaceState(null, '', location.pathname);
    showStep();
    say(chooseError, t(mode ? 'home.interestsInvalid' : 'home.chooseMode'));
    startButtons.find((button) => !button.hidden)?.focus();
    return;
  }
  if (!accept.checked) {
    say(entryError, t('error.rules_not_accepted'));
    accept.focus();
    return;
  }
  // Signed in with the school (or in a space where everyone is): the band is the school's, no age is sent.
  const byIdentity = signedIn || schoolSignIn?.members === true;
  const years = Number(age.value);
  if (!byIdentity && (!age.value.trim() || !Number.isInteger(years) || years < 0 || years > 150)) {
    say(entryError, t('error.age_invalid'));
    age.focus();
    return;
  }
  const entry: Entry = byIdentity ? { mode, interests: list, age: 0, schoolSignIn: true } : { mode, interests: list, age: years };
  if (!byIdentity && instance.accessMode === 'invite' && invite.value.trim()) entry.inviteCode = invite.value.trim();
  start.disabled = true;
  start.textContent = t('entry.starting');
  const refused = await open(entry, entryError);
  start.disabled = false;
  start.textContent = t('entry.start');
  if (!refused || refused === 'banned') return;
  const field = ({ too_young: age, age_band_locked: age, invite_required: invite, invite_invalid: invite, email_required: $('email'), sign_in_required: $('signin'), adult_sign_in_required: $('signin') } as Record<string, HTMLElement>)[refused];
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
    const list = parseInterests(interests.value);
    if (chosen && list) saveEntry({ mode: chosen, interests: list, age: Number(age.value) || 0 });
    const result = await api<EmailStartResponse>('/api/email/start', { body: { email: address } });
    say(status, result.ok ? t('entry.emailSent', { email: address, minutes: result.data.expiresInMinutes }) : explain(result.error.code === 'invalid_body' ? 'invalid_email' : result.error.code, result.error.message));
  });
}

// --- The school's sign-in (OpenID Connect): everyone, or staff for the adult band ---
if (schoolSignIn && (schoolSignIn.members || schoolSignIn.adults)) {
  const box = $('signin-box');
  const link = $<HTMLAnchorElement>('signin');
  const status = $('signin-status');
  const signOutLine = $('signout-line');
  box.hidden = false;
  say($('signin-intro'), t(schoolSignIn.members ? 'entry.signInIntro' : 'entry.signInAdultsIntro', { label }));
  link.textContent = t('entry.signIn', { label });
  const params = new URLSearchParams(location.search);
  const refusal = params.get('signin');
  if (refusal) {
    // Back from the provider with a refusal: the entry step explains it, and the address bar is clean.
    history.replaceState(null, '', '/#start');
    say($('signin-error'), explain(refusal, ''));
  }
  /** Shows what the sign-in on this browser gives; staff signed in need no age and no invite. */
  const show = (answer: OidcStatusResponse) => {
    signedIn = answer.signedIn;
    link.hidden = signedIn;
    signOutLine.hidden = !signedIn;
    if (signedIn) {
      say($('signin-error'), '');
      say(status, t(answer.band === 'adult' ? 'entry.signedInAdult' : 'entry.signedInMinor', { label }));
    }
    if (schoolSignIn.adults) {
      $('age-field').hidden = signedIn;
      $('invite-field').hidden = signedIn || instance.accessMode !== 'invite';
    }
  };
  void api<OidcStatusResponse>('/api/oidc/status').then((result) => {
    if (result.ok) show(result.data);
  });
  // The choices made so far survive the trip to the provider.
  link.addEventListener('click', () => {
    const list = parseInterests(interests.value);
    if (chosen && list) saveEntry({ mode: chosen, interests: list, age: 0, ...(schoolSignIn.members ? { schoolSignIn: true } : {}) });
  });
  $('signout').addEventListener('click', async () => {
    await api('/api/oidc/sign-out', { body: {} });
    show({ signedIn: false });
    // The next person at this computer starts from the beginning.
    sessionStorage.clear();
    say(status, t('entry.signedOut'));
    link.focus();
  });
}

showStep();
