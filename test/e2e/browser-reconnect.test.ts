// The network drops under a chatter (every TCP connection of theirs is cut, as when Wi-Fi goes):
// the page says so, opens a new session by itself and looks for someone again. And a
// moderators' announcement reaches open pages as a notice.
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { publishEvent } from '../../server/moderation/events.ts';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

/** A TCP relay in front of the server whose connections can all be cut at once. */
async function dropProxy(target: URL): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    cut: () => {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

const server: TestServer = await newServer({ name: 'Maple Chat' });
const proxy = await dropProxy(new URL(server.url));
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await proxy.close();
  await server.stop();
});

test('after a network drop the page reconnects with a new session and finds someone again', async () => {
  const ana = await newPerson(browser, proxy.url);
  const ben = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'text' });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'text' });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  const sessionsBefore = (await server.db.selectFrom('sessions').select('id').execute()).length;

  proxy.cut();
  await ana.page.locator('#log .line-system', { hasText: 'Your connection dropped' }).waitFor();
  await waitForState(ben.page, 'ended');
  assert.match(await ben.page.locator('#status').innerText(), /lost their connection/);

  // By itself: a new session and ticket, then back in the queue.
  await waitForState(ana.page, 'searching', 15_000);
  const sessionsAfter = (await server.db.selectFrom('sessions').select('id').execute()).length;
  assert.is(sessionsAfter, sessionsBefore + 1, 'a new session was opened');
  await ben.page.locator('#again').click();
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  await ben.page.locator('#message').fill('welcome back');
  await ben.page.locator('#message').press('Enter');
  await ana.page.locator('#log .line-stranger', { hasText: 'welcome back' }).waitFor();

  // The drop itself is logged by the browser (the socket failed); nothing else may go wrong.
  assert.equal(unexpectedErrors(ana.errors, [/WebSocket/, /net::ERR_/]), []);
  assert.equal(unexpectedErrors(ben.errors), []);
  await ana.context.close();
  await ben.context.close();
});

test("a moderators' announcement shows as a notice that can be dismissed", async () => {
  const ana = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'text' });
  await waitForState(ana.page, 'searching');
  const cli = await server.openSecondDb();
  await publishEvent(cli, { kind: 'announcement', payload: { text: 'The chat closes at 6 pm today.' } }, Date.now());
  const notice = ana.page.locator('#notice');
  await notice.waitFor({ state: 'visible', timeout: 3000 });
  assert.match(await notice.innerText(), /From the moderators:\s*The chat closes at 6 pm today\./);
  await ana.page.getByRole('button', { name: 'Dismiss' }).click();
  await notice.waitFor({ state: 'hidden' });
  assert.equal(unexpectedErrors(ana.errors), []);
  await ana.context.close();
});

test.run();
