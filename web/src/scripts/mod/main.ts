// The moderation dashboard (/mod): signs in (or resumes a session), forces a new password when
// the account has a one-time one, keeps the live figures and the duty state fresh, and shows the
// part of the page the URL's hash names (#alerts, #reports, #report/<id>, #bans, #appeals,
// #invites, #audit, #announce, #moderators, #account) — only those the moderator's role permits.
import type { Action, ModerationCounts } from '../../../../server/protocol/moderation.ts';
import { get, onSessionLost, post, setCsrfToken } from './api.ts';
import { $, instance, say, t } from '../lib/page.ts';
import * as account from './account.ts';
import * as alerts from './alerts.ts';
import * as duty from './duty.ts';
import * as appeals from './appeals.ts';
import * as audit from './audit.ts';
import * as bans from './bans.ts';
import * as invites from './invites.ts';
import * as moderators from './moderators.ts';
import * as report from './report.ts';
import * as reports from './reports.ts';
import './announce.ts';
import { applyPermissions, can, clock, errorText, session, tOr, type Me } from './ui.ts';

/** How often the live figures are fetched while the page is visible. */
const STATS_EVERY_MS = 5000;
const STATS = ['online', 'queued', 'inConversation', 'conversations', 'openReports', 'openAppeals', 'activeBans'] as const;
type Stats = ModerationCounts & { online: number; queued: number; inConversation: number; conversations: number };

interface Section {
  needs?: Action;
  /** Loads what the part shows; `arg` is what follows the slash (a report id). */
  show: (arg: string | undefined) => unknown;
  /** Forgets what should not stay on the page (evidence, one-time codes). */
  leave?: () => void;
  /** The navigation link that stays highlighted. */
  nav?: string;
}

const SECTIONS: Record<string, Section> = {
  alerts: { needs: 'alerts.list', show: () => alerts.load() },
  reports: { needs: 'reports.list', show: () => reports.load() },
  report: { needs: 'reports.view', show: (id) => report.show(id ?? ''), leave: report.leave, nav: 'reports' },
  bans: { needs: 'bans.list', show: () => bans.load() },
  appeals: { needs: 'appeals.list', show: () => appeals.load() },
  invites: { needs: 'invites.list', show: () => invites.load(), leave: invites.leave },
  audit: { needs: 'audit.read', show: () => audit.load() },
  announce: { needs: 'announce', show: () => undefined },
  moderators: { needs: 'moderators.list', show: () => moderators.load(), leave: moderators.leave },
  account: { show: () => account.show(forced) },
};

const loading = $('mod-loading');
const login = $('login');
const loginForm = $<HTMLFormElement>('login-form');
const loginError = $('login-error');
const loginNotice = $('login-notice');
const dash = $('dash');
const updated = $('stats-updated');

let forced = false;
let current: Section | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;
let lastOpenReports: number | undefined;
let lastOpenAlerts: number | undefined;
let statsOkAt = 0;

function route(focus = true): void {
  if (!session.me) return;
  const [name = '', arg] = location.hash.slice(1).split('/');
  let key = forced ? 'account' : name in SECTIONS ? name : 'reports';
  const needs = SECTIONS[key]!.needs;
  if ((needs && !can(needs)) || (key === 'report' && !arg)) key = 'reports';
  const section = SECTIONS[key]!;
  if (current !== section) current?.leave?.();
  current = section;
  if (key === 'alerts') $('alerts-waiting').hidden = true;
  for (const panel of dash.querySelectorAll<HTMLElement>('.panel')) panel.hidden = panel.id !== `panel-${key}`;
  const navKey = section.nav ?? key;
  const nav = dash.querySelector<HTMLElement>('.mod-nav')!;
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('a')) {
    if (link.dataset.section !== navKey) {
      link.removeAttribute('aria-current');
      continue;
    }
    link.setAttribute('aria-current', 'page');
    // On a narrow screen the links scroll sideways: keep the current one in sight.
    const left = link.offsetLeft - nav.offsetLeft;
    if (left < nav.scrollLeft || left + link.offsetWidth > nav.scrollLeft + nav.clientWidth) nav.scrollLeft = left - 8;
  }
  void section.show(arg === undefined ? undefined : decodeURIComponent(arg));
  const heading = $(`${key}-heading`);
  document.title = `${heading.textContent} · ${t('mod.title')} · ${instance.name}`;
  if (focus) heading.focus();
}

async function refreshStats(): Promise<void> {
  if (document.hidden || !session.me || !can('stats.read')) return;
  const result = await get<Stats>('/api/mod/stats');
  if (!result.ok) {
    if (result.status !== 401) say(updated, statsOkAt ? t('mod.stats.stale', { time: clock(statsOkAt) }) : errorText(result.error, result.status));
    return;
  }
  const stats = result.data;
  for (const name of STATS) $(`stat-${name}`).textContent = String(stats[name]);
  const badge = (id: string, count: number) => {
    const element = $(id);
    element.textContent = String(count);
    element.hidden = count === 0;
  };
  badge('badge-reports', stats.openReports);
  badge('badge-appeals', stats.openAppeals);
  badge('badge-alerts', stats.openAlerts);
  // Unacknowledged safeguarding alerts come first: said above every part of the dashboard but their own.
  const waiting = $('alerts-waiting');
  waiting.hidden = !stats.openAlerts || !can('alerts.list') || current === SECTIONS.alerts;
  $('alerts-waiting-link').textContent = t('mod.alerts.waiting', { count: stats.openAlerts });
  // A new alert arrived: the list follows (not when one was acknowledged, which would take the card
  // from under the moderator who just did it; one acknowledged elsewhere answers 409 and reloads).
  if (lastOpenAlerts !== undefined && stats.openAlerts > lastOpenAlerts && current === SECTIONS.alerts) void alerts.load();
  lastOpenAlerts = stats.openAlerts;
  statsOkAt = Date.now();
  say(updated, t('mod.stats.updated', { time: clock(statsOkAt) }));
  // A new report arrived (or one was resolved elsewhere): the open queue follows.
  if (lastOpenReports !== undefined && lastOpenReports !== stats.openReports && current === SECTIONS.reports && reports.showsOpen()) void reports.load();
  lastOpenReports = stats.openReports;
}

function start(me: Me): void {
  session.me = me;
  setCsrfToken(me.csrfToken);
  forced = me.moderator.mustChangePassword;
  const role = tOr(`mod.role.${me.moderator.role}`, me.moderator.role);
  $('whoami').textContent = t('mod.whoami', { username: me.moderator.username, role });
  applyPermissions(dash);
  // While a one-time password is in use, only the password form is offered.
  for (const element of dash.querySelectorAll<HTMLElement>('[data-not-forced]')) {
    const needs = element.dataset.needs as Action | undefined;
    element.hidden = forced || (needs !== undefined && !can(needs));
  }
  loading.hidden = true;
  login.hidden = true;
  dash.hidden = false;
  clearInterval(statsTimer);
  if (!forced) {
    void refreshStats();
    statsTimer = setInterval(() => void refreshStats(), STATS_EVERY_MS);
    duty.start();
  }
  route();
}

/** Signs out of the page (the session is gone or was ended): nothing of the dashboard stays. */
function stop(notice: string): void {
  current?.leave?.();
  current = undefined;
  for (const section of Object.values(SECTIONS)) section.leave?.();
  for (const body of dash.querySelectorAll('tbody')) body.replaceChildren();
  for (const id of ['appeals-list', 'report-facts', 'whoami']) $(id).replaceChildren();
  for (const form of dash.querySelectorAll('form')) form.reset();
  for (const name of STATS) $(`stat-${name}`).textContent = '–';
  session.me = null;
  setCsrfToken('');
  clearInterval(statsTimer);
  duty.stop();
  $('alerts-waiting').hidden = true;
  lastOpenReports = lastOpenAlerts = undefined;
  dash.hidden = true;
  loading.hidden = true;
  login.hidden = false;
  say(loginNotice, notice);
  $('login-heading').focus();
}

onSessionLost(() => {
  if (session.me) stop(t('mod.login.expired'));
});

account.onPasswordChanged(() => {
  if (!session.me || !forced) return;
  session.me.moderator.mustChangePassword = false;
  history.replaceState(null, '', '#reports');
  start(session.me);
});

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = $<HTMLInputElement>('login-username');
  const password = $<HTMLInputElement>('login-password');
  if (!username.value.trim() || !password.value) {
    say(loginError, t('mod.login.required'));
    return (username.value.trim() ? password : username).focus();
  }
  const button = loginForm.querySelector('button')!;
  button.disabled = true;
  const result = await post<Me>('/api/mod/login', { username: username.value.trim(), password: password.value });
  button.disabled = false;
  password.value = '';
  if (!result.ok) {
    say(loginError, errorText(result.error, result.status));
    return password.focus();
  }
  say(loginError, '');
  say(loginNotice, '');
  start(result.data);
});

$('logout').addEventListener('click', async () => {
  await post('/api/mod/logout');
  stop(t('mod.login.loggedOut'));
});

addEventListener('hashchange', () => route());
document.addEventListener('visibilitychange', () => void refreshStats());
document.addEventListener(alerts.COUNTS_CHANGED, () => void (session.me && !forced && refreshStats()));

// --- Signing in with the school (oidc.moderators) ---
if (instance.schoolSignIn?.moderators) {
  const label = instance.schoolSignIn.label;
  $('sso-start').textContent = t('mod.sso.start', { label });
  $('sso-login').hidden = false;
  const params = new URLSearchParams(location.search);
  const refusal = params.get('signin');
  if (refusal) {
    // Back from the provider with a refusal: said once, and the address bar is clean.
    say(loginError, tOr(`mod.sso.error.${refusal}`, t('mod.sso.error.generic'), { label, user: params.get('user') ?? '', role: tOr(`mod.role.${params.get('role')}`, params.get('role') ?? '') }));
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
  }
}

/** Resumes the session this browser already has, or asks to log in. */
async function boot(): Promise<void> {
  const me = await get<Me>('/api/mod/me');
  if (me.ok) return start(me.data);
  loading.hidden = true;
  login.hidden = false;
  if (me.status !== 401) say(loginError, errorText(me.error, me.status));
}

void boot();
