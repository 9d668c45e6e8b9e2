// Evidence frames: POST /api/reports/:id/evidence with the report's evidence token. A real JPEG
// of a video conversation is stored; a text conversation's report, a wrong or missing token,
// another report's token, a non-JPEG, an oversized body (declared or streamed), a fourth frame
// and a late upload are refused with their codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { newServer, type TestServer } from '../helpers/server.ts';
import { join, pairUp, report, TINY_JPEG, uploadFrame } from '../helpers/people.ts';
import type { TestClient } from '../helpers/client.ts';
import { EVIDENCE_MAX_FRAME_BYTES, EVIDENCE_UPLOAD_WINDOW_MS } from '../../server/moderation/evidence.ts';

let server: TestServer;
const open: TestClient[] = [];
let offsetMs = 0;
let addressCounter = 0;

test.before(async () => {
  server = await newServer({ trustedProxies: ['127.0.0.1'] }, { now: () => Date.now() + offsetMs });
});
test.after.each(() => {
  offsetMs = 0;
  for (const client of open.splice(0)) client.close();
});
test.after(() => server.stop());

/** Files a fresh report on a video conversation (or a text one); returns its id and token. */
async function fileReport(mode: 'text' | 'video' = 'video'): Promise<{ reportId: string; evidenceToken: string }> {
  const a = await join(server.url, { address: `203.0.113.${++addressCounter}` });
  const b = await join(server.url, { address: `203.0.113.${++addressCounter}` });
  open.push(a, b);
  await pairUp(a, b, mode);
  return report(b, 'nudity');
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

async function frames(reportId: string) {
  return server.db.selectFrom('report_frames').selectAll().where('report_id', '=', reportId).orderBy('idx').execute();
}

/** A JPEG-looking body of a given size (right markers, arbitrary content). */
function jpegOfSize(bytes: number): Buffer {
  const body = Buffer.alloc(bytes, 0x20);
  body.set([0xff, 0xd8, 0xff, 0xe0]);
  body.set([0xff, 0xd9], bytes - 2);
  return body;
}

test('a real JPEG is stored with the report, by Bearer token or X-Evidence-Token', async () => {
  const { reportId, evidenceToken } = await fileReport();
  const first = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG);
  assert.is(first.status, 201);
  assert.equal(await first.json(), { frame: 0, size: TINY_JPEG.length });
  const second = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG, { auth: 'header' });
  assert.is(second.status, 201);
  const stored = await frames(reportId);
  assert.is(stored.length, 2);
  assert.ok(Buffer.from(stored[0]!.jpeg).equals(TINY_JPEG), 'the bytes are stored as sent');
  assert.is(stored[0]!.size, TINY_JPEG.length);
});

test('a text conversation takes no frames: 409 not_video, and nothing is stored', async () => {
  const { reportId, evidenceToken } = await fileReport('text');
  const res = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG);
  assert.is(res.status, 409);
  assert.is(await errorCode(res), 'not_video');
  assert.equal(await frames(reportId), []);
  // The token is checked first: a wrong one still reads as a wrong token, so report ids cannot be probed.
  assert.is((await uploadFrame(server.url, reportId, 'not-the-token', TINY_JPEG)).status, 403);
});

test('a missing token is 401; a wrong token, or another report\'s token, is 403', async () => {
  const mine = await fileReport();
  const theirs = await fileReport();
  const missing = await uploadFrame(server.url, mine.reportId, null, TINY_JPEG);
  assert.is(missing.status, 401);
  const wrong = await uploadFrame(server.url, mine.reportId, `${mine.evidenceToken.slice(0, -2)}xx`, TINY_JPEG);
  assert.is(wrong.status, 403);
  assert.is(await errorCode(wrong), 'invalid_token');
  const crossed = await uploadFrame(server.url, mine.reportId, theirs.evidenceToken, TINY_JPEG);
  assert.is(crossed.status, 403);
  const unknown = await uploadFrame(server.url, '00000000-0000-4000-8000-000000000000', mine.evidenceToken, TINY_JPEG);
  assert.is(unknown.status, 403, 'an unknown report looks like a wrong token');
  assert.is((await frames(mine.reportId)).length, 0);
});

test('anything but a JPEG is 415 not_jpeg: other content types, PNG bytes, a truncated JPEG', async () => {
  const { reportId, evidenceToken } = await fileReport();
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const asPng = await uploadFrame(server.url, reportId, evidenceToken, png);
  assert.is(asPng.status, 415);
  assert.is(await errorCode(asPng), 'not_jpeg');
  const wrongType = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG, { contentType: 'image/png' });
  assert.is(wrongType.status, 415);
  const asJson = await uploadFrame(server.url, reportId, evidenceToken, Buffer.from('{"a":1}'), { contentType: 'application/json' });
  assert.is(asJson.status, 415, 'the JSON body parser does not get in the way');
  const truncated = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG.subarray(0, TINY_JPEG.length - 10));
  assert.is(truncated.status, 415);
  assert.is((await frames(reportId)).length, 0);
});

test('a frame over the cap is 413 too_large; one at the cap is stored', async () => {
  const { reportId, evidenceToken } = await fileReport();
  const over = await uploadFrame(server.url, reportId, evidenceToken, jpegOfSize(EVIDENCE_MAX_FRAME_BYTES + 1));
  assert.is(over.status, 413);
  assert.is(await errorCode(over), 'too_large');
  const atCap = await uploadFrame(server.url, reportId, evidenceToken, jpegOfSize(EVIDENCE_MAX_FRAME_BYTES));
  assert.is(atCap.status, 201);
  assert.is((await frames(reportId)).length, 1);
});

test('a streamed body with no length is refused as soon as it passes the cap, before it ends', async () => {
  const { reportId, evidenceToken } = await fileReport();
  const url = new URL(`${server.url}/api/reports/${reportId}/evidence`);
  const chunk = jpegOfSize(64 * 1024);
  let sent = 0;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${evidenceToken}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    // Chunked, and never ending on its own: only the server's answer stops it.
    const pump = () => {
      if (req.destroyed) return;
      // A server that reads everything before answering gets a (huge) end, and fails the check below.
      if (sent > 50 * EVIDENCE_MAX_FRAME_BYTES) return void req.end();
      sent += chunk.length;
      if (req.write(chunk)) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
  assert.is(status, 413);
  assert.ok(sent < 20 * EVIDENCE_MAX_FRAME_BYTES, `the server answered while the upload was still going (${sent} bytes sent)`);
  assert.is((await frames(reportId)).length, 0);
});

test('a fourth frame is 409 too_many_frames', async () => {
  const { reportId, evidenceToken } = await fileReport();
  for (let i = 0; i < 3; i++) assert.is((await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG)).status, 201);
  const fourth = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG);
  assert.is(fourth.status, 409);
  assert.is(await errorCode(fourth), 'too_many_frames');
  assert.equal((await frames(reportId)).map((f) => f.idx), [0, 1, 2]);
});

test('three simultaneous uploads and a fourth: exactly three stored', async () => {
  const { reportId, evidenceToken } = await fileReport();
  const results = await Promise.all(Array.from({ length: 4 }, () => uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG)));
  assert.equal(results.map((r) => r.status).sort(), [201, 201, 201, 409]);
  assert.equal((await frames(reportId)).map((f) => f.idx), [0, 1, 2]);
});

test('after the upload window the token no longer works: 410 expired', async () => {
  const { reportId, evidenceToken } = await fileReport();
  offsetMs = EVIDENCE_UPLOAD_WINDOW_MS + 1000;
  const late = await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG);
  assert.is(late.status, 410);
  assert.is(await errorCode(late), 'expired');
  assert.is((await frames(reportId)).length, 0);
});

test.run();
