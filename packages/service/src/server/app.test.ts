import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey, issueApiKey } from '../tenancy/api-keys.js';
import { createServerTestBed, parseServerSentEvents, scriptedRequests, sleepReplies, type ServerTestBed } from './server-test-support.js';

let bed: ServerTestBed;

beforeEach(async () => {
  bed = await createServerTestBed({ maxBodyBytes: 4096 });
});

afterEach(async () => {
  await bed.close();
});

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = await json(response);
  expect({ status: response.status, code: (body.error as { code?: string } | undefined)?.code }).toEqual({ status, code });
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
}

async function waitForRun(runId: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const run = await json(await bed.call('GET', `/v1/runs/${runId}`));
    if (run.status !== 'running' && run.status !== 'queued') return run;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`run ${runId} still running`);
}

async function sleepOn(contextId: string, memory: string): Promise<Record<string, unknown>> {
  bed.replies.push(...sleepReplies(memory));
  const response = await bed.call('POST', `/v1/contexts/${contextId}/sleep`, { body: {} });
  expect(response.status).toBe(202);
  const started = await json(response);
  // A durable job: the run id is known before the worker starts it.
  expect(started).toMatchObject({ status: 'queued', kind: 'sleep', contextId, jobId: expect.any(String) });
  expect(response.headers.get('location')).toBe(`/v1/runs/${String(started.id)}`);
  const run = await waitForRun(String(started.id));
  expect(run.status).toBe('succeeded');
  return run;
}

describe('health, readiness and OpenAPI', () => {
  it('answers health and ready without a key', async () => {
    expect(await json(await bed.call('GET', '/health', { key: null }))).toEqual({ status: 'ok' });
    expect(await json(await bed.call('GET', '/ready', { key: null }))).toEqual({ status: 'ready' });
  });

  it('reports not ready when the store is gone', async () => {
    await bed.store.close();
    const response = await bed.call('GET', '/ready', { key: null });
    await expectError(response, 503, 'store_unavailable');
  });

  it('describes every route the app serves', async () => {
    const document = await json(await bed.call('GET', '/openapi.json', { key: null }));
    expect(document.openapi).toBe('3.1.0');
    const paths = document.paths as Record<string, Record<string, { requestBody?: unknown }>>;
    const served = bed.app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThanOrEqual(16);
    for (const route of served) {
      const [method, path] = route.split(' ') as [string, string];
      expect(paths[path]?.[method], route).toBeDefined();
    }
    // Bodies come from the zod schemas.
    const askSchema = (paths['/v1/contexts/{id}/ask']?.post?.requestBody as { content: { 'application/json': { schema: { properties: Record<string, unknown>; required: string[] } } } })
      .content['application/json'].schema;
    expect(Object.keys(askSchema.properties)).toEqual(expect.arrayContaining(['question', 'verbosity', 'effort', 'thinkingBudget', 'maxTokens', 'useLearned', 'stream']));
    expect(askSchema.required).toEqual(['question']);
  });
});

describe('auth and tenancy', () => {
  it('rejects requests without a key or with a bad key', async () => {
    await expectError(await bed.call('GET', '/v1/contexts', { key: null }), 401, 'missing_api_key');
    await expectError(await bed.call('GET', '/v1/contexts', { key: 'sk-sleeptime-not-a-key' }), 401, 'invalid_api_key');
    await expectError(await bed.call('GET', '/v1/contexts', { key: null, headers: { authorization: 'Basic abc' } }), 401, 'missing_api_key');
  });

  it('refuses a revoked key from the next request on, for every route, and keeps other keys working', async () => {
    expect((await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'A text' } })).status).toBe(201);
    expect((await bed.call('GET', '/v1/contexts/notes')).status).toBe(200);
    const found = await bed.store.apiKeys.findActiveByHash(hashApiKey(bed.keyA));
    expect(await bed.store.apiKeys.revoke(found?.key.id ?? '')).toMatchObject({ revokedAt: expect.any(Date) });

    await expectError(await bed.call('GET', '/v1/contexts/notes'), 401, 'invalid_api_key');
    await expectError(await bed.call('GET', '/v1/contexts'), 401, 'invalid_api_key');
    await expectError(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'q?' } }), 401, 'invalid_api_key');
    await expectError(
      await bed.call('POST', '/v1/chat/completions', { headers: { 'x-sleeptime-context': 'notes' }, body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } }),
      401,
      'invalid_api_key',
    );
    expect(scriptedRequests(bed.upstream)).toHaveLength(0);
    // The tenant's data is untouched: another key of the same tenant still sees it.
    const fresh = await issueApiKey(bed.store, { tenantName: 'tenant-a' });
    expect((await json(await bed.call('GET', '/v1/contexts/notes', { key: fresh.key }))).text).toBe('A text');
    expect((await bed.call('GET', '/v1/contexts', { key: bed.keyB })).status).toBe(200);
  });

  it('stores only the hash of a key', async () => {
    expect((await bed.store.apiKeys.findActiveByHash(hashApiKey(bed.keyA)))?.tenant.name).toBe('tenant-a');
    expect(await bed.store.apiKeys.findActiveByHash(bed.keyA)).toBeUndefined();
  });

  it("gives tenant A 404 on tenant B's contexts and lists only A's", async () => {
    expect((await bed.call('PUT', '/v1/contexts/shared-name', { key: bed.keyB, body: { text: 'B secret' } })).status).toBe(201);
    expect((await bed.call('PUT', '/v1/contexts/only-b', { key: bed.keyB, body: { text: 'B only' } })).status).toBe(201);
    expect((await bed.call('PUT', '/v1/contexts/mine', { key: bed.keyA, body: { text: 'A text' } })).status).toBe(201);

    await expectError(await bed.call('GET', '/v1/contexts/only-b'), 404, 'context_not_found');
    await expectError(await bed.call('DELETE', '/v1/contexts/only-b'), 404, 'context_not_found');
    await expectError(await bed.call('GET', '/v1/contexts/only-b/learned/history'), 404, 'context_not_found');
    await expectError(await bed.call('POST', '/v1/contexts/only-b/ask', { body: { question: 'q?' } }), 404, 'context_not_found');
    await expectError(await bed.call('POST', '/v1/contexts/only-b/sleep', { body: {} }), 404, 'context_not_found');

    // The same name in A is A's own context: writing it leaves B's untouched.
    expect((await bed.call('PUT', '/v1/contexts/shared-name', { body: { text: 'A own' } })).status).toBe(201);
    expect((await json(await bed.call('GET', '/v1/contexts/shared-name', { key: bed.keyB }))).text).toBe('B secret');

    const listed = await json(await bed.call('GET', '/v1/contexts'));
    expect((listed.data as { id: string }[]).map((item) => item.id)).toEqual(['mine', 'shared-name']);

    // A's runs are invisible to B.
    bed.replies.push({ text: 'The answer is 1.', usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const asked = await json(await bed.call('POST', '/v1/contexts/mine/ask', { body: { question: 'What?' } }));
    await expectError(await bed.call('GET', `/v1/runs/${String(asked.runId)}`, { key: bed.keyB }), 404, 'run_not_found');
    expect((await bed.call('GET', `/v1/runs/${String(asked.runId)}`)).status).toBe(200);
  });
});

describe('contexts', () => {
  it('creates, replaces, appends, reads and deletes, bumping the version on every write', async () => {
    const created = await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'first', metadata: { owner: 'ana' } } });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ id: 'notes', version: 1, text: 'first', metadata: { owner: 'ana' } });

    const replaced = await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'second' } });
    expect(replaced.status).toBe(200);
    expect(await json(replaced)).toMatchObject({ version: 2, text: 'second', metadata: { owner: 'ana' } });

    const appended = await json(await bed.call('POST', '/v1/contexts/notes/append', { body: { text: 'user: hi' } }));
    expect(appended).toMatchObject({ version: 3, text: 'second\nuser: hi' });
    const appendedAgain = await json(await bed.call('POST', '/v1/contexts/notes/append', { body: { text: 'bot: hello', separator: ' | ' } }));
    expect(appendedAgain).toMatchObject({ version: 4, text: 'second\nuser: hi | bot: hello' });

    expect(await json(await bed.call('GET', '/v1/contexts/notes'))).toMatchObject({ id: 'notes', version: 4 });

    const deleted = await bed.call('DELETE', '/v1/contexts/notes');
    expect(deleted.status).toBe(204);
    await expectError(await bed.call('GET', '/v1/contexts/notes'), 404, 'context_not_found');
  });

  it('keeps every one of many concurrent appends', async () => {
    await bed.call('PUT', '/v1/contexts/log', { body: { text: 'start' } });
    await Promise.all(Array.from({ length: 10 }, (_, index) => bed.call('POST', '/v1/contexts/log/append', { body: { text: `line ${index}` } })));
    const record = await json(await bed.call('GET', '/v1/contexts/log'));
    expect(record.version).toBe(11);
    for (let index = 0; index < 10; index += 1) expect(String(record.text)).toContain(`line ${index}`);
  });

  it('pages through the list with a cursor', async () => {
    for (const id of ['c5', 'c1', 'c4', 'c2', 'c3']) await bed.call('PUT', `/v1/contexts/${id}`, { body: { text: id } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const page = await json(await bed.call('GET', `/v1/contexts${query}`));
      seen.push(...(page.data as { id: string }[]).map((item) => item.id));
      cursor = page.nextCursor as string | null;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(pages).toBe(3);
  });
});

describe('bad input', () => {
  it('answers 400 with a stable code and writes nothing', async () => {
    await expectError(await bed.call('PUT', '/v1/contexts/x', { body: { text: '   ' } }), 400, 'invalid_request');
    await expectError(await bed.call('PUT', '/v1/contexts/x', { body: { text: 'ok', extra: 1 } }), 400, 'invalid_request');
    await expectError(await bed.call('PUT', '/v1/contexts/x', { rawBody: '{not json', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    await expectError(await bed.call('PUT', '/v1/contexts/-bad', { body: { text: 'ok' } }), 400, 'invalid_context_id');
    await expectError(await bed.call('GET', '/v1/contexts?limit=0'), 400, 'invalid_request');
    await expectError(await bed.call('GET', '/v1/contexts?cursor=!!!'), 400, 'invalid_cursor');
    expect((await json(await bed.call('GET', '/v1/contexts'))).data).toEqual([]);

    await bed.call('PUT', '/v1/contexts/x', { body: { text: 'ok' } });
    const tooVerbose = await bed.call('POST', '/v1/contexts/x/ask', { body: { question: 'q', verbosity: 9 } });
    await expectError(tooVerbose, 400, 'invalid_request');
    await expectError(await bed.call('POST', '/v1/contexts/x/sleep', { body: { parallel: 99 } }), 400, 'invalid_request');
    expect((await json(await bed.call('GET', '/v1/contexts/x/runs'))).data).toEqual([]);
    expect(scriptedRequests(bed.upstream)).toHaveLength(0);
  });

  it('answers 413 to a body over the limit and writes nothing', async () => {
    const response = await bed.call('PUT', '/v1/contexts/big', { body: { text: 'x'.repeat(5000) } });
    await expectError(response, 413, 'body_too_large');
    await expectError(await bed.call('GET', '/v1/contexts/big'), 404, 'context_not_found');
  });

  it('answers 413 context_too_large to a write that would pass the context size limit, naming the limit and the size', async () => {
    const limited = await createServerTestBed({ maxContextBytes: 20 });
    try {
      expect((await limited.call('PUT', '/v1/contexts/log', { body: { text: 'x'.repeat(15) } })).status).toBe(201);
      const response = await limited.call('POST', '/v1/contexts/log/append', { body: { text: 'y'.repeat(5) } });
      expect(response.status).toBe(413);
      expect(await json(response)).toEqual({
        error: {
          code: 'context_too_large',
          message: 'The context would be 21 bytes of UTF-8, over the limit of 20 bytes; nothing was written',
          type: 'invalid_request_error',
        },
      });
      await expectError(await limited.call('PUT', '/v1/contexts/other', { body: { text: 'z'.repeat(21) } }), 413, 'context_too_large');
      expect(await json(await limited.call('GET', '/v1/contexts/log'))).toMatchObject({ version: 1, text: 'x'.repeat(15) });
      await expectError(await limited.call('GET', '/v1/contexts/other'), 404, 'context_not_found');
      expect((await limited.call('POST', '/v1/contexts/log/append', { body: { text: 'y'.repeat(4) } })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 404 with a code for an unknown route', async () => {
    await expectError(await bed.call('GET', '/v1/nothing-here'), 404, 'route_not_found');
  });
});

describe('sleep runs and learned contexts', () => {
  it('runs a sleep in the background, then shows the run, the learned history and the diff', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples. Ben has 4.' } });
    const first = await sleepOn('notes', 'Ana: 3 apples\nBen: 4 apples\nTotal: 7');
    expect(first).toMatchObject({ status: 'succeeded', kind: 'sleep', contextId: 'notes', sourceVersion: 1, usage: { inputTokens: 90, outputTokens: 15 }, error: null });
    expect(first.durationMs).toEqual(expect.any(Number));
    expect((first.calls as unknown[]).length).toBe(2);

    const learned = await json(await bed.call('GET', '/v1/contexts/notes/learned'));
    expect(learned).toMatchObject({ contextId: 'notes', version: 1, sourceVersion: 1, fresh: true, text: 'Ana: 3 apples\nBen: 4 apples\nTotal: 7' });

    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples. Ben has 5.' } });
    expect((await json(await bed.call('GET', '/v1/contexts/notes/learned'))).fresh).toBe(false);
    await sleepOn('notes', 'Ana: 3 apples\nBen: 5 apples\nTotal: 8');

    const history = await json(await bed.call('GET', '/v1/contexts/notes/learned/history'));
    expect((history.data as { version: number; sourceVersion: number; fresh: boolean }[]).map(({ version, sourceVersion, fresh }) => ({ version, sourceVersion, fresh }))).toEqual([
      { version: 1, sourceVersion: 1, fresh: false },
      { version: 2, sourceVersion: 2, fresh: true },
    ]);

    const diff = await json(await bed.call('GET', '/v1/contexts/notes/learned/diff'));
    expect(diff).toMatchObject({ from: 1, to: 2, added: 2, removed: 2 });
    const lines = (diff.hunks as { lines: string[] }[]).flatMap((hunk) => hunk.lines);
    expect(lines).toEqual([' Ana: 3 apples', '-Ben: 4 apples', '-Total: 7', '\\ No newline at end of file', '+Ben: 5 apples', '+Total: 8', '\\ No newline at end of file']);
    await expectError(await bed.call('GET', '/v1/contexts/notes/learned/diff?from=1&to=3'), 404, 'learned_version_not_found');

    const runs = await json(await bed.call('GET', '/v1/contexts/notes/runs'));
    expect((runs.data as { kind: string; status: string }[]).map((run) => `${run.kind}:${run.status}`)).toEqual(['sleep:succeeded', 'sleep:succeeded']);
  });

  it('records a failed sleep run with its error', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'some text' } });
    bed.replies.push({ status: 500, errorMessage: 'upstream exploded' });
    const started = await json(await bed.call('POST', '/v1/contexts/notes/sleep'));
    const run = await waitForRun(String(started.id));
    expect(run.status).toBe('failed');
    expect((run.error as { code: string }).code).toMatch(/./);
    await expectError(await bed.call('GET', '/v1/contexts/notes/learned'), 404, 'learned_context_not_found');
  });
});

describe('ask', () => {
  it('answers with final, usage and freshness, and records the run', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples. Ben has 4.' } });
    await sleepOn('notes', 'Total apples: 7');
    bed.replies.push({ text: 'Together they have 7. The answer is 7.', usage: { prompt_tokens: 120, completion_tokens: 11 } });
    const response = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many apples?', verbosity: 1, maxTokens: 64 } });
    expect(response.status).toBe(200);
    const answer = await json(response);
    expect(answer).toMatchObject({
      contextId: 'notes',
      answer: 'Together they have 7. The answer is 7.',
      final: '7',
      fresh: true,
      contextVersion: 1,
      learnedSourceVersion: 1,
      usage: { inputTokens: 120, outputTokens: 11, reasoningTokens: 0 },
    });
    const upstreamRequest = scriptedRequests(bed.upstream).at(-1);
    expect(JSON.stringify(upstreamRequest?.body.messages)).toContain('Total apples: 7');
    expect(upstreamRequest?.body.max_tokens).toBe(64);
    const run = await json(await bed.call('GET', `/v1/runs/${String(answer.runId)}`));
    expect(run).toMatchObject({ kind: 'ask', status: 'succeeded', question: 'How many apples?', final: '7', fresh: true, usage: { inputTokens: 120, outputTokens: 11 } });
  });

  it('says when a limit cut the answer short, in the answer, the SSE done event and the run; without maxTokens the default limit is sent', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples. Ben has 4.' } });
    bed.replies.push({ text: 'Let me count: Ana has 3 and', finishReason: 'length', usage: { prompt_tokens: 50, completion_tokens: 8 } });
    const answer = await json(await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many apples?', verbosity: 0 } }));
    expect(answer).toMatchObject({ finishReason: 'length', truncated: true, truncatedBy: 'max-output-tokens', final: null });
    expect(scriptedRequests(bed.upstream).at(-1)?.body.max_tokens).toBe(256);
    expect(await json(await bed.call('GET', `/v1/runs/${String(answer.runId)}`))).toMatchObject({
      status: 'succeeded',
      finishReason: 'length',
      truncated: true,
      truncatedBy: 'max-output-tokens',
      settings: { maxOutputTokens: 256 },
    });

    bed.replies.push({ text: 'Counting: 3 and', finishReason: 'length', usage: { prompt_tokens: 50, completion_tokens: 4 } });
    const streamed = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many apples?', stream: true, maxTokens: 4 } });
    const done = parseServerSentEvents(await streamed.text()).at(-1);
    expect(done?.event).toBe('done');
    expect(JSON.parse(done?.data ?? '{}')).toMatchObject({ truncated: true, truncatedBy: 'max-output-tokens' });
  });

  it('maps an upstream failure to 502 and records the failed run', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'text' } });
    bed.replies.push({ status: 500 });
    const response = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'Why?' } });
    expect(response.status).toBe(502);
    const runs = await json(await bed.call('GET', '/v1/contexts/notes/runs'));
    expect((runs.data as { status: string }[]).map((run) => run.status)).toEqual(['failed']);
  });

  it('streams the answer by SSE, then a done event with usage and freshness', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples. Ben has 4.' } });
    await sleepOn('notes', 'Total apples: 7');
    await bed.call('POST', '/v1/contexts/notes/append', { body: { text: 'Cleo has 2.' } });
    bed.replies.push({ text: 'Counting everyone, the answer is 9.', usage: { prompt_tokens: 130, completion_tokens: 9 } });
    const response = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many apples?', stream: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseServerSentEvents(await response.text());
    const deltas = events.filter((event) => event.event === 'delta').map((event) => (JSON.parse(event.data) as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Counting everyone, the answer is 9.');
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    const summary = JSON.parse(done?.data ?? '{}') as Record<string, unknown>;
    expect(summary).toMatchObject({ contextId: 'notes', final: '9', fresh: false, contextVersion: 2, learnedSourceVersion: 1, usage: { inputTokens: 130, outputTokens: 9 } });
    expect(scriptedRequests(bed.upstream).at(-1)?.stream).toBe(true);
    const run = await json(await bed.call('GET', `/v1/runs/${String(summary.runId)}`));
    expect(run).toMatchObject({ kind: 'ask', status: 'succeeded', answer: 'Counting everyone, the answer is 9.', fresh: false, usage: { inputTokens: 130, outputTokens: 9 } });
  });

  it('sends an error event when the upstream fails mid-stream and records the failed run', async () => {
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'text' } });
    bed.replies.push({ status: 500 });
    const response = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'Why?', stream: true } });
    const events = parseServerSentEvents(await response.text());
    expect(events.map((event) => event.event)).toEqual(['error']);
    const runs = await json(await bed.call('GET', '/v1/contexts/notes/runs'));
    expect((runs.data as { status: string }[]).map((run) => run.status)).toEqual(['failed']);
  });
});
