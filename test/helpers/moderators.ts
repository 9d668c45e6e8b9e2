// Creating moderator accounts as the operator would (through a second database connection),
// and logging in over HTTP with the cookie and CSRF token a browser would hold.
import { cliActor } from '../../server/access/actor.ts';
import type { Role } from '../../server/access/permissions.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import type { TestServer } from './server.ts';

export const TEST_PASSWORD = 'correct horse battery staple';

/** Creates an account as the operator at the terminal does: the instance's services on another connection. */
export async function createModerator(server: TestServer, username: string, role: Role, password = TEST_PASSWORD): Promise<void> {
  const services = createServices({ db: await server.openSecondDb(), config: server.config, logger: silentLogger() });
  try {
    await services.moderators.create({ username, role, password }, cliActor('test'));
  } finally {
    services.close();
  }
}

export interface ModSession {
  cookie: string;
  csrfToken: string;
  /** fetch with the session cookie and, unless `csrf: false`, the CSRF header. */
  request(path: string, init?: { method?: string; body?: unknown; csrf?: boolean }): Promise<Response>;
}

/** Only the server's URL is needed: any running server (a TestServer, or one a test built itself). */
export async function loginModerator(server: Pick<TestServer, 'url'>, username: string, password = TEST_PASSWORD): Promise<ModSession> {
  const res = await fetch(`${server.url}/api/mod/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return {
    cookie,
    csrfToken,
    request: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          cookie,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(init.csrf === false ? {} : { 'x-csrf-token': csrfToken }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
  };
}
