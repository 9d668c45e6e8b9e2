// What every part of the dashboard shares: the signed-in moderator and their permissions, a small
// element builder (text only: nothing from a report or a person is ever parsed as HTML), dates,
// error messages from the catalog, the confirmation dialog and the pagers.
import type { Action, Role } from '../../../../server/protocol/moderation.ts';
import type { ApiError } from './api.ts';
import { $, say, t } from '../lib/page.ts';

/** A moderator account as the API shows it. */
export interface ModeratorView {
  id: string;
  username: string;
  role: Role;
  mustChangePassword: boolean;
  disabled: boolean;
  createdAt: number;
  email: string | null;
}

/** GET /api/mod/me and POST /api/mod/login. */
export interface Me {
  moderator: ModeratorView;
  csrfToken: string;
  expiresAt: number;
  permissions: Action[];
  /** The roles whose accounts this moderator manages (the server's MANAGED_ROLES). */
  manages: Role[];
}

export const session: { me: Me | null } = { me: null };

/** Whether the signed-in moderator's role includes a permission. */
export function can(action: Action): boolean {
  return session.me?.permissions.includes(action) ?? false;
}

/** How the audit log and the API name the signed-in moderator (`moderator:<username>`). */
export function myActorName(): string {
  return `moderator:${session.me?.moderator.username ?? ''}`;
}

/** Hides every element marked `data-needs="<permission>"` that the role does not include. */
export function applyPermissions(root: ParentNode = document): void {
  for (const element of root.querySelectorAll<HTMLElement>('[data-needs]')) {
    element.hidden = !can(element.dataset.needs as Action);
  }
}

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** An element with attributes (`on…` are listeners; false/null leave it out) and text or nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/**
 * A table cell labelled for the narrow layout (the header's text shows beside the value). The
 * content sits in one element, so that the narrow layout's grid keeps it in one column; append
 * to `cell.firstElementChild`.
 */
export function cell(label: string, ...children: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label }, h('div', { class: 'v' }, ...children));
}

/** Where a cell's content goes. */
export function inside(td: HTMLTableCellElement): HTMLElement {
  return td.firstElementChild as HTMLElement;
}

function locale(): string {
  const lang = document.documentElement.lang;
  return navigator.language.split('-')[0] === lang ? navigator.language : lang;
}

/** A moment, short: "28 Nov 2026, 14:05". */
export function when(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** A time of day with seconds, for "updated at". */
export function clock(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(ms);
}

/** "5 minutes ago", "in 3 days". */
export function relative(ms: number, now = Date.now()): string {
  const seconds = (ms - now) / 1000;
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [['day', 86400], ['hour', 3600], ['minute', 60]];
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  return format.format(Math.round(seconds), 'second');
}

/** A <time> with the date, and the exact moment on hover. */
export function time(ms: number, style: 'relative' | 'absolute' = 'absolute'): HTMLTimeElement {
  return h('time', { datetime: new Date(ms).toISOString(), title: when(ms) }, style === 'relative' ? relative(ms) : when(ms));
}

/** A catalog string if the key exists, else `fallback`. */
export function tOr(key: string, fallback: string, vars: Record<string, string | number> = {}): string {
  const text = t(key, vars);
  return text === key ? fallback : text;
}

/** What to tell a moderator about a failed request: the catalog's words for known codes, else the server's (safe to show). */
export function errorText(error: ApiError, status: number): string {
  if (status === 0) return t('error.network');
  if (error.code === 'rate_limited') return t('error.rate_limited');
  return tOr(`mod.error.${error.code}`, error.message || t('error.generic'));
}

/** Shows a failed request's message in an error element. */
export function sayError(element: HTMLElement, error: ApiError, status: number): void {
  say(element, errorText(error, status));
}

/** A small coloured label: status, "sensitive", "quarantined". */
export function badge(text: string, kind = ''): HTMLSpanElement {
  return h('span', { class: `tag${kind ? ` tag-${kind}` : ''}` }, text);
}

/** A long id (device, session, identity) shortened for tables; the whole id on hover and to screen readers. */
export function shortId(id: string, keep = 10): HTMLElement {
  if (id.length <= keep + 1) return h('code', {}, id);
  return h('code', { title: id }, `${id.slice(0, keep)}…`);
}

/** Replaces a table body's rows, or shows one full-width row saying there is nothing. */
export function fillTable(table: HTMLTableElement, rows: HTMLTableRowElement[], emptyText: string): void {
  const body = table.tBodies[0]!;
  const columns = table.tHead?.rows[0]?.cells.length ?? 1;
  body.replaceChildren(...(rows.length ? rows : [h('tr', { class: 'empty' }, h('td', { colspan: columns }, emptyText))]));
}

export interface ConfirmOptions {
  title: string;
  text: string;
  ok: string;
  /** An optional text field (e.g. a reason). */
  input?: { label: string; value?: string };
  /** The OK button's look: `danger` (default) or `primary`. */
  kind?: 'danger' | 'primary';
}

/** Asks to confirm in a modal dialog; resolves with the field's text ('' without one), or null when cancelled. */
export function confirmDialog(options: ConfirmOptions): Promise<string | null> {
  const dialog = $<HTMLDialogElement>('confirm');
  const form = $<HTMLFormElement>('confirm-form');
  const input = $<HTMLInputElement>('confirm-input');
  const ok = $<HTMLButtonElement>('confirm-ok');
  $('confirm-heading').textContent = options.title;
  $('confirm-text').textContent = options.text;
  $('confirm-field').hidden = !options.input;
  $('confirm-label').textContent = options.input?.label ?? '';
  input.value = options.input?.value ?? '';
  ok.textContent = options.ok;
  ok.className = options.kind ?? 'danger';
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const finish = (value: string | null) => {
      form.removeEventListener('submit', submit);
      $('confirm-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      opener?.focus();
      resolve(value);
    };
    const submit = (event: Event) => {
      event.preventDefault();
      finish(options.input ? input.value.trim() : '');
    };
    const cancel = (event: Event) => {
      event.preventDefault();
      finish(null);
    };
    form.addEventListener('submit', submit);
    $('confirm-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    (options.input ? input : $('confirm-cancel')).focus();
  });
}

/** Previous/next buttons under a list. `render(hasPrevious, hasNext, where)` after each load. */
export function pager(id: string, onPage: (direction: 'prev' | 'next') => void) {
  const box = $(id);
  const prev = box.querySelector<HTMLButtonElement>('[data-page="prev"]')!;
  const next = box.querySelector<HTMLButtonElement>('[data-page="next"]')!;
  prev.addEventListener('click', () => onPage('prev'));
  next.addEventListener('click', () => onPage('next'));
  return (hasPrevious: boolean, hasNext: boolean, where = '') => {
    box.hidden = !hasPrevious && !hasNext;
    prev.disabled = !hasPrevious;
    next.disabled = !hasNext;
    box.querySelector('.pager-where')!.textContent = where;
  };
}

/** Describes a ban's target for people: "Device 3f2a…", "Address 203.0.113.7", … */
export function banTargetLabel(kind: string, target: string): Array<Node | string> {
  return [`${tOr(`mod.targetKind.${kind}`, kind)} `, kind === 'device' || kind === 'identity' ? shortId(target) : h('code', {}, target)];
}

/** "Permanent" or the end date. */
export function endsText(expiresAt: number | null): string {
  return expiresAt === null ? t('mod.ban.never') : when(expiresAt);
}
