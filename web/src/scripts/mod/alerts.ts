// Safeguarding alerts: unacknowledged first, each with what raised it (a link to its report),
// where it was sent and whether that worked, and a button to acknowledge it (with a note; an
// alert about a minor or illegal report by a safeguarding account only). Failed deliveries are
// said above the list: the alerts stay here whatever happened to the e-mails and webhooks.
import type { Alert, DeliveryHealth } from '../../../../server/protocol/moderation.ts';
import { get, post, query } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { reasonLabel } from './reports.ts';
import { badge, can, errorText, h, time, tOr, when } from './ui.ts';

const list = $('alerts-list');
const count = $('alerts-count');
const status = $<HTMLSelectElement>('alerts-status');
const deliveries = $('alerts-deliveries');
let generation = 0;

/** Dispatched on the document when something this page did changes the dashboard's counts. */
export const COUNTS_CHANGED = 'mod:counts-changed';

status.addEventListener('change', () => void load());
$('alerts-filter').addEventListener('submit', (event) => event.preventDefault());

function facts(alert: Alert): HTMLElement {
  const d = alert.details as { reason?: string; earlierReports?: number; withinDays?: number; reporters?: number; from?: string; to?: string };
  const rows: Array<[string, Array<Node | string>]> = [[t('mod.alerts.when'), [time(alert.createdAt)]]];
  if (alert.reportId) rows.push([t('mod.alerts.about'), [h('a', { href: `#report/${encodeURIComponent(alert.reportId)}` }, t('mod.alerts.openReport'))]]);
  if (d.reason) rows.push([t('mod.alerts.reason'), [reasonLabel(d.reason)]]);
  if (d.earlierReports) rows.push([t('mod.alerts.earlier'), [t('mod.alerts.earlierValue', { count: d.earlierReports, days: d.withinDays ?? '?' })]]);
  if (d.reporters) rows.push([t('mod.alerts.reporters'), [String(d.reporters)]]);
  if (d.from && d.to) rows.push([t('mod.alerts.switch'), [t('mod.alerts.switchValue', { from: tOr(`mod.band.${d.from}`, d.from), to: tOr(`mod.band.${d.to}`, d.to) })]]);
  const { sent, pending, failed } = alert.deliveries;
  rows.push([t('mod.alerts.deliveries'), [sent + pending + failed ? t('mod.alerts.deliveriesValue', { sent, pending, failed }) : t('mod.alerts.noDeliveries')]]);
  return h('dl', { class: 'facts compact' }, ...rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, ...value)]));
}

function acknowledgeForm(alert: Alert): HTMLElement {
  if (alert.kind === 'report_sensitive' && !can('evidence.view_sensitive')) return h('p', { class: 'mod-explain' }, t('mod.alerts.safeguardingOnly'));
  const id = `ack-${alert.id}`;
  const note = h('textarea', { id: `${id}-note`, rows: 2, maxlength: 500, 'aria-describedby': `${id}-hint` });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, t('mod.alerts.acknowledge'));
  const form = h(
    'form',
    { class: 'decide-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: `${id}-note` }, t('mod.alerts.note')), note, h('p', { id: `${id}-hint`, class: 'hint' }, t('mod.alerts.noteHint'))),
    error,
    h('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    const result = await post<{ alert: Alert }>(`/api/mod/alerts/${encodeURIComponent(alert.id)}/acknowledge`, note.value.trim() ? { note: note.value.trim() } : {});
    button.disabled = false;
    if (!result.ok) {
      say(error, errorText(result.error, result.status));
      // Someone acknowledged it meanwhile: the list shows who, after a moment to read why.
      if (result.status === 409) setTimeout(() => void load(), 3000);
      return;
    }
    const card = alertCard(result.data.alert);
    form.closest('article')!.replaceWith(card);
    say(count, t('mod.alerts.acknowledged'));
    // The badge and the "alerts waiting" line follow at once, not at the next figures' refresh.
    document.dispatchEvent(new Event(COUNTS_CHANGED));
    card.querySelector<HTMLElement>('h2')?.focus();
  });
  return form;
}

function alertCard(alert: Alert): HTMLElement {
  const open = alert.acknowledgedAt === null;
  const card = h(
    'article',
    { class: `card alert-item${open ? ' alert-open' : ''}`, 'data-alert': alert.id, 'data-kind': alert.kind, 'aria-labelledby': `alert-${alert.id}` },
    h(
      'h2',
      { id: `alert-${alert.id}`, class: 'item-heading', tabindex: -1 },
      tOr(`mod.alerts.kind.${alert.kind}`, alert.kind),
      ' ',
      badge(t(open ? 'mod.alerts.open' : 'mod.alerts.done'), open ? 'sensitive' : 'done'),
    ),
    facts(alert),
  );
  if (!open) {
    card.append(h('p', { class: 'mod-explain' }, t('mod.alerts.acknowledgedBy', { by: alert.acknowledgedBy ?? '?', date: alert.acknowledgedAt ? when(alert.acknowledgedAt) : '' }), alert.acknowledgeNote ? ` — ${alert.acknowledgeNote}` : ''));
  } else if (can('alerts.acknowledge')) {
    card.append(acknowledgeForm(alert));
  }
  return card;
}

function showDeliveries(health: DeliveryHealth): void {
  const last = health.lastFailure;
  say(deliveries, health.failed && last ? t('mod.alerts.failed', { count: health.failed, target: last.target, error: last.error ?? '?', date: when(last.at) }) : '');
}

export async function load(): Promise<void> {
  const mine = ++generation;
  const result = await get<{ alerts: Alert[]; unacknowledged: number; deliveries: DeliveryHealth }>(`/api/mod/alerts${query({ status: status.value, limit: 100 })}`);
  if (mine !== generation) return;
  if (!result.ok) return say(count, errorText(result.error, result.status));
  const { alerts, unacknowledged } = result.data;
  list.replaceChildren(...(alerts.length ? alerts.map(alertCard) : [h('p', { class: 'empty-note' }, t('mod.alerts.empty'))]));
  say(count, t('mod.alerts.count', { count: alerts.length, open: unacknowledged }));
  showDeliveries(result.data.deliveries);
}
