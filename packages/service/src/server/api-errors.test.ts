import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServerTestBed, sleepReplies, waitForStoredRun, type ServerTestBed } from './server-test-support.js';
import { withoutAddresses } from './wire-message.js';

let bed: ServerTestBed | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await bed?.close();
  bed = undefined;
});

/** Anything that names where the upstream is: its port, a loopback address, a URL. */
function expectNoAddress(text: string, port: string) {
  expect(text).not.toMatch(/127\.0\.0\.1|::1|localhost|http:\/\//);
  expect(text).not.toContain(`:${port}`);
}

/** A bed whose upstream no longer listens: calls to it are refused (`connect ECONNREFUSED 127.0.0.1:<port>`). */
async function unreachableUpstream(): Promise<{ testBed: ServerTestBed; port: string; logged: string[] }> {
  const testBed = await createServerTestBed();
  await testBed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples.' } });
  const port = new URL(testBed.upstream.baseUrl).port;
  await testBed.upstream.close();
  const logged: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  return { testBed, port, logged };
}

describe('no upstream addresses on the wire', () => {
  it('answers an unreachable upstream with 502, its code and no address; the server log keeps the address', async () => {
    const { testBed, port, logged } = await unreachableUpstream();
    bed = testBed;
    const response = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?' } });
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_connection_failed', type: 'server_error' } });
    expect(text).toContain('could not reach');
    expectNoAddress(text, port);
    expect(logged.join('')).toMatch(new RegExp(`POST /v1/contexts/notes/ask: 502 upstream_connection_failed: .*127\\.0\\.0\\.1:${port}`));

    // The same failure, recorded on the run, read back.
    const runs = await bed.call('GET', '/v1/contexts/notes/runs');
    const runsText = await runs.text();
    expect(runsText).toContain('upstream_connection_failed');
    expectNoAddress(runsText, port);
  });

  it('sends no address in the streamed forms either (SSE ask, proxy)', async () => {
    const { testBed, port } = await unreachableUpstream();
    bed = testBed;
    const streamed = await bed.call('POST', '/v1/contexts/notes/ask', { body: { question: 'How many?', stream: true } });
    const streamedText = await streamed.text();
    expect(streamedText).toContain('upstream_connection_failed');
    expectNoAddress(streamedText, port);
    for (const stream of [false, true]) {
      const proxied = await bed.call('POST', '/v1/chat/completions', {
        headers: { 'x-sleeptime-context': 'notes' },
        body: { model: 'm', stream, messages: [{ role: 'user', content: 'How many?' }] },
      });
      const proxiedText = await proxied.text();
      expect(proxiedText).toContain('upstream_connection_failed');
      expectNoAddress(proxiedText, port);
    }
  });

  it("shows a failed sleep job's error without the address", async () => {
    const { testBed, port } = await unreachableUpstream();
    bed = testBed;
    const queued = (await (await bed.call('POST', '/v1/contexts/notes/sleep', { body: {} })).json()) as { id: string; jobId: string };
    await waitForStoredRun(bed.store, queued.id);
    const job = await bed.call('GET', `/v1/jobs/${queued.jobId}`);
    const run = await bed.call('GET', `/v1/runs/${queued.id}`);
    for (const text of [await job.text(), await run.text()]) {
      expect(text).toContain('upstream_connection_failed');
      expectNoAddress(text, port);
    }
  });

  it.each([
    ['connect ECONNREFUSED 127.0.0.1:18901', 'connect ECONNREFUSED [address hidden]'],
    ['connect ECONNREFUSED ::1:8080', 'connect ECONNREFUSED [address hidden]'],
    ['connect ECONNREFUSED [fe80::1]:443', 'connect ECONNREFUSED [address hidden]'],
    ['getaddrinfo ENOTFOUND llm.internal', 'getaddrinfo ENOTFOUND [address hidden]'],
    ['Cannot connect to API: http://10.0.0.5:8000/v1/chat/completions', 'Cannot connect to API: [address hidden]'],
    ['postgres://user:secret@db:5432/sleeptime refused', '[address hidden] refused'],
    ['localhost:8080 refused', '[address hidden] refused'],
    // Model specs and figures are not addresses.
    ['llama:hf:org/model:Q4_K_M failed (HTTP 500) on all 4 attempts', 'llama:hf:org/model:Q4_K_M failed (HTTP 500) on all 4 attempts'],
  ])('hides the address in %s', (message, expected) => {
    expect(withoutAddresses(message)).toBe(expected);
  });
});

describe('no internal ids on the wire', () => {
  it("takes the tenant's prefix out of a job's recorded error", async () => {
    bed = await createServerTestBed();
    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples.' } });
    const tenant = await bed.store.tenants.getByName('tenant-a');
    const storedId = `${tenant?.id}.notes`;
    // What a job records when the engine names its context, as every engine message does: by stored id.
    const { job } = await bed.store.jobs.enqueue({ kind: 'sleep', contextId: storedId, runAfter: new Date(Date.now() + 60_000), runId: 'r-1' });
    await bed.worker.stop();
    const claimed = await bed.store.jobs.claim({ owner: 'test', leaseMs: 60_000, jobId: job.id, now: new Date(Date.now() + 120_000) });
    expect(claimed?.id).toBe(job.id);
    await bed.store.jobs.fail({ jobId: job.id, owner: 'test', error: { code: 'context_not_found', message: `No context with id "${storedId}"` }, retryDelayMs: 0, retry: false });
    for (const path of [`/v1/jobs/${job.id}`, '/v1/runs/r-1']) {
      const text = await (await bed.call('GET', path)).text();
      expect(text).toContain('No context with id \\"notes\\"');
      expect(text).not.toContain(String(tenant?.id));
    }
  });

  it('answers an ask whose context is deleted while it waits for a fresh learned context with a 404 naming only the wire id', async () => {
    bed = await createServerTestBed();
    const tenant = await bed.store.tenants.getByName('tenant-a');
    await bed.call('PUT', '/v1/contexts/leak-1', { body: { text: 'Ana has 3 apples.' } });
    bed.replies.push(...sleepReplies('OLD LEARNED: Ana 3'));
    const started = (await (await bed.call('POST', '/v1/contexts/leak-1/sleep', { body: {} })).json()) as { id: string };
    expect((await waitForStoredRun(bed.store, started.id)).status).toBe('succeeded');
    await bed.call('PUT', '/v1/contexts/leak-1', { body: { text: 'Ana has 5 apples.' } });
    // The sleep the wait asks for is slow: the context is deleted while the ask waits for it.
    bed.replies.push({ text: 'slow', delayMs: 300 });
    const asking = bed.call('POST', '/v1/contexts/leak-1/ask', { body: { question: 'How many?', stalePolicy: 'wait', staleWaitMs: 200 } });
    const streaming = bed.call('POST', '/v1/contexts/leak-1/ask', { body: { question: 'How many?', stream: true, stalePolicy: 'wait', staleWaitMs: 200 } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await bed.call('DELETE', '/v1/contexts/leak-1')).status).toBe(204);
    for (const response of [await asking, await streaming]) {
      const text = await response.text();
      expect({ status: response.status, code: (JSON.parse(text) as { error: { code: string } }).error.code }).toEqual({ status: 404, code: 'context_not_found' });
      expect(text).toContain('"leak-1');
      expect(text).not.toContain(String(tenant?.id));
    }
  });
});
