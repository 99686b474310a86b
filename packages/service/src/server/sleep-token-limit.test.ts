/**
 * The daily limit on a tenant's sleep-time tokens (issue 12, Limits), through the HTTP API with a
 * scripted upstream and the in-process job worker, on a test clock: an on-demand sleep past it is
 * refused with 429, a background job waits for the next UTC day without calling the model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '@sleeptime/core';
import { waitFor } from '@sleeptime/core/testing';
import { createServerApp } from './app.js';
import { createServerTestBed, scriptedRequests, sleepReplies, waitForStoredRun, type ServerTestBed, type ServerTestBedOptions } from './server-test-support.js';

/** What one scripted sleep spends: 40 + 12, then 50 + 3. */
const sleepTokens = 105;
const limit = 100;

let bed: ServerTestBed | undefined;
let clock = 0;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

async function startBed(options: ServerTestBedOptions = {}): Promise<ServerTestBed> {
  clock = Date.parse('2030-03-04T23:00:00.000Z');
  bed = await createServerTestBed({
    now: () => clock,
    maxSleepTokensPerTenantPerDay: limit,
    worker: { maxSleepTokensPerTenantPerDay: limit },
    // Writes alone do not start sleeps unless a test says so.
    triggers: { quietPeriodMs: 24 * 3_600_000 },
    ...options,
  });
  return bed;
}

/** Asks for a sleep of `id` and waits for its run to succeed. */
async function sleepOn(test: ServerTestBed, id: string, memory: string, key = test.keyA): Promise<void> {
  test.replies.push(...sleepReplies(memory));
  const accepted = await test.call('POST', `/v1/contexts/${id}/sleep`, { key, body: {} });
  expect(accepted.status).toBe(202);
  const { id: runId } = (await accepted.json()) as { id: string };
  expect(await waitForStoredRun(test.store, runId)).toMatchObject({ status: 'succeeded' });
}

async function storedIdOf(test: ServerTestBed, tenantName: string, id: string): Promise<string> {
  const tenant = await test.store.tenants.getByName(tenantName);
  if (tenant === undefined) throw new Error(`no tenant ${tenantName}`);
  return `${tenant.id}.${id}`;
}

describe("a tenant's sleep-time tokens per UTC day", () => {
  it("answers 429 sleep_token_limit with Retry-After until the next UTC midnight once the tenant's sleeps of the day reach the limit, queues nothing, and leaves other tenants and asks alone", async () => {
    const test = await startBed();
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    expect(await (await test.call('GET', '/v1/usage')).json()).toEqual({
      sleepTokens: { day: '2030-03-04', tokens: 0, limit, remaining: limit, resetsAt: '2030-03-05T00:00:00.000Z' },
    });
    // Below the limit when it starts: the sleep runs, and ends over it.
    await sleepOn(test, 'notes', 'Ana pays 3 * $2 = $6.');
    expect(await (await test.call('GET', '/v1/usage')).json()).toEqual({
      sleepTokens: { day: '2030-03-04', tokens: sleepTokens, limit, remaining: 0, resetsAt: '2030-03-05T00:00:00.000Z' },
    });
    const requestsBefore = scriptedRequests(test.upstream).length;

    const refused = await test.call('POST', '/v1/contexts/notes/sleep', { body: { parallel: 2 } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(await refused.json()).toEqual({
      error: {
        code: 'sleep_token_limit',
        message: `The tenant's sleep runs used ${sleepTokens} tokens today (UTC 2030-03-04), at or over its limit of ${limit} sleep-time tokens a day; sleeps start again at midnight UTC`,
        type: 'rate_limit_error',
        details: { limit, tokens: sleepTokens, day: '2030-03-04', resetsAt: '2030-03-05T00:00:00.000Z', retryAfterSeconds: 3600 },
      },
    });
    // Nothing queued (the write's quiet-period job went with the sleep it coalesced into), nothing asked of the model.
    expect(await test.store.jobs.list(await storedIdOf(test, 'tenant-a', 'notes'), { status: 'pending' })).toEqual([]);
    expect(scriptedRequests(test.upstream)).toHaveLength(requestsBefore);

    // Another tenant has its own day.
    expect((await test.call('PUT', '/v1/contexts/notes', { key: test.keyB, body: { text: 'Ben has 4 pears.' } })).status).toBe(201);
    await sleepOn(test, 'notes', 'Ben: 4 pears.', test.keyB);
    expect(((await (await test.call('GET', '/v1/usage', { key: test.keyB })).json()) as { sleepTokens: { tokens: number } }).sleepTokens.tokens).toBe(sleepTokens);

    // Asks are not sleep-time tokens: tenant A still gets answers.
    test.replies.push({ text: 'The answer is 6.', usage: { prompt_tokens: 500, completion_tokens: 5 } });
    const ask = await test.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How much does Ana pay?', verbosity: 0 } });
    expect(ask.status).toBe(200);
    expect(await ask.json()).toMatchObject({ final: '6' });
    expect(((await (await test.call('GET', '/v1/usage')).json()) as { sleepTokens: { tokens: number } }).sleepTokens.tokens).toBe(sleepTokens);
  });

  it('lets the tenant sleep again from 00:00 UTC', async () => {
    const test = await startBed();
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    await sleepOn(test, 'notes', 'Ana pays $6.');
    clock = Date.parse('2030-03-04T23:59:59.500Z');
    const refused = await test.call('POST', '/v1/contexts/notes/sleep', { body: {} });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    clock = Date.parse('2030-03-05T00:00:00.000Z');
    await sleepOn(test, 'notes', 'Ana pays 3 * $2 = $6.');
    expect(await (await test.call('GET', '/v1/usage')).json()).toMatchObject({ sleepTokens: { day: '2030-03-05', tokens: sleepTokens, remaining: 0, resetsAt: '2030-03-06T00:00:00.000Z' } });
  });

  it('does not give the tenant its tokens back when it deletes the contexts it slept on', async () => {
    const test = await startBed();
    expect((await test.call('PUT', '/v1/contexts/x', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    await sleepOn(test, 'x', 'Ana pays $6.');
    expect((await test.call('DELETE', '/v1/contexts/x')).status).toBe(204);
    expect((await test.call('PUT', '/v1/contexts/x', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    expect((await test.call('PUT', '/v1/contexts/y', { body: { text: 'Ben has 4 pears.' } })).status).toBe(201);
    for (const id of ['x', 'y']) {
      const refused = await test.call('POST', `/v1/contexts/${id}/sleep`, { body: {} });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: { code: 'sleep_token_limit' } });
    }
  });

  it('defers a background sleep job past the limit to the next UTC midnight without calling the model, and runs it then', async () => {
    const test = await startBed({ triggers: { quietPeriodMs: 0 } });
    const storedId = await storedIdOf(test, 'tenant-a', 'notes');
    // The first write's job runs (and spends 105 tokens).
    test.replies.push(...sleepReplies('Ana pays $6.'));
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    const first = await waitFor('the first job to succeed', async () => (await test.store.jobs.list(storedId)).find((job) => job.status === 'succeeded'), { timeoutMs: 5000, intervalMs: 10 });
    const requestsBefore = scriptedRequests(test.upstream).length;

    // The next write's job finds the tenant over the limit: it waits, pending, with the reason.
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana buys 4 apples at $2 each.' } })).status).toBe(200);
    const deferred: JobRecord = await waitFor(
      'the second job to be deferred',
      async () => (await test.store.jobs.list(storedId)).find((job) => job.id !== first.id && job.status === 'pending' && job.error !== null),
      { timeoutMs: 5000, intervalMs: 10 },
    );
    expect(deferred).toMatchObject({ attempts: 0, runAfter: new Date('2030-03-05T00:00:00.000Z'), error: { code: 'sleep_token_limit' } });
    expect(await (await test.call('GET', `/v1/jobs/${deferred.id}`)).json()).toMatchObject({
      status: 'pending',
      runAfter: '2030-03-05T00:00:00.000Z',
      // The whole message: recorded errors lose anything that looks like an address, and it has none.
      error: {
        code: 'sleep_token_limit',
        message: `The tenant's sleep runs used ${sleepTokens} tokens today (UTC 2030-03-04), at or over its limit of ${limit} sleep-time tokens a day; sleeps start again at midnight UTC`,
      },
    });
    // No model call, no run.
    expect(scriptedRequests(test.upstream)).toHaveLength(requestsBefore);
    expect(((await (await test.call('GET', '/v1/contexts/notes/runs')).json()) as { data: unknown[] }).data).toHaveLength(1);

    // The next day it runs and publishes from the current text.
    test.replies.push(...sleepReplies('Ana pays 4 * $2 = $8.'));
    clock = Date.parse('2030-03-05T00:00:00.000Z');
    test.worker.wake();
    await waitFor('the deferred job to succeed', async () => ((await test.store.jobs.get(deferred.id))?.status === 'succeeded' ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    expect(await (await test.call('GET', '/v1/contexts/notes/learned')).json()).toMatchObject({ text: 'Ana pays 4 * $2 = $8.', fresh: true });
  });

  it("keeps a sleep accepted below the limit queued until the next day when the tenant's tokens ran out before its job started", async () => {
    // The server accepts (105 < 1000); the workers, with a lower limit, find the tenant over theirs.
    const test = await startBed({ maxSleepTokensPerTenantPerDay: 1000 });
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    await sleepOn(test, 'notes', 'Ana pays $6.');
    const accepted = await test.call('POST', '/v1/contexts/notes/sleep', { body: {} });
    expect(accepted.status).toBe(202);
    const { id: runId, jobId } = (await accepted.json()) as { id: string; jobId: string };
    await waitFor('the job to be deferred', async () => ((await test.store.jobs.get(jobId))?.error?.code === 'sleep_token_limit' ? true : undefined), { timeoutMs: 5000, intervalMs: 10 });
    expect(await (await test.call('GET', `/v1/runs/${runId}`)).json()).toMatchObject({ id: runId, status: 'queued', runAfter: '2030-03-05T00:00:00.000Z' });
  });

  it('has no limit at 0, and refuses a negative or fractional limit when the app is made', async () => {
    const test = await startBed({ maxSleepTokensPerTenantPerDay: 0, worker: { maxSleepTokensPerTenantPerDay: 0 } });
    expect((await test.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana buys 3 apples at $2 each.' } })).status).toBe(201);
    await sleepOn(test, 'notes', 'Ana pays $6.');
    await sleepOn(test, 'notes', 'Ana pays 3 * $2 = $6.');
    expect(await (await test.call('GET', '/v1/usage')).json()).toMatchObject({ sleepTokens: { tokens: 2 * sleepTokens, limit: null, remaining: null } });
    const { store } = test;
    for (const bad of [-1, 1.5]) {
      expect(() => createServerApp({ store, model: () => Promise.reject(new Error('unused')), maxSleepTokensPerTenantPerDay: bad })).toThrow(/maxSleepTokensPerTenantPerDay/);
    }
  });
});
