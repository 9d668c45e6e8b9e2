// Debian's Chromium driven by playwright-core, against the real server and the built site
// (dist/web, built by `npm test`'s build step — nothing is built here). One browser process per
// test file; each person is a context (its own cookies and storage) in it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { siteLanguages } from '../../server/http/static.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const SITE_DIR = join(ROOT, 'dist', 'web');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Fails with what to do when the site or the browser is missing. */
export function assertBrowserTestsCanRun(): void {
  if (siteLanguages(SITE_DIR).length === 0) {
    throw new Error(`${SITE_DIR} holds no built site: run scripts/build.sh (npm test runs it first) before the browser tests`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-system-deps.sh (Debian's chromium), or set CHROMIUM_PATH`);
  }
}

export interface LaunchOptions {
  /**
   * Every camera of this browser shows this file instead of Chromium's test pattern: a `.y4m`
   * video, or a `.mjpeg` (JPEG frames one after another; a single JPEG renamed `.mjpeg` is a
   * still picture), looped.
   */
  fakeVideo?: string;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  assertBrowserTestsCanRun();
  if (options.fakeVideo !== undefined && !/\.(y4m|mjpeg)$/.test(options.fakeVideo)) {
    throw new TypeError(`fakeVideo must be a .y4m or .mjpeg file (Chromium picks the reader by the extension): ${options.fakeVideo}`);
  }
  if (options.fakeVideo !== undefined && !existsSync(options.fakeVideo)) throw new Error(`fakeVideo ${options.fakeVideo} does not exist`);
  // playwright gives each launch a fresh temporary profile, removed on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...(options.fakeVideo !== undefined ? [`--use-file-for-fake-video-capture=${options.fakeVideo}`] : []),
    ],
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors (a CSP violation shows here). */
  errors: string[];
}

export interface PersonOptions {
  locale?: string;
  colorScheme?: 'light' | 'dark';
  width?: number;
  height?: number;
  reducedMotion?: 'reduce' | 'no-preference';
  /** A phone: a touch screen (coarse pointer, no hover) and a mobile viewport. */
  touch?: boolean;
}

/** A new visitor: a context with the camera allowed, and its console errors collected. */
export async function newPerson(browser: Browser, baseUrl: string, options: PersonOptions = {}): Promise<Person> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale: options.locale ?? 'en-GB',
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: options.reducedMotion ?? 'no-preference',
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    permissions: ['camera', 'microphone'],
    ...(options.touch ? { hasTouch: true, isMobile: true } : {}),
  });
  const page = await context.newPage();
  // Generous: on a shared 2-core machine two video calls in one browser can hold a page load for
  // over 10 s. Only waits for what must happen use it; nothing measures speed.
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { context, page, errors };
}

/**
 * Starts a text or video chat from the landing page: one click, then (the first time in the tab)
 * the entry step — the rules accepted, an age — and lands on /chat (or stays with an error).
 */
export async function enter(page: Page, options: { mode?: 'text' | 'video'; age?: number; interests?: string; inviteCode?: string } = {}): Promise<void> {
  await page.goto('/');
  if (options.interests) await page.locator('#interests').fill(options.interests);
  await page.locator(`#start-${options.mode ?? 'text'}`).click();
  // The rules accepted in this tab already: straight to the chat.
  await page.waitForURL((url) => url.pathname === '/chat' || url.hash === '#start');
  if (new URL(page.url()).pathname === '/chat') return;
  await page.locator('#accept').check();
  await page.locator('#age').fill(String(options.age ?? 20));
  if (options.inviteCode !== undefined) await page.locator('#invite').fill(options.inviteCode);
  await page.locator('#start').click();
}

/** Waits until the chat page is in a state (`data-state` on #app). */
export async function waitForState(page: Page, state: 'searching' | 'paired' | 'ended' | 'idle' | 'stopped', timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction((wanted) => document.getElementById('app')?.dataset.state === wanted, state, { timeout: timeoutMs });
}

/** Resolves when the <video> shows frames that move: a width, and its clock advancing. */
export async function videoPlays(page: Page, selector: string, timeoutMs = 15_000): Promise<{ width: number; advanced: number }> {
  await page.waitForFunction((s) => (document.querySelector(s) as HTMLVideoElement | null)?.videoWidth, selector, { timeout: timeoutMs });
  const before = await page.$eval(selector, (v) => (v as HTMLVideoElement).currentTime);
  await page.waitForFunction(
    ([s, t]) => ((document.querySelector(s as string) as HTMLVideoElement).currentTime ?? 0) > (t as number) + 0.3,
    [selector, before] as const,
    { timeout: timeoutMs },
  );
  const after = await page.$eval(selector, (v) => ({ width: (v as HTMLVideoElement).videoWidth, time: (v as HTMLVideoElement).currentTime }));
  return { width: after.width, advanced: after.time - before };
}

/** Writes test-results/screenshots/<name>.png (git-ignored) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Errors a page logged, except those a test expects (e.g. a refused request). */
export function unexpectedErrors(errors: string[], expected: RegExp[] = []): string[] {
  return errors.filter((error) => !expected.some((pattern) => pattern.test(error)));
}

/**
 * Text whose contrast with what is behind it is under WCAG AA (4.5:1; 3:1 for large text), among
 * the visible, enabled elements matching the selectors. Background: the nearest opaque one.
 */
export function contrastProblems(page: Page, selectors: string[]): Promise<string[]> {
  return page.evaluate((list) => {
    const rgba = (css: string) => {
      const parts = /rgba?\(([^)]+)\)/.exec(css)?.[1]?.split(/[\s,/]+/).filter(Boolean).map(Number) ?? [0, 0, 0, 0];
      return { r: parts[0]!, g: parts[1]!, b: parts[2]!, a: parts[3] ?? 1 };
    };
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) =>
      [r, g, b].map((v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i]!, 0);
    const background = (element: Element | null) => {
      for (let e = element; e; e = e.parentElement) {
        const colour = rgba(getComputedStyle(e).backgroundColor);
        if (colour.a > 0.5) return colour;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const problems: string[] = [];
    for (const selector of list) {
      for (const element of document.querySelectorAll<HTMLElement>(selector)) {
        if (!element.checkVisibility() || (element as HTMLButtonElement).disabled || !element.innerText.trim()) continue;
        const style = getComputedStyle(element);
        const [fg, bg] = [luminance(rgba(style.color)), luminance(background(element))];
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
        if (ratio < (large ? 3 : 4.5)) problems.push(`${selector} "${element.innerText.trim().slice(0, 30)}": ${ratio.toFixed(2)}:1`);
      }
    }
    return problems;
  }, selectors);
}

/** Whether the page is wider than its viewport (something sticks out sideways). */
export function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

const AXE_SOURCE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/**
 * The serious and critical accessibility violations axe-core finds in the page as it is now (WCAG
 * 2.x A and AA rules, best practices included), one line each: rule, impact, and where. axe is
 * evaluated through the DevTools protocol, which the page's CSP does not govern, so the page runs
 * under its real CSP.
 */
export async function axeViolations(page: Page, options: { exclude?: string[] } = {}): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
  const found = await page.evaluate(async (exclude) => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run({ exclude: exclude.map((selector) => [selector]) }, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, options.exclude ?? []);
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 3).join(', ')}`);
}
