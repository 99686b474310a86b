import { afterEach, describe, expect, it } from 'vitest';
import { createServerTestBed, scriptedRequests, sleepReplies, waitForStoredRun, type ServerTestBed, type ServerTestBedOptions } from './server-test-support.js';

let bed: ServerTestBed | undefined;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

/** A context slept at version 1, then written again: its learned context is stale. */
async function staleContext(options: ServerTestBedOptions = {}): Promise<ServerTestBed> {
  const testBed = await createServerTestBed(options);
  await testBed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples.' } });
  testBed.replies.push(...sleepReplies('OLD LEARNED: Ana 3'));
  const started = await json(await testBed.call('POST', '/v1/contexts/notes/sleep', { body: {} }));
  expect((await waitForStoredRun(testBed.store, String(started.id))).status).toBe('succeeded');
  await testBed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 5 apples.' } });
  return testBed;
}

function lastPrompt(testBed: ServerTestBed): string {
  return JSON.stringify(scriptedRequests(testBed.upstream).at(-1)?.body.messages);
}

describe('asks on a stale learned context', () => {
  it('serves the stale learned context, flagged, by default', async () => {
    bed = await staleContext();
    bed.replies.push({ text: 'The answer is 5.' });
    const answer = await json(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?' } }));
    expect(answer).toMatchObject({ fresh: false, learnedSourceVersion: 1, contextVersion: 2, stalePolicy: 'serve-stale' });
    expect(lastPrompt(bed)).toContain('OLD LEARNED');
  });

  it('answers without it when asked to, per request or by the server policy', async () => {
    bed = await staleContext();
    bed.replies.push({ text: 'The answer is 5.' });
    const answer = await json(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?', stalePolicy: 'without' } }));
    expect(answer).toMatchObject({ fresh: null, learnedSourceVersion: null, stalePolicy: 'without' });
    expect(lastPrompt(bed)).not.toContain('OLD LEARNED');
    await bed.close();

    bed = await staleContext({ staleAsk: { mode: 'without' } });
    bed.replies.push({ text: 'The answer is 5.' });
    expect(await json(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?' } }))).toMatchObject({ fresh: null, stalePolicy: 'without' });
    expect(lastPrompt(bed)).not.toContain('OLD LEARNED');
  });

  it('waits for a fresh learned context: the pending debounced job is run now and the ask uses its result', async () => {
    bed = await staleContext();
    bed.replies.push(...sleepReplies('NEW LEARNED: Ana 5'), { text: 'The answer is 5.' });
    const answer = await json(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?', stalePolicy: 'wait', staleWaitMs: 5000 } }));
    expect(answer).toMatchObject({ fresh: true, learnedSourceVersion: 2, contextVersion: 2, stalePolicy: 'wait' });
    expect(lastPrompt(bed)).toContain('NEW LEARNED');
  });

  it('gives up waiting after the bound and serves the stale one, flagged', async () => {
    // No job can finish: the worker's model fails and retries are far off.
    bed = await staleContext();
    bed.replies.push({ status: 500 }, { text: 'The answer is 5.' });
    const started = Date.now();
    const answer = await json(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?', stalePolicy: 'wait', staleWaitMs: 150 } }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(answer).toMatchObject({ fresh: false, learnedSourceVersion: 1, stalePolicy: 'wait' });
  });

  it("applies the server's policy to the OpenAI-compatible proxy too", async () => {
    bed = await staleContext({ staleAsk: { mode: 'without' } });
    bed.replies.push({ text: 'Five.' });
    const response = await bed.call('POST', '/v1/chat/completions', {
      headers: { 'x-sleeptime-context': 'notes' },
      body: { model: 'm', messages: [{ role: 'user', content: 'How many?' }] },
    });
    expect(response.status).toBe(200);
    expect({ learned: response.headers.get('x-sleeptime-learned'), policy: response.headers.get('x-sleeptime-stale-policy') }).toEqual({
      learned: 'stale-omitted',
      policy: 'without',
    });
    expect(lastPrompt(bed)).not.toContain('OLD LEARNED');
  });

  it('waits up to the server bound on the proxy, then serves the stale one, flagged', async () => {
    bed = await staleContext({ staleAsk: { mode: 'wait', waitMs: 150 } });
    bed.replies.push({ status: 500 }, { text: 'Five.' });
    const started = Date.now();
    const response = await bed.call('POST', '/v1/chat/completions', {
      headers: { 'x-sleeptime-context': 'notes' },
      body: { model: 'm', messages: [{ role: 'user', content: 'How many?' }] },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
    expect({ learned: response.headers.get('x-sleeptime-learned'), policy: response.headers.get('x-sleeptime-stale-policy') }).toEqual({
      learned: 'stale',
      policy: 'wait',
    });
    expect(lastPrompt(bed)).toContain('OLD LEARNED');
  });
});

describe('sleep triggers through the API', () => {
  it('sleeps a context once after a burst of writes and the quiet period, with one job', async () => {
    bed = await createServerTestBed({ triggers: { quietPeriodMs: 400 } });
    bed.replies.push(...sleepReplies('LEARNED after burst'));
    for (let write = 1; write <= 4; write += 1) await bed.call('POST', '/v1/contexts/log/append', { body: { text: `line ${write}` } });
    const contextId = (await bed.store.contexts.list({ prefix: '' })).find((record) => record.id.endsWith('.log'))?.id ?? '';
    expect(await bed.store.jobs.list(contextId)).toHaveLength(1);
    // The job is marked done after the run publishes (and warms the prefix): wait for the job.
    const jobDone = async () => ['succeeded', 'failed'].includes((await bed?.store.jobs.list(contextId))?.[0]?.status ?? '');
    for (let wait = 0; wait < 300 && !(await jobDone()); wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await bed.store.learned.history(contextId)).map((learned) => `${learned.sourceVersion}:${learned.text}`)).toEqual(['4:LEARNED after burst']);
    expect((await bed.store.runs.list(contextId)).map((run) => run.status)).toEqual(['succeeded']);
    const [job] = await bed.store.jobs.list(contextId);
    const jobView = await json(await bed.call('GET', `/v1/jobs/${job?.id ?? ''}`));
    expect(jobView).toMatchObject({ status: 'succeeded', attempts: 1, contextId: 'log' });
    expect((await bed.call('GET', `/v1/jobs/${job?.id ?? ''}`, { key: bed.keyB })).status).toBe(404);
  });

  it('counts proxied chat completions as asks toward --sleep-every-asks, together with native asks', async () => {
    bed = await createServerTestBed({ triggers: { everyAsks: 3 } });
    // Jobs are looked at, not run: the worker would race the asks for the scripted replies.
    await bed.worker.stop();
    await bed.call('PUT', '/v1/contexts/chat', { body: { text: 'Ana has 3 apples.' } });
    const contextId = (await bed.store.contexts.list({ prefix: '' })).find((record) => record.id.endsWith('.chat'))?.id ?? '';
    const dueJobs = async () => (await bed?.store.jobs.list(contextId))?.filter((job) => job.status === 'pending' && job.runAfter.getTime() <= Date.now()) ?? [];
    const proxied = () =>
      bed?.call('POST', '/v1/chat/completions', { headers: { 'x-sleeptime-context': 'chat' }, body: { model: 'm', messages: [{ role: 'user', content: 'How many?' }] } });

    bed.replies.push({ text: 'Three.' }, { text: 'Three.' }, { text: 'Three.' });
    expect((await proxied())?.status).toBe(200);
    expect((await bed.call('POST', '/v1/contexts/chat/ask', { body: { question: 'How many?' } })).status).toBe(200);
    // Two asks: only the debounced job of the write, due after the quiet period.
    expect(await bed.store.jobs.list(contextId)).toHaveLength(1);
    expect(await dueJobs()).toEqual([]);

    // The third ask, a proxied one, makes the context's (one) job due now.
    expect((await proxied())?.status).toBe(200);
    expect(await bed.store.jobs.list(contextId)).toHaveLength(1);
    expect(await dueJobs()).toHaveLength(1);
  });
});
