import { request } from 'node:http';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../http-server.js';
import type { AuthenticatedEnvironment } from './api-key-auth.js';
import { bodySizeLimit } from './body-size-limit.js';

/** Sends a POST over real HTTP, with a declared length or chunked, and reads the answer. */
function post(url: string, chunks: string[], declareLength: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const bytes = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
    const outgoing = request(url, { method: 'POST', headers: declareLength ? { 'content-length': String(bytes) } : { 'transfer-encoding': 'chunked' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // The server may answer 413 and close before the whole body is sent.
    outgoing.on('error', reject);
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

describe('bodySizeLimit over real HTTP', () => {
  let server: RunningHttpServer;
  let seen: { readBody: boolean };
  beforeAll(async () => {
    seen = { readBody: false };
    const app = new Hono<AuthenticatedEnvironment>();
    app.use('*', bodySizeLimit({ maxBytes: 10, onTooLarge: (context) => context.json({ code: 'body_too_large' }, 413) }));
    app.post('/echo', async (context) => {
      seen.readBody = true;
      return context.text(`got ${await context.req.text()}`);
    });
    app.get('/echo', (context) => context.text('get'));
    server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('passes a body with a declared length up to the limit, byte for byte', async () => {
    expect(await post(`${server.url}/echo`, ['0123456789'], true)).toEqual({ status: 200, body: 'got 0123456789' });
  });

  it('answers 413 to a declared length over the limit before the route reads anything', async () => {
    seen.readBody = false;
    expect(await post(`${server.url}/echo`, ['0123456789x'], true)).toEqual({ status: 413, body: '{"code":"body_too_large"}' });
    expect(seen.readBody).toBe(false);
  });

  it('counts a chunked body as it streams: under the limit it passes, over it 413', async () => {
    expect(await post(`${server.url}/echo`, ['01234', '56789'], false)).toEqual({ status: 200, body: 'got 0123456789' });
    expect((await post(`${server.url}/echo`, ['012345', '6789x'], false)).status).toBe(413);
  });

  it('leaves bodiless methods alone', async () => {
    expect(await (await fetch(`${server.url}/echo`)).text()).toBe('get');
  });
});
