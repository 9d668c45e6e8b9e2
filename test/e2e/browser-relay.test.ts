// Two minors in Chromium, video through a real coturn in relay-only mode: the server rebuilds every
// offer, answer and candidate from its allow-list (server/chat/ice-filter.ts), and the browsers'
// audio, video and data still connect — through the relay, with no address of the other side in
// what each browser was given. Needs Debian's `coturn` and `chromium`; fails without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, unexpectedErrors, videoPlays, waitForState } from '../helpers/browser.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const browser: Browser = await launchBrowser();
let coturn: Coturn | undefined;
let server: TestServer | undefined;
test.after(async () => {
  await browser.close();
  await server?.stop();
  await coturn?.stop();
});

/** Keeps every RTCPeerConnection the page makes, so the test can read what it was given and chose. */
function recordPeerConnections(): void {
  const Original = window.RTCPeerConnection;
  const made: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = made;
  window.RTCPeerConnection = class extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      made.push(this);
    }
  } as typeof RTCPeerConnection;
}

interface CallFacts {
  /** The candidate types in the remote description and in trickled remote candidates. */
  remoteTypes: string[];
  /** Lines of the remote description that name an address other than a blank one or the relay's. */
  remoteAddresses: string[];
  /** The local and remote candidate types of the selected pair. */
  selected: string[];
}

async function callFacts(page: Page): Promise<CallFacts> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
    const sdp = pc.remoteDescription?.sdp ?? '';
    const stats = await pc.getStats();
    const remoteTypes = new Set<string>();
    for (const match of sdp.matchAll(/ typ (\w+)/g)) remoteTypes.add(match[1]!);
    let selected: string[] = [];
    stats.forEach((report: { type: string; candidateType?: string; selectedCandidatePairId?: string }) => {
      if (report.type === 'remote-candidate' && report.candidateType) remoteTypes.add(report.candidateType);
      if (report.type === 'transport' && report.selectedCandidatePairId) {
        const pair = stats.get(report.selectedCandidatePairId) as { localCandidateId: string; remoteCandidateId: string };
        selected = [stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType];
      }
    });
    const remoteAddresses = sdp
      .split('\r\n')
      .filter((line) => /^(c=|a=rtcp:|o=)/.test(line) && !/ (0\.0\.0\.0|::|127\.0\.0\.1|::1)$/.test(line));
    return { remoteTypes: [...remoteTypes], remoteAddresses, selected };
  });
}

test('two minors on a relay-only space see and hear each other through coturn, with only relay candidates', async () => {
  coturn = await startCoturn();
  server = await newServer({ turn: { urls: [coturn.url], credentialTtlSeconds: 600 } }, { secrets: { turnSecret: coturn.secret } });
  const ana = await newPerson(browser, server.url);
  const ben = await newPerson(browser, server.url);
  for (const person of [ana, ben]) await person.context.addInitScript(recordPeerConnections);
  await enter(ana.page, { mode: 'video', age: 14 });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'video', age: 15 });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  for (const person of [ana, ben]) {
    const { width, advanced } = await videoPlays(person.page, '#remote', 30_000);
    assert.ok(width > 0 && advanced > 0.3, 'the remote video plays');
    const facts = await callFacts(person.page);
    assert.equal(facts.remoteTypes, ['relay'], `only relay candidates reached the browser: ${facts.remoteTypes.join(', ')}`);
    assert.equal(facts.remoteAddresses, [], 'no address in the remote description');
    assert.equal(facts.selected, ['relay', 'relay'], 'the media goes through coturn');
    const audio = await person.page.evaluate(() => (document.getElementById('remote') as HTMLVideoElement).srcObject instanceof MediaStream && ((document.getElementById('remote') as HTMLVideoElement).srcObject as MediaStream).getAudioTracks().length);
    assert.is(audio, 1, 'the sound arrives too');
  }
  assert.equal(unexpectedErrors(ana.errors), []);
  assert.equal(unexpectedErrors(ben.errors), []);
});

test.run();
