/**
 * The reads the dashboard needs, as any client gets them: the context list with its search and
 * each context's learned context, last sleep and asks; a context's jobs; the savings of the learned
 * contexts against test-time-only asks. Each only of the caller's tenant.
 */
import { waitFor } from '@sleeptime/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServerTestBed, sleepReplies, waitForStoredRun, type ServerTestBed } from '../server-test-support.js';

let bed: ServerTestBed;

beforeEach(async () => {
  bed = await createServerTestBed({ triggers: { quietPeriodMs: 3_600_000 } });
});

afterEach(async () => {
  await bed.close();
});

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = await json<{ error?: { code?: string } }>(response);
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
}

async function put(id: string, text: string, key = bed.keyA) {
  expect((await bed.call('PUT', `/v1/contexts/${id}`, { key, body: { text } })).status).toBeLessThan(300);
}

async function sleepOn(id: string, memory: string) {
  bed.replies.push(...sleepReplies(memory));
  const queued = await json<{ id: string }>(await bed.call('POST', `/v1/contexts/${id}/sleep`, { body: {} }));
  expect((await waitForStoredRun(bed.store, queued.id)).status).toBe('succeeded');
}

async function ask(id: string, useLearned: boolean, completionTokens: number) {
  bed.replies.push({ text: 'The answer is 7.', usage: { prompt_tokens: 50, completion_tokens: completionTokens } });
  const response = await bed.call('POST', `/v1/contexts/${id}/ask`, { body: { question: 'How many?', verbosity: 0, useLearned } });
  expect(response.status).toBe(200);
}

describe('the context list', () => {
  it('shows each context with its learned context, last sleep and answered asks, and searches ids ignoring case', async () => {
    await put('Notes-A', 'Ana has 3 apples.');
    await put('plans', 'Launch on Friday.');
    await put('notes-b', 'Ben has 4 pears.');
    await sleepOn('Notes-A', 'Ana: 3 apples');
    await put('Notes-A', 'Ana has 3 apples and 2 pears.');
    await ask('Notes-A', true, 5);
    await ask('Notes-A', false, 9);

    const page = await json<{ data: Record<string, unknown>[]; nextCursor: string | null }>(await bed.call('GET', '/v1/contexts?search=NOTES'));
    expect(page.data.map((entry) => entry.id)).toEqual(['Notes-A', 'notes-b']);
    expect(page.data[0]).toMatchObject({
      id: 'Notes-A',
      version: 2,
      characters: 'Ana has 3 apples and 2 pears.'.length,
      learned: { versions: 1, sourceVersion: 1, fresh: false, createdAt: expect.any(String) },
      lastSleep: { status: 'succeeded', startedAt: expect.any(String) },
      asks: 2,
    });
    expect(page.data[1]).toMatchObject({ id: 'notes-b', learned: null, lastSleep: null, asks: 0 });

    // Paging within a search.
    const first = await json<{ data: { id: string }[]; nextCursor: string }>(await bed.call('GET', '/v1/contexts?search=notes&limit=1'));
    expect(first.data.map((entry) => entry.id)).toEqual(['Notes-A']);
    const second = await json<{ data: { id: string }[]; nextCursor: string | null }>(await bed.call('GET', `/v1/contexts?search=notes&limit=1&cursor=${first.nextCursor}`));
    expect(second).toMatchObject({ data: [{ id: 'notes-b' }], nextCursor: null });

    // Another tenant sees none of it, searched or not.
    expect(await json(await bed.call('GET', '/v1/contexts?search=notes', { key: bed.keyB }))).toEqual({ data: [], nextCursor: null });
    await expectError(await bed.call('GET', `/v1/contexts?search=${'x'.repeat(111)}`), 400, 'invalid_request');
  });
});

describe('a context\'s jobs', () => {
  it('lists them newest first with attempts, and only for the tenant', async () => {
    await put('notes', 'text');
    const response = await json<{ data: { status: string; attempts: number; maxAttempts: number; contextId: string }[] }>(await bed.call('GET', '/v1/contexts/notes/jobs'));
    // The write made a job due after the (long) quiet period.
    expect(response.data).toEqual([expect.objectContaining({ contextId: 'notes', status: 'pending', attempts: 0, maxAttempts: 3 })]);
    await sleepOn('notes', 'learned');
    // The job is marked done just after its run (the prefix warm-up comes between).
    const after = await waitFor('the job to succeed', async () => {
      const listed = await json<{ data: { status: string }[] }>(await bed.call('GET', '/v1/contexts/notes/jobs?limit=1'));
      return listed.data[0]?.status === 'succeeded' ? listed : undefined;
    });
    expect(after.data).toHaveLength(1);
    await expectError(await bed.call('GET', '/v1/contexts/notes/jobs', { key: bed.keyB }), 404, 'context_not_found');
    await expectError(await bed.call('GET', '/v1/contexts/notes/jobs?limit=0'), 400, 'invalid_request');
    await expectError(await bed.call('GET', '/v1/contexts/notes/jobs?status=x'), 400, 'invalid_request');
  });
});

describe('savings', () => {
  it('compares asks with the learned context against test-time-only ones, with the amortized cost per question', async () => {
    await put('notes', 'Ana has 3 apples. Ben has 4.');
    await sleepOn('notes', 'LEARNED: 7 apples in all');
    await ask('notes', true, 4);
    await ask('notes', true, 6);
    await ask('notes', false, 25);

    const savings = await json<Record<string, unknown>>(await bed.call('GET', '/v1/contexts/notes/savings?testTokenWeight=2'));
    // The sleep's two calls generated 12 + 3 tokens (sleepReplies).
    expect(savings).toMatchObject({
      contextId: 'notes',
      testTokenWeight: 2,
      sleep: { runs: 1, outputTokens: 15 },
      withLearned: { asks: 2, meanOutputTokens: 5, meanInputTokens: 50, meanLatencyMs: expect.any(Number) },
      baseline: { asks: 1, meanOutputTokens: 25 },
      comparable: true,
      outputTokensSaved: 20,
      // 15 / 2 + 2 * 5 = 17.5 against 2 * 25 = 50.
      costPerQuestion: { withLearned: 17.5, baseline: 50, questions: 2 },
    });
    expect(await json(await bed.call('GET', '/v1/contexts/notes/savings'))).toMatchObject({ testTokenWeight: 10, costPerQuestion: { withLearned: 57.5, baseline: 250 } });

    await put('empty', 'nothing asked');
    await ask('empty', true, 3);
    const all = await json<{ overall: Record<string, unknown>; data: { contextId: string }[]; nextCursor: string | null }>(await bed.call('GET', '/v1/savings?limit=1'));
    expect(all.overall).toMatchObject({ contexts: 1, costPerQuestion: { withLearned: 57.5, baseline: 250 } });
    expect(all.data.map((entry) => entry.contextId)).toEqual(['empty']);
    const next = await json<{ data: { contextId: string }[]; nextCursor: string | null }>(await bed.call('GET', `/v1/savings?limit=1&cursor=${all.nextCursor}`));
    expect(next).toMatchObject({ data: [{ contextId: 'notes', comparable: true }], nextCursor: null });

    // Another tenant's view is empty; its own unknown context is 404.
    expect(await json(await bed.call('GET', '/v1/savings', { key: bed.keyB }))).toMatchObject({ overall: { contexts: 0, withLearned: { asks: 0 } }, data: [], nextCursor: null });
    await expectError(await bed.call('GET', '/v1/contexts/notes/savings', { key: bed.keyB }), 404, 'context_not_found');
    for (const query of ['testTokenWeight=-1', 'testTokenWeight=abc', 'testTokenWeight=1001', 'limit=0', 'cursor=%21%21', 'other=1']) {
      await expectError(await bed.call('GET', `/v1/savings?${query}`), 400, query.startsWith('cursor') ? 'invalid_cursor' : 'invalid_request');
    }
  });
});

describe('runs on the wire', () => {
  it('carry time to first token, prefix-cache hits and the prefix warm-up', async () => {
    await put('notes', 'text');
    await sleepOn('notes', 'learned');
    await ask('notes', true, 3);
    const runs = await json<{ data: Record<string, unknown>[] }>(await bed.call('GET', '/v1/contexts/notes/runs'));
    expect(runs.data[0]).toHaveProperty('timeToFirstTokenMs');
    expect(runs.data[0]).toHaveProperty('prefixCacheHit');
    expect(runs.data[1]).toMatchObject({ kind: 'sleep', prefixWarmUp: { status: expect.any(String) } });
  });
});
