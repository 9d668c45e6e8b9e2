// The site (dist/web, built by Astro): one HTML file per page and language, and hashed assets.
// Pages are templates: the instance's name, rules and settings are filled in here, at request
// time, so a rebranded or re-ruled instance needs no rebuild and static pages need no JavaScript.
// When the site was never built (tests running from sources), pages answer with a note saying so.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware, ParameterizedContext } from 'koa';
import { localDescription, localRules, type ServerConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { escapeHtml, renderMarkdown, summariseRules } from './markdown.ts';
import { publicConfig } from './public-config.ts';
import { contentSecurityPolicy, type RequestState } from './security.ts';

/** The visitor's explicit language choice (`?lang=fr`), remembered for a year. */
export const LANGUAGE_COOKIE = 'sc_lang';
const LANGUAGE_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;
const LANGUAGE_TAG = /^[a-z]{2,3}(-[a-z0-9]{2,8})?$/;
/** `/`, `/chat`, `/rules`, … (one segment; `/` is the `index` page). */
const PAGE_PATH = /^\/([a-z][a-z0-9-]{0,40})?\/?$/;
/** The page for paths that lead nowhere (`404.html`; a name no PAGE_PATH can ask for). */
const NOT_FOUND_PAGE = '404';
/** Paths of the JSON API: their 404 stays the JSON error, whatever the client accepts. */
const API_PREFIX = '/api/';
/** Assets Astro names by content hash: cached for a year. */
const HASHED_ASSETS = '/_astro/';
/** Other top-level files of the site (favicon, robots.txt): cached for an hour. */
const PUBLIC_FILE = /^\/[\w-]+\.(svg|ico|png|txt|webmanifest)$/;
const ONE_YEAR_SECONDS = 31_536_000;
/**
 * The nudity classifier's worker (web/src/scripts/nudity-worker.ts, hashed by the build): the
 * one script served with a policy that lets it compile WebAssembly (see contentSecurityPolicy).
 */
const WASM_WORKER = /^\/_astro\/nudity-worker-[\w-]+\.js$/;
/**
 * Files sent as they are: the classifier's weights (2.6 MB of 8-bit numbers) shrink by a fifth
 * under brotli at a cost of about 0.2 s of the server's CPU per download, once per browser.
 */
const UNCOMPRESSED = /\.bin$/;
/** Longer than any path of the site: a longer one names nothing we serve. */
const MAX_PATH_LENGTH = 512;
/** Encoded `/`, `\\` and NUL: a path holding one means something else to whichever layer decodes it. */
const ENCODED_SEPARATOR = /%(?:2f|5c|00)/i;
/**
 * What a decoded path may not hold: a backslash, a control character, a `%` (a second round of
 * encoding), and segments that start or end with a dot or carry `;` (`..`, `..;`, `chat.html.`),
 * which some file system, proxy or servlet reads as another name.
 */
const SUSPICIOUS_PATH = /[\\\x00-\x1f\x7f%]|(?:^|\/)\.|\.(?:\/|$)|;/;

export interface StaticSiteOptions {
  config: ServerConfig;
  logger: Logger;
  /** The built site; default: dist/web next to the running code. */
  dir?: string;
  /**
   * Pages whose figures change while the server runs (the transparency report): by page name, the
   * `%%SC:key%%` values to fill in at each request, or undefined when the page is off (a 404).
   */
  livePages?: Record<string, () => Promise<Record<string, string> | undefined>>;
}

/**
 * The request path decoded once, or undefined when it may name something else to another layer
 * (an encoded separator, a second encoding, a dot segment, a backslash, a control character,
 * bad or overlong UTF-8, an overlong path). Pages and files are looked up by this decoded path
 * only, and never through the file system: nothing a visitor writes becomes a file name.
 */
export function decodeSitePath(raw: string): string | undefined {
  if (raw.length > MAX_PATH_LENGTH || ENCODED_SEPARATOR.test(raw)) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return path.startsWith('/') && !SUSPICIOUS_PATH.test(path) ? path : undefined;
}

/**
 * The files of the built site a URL may name, by URL path: everything under `/_astro/` and the
 * top-level files PUBLIC_FILE allows — never an HTML file (pages are templates, served filled in)
 * and never a link. Listed once at start, as the languages are.
 */
export function siteFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith('.html')) continue;
    const file = join(entry.parentPath, entry.name);
    const url = `/${relative(dir, file).split(sep).join('/')}`;
    if ((url.startsWith(HASHED_ASSETS) || PUBLIC_FILE.test(url)) && decodeSitePath(url) === url) files.set(url, file);
  }
  return files;
}

/** Where the built site is: `dist/web` beside `dist/server` when compiled, `<repo>/dist/web` from sources. */
export function defaultSiteDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${sep}dist${sep}server${sep}`) ? join(here, '..', '..', 'web') : join(here, '..', '..', 'dist', 'web');
}

/** The languages a built site has: its folders holding an index page. */
export function siteLanguages(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && LANGUAGE_TAG.test(entry.name) && existsSync(join(dir, entry.name, 'index.html')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The page language: an explicit choice (`?lang=`, then the cookie), else the browser's
 * Accept-Language in order of preference, else the instance's language, else English.
 */
export function chooseLanguage(
  available: readonly string[],
  request: { query?: string | undefined; cookie?: string | undefined; acceptLanguage?: string | undefined },
  instanceDefault: string,
): string {
  const has = (tag: string | undefined) => (tag && available.includes(tag) ? tag : undefined);
  const explicit = has(request.query?.toLowerCase()) ?? has(request.cookie?.toLowerCase());
  if (explicit) return explicit;
  const wanted = (request.acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(/q=([\d.]+)/.exec(params.join(';'))?.[1] ?? 1);
      return { tag, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of wanted) {
    const found = has(tag) ?? has(tag.split('-')[0]);
    if (found) return found;
  }
  return has(instanceDefault) ?? has(instanceDefault.split('-')[0]) ?? has('en') ?? available[0] ?? 'en';
}

/** Black or white, whichever contrasts more with a #rrggbb colour (WCAG relative luminance). */
export function textColourOn(hex: string): '#000000' | '#ffffff' {
  const channel = (offset: number) => {
    const c = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? '#000000' : '#ffffff';
}

/** The values that replace `%%SC:key%%` in the site's pages of a language (already HTML-safe). */
export function pageValues(config: ServerConfig, lang = config.settings.language): Record<string, string> {
  const { settings } = config;
  const { logoUrl } = settings.branding;
  const rules = localRules(config, lang);
  const contact = settings.contact;
  return {
    name: escapeHtml(settings.name),
    description: escapeHtml(localDescription(settings, lang)),
    rules: renderMarkdown(rules, { headingOffset: 1 }),
    rulesSummary: summariseRules(rules),
    logo: logoUrl ? `<img class="logo" src="${escapeHtml(logoUrl)}" alt="" width="40" height="40">` : '',
    // The operator's address (validated by the config: an e-mail address or an https URL), as a link.
    contact: contact ? `<a href="${escapeHtml(contact.startsWith('https://') ? contact : `mailto:${contact}`)}">${escapeHtml(contact)}</a>` : '',
    contactState: contact ? 'has-contact' : 'no-contact',
    // Inside <script type="application/json">: no "<" may appear, so "</script>" cannot either.
    config: JSON.stringify(publicConfig(config, lang)).replace(/</g, '\\u003c'),
    minAge: String(config.minAge),
    version: escapeHtml(config.version),
    evidenceDays: String(settings.retention.evidenceDays),
    addressDays: String(settings.retention.addressDays),
    sessionDays: String(settings.retention.sessionDays),
  };
}

/** `/branding.css`: the accent colour as CSS custom properties (the CSP forbids inline styles). */
export function brandingCss(config: ServerConfig): string {
  const accent = config.settings.branding.accentColor?.toLowerCase();
  if (!accent) return '/* no branding settings */\n';
  return `:root{--brand-accent:${accent};--brand-on-accent:${textColourOn(accent)}}\n`;
}

const FALLBACK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strangerchat</title></head>
<body><h1>The site has not been built</h1>
<p>This server runs from sources without the web pages. Run <code>npm run build</code>
(<code>scripts/build.sh</code>) and start it again.</p></body></html>
`;

export function staticSite({ config, logger, dir = defaultSiteDir(), livePages = {} }: StaticSiteOptions): Middleware {
  const languages = siteLanguages(dir);
  if (languages.length === 0) logger.warn({ dir }, 'the web site is not built: pages show a note to run the build');
  const values = new Map<string, Record<string, string>>();
  const valuesFor = (lang: string) => {
    if (!values.has(lang)) values.set(lang, pageValues(config, lang));
    return values.get(lang)!;
  };
  const css = brandingCss(config);
  const pages = new Map<string, { html: string; etag: string } | null>();
  const files = siteFiles(dir);
  const workerPolicy = contentSecurityPolicy(config.settings.publicUrl, { wasm: true });

  /** Sends one file of the built site (a hashed asset is cached for a year, others for an hour). */
  function serveFile(ctx: ParameterizedContext, path: string, file: string): void {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) return; // removed by a rebuild since the start: a 404
    ctx.set('Cache-Control', path.startsWith(HASHED_ASSETS) ? `public, max-age=${ONE_YEAR_SECONDS}, immutable` : 'public, max-age=3600');
    if (WASM_WORKER.test(path)) ctx.set('Content-Security-Policy', workerPolicy);
    if (UNCOMPRESSED.test(path)) ctx.compress = false;
    ctx.type = extname(file);
    ctx.lastModified = stat.mtime;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.length = stat.size;
    // Koa destroys the stream once the response ends, so a HEAD request only opens and closes it.
    ctx.body = createReadStream(file);
  }

  /** A page filled in for this instance, read once; null when the site has no such page. */
  function page(lang: string, name: string) {
    const key = `${lang}/${name}`;
    if (!pages.has(key)) {
      const file = join(dir, lang, `${name}.html`);
      if (!existsSync(file)) pages.set(key, null);
      else {
        const filled = valuesFor(lang);
        const html = readFileSync(file, 'utf8').replace(/%%SC:(\w+)%%/g, (token, k: string) => filled[k] ?? token);
        pages.set(key, { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"` });
      }
    }
    return pages.get(key);
  }

  function language(ctx: ParameterizedContext): string {
    const query = typeof ctx.query.lang === 'string' ? ctx.query.lang.toLowerCase() : undefined;
    if (query && languages.includes(query)) {
      ctx.cookies.set(LANGUAGE_COOKIE, query, {
        httpOnly: true,
        sameSite: 'lax',
        maxAge: LANGUAGE_COOKIE_MAX_AGE_MS,
        secure: (ctx.state as RequestState).secure,
      });
    }
    return chooseLanguage(
      languages,
      { query, cookie: ctx.cookies.get(LANGUAGE_COOKIE), acceptLanguage: ctx.get('accept-language') },
      config.settings.language,
    );
  }

  /** Fills a live page's figures in, at each request. */
  async function live(name: string, found: { html: string; etag: string }): Promise<{ html: string; etag: string } | null> {
    const provider = Object.hasOwn(livePages, name) ? livePages[name] : undefined;
    if (!provider) return found;
    const values = await provider();
    if (!values) return null;
    const html = found.html.replace(/%%SC:(\w+)%%/g, (token, k: string) => values[k] ?? token);
    return { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"` };
  }

  /** Serves a page of the site for this visitor's language; false when the site has no such page. */
  async function servePage(ctx: ParameterizedContext, name: string, status = 200): Promise<boolean> {
    const lang = language(ctx);
    const template = page(lang, name) ?? page(chooseLanguage(languages, {}, config.settings.language), name);
    const found = template && (await live(name, template));
    if (!found) return false;
    ctx.set('Cache-Control', 'no-cache');
    // Added to (not replacing) the Accept-Encoding the compression names.
    ctx.vary('Accept-Language');
    ctx.vary('Cookie');
    ctx.set('Content-Language', lang);
    ctx.type = 'text/html; charset=utf-8';
    ctx.status = status;
    if (status === 200) {
      ctx.etag = found.etag;
      if (ctx.fresh) {
        ctx.status = 304;
        return true;
      }
    }
    ctx.body = found.html;
    return true;
  }

  /** After every route: a browser asking for a page that does not exist gets one saying so, not JSON. */
  async function notFoundPage(ctx: ParameterizedContext, next: () => Promise<unknown>): Promise<void> {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined || ctx.path.startsWith(API_PREFIX)) return;
    if (ctx.accepts('json', 'html') !== 'html') return;
    await servePage(ctx, NOT_FOUND_PAGE, 404);
  }

  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/branding.css') {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = css;
      return;
    }
    // Decoded once, before any check; a path that could mean something else names nothing.
    const path = decodeSitePath(ctx.path);
    if (path === undefined) return notFoundPage(ctx, next);
    const file = files.get(path);
    if (file !== undefined) {
      serveFile(ctx, path, file);
      if (ctx.status !== 404) return;
      return notFoundPage(ctx, next);
    }
    const match = PAGE_PATH.exec(path);
    if (!match) return notFoundPage(ctx, next);
    const name = match[1] ?? 'index';
    if (languages.length === 0) {
      if (name !== 'index' && !['chat', 'rules', 'privacy', 'appeal', 'mod', 'verify'].includes(name)) return next();
      ctx.status = 503;
      ctx.type = 'text/html; charset=utf-8';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = FALLBACK_PAGE;
      return;
    }
    if (!(await servePage(ctx, name))) return notFoundPage(ctx, next);
  };
}
