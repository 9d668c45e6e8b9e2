// Text answers leave compressed (brotli, else gzip, as the client accepts; small ones and images
// as they are), and WebSocket frames never are, whatever the client offers.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getTicket } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import WebSocket from 'ws';

const RULES = `# Rules\n\n${'Be kind to the person you talk to, whoever they are. '.repeat(40)}`;
const server: TestServer = await newServer({ name: 'Maple Chat' }, { rules: RULES });
test.after(() => server.stop());

/** A raw GET (fetch would decompress and hide the encoding). */
function get(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

test('/api/config (rules included) comes brotli-compressed to a browser, gzip to a client without brotli, plain to one asking for neither', async () => {
  const plain = await get('/api/config', {});
  assert.is(plain.headers['content-encoding'], undefined);
  const config = JSON.parse(plain.body.toString());
  const br = await get('/api/config', { 'accept-encoding': 'gzip, deflate, br' });
  assert.is(br.headers['content-encoding'], 'br');
  assert.match(String(br.headers.vary), /Accept-Encoding/);
  assert.equal(JSON.parse(brotliDecompressSync(br.body).toString()), config);
  assert.ok(br.body.length < plain.body.length / 3, `${br.body.length} bytes instead of ${plain.body.length}`);
  const gz = await get('/api/config', { 'accept-encoding': 'gzip' });
  assert.is(gz.headers['content-encoding'], 'gzip');
  assert.equal(JSON.parse(gunzipSync(gz.body).toString()), config);
});

test('small answers are left as they are', async () => {
  const health = await get('/healthz', { 'accept-encoding': 'br' });
  assert.is(health.headers['content-encoding'], undefined);
  assert.equal(JSON.parse(health.body.toString()), { status: 'ok' });
});

test('the WebSocket refuses permessage-deflate even when the client offers it', async () => {
  const { ticket } = await getTicket(server.url);
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?ticket=${ticket}`, { perMessageDeflate: true });
  const extensions = await new Promise<string | undefined>((resolve, reject) => {
    ws.on('upgrade', (res) => resolve(res.headers['sec-websocket-extensions']));
    ws.on('error', reject);
  });
  assert.is(extensions, undefined, 'no extension was agreed');
  await new Promise((resolve) => ws.once('message', resolve));
  assert.is(ws.extensions, '');
  ws.close();
});

test.run();
