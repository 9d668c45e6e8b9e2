// A real OpenID provider (oidc-provider) on loopback, fully offline, for the school sign-in tests:
// its own signing key, the clients a test names, and accounts whose claims the test sets (Google
// Workspace's `hd`, Microsoft Entra's `tid`, groups, app roles, e-mail). Its sign-in page is a
// plain form (a login name, no password): a Chromium page fills it as a person would, and
// `FetchBrowser` posts it for the tests that speak HTTP directly. Everything a real provider
// checks stays on: exact redirect URIs, PKCE (S256), single-use codes, client authentication.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { interactionPolicy, type Configuration } from 'oidc-provider';

export interface TestAccount {
  /** The subject (`sub`) the provider gives this person. */
  sub: string;
  /** Claims besides `sub`, as the school's provider would send them in the ID token. */
  claims?: Record<string, unknown>;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface TestOidcProvider {
  /** `http://localhost:<port>`: another site than the server under test (127.0.0.1), as in real life. */
  issuer: string;
  /** By login name (what the sign-in form asks for); a test may add or change accounts at any time. */
  accounts: Map<string, TestAccount>;
  /** The authorization requests received, as their query parameters (a test reads state and nonce there). */
  authorizations: URLSearchParams[];
  /**
   * When set, alters the provider's redirects back to a client (the callback URL) before they
   * leave: someone on the way changing the state or the code. Browsers' request interception does
   * not see redirects, so a page test alters them here.
   */
  alterCallback: ((callback: URL) => void) | undefined;
  close(): Promise<void>;
}

/** Claims released per scope. Schools' providers put `hd`, `tid`, groups and roles in every ID token. */
const CLAIMS = {
  openid: ['sub', 'hd', 'tid', 'groups', 'roles', 'preferred_username'],
  email: ['email', 'email_verified'],
};

export async function startOidcProvider(options: { clients: TestClient[]; accounts?: Record<string, TestAccount> }): Promise<TestOidcProvider> {
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const authorizations: URLSearchParams[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://localhost:${port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
  // The account chooser schools' providers show on `prompt=select_account` (oidc-provider knows only login and consent).
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);
  const bySub = (sub: string) => [...accounts.values()].find((account) => account.sub === sub);
  const configuration: Configuration = {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: CLAIMS,
    // Scope claims go into the ID token itself, as Google's and Entra's do.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    adapter: ((store) => (model: string) => new MemoryAdapter(model, store))(new Map()),
    // Short, like real providers' (a code lives a minute); set so the provider does not warn about defaults.
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    async findAccount(_ctx, sub) {
      const account = bySub(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    // The provider's own errors (a code used twice, a wrong client) answer as OAuth errors, quietly.
    renderError(ctx, out) {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') return page(res, details.uid, '');
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const login = new URLSearchParams(body).get('login') ?? '';
    const account = accounts.get(login);
    if (!account) return page(res, details.uid, `No account named ${login}.`);
    const grant = new provider.Grant({ accountId: account.sub, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { select_account: {}, login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  handler = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 400;
        res.end(String((error as Error).message));
      });
      return;
    }
    // Browsers ask every site for its icon; a 404 would show as a console error in the page tests.
    if (url.pathname === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
      return;
    }
    if (url.pathname === '/auth' && req.method === 'GET') authorizations.push(url.searchParams);
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name, value) => {
      const alter = self.alterCallback;
      if (alter && name.toLowerCase() === 'location' && typeof value === 'string' && redirectUris.some((uri) => value.startsWith(`${uri}?`))) {
        const altered = new URL(value);
        alter(altered);
        return setHeader(name, altered.href);
      }
      return setHeader(name, value);
    };
    callback(req, res);
  };

  const redirectUris = options.clients.flatMap((client) => client.redirectUris);
  const self: TestOidcProvider = {
    issuer,
    accounts,
    authorizations,
    alterCallback: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return self;
}

/** The provider's storage, in memory (what its warning-free quick start needs: one process, one test). */
class MemoryAdapter {
  readonly #model: string;
  readonly #store: Map<string, { payload: Record<string, unknown>; expiresAt: number }>;
  constructor(model: string, store: Map<string, { payload: Record<string, unknown>; expiresAt: number }>) {
    this.#model = model;
    this.#store = store;
  }
  #key(id: string): string {
    return `${this.#model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number): Promise<void> {
    this.#store.set(this.#key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const entry = this.#store.get(this.#key(id));
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  }
  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    for (const [key, entry] of this.#store) if (key.startsWith(`${this.#model}:`) && entry.payload.uid === uid) return entry.payload;
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const entry = this.#store.get(this.#key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    // Called on each token model's adapter: only this model's entries go.
    for (const [key, entry] of this.#store) if (key.startsWith(`${this.#model}:`) && entry.payload.grantId === grantId) this.#store.delete(key);
  }
}

function page(res: ServerResponse, uid: string, problem: string): void {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(
    `<!doctype html><html lang="en"><head><title>School sign-in</title></head><body><main><h1>School sign-in</h1>` +
      (problem ? `<p role="alert">${problem.replace(/[<>&"]/g, '')}</p>` : '') +
      `<form method="post" action="/interaction/${uid}"><label for="login">School account</label>` +
      `<input id="login" name="login" autocomplete="off"><button type="submit">Sign in</button></form></main></body></html>`,
  );
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x2F);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x2F': '/' })[name]!);
}

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

/**
 * A browser reduced to what the flow needs: cookies per host (ports aside, as browsers keep them)
 * and paths, and redirects followed by hand so a test can stop at, keep, replay or alter the
 * callback the provider sends back.
 */
export class FetchBrowser {
  #cookies: StoredCookie[] = [];

  cookie(name: string): string | undefined {
    return this.#cookies.find((cookie) => cookie.name === name)?.value;
  }

  /** Forgets one cookie (a person clearing it, or another browser). */
  drop(name: string): void {
    this.#cookies = this.#cookies.filter((cookie) => cookie.name !== name && cookie.name !== `${name}.sig`);
  }

  /** One request with this browser's cookies; keeps the cookies it sets. Never follows a redirect. */
  async request(url: string | URL, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const cookies = this.#cookies.filter((cookie) => cookie.host === target.hostname && target.pathname.startsWith(cookie.path));
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...init.headers, ...(cookies.length ? { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } : {}) },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    for (const line of res.headers.getSetCookie()) this.#keep(target, line);
    return res;
  }

  #keep(from: URL, line: string): void {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const path = attribute('path') ?? '/';
    const maxAge = attribute('max-age');
    const expires = attribute('expires');
    this.#cookies = this.#cookies.filter((cookie) => !(cookie.name === name && cookie.host === from.hostname && cookie.path === path));
    const gone = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now()) || value === '';
    if (!gone) this.#cookies.push({ name, value, host: from.hostname, path });
  }

  /** Follows redirects from `url` until `stop` says so (given the next URL) or a page answers. */
  async follow(url: string | URL, stop: (next: URL) => boolean = () => false): Promise<{ url: URL; res: Response }> {
    let current = new URL(url);
    let post: string | undefined;
    for (let hops = 0; hops < 20; hops++) {
      const res = await this.request(current, post === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: post });
      post = undefined;
      const location = res.headers.get('location');
      if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('html')) {
        // A page that submits itself (the provider ending the last person's session on a switch of account).
        const page = await res.clone().text();
        const action = /document\.forms\[0\]\.submit\(\)[\s\S]*<form method="post" action="([^"]+)"/.exec(page)?.[1];
        if (action) {
          post = new URLSearchParams([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, unescapeHtml(m[2]!)])).toString();
          await res.arrayBuffer();
          current = new URL(unescapeHtml(action), current);
          continue;
        }
      }
      if (res.status < 300 || res.status >= 400 || !location) return { url: current, res };
      await res.arrayBuffer();
      const next = new URL(location, current);
      if (stop(next)) return { url: next, res };
      current = next;
    }
    throw new Error(`too many redirects from ${String(url)}`);
  }

  /**
   * Starts a sign-in at `startUrl`, signs in at the provider's form as `login`, and returns the
   * callback URL the provider redirects back to (not yet opened).
   */
  async authorize(startUrl: string | URL, login: string, callbackPath = '/api/oidc/callback'): Promise<URL> {
    const isCallback = (next: URL) => next.pathname === callbackPath;
    const toForm = await this.follow(startUrl, isCallback);
    if (isCallback(toForm.url)) return toForm.url;
    const form = await toForm.res.text();
    const action = /action="([^"]+)"/.exec(form)?.[1];
    if (!action) throw new Error(`no sign-in form at ${toForm.url.href} (${toForm.res.status}): ${form.slice(0, 200)}`);
    const posted = await this.request(new URL(action, toForm.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login }).toString(),
    });
    const location = posted.headers.get('location');
    if (!location) throw new Error(`the provider did not accept the sign-in of ${login}: ${(await posted.text()).slice(0, 200)}`);
    const back = await this.follow(new URL(location, toForm.url), isCallback);
    if (!isCallback(back.url)) throw new Error(`the provider did not send the browser back: ${back.url.href} ${back.res.status} ${(await back.res.text()).slice(0, 200)}`);
    return back.url;
  }
}
