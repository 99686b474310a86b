/** The API-key middleware on its own, through `app.request`, with keys issued into a real SQLite store. */
import { openStore, type Store } from '@sleeptime/core';
import { createSqliteTestLocation, type TestStoreLocation } from '@sleeptime/core/testing';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticateApiKey, issueApiKey, revokeApiKey } from '../../tenancy/api-keys.js';
import { apiKeyAuth, type AuthenticatedEnvironment } from './api-key-auth.js';

let location: TestStoreLocation;
let store: Store;
let app: Hono<AuthenticatedEnvironment>;

beforeEach(async () => {
  location = await createSqliteTestLocation('api-key-auth');
  store = await openStore(location.config);
  app = new Hono<AuthenticatedEnvironment>();
  app.use('/v1/*', apiKeyAuth({ authenticate: (key) => authenticateApiKey(store, key) }));
  app.get('/v1/whoami', (context) => context.json({ tenant: context.get('tenant').name, stored: context.get('scope').storedId('notes') }));
  app.get('/open', (context) => context.text('open'));
});

afterEach(async () => {
  await store.close();
  await location.remove();
});

async function errorCode(response: Response): Promise<{ status: number; code: string | undefined }> {
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, code: body.error?.code };
}

describe('apiKeyAuth', () => {
  it("lets a request with an active key through, scoped to the key's tenant", async () => {
    const issued = await issueApiKey(store, { tenantName: 'acme' });
    const response = await app.request('/v1/whoami', { headers: { authorization: `Bearer ${issued.key}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tenant: 'acme', stored: `${issued.tenant.id}.notes` });
    // The scheme is case-insensitive and trailing spaces are tolerated, as clients send them.
    expect((await app.request('/v1/whoami', { headers: { authorization: `bearer ${issued.key}  ` } })).status).toBe(200);
  });

  it('answers 401 missing_api_key without a usable Authorization header', async () => {
    const headerSets: Record<string, string>[] = [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer' }, { authorization: 'Bearer two words' }];
    for (const headers of headerSets) {
      expect(await errorCode(await app.request('/v1/whoami', { headers }))).toEqual({ status: 401, code: 'missing_api_key' });
    }
  });

  it('answers 401 invalid_api_key for an unknown key, and for a revoked key from the next request on', async () => {
    expect(await errorCode(await app.request('/v1/whoami', { headers: { authorization: 'Bearer sk-sleeptime-unknown' } }))).toEqual({ status: 401, code: 'invalid_api_key' });
    const issued = await issueApiKey(store, { tenantName: 'acme' });
    expect((await app.request('/v1/whoami', { headers: { authorization: `Bearer ${issued.key}` } })).status).toBe(200);
    await revokeApiKey(store, issued.keyId);
    expect(await errorCode(await app.request('/v1/whoami', { headers: { authorization: `Bearer ${issued.key}` } }))).toEqual({ status: 401, code: 'invalid_api_key' });
  });

  it('leaves routes outside its path alone', async () => {
    expect(await (await app.request('/open')).text()).toBe('open');
  });
});
