// The duty toggle and the line that says whether the space is open and who is on duty. On duty
// from here lasts while this page renews it (every `renewEveryMs`, as the server says): a closed
// tab lapses on its own within minutes, and signing out ends it at once (the server does that).
import type { Availability } from '../../../../server/protocol/http.ts';
import type { OnDuty } from '../../../../server/protocol/moderation.ts';
import { get, post } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { can, errorText, session } from './ui.ts';

/** How often the state is read while the page is visible. */
const STATE_EVERY_MS = 15_000;

interface State {
  availability: Availability;
  onDuty: OnDuty[];
  me: OnDuty | null;
  renewEveryMs: number;
}

const toggle = $<HTMLButtonElement>('duty');
const line = $('availability-line');
const hint = $('duty-hint');
let stateTimer: ReturnType<typeof setInterval> | undefined;
let renewTimer: ReturnType<typeof setInterval> | undefined;
let renewEveryMs = 60_000;

function moment(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(document.documentElement.lang, { weekday: 'short', hour: '2-digit', minute: '2-digit', timeZone }).format(ms);
}

function describe(state: State): string {
  const { availability: a, onDuty } = state;
  const when = (ms: number | null) => (ms === null ? '' : moment(ms, a.timeZone));
  const open =
    a.state === 'open'
      ? a.closesAt === null ? t('mod.open.open') : t('mod.open.openUntil', { when: when(a.closesAt) })
      : a.state === 'closed'
        ? a.opensAt === null ? t('mod.open.closed') : t('mod.open.closedUntil', { when: when(a.opensAt) })
        : a.opensAt === null ? t('mod.open.paused') : t('mod.open.pausedUntil', { when: when(a.opensAt) });
  const duty = onDuty.length ? t('mod.duty.who', { names: onDuty.map((d) => d.name).join(', ') }) : t('mod.duty.nobody');
  return [open + (a.message ? ` (“${a.message}”)` : ''), duty, ...(a.videoReason === 'no_moderator' ? [t('mod.duty.videoOff')] : [])].join(' · ');
}

function showMine(me: OnDuty | null): void {
  toggle.setAttribute('aria-pressed', String(me !== null));
  clearInterval(renewTimer);
  renewTimer = undefined;
  if (me) renewTimer = setInterval(() => void renew(), renewEveryMs);
}

async function refresh(): Promise<void> {
  if (document.hidden || !session.me || !can('duty.list')) return;
  const result = await get<State>('/api/mod/availability');
  if (!result.ok) return;
  renewEveryMs = result.data.renewEveryMs;
  say(line, describe(result.data));
  // The toggle follows the server (a duty ended at the terminal, or lapsed, shows as off).
  if ((toggle.getAttribute('aria-pressed') === 'true') !== (result.data.me !== null)) showMine(result.data.me);
}

async function renew(): Promise<void> {
  const result = await post<{ duty: OnDuty | null }>('/api/mod/duty/renew');
  if (!result.ok || result.data.duty) return;
  showMine(null);
  say(line, t('mod.duty.lapsed'));
}

toggle.addEventListener('click', async () => {
  const on = toggle.getAttribute('aria-pressed') !== 'true';
  toggle.disabled = true;
  const result = await post<{ duty: OnDuty | null }>('/api/mod/duty', { on });
  toggle.disabled = false;
  if (!result.ok) return say(line, errorText(result.error, result.status));
  showMine(result.data.duty);
  await refresh();
});

/** Starts reading the state (and shows the toggle's hint) for a signed-in moderator. */
export function start(): void {
  stop();
  hint.hidden = !can('duty.set');
  void refresh();
  stateTimer = setInterval(() => void refresh(), STATE_EVERY_MS);
}

/** Signed out: no more renewals (the server ended the duty), nothing shown. */
export function stop(): void {
  clearInterval(stateTimer);
  clearInterval(renewTimer);
  stateTimer = renewTimer = undefined;
  toggle.setAttribute('aria-pressed', 'false');
  say(line, '');
}

document.addEventListener('visibilitychange', () => void refresh());
