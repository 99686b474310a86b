import { afterEach, describe, expect, it } from 'vitest';
import { createServerApp } from './app.js';
import { createServerTestBed, type ServerTestBed } from './server-test-support.js';

describe('per-tenant quotas on contexts', () => {
  let bed: ServerTestBed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it('answers 403 tenant_context_limit to a write creating a context past the tenant\'s count, writes nothing, and lets another tenant write', async () => {
    bed = await createServerTestBed({ maxContextsPerTenant: 2 });
    expect((await bed.call('PUT', '/v1/contexts/a', { body: { text: 'a' } })).status).toBe(201);
    expect((await bed.call('POST', '/v1/contexts/b/append', { body: { text: 'b' } })).status).toBe(201);
    const refused = await bed.call('PUT', '/v1/contexts/c', { body: { text: 'c' } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: {
        code: 'tenant_context_limit',
        message: 'The tenant has 2 contexts, the limit is 2; delete one to create another. Nothing was written',
        type: 'invalid_request_error',
      },
    });
    expect((await bed.call('POST', '/v1/contexts/c/append', { body: { text: 'c' } })).status).toBe(403);
    expect((await bed.call('GET', '/v1/contexts/c')).status).toBe(404);
    // Its existing contexts still take writes; tenant B counts its own; a delete frees a place.
    expect((await bed.call('PUT', '/v1/contexts/a', { body: { text: 'a2' } })).status).toBe(200);
    for (const id of ['a', 'b']) expect((await bed.call('PUT', `/v1/contexts/${id}`, { key: bed.keyB, body: { text: id } })).status).toBe(201);
    expect((await bed.call('DELETE', '/v1/contexts/b')).status).toBe(204);
    expect((await bed.call('PUT', '/v1/contexts/c', { body: { text: 'c' } })).status).toBe(201);
  });

  it("answers 403 tenant_storage_limit to a put or append growing the tenant's text past its bytes, writes nothing, and lets another tenant write", async () => {
    bed = await createServerTestBed({ maxBytesPerTenant: 20 });
    expect((await bed.call('PUT', '/v1/contexts/a', { body: { text: 'x'.repeat(15) } })).status).toBe(201);
    const refused = await bed.call('PUT', '/v1/contexts/b', { body: { text: 'y'.repeat(6) } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: 'tenant_storage_limit', message: "The tenant's contexts would hold 21 bytes of UTF-8, over the tenant's limit of 20 bytes; nothing was written" },
    });
    // 15 + 1 (separator) + 5 = 21.
    expect((await bed.call('POST', '/v1/contexts/a/append', { body: { text: 'y'.repeat(5) } })).status).toBe(403);
    expect(await (await bed.call('GET', '/v1/contexts/a')).json()).toMatchObject({ version: 1, text: 'x'.repeat(15) });
    expect((await bed.call('GET', '/v1/contexts/b')).status).toBe(404);
    expect((await bed.call('PUT', '/v1/contexts/b', { key: bed.keyB, body: { text: 'y'.repeat(20) } })).status).toBe(201);
    expect((await bed.call('POST', '/v1/contexts/a/append', { body: { text: 'y'.repeat(4) } })).status).toBe(200);
  });

  it('keeps exactly the concurrent creations that fit', async () => {
    bed = await createServerTestBed({ maxContextsPerTenant: 3 });
    const current = bed;
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, index) => current.call('PUT', `/v1/contexts/c${index}`, { body: { text: 'c' } })));
    expect(statuses.map((response) => response.status).sort()).toEqual([201, 201, 201, 403, 403, 403, 403, 403]);
    expect(((await (await current.call('GET', '/v1/contexts')).json()) as { data: unknown[] }).data).toHaveLength(3);
  });

  it('refuses a negative or fractional limit when the app is made; 0 means none', async () => {
    bed = await createServerTestBed({ maxContextsPerTenant: 0, maxBytesPerTenant: 0 });
    for (const id of ['a', 'b', 'c']) expect((await bed.call('PUT', `/v1/contexts/${id}`, { body: { text: 'x'.repeat(1000) } })).status).toBe(201);
    const { store } = bed;
    expect(() => createServerApp({ store, model: () => Promise.reject(new Error('unused')), maxContextsPerTenant: -1 })).toThrow(/maxContextsPerTenant/);
    expect(() => createServerApp({ store, model: () => Promise.reject(new Error('unused')), maxBytesPerTenant: 1.5 })).toThrow(/maxBytesPerTenant/);
  });
});
