import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerTestBed, type ServerTestBed } from '../server-test-support.js';
import { rateLimitPerKey } from './rate-limit.js';

describe('rateLimitPerKey', () => {
  it('lets a burst through, then answers 429 with Retry-After until the bucket refills; other keys are unaffected', async () => {
    let clock = 0;
    const app = new Hono();
    app.use('*', rateLimitPerKey({ requestsPerSecond: 2, burst: 3 }, () => clock));
    app.get('/x', (context) => context.json({ ok: true }));
    const call = (key: string) => app.request('/x', { headers: { authorization: `Bearer ${key}` } });

    expect((await Promise.all([call('a'), call('a'), call('a')])).map((response) => response.status)).toEqual([200, 200, 200]);
    const refused = await call('a');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      error: { code: 'rate_limited', message: 'More than 2 requests a second (bursts of 3) with this API key; retry in 1 s' },
    });
    expect((await call('b')).status).toBe(200);
    // Half a second refills one request at 2 a second.
    clock = 500;
    expect((await call('a')).status).toBe(200);
    expect((await call('a')).status).toBe(429);
  });
});

describe('the service with a rate limit', () => {
  let bed: ServerTestBed | undefined;
  afterEach(async () => {
    await bed?.close();
  });

  it('refuses a key over its rate with 429 rate_limited, after authentication, and keeps serving other tenants', async () => {
    bed = await createServerTestBed({ rateLimit: { requestsPerSecond: 1, burst: 2 } });
    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await bed.call('GET', '/v1/contexts')).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await bed.call('GET', '/v1/contexts', { key: bed.keyB })).status).toBe(200);
    // A wrong key is refused as such, not counted against anyone.
    expect((await bed.call('GET', '/v1/contexts', { key: 'sk-sleeptime-wrong' })).status).toBe(401);
  });
});
