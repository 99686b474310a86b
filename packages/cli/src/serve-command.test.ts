/**
 * `sleeptime serve` (what `npm start` runs) as a real child process on the embedded defaults (a
 * SQLite folder, sleep jobs in the same process), against a scripted OpenAI-compatible upstream:
 * the bootstrap key, a write slept on after the quiet period, an ask from the learned context, and
 * a clean stop on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@sleeptime/core/testing';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { openStore } from '@sleeptime/core';
import { startCliProcess, temporaryDirectory } from './cli-test-support.js';
import { main } from './main.js';

const learnedMemory = 'Inference: the launch is on Friday, two days after Wednesday. Likely question: launch day -> Friday.';

function script(request: RecordedRequest): ScriptedReply {
  // A hung upstream for one question: the per-call timeout and attempt budget end it.
  if (JSON.stringify(request.body.messages).includes('hang please')) return { text: 'too late', delayMs: 10_000 };
  if ((request.body.tools?.length ?? 0) === 0) {
    // The ask (or the prefix warm-up after the sleep): answer from what the prompt carries.
    return { text: JSON.stringify(request.body.messages).includes(learnedMemory) ? 'From the notes: Friday.' : 'I do not know.' };
  }
  const afterToolResult = request.body.messages?.some((message) => message.role === 'tool') ?? false;
  return afterToolResult
    ? { toolCalls: [{ name: 'finish_rethinking', arguments: {} }] }
    : { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: learnedMemory } }] };
}

describe('sleeptime serve on the embedded defaults', () => {
  let upstream: ScriptedOpenAIServer;

  beforeAll(async () => {
    upstream = await startScriptedOpenAIServer(script);
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('serves, sleeps a written context after the quiet period, answers from it, and stops on SIGTERM', async () => {
    const dataDir = await temporaryDirectory('serve');
    const serve = startCliProcess(['serve', '--port', '0', '--quiet-period-ms', '300'], {
      SLEEPTIME_DATA_DIR: dataDir,
      SLEEPTIME_MODEL: 'openai-compatible:scripted',
      SLEEPTIME_BASE_URL: upstream.baseUrl,
    });
    try {
      const ready = await serve.waitForStdout(/sleeptime serving on (http:\/\/\S+) \(model openai-compatible:scripted; sqlite store; embedded job queue, 2 sleep workers;/);
      const baseUrl = ready[1] ?? '';
      const key = /Created tenant "default" with API key \(shown once, keep it\):\n\s+(sk-sleeptime-\S+)/.exec(serve.stdout())?.[1];
      expect(key, serve.stdout()).toBeDefined();
      expect(serve.stdout()).toMatch(/Key id: (\S+) \(revoke it with: sleeptime keys revoke \1\)/);
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });

      expect((await api('/v1/contexts/plans', { method: 'PUT', body: JSON.stringify({ text: 'The launch moved from Wednesday to two days later.' }) })).status).toBe(201);
      expect((await fetch(`${baseUrl}/v1/contexts/plans`)).status).toBe(401);

      // No sleep was asked for: the quiet period after the write starts one.
      const learned = await waitFor(
        'the learned context',
        async () => {
          const response = await api('/v1/contexts/plans/learned');
          return response.status === 200 ? ((await response.json()) as { text: string; fresh: boolean }) : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, details: () => `stderr: ${serve.stderr()}` },
      );
      expect(learned).toMatchObject({ text: learnedMemory, fresh: true });
      expect(serve.stderr()).toMatch(/job \S+ \(context \S+plans, attempt 1\) succeeded run \S+/);

      const ask = await api('/v1/contexts/plans/ask', { method: 'POST', body: JSON.stringify({ question: 'Which day is the launch?', verbosity: 0 }) });
      expect(ask.status).toBe(200);
      expect(await ask.json()).toMatchObject({ answer: 'From the notes: Friday.', fresh: true });
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('Shutting down');
  }, 90_000);
});

describe('sleeptime serve: the upstream call budget', () => {
  let upstream: ScriptedOpenAIServer;
  beforeAll(async () => {
    upstream = await startScriptedOpenAIServer(script);
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('ends a hung upstream call after --call-timeout-ms per attempt and --call-attempts attempts, with a 502 that says so', async () => {
    const dataDir = await temporaryDirectory('serve-call-budget');
    const serve = startCliProcess(['serve', '--port', '0', '--quiet-period-ms', '600000', '--call-timeout-ms', '300', '--call-attempts', '2'], {
      SLEEPTIME_DATA_DIR: dataDir,
      SLEEPTIME_MODEL: 'openai-compatible:scripted',
      SLEEPTIME_BASE_URL: upstream.baseUrl,
    });
    try {
      const baseUrl = (await serve.waitForStdout(/sleeptime serving on (http:\/\/\S+) /))[1] ?? '';
      const key = /(sk-sleeptime-\S+)/.exec(serve.stdout())?.[1] ?? '';
      const api = (path: string, body: unknown, method = 'POST') =>
        fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await api('/v1/contexts/slow', { text: 'Nothing much.' }, 'PUT')).status).toBe(201);
      const before = upstream.requests.length;
      const ask = await api('/v1/contexts/slow/ask', { question: 'hang please', verbosity: 0 });
      expect(ask.status).toBe(502);
      expect(await ask.json()).toMatchObject({ error: { code: 'upstream_timeout' } });
      expect(upstream.requests.length - before).toBe(2);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
  }, 90_000);
});

describe('sleeptime serve: acknowledged asks survive kill -9', () => {
  let upstream: ScriptedOpenAIServer;
  beforeAll(async () => {
    upstream = await startScriptedOpenAIServer(script);
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('keeps every run a 200 reported, as succeeded with its answer, when the server is killed right after the last answer', async () => {
    const dataDir = await temporaryDirectory('serve-kill');
    const serve = startCliProcess(['serve', '--port', '0', '--quiet-period-ms', '600000', '--rate-limit', '0'], {
      SLEEPTIME_DATA_DIR: dataDir,
      SLEEPTIME_MODEL: 'openai-compatible:scripted',
      SLEEPTIME_BASE_URL: upstream.baseUrl,
    });
    const acknowledged: { runId: string; answer: string }[] = [];
    try {
      const baseUrl = (await serve.waitForStdout(/sleeptime serving on (http:\/\/\S+) /))[1] ?? '';
      const key = /(sk-sleeptime-\S+)/.exec(serve.stdout())?.[1] ?? '';
      const api = (path: string, body: unknown, method = 'POST') =>
        fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await api('/v1/contexts/durable', { text: 'The launch moved from Wednesday to two days later.' }, 'PUT')).status).toBe(201);
      // 16 clients ask 5 times each; the kill comes the moment the last answer is read.
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let ask = 0; ask < 5; ask += 1) {
            const response = await api('/v1/contexts/durable/ask', { question: 'Which day is the launch?', verbosity: 0 });
            expect(response.status).toBe(200);
            acknowledged.push((await response.json()) as { runId: string; answer: string });
          }
        }),
      );
    } finally {
      serve.child.kill('SIGKILL');
    }
    expect(await serve.exited).not.toBe(0);
    expect(acknowledged).toHaveLength(80);

    // The store as the next server opens it (the context is stored under the tenant's prefix).
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      const context = (await store.contexts.list()).find((candidate) => candidate.id.endsWith('.durable'));
      const recorded = new Map((await store.runs.list(context?.id ?? 'missing')).map((run) => [run.id, run]));
      for (const { runId, answer } of acknowledged) expect(recorded.get(runId), runId).toMatchObject({ status: 'succeeded', answer });
    } finally {
      await store.close();
    }
  }, 90_000);
});

describe('sleeptime serve flags', () => {
  it('refuses a --max-context-bytes that is not a positive integer, in one line, before opening anything', async () => {
    let stderr = '';
    const exitCode = await main(['node', 'sleeptime', 'serve', '--max-context-bytes', '0'], { stdout: () => undefined, stderr: (text) => (stderr += text) });
    expect(exitCode).not.toBe(0);
    expect(stderr).toMatch(/--max-context-bytes.*an integer from 1/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each(['--max-contexts-per-tenant', '--max-bytes-per-tenant', '--max-sleep-tokens-per-tenant-per-day'])('refuses a negative %s before opening anything', async (flag) => {
    let stderr = '';
    const exitCode = await main(['node', 'sleeptime', 'serve', flag, '-1'], { stdout: () => undefined, stderr: (text) => (stderr += text) });
    expect(exitCode).not.toBe(0);
    expect(stderr).toContain(`${flag} must be an integer from 0`);
  });
});
