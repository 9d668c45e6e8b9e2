// The on-device nudity check when it cannot run (a browser without WebAssembly), in a real
// Chromium (test/helpers/nudity.ts): a minor's video stays blurred, with the reason, and cannot be
// shown (it fails closed); an adult's is blurred and may be shown. Nothing that cannot run is
// loaded. Needs Debian's `chromium` and `coturn` (minors' video is relayed); fails without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertBrowserTestsCanRun, videoPlays } from '../helpers/browser.ts';
import { guardIs, startNudityRig } from '../helpers/nudity.ts';
import type { TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const rig = await startNudityRig();
/** Adults checked too. */
const checked: TestServer = await rig.server({ nudityFilter: { adults: true } });
test.after.each(() => rig.closePeople());
test.after(() => rig.stop());
const { videoPair } = rig;

test("no WebAssembly: a minor's video stays blurred, with the reason; an adult's is blurred and may be shown", async () => {
  const [mia] = await videoPair(checked, [15, 16], { firstNoWasm: true });
  await videoPlays(mia.page, '#remote', 30_000);
  await mia.page.locator('#guard-text', { hasText: 'cannot check the video' }).waitFor();
  assert.match(await mia.page.locator('#guard-text').innerText(), /so it stays blurred/);
  assert.is(await mia.page.locator('.remote-wrap').getAttribute('data-guard'), 'blurred');
  assert.ok(await mia.page.locator('#guard-show').isHidden(), 'a minor cannot show it');
  assert.not.ok(mia.requests.some((url) => /nudity-worker|\.bin$/.test(url)), 'nothing loaded that cannot run');
  await mia.page.waitForTimeout(1500);
  assert.is(await mia.page.locator('.remote-wrap').getAttribute('data-guard'), 'blurred', 'still blurred');
  await rig.closePeople();

  const [ana] = await videoPair(checked, [30, 34], { firstNoWasm: true });
  await ana.page.locator('#guard-text', { hasText: 'cannot check the video' }).waitFor();
  await ana.page.getByRole('button', { name: 'Show the video now' }).click();
  await guardIs(ana.page, 'clear', 5000);
});

test.run();
