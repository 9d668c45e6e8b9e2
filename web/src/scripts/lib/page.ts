// What every page script starts from: the instance's settings and the page's strings, both
// written into the page (the server fills in the settings; the build writes the strings).
import type { PublicConfig } from '../../../../server/protocol/http.ts';

function readJson<T>(id: string): T {
  const text = document.getElementById(id)?.textContent;
  if (!text) throw new Error(`#${id} is missing from the page`);
  return JSON.parse(text) as T;
}

export const instance: PublicConfig = readJson('sc-config');
const strings: Record<string, string> = readJson('sc-strings');

/** A string of the page's language; `{name}` and `{minAge}` are always available. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const all: Record<string, string | number> = { name: instance.name, minAge: instance.minAge, ...vars };
  return (strings[key] ?? key).replace(/\{(\w+)\}/g, (whole, name: string) => (name in all ? String(all[name]) : whole));
}

/** An element the page is known to have. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Shows a message in an error/status element, or hides it when `text` is empty. */
export function say(element: HTMLElement, text: string): void {
  element.textContent = text;
  element.hidden = !text;
}

/** Formats a moment in the page's language. */
export function formatDate(ms: number): string {
  // The browser's own variant of the page's language (en-GB dates on an English page).
  const lang = document.documentElement.lang;
  const locale = navigator.language.split('-')[0] === lang ? navigator.language : lang;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' }).format(ms);
}
