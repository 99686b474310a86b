/**
 * `sleeptime serve` on a real instruct model (the real-model tier: see @sleeptime/core/testing's
 * describeWithRealModel), as a real child process on 127.0.0.1 with a temporary data folder: a
 * write slept on after the quiet period, the HTTP ask (JSON and server-sent events), the
 * OpenAI-compatible proxy through the official `openai` client (non-streamed, streamed, a forced
 * tool call), and a client that hangs up mid-generation. Mechanics and bounds only, never accuracy.
 */
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@sleeptime/core';
import { describeWithRealModel, waitFor } from '@sleeptime/core/testing';
import { startCliProcess, temporaryDirectory, type CliProcess } from './cli-test-support.js';

/** Generous: 2 busy cores; the limits under test are token counts, not these. */
const startTimeoutMs = 120_000;
const sleepTimeoutMs = 600_000;
const testTimeoutMs = 300_000;

const contextText = 'The launch moved from Wednesday to two days later.';
const question = 'Which day is the launch?';

interface Usage {
  inputTokens: number;
  outputTokens: number;
}

interface AnswerJson {
  runId: string;
  answer: string;
  fresh: boolean | null;
  usage: Usage;
}

/** Server-sent events of a response body, as they arrive. */
async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
      const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((match) => match[1]).join('\n');
      yield { event, data };
    }
  }
}

describeWithRealModel('sleeptime serve on a real model', { describe, it }, (model) => {
  let serve: CliProcess;
  let dataDir: string;
  let baseUrl: string;
  let key: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });

  async function storedRun(runId: string) {
    // The server's own SQLite file, read beside it (WAL lets another process read while it writes).
    const store = await openStore({ kind: 'sqlite', dataDir });
    try {
      return await store.runs.get(runId);
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    dataDir = await temporaryDirectory('serve-real-model');
    serve = startCliProcess(['serve', '--port', '0', '--quiet-period-ms', '300'], { SLEEPTIME_DATA_DIR: dataDir, SLEEPTIME_MODEL: model.spec });
    const ready = await serve.waitForStdout(/sleeptime serving on (http:\/\/\S+) /, startTimeoutMs);
    baseUrl = ready[1] ?? '';
    key = /API key \(shown once, keep it\):\n\s+(sk-sleeptime-\S+)/.exec(serve.stdout())?.[1] ?? '';
    expect(key).not.toBe('');
  }, startTimeoutMs);

  afterAll(async () => {
    if (serve === undefined) return;
    // A graceful stop, with the llama model loaded: its job workers stopped and the store closed.
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('Shutting down');
  }, startTimeoutMs);

  it(
    'sleeps a written context after the quiet period and publishes a learned context',
    async () => {
      expect((await api('/v1/contexts/plans', { method: 'PUT', body: JSON.stringify({ text: contextText }) })).status).toBe(201);
      // No sleep was asked for: the quiet period after the write starts one.
      const learned = await waitFor(
        'the learned context',
        async () => {
          const response = await api('/v1/contexts/plans/learned');
          return response.status === 200 ? ((await response.json()) as { text: string; fresh: boolean }) : undefined;
        },
        { timeoutMs: sleepTimeoutMs, intervalMs: 250, details: () => `stderr: ${serve.stderr()}` },
      );
      expect(learned.fresh).toBe(true);
      expect(learned.text.trim()).not.toBe('');
      // The job ends after the publish (the prefix warm-up comes between).
      await waitFor('the sleep job to be logged', () => (/job \S+ \(context \S+plans, attempt 1\) succeeded run \S+/.test(serve.stderr()) ? true : undefined), {
        timeoutMs: sleepTimeoutMs,
        details: () => `stderr: ${serve.stderr()}`,
      });
    },
    sleepTimeoutMs + 60_000,
  );

  it(
    'answers an ask as JSON and as server-sent events, within maxTokens, from the fresh learned context',
    async () => {
      const plain = await api('/v1/contexts/plans/ask', { method: 'POST', body: JSON.stringify({ question, maxTokens: 32 }) });
      expect(plain.status).toBe(200);
      const answer = (await plain.json()) as AnswerJson;
      expect(answer.fresh).toBe(true);
      expect(answer.answer.trim()).not.toBe('');
      expect(answer.usage.outputTokens).toBeGreaterThan(0);
      expect(answer.usage.outputTokens).toBeLessThanOrEqual(32);

      const streamed = await api('/v1/contexts/plans/ask', { method: 'POST', body: JSON.stringify({ question, maxTokens: 32, stream: true }) });
      expect(streamed.status).toBe(200);
      expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
      const events: { event: string; data: string }[] = [];
      for await (const event of serverSentEvents(streamed.body as ReadableStream<Uint8Array>)) events.push(event);
      const deltas = events.filter((event) => event.event === 'delta').map((event) => (JSON.parse(event.data) as { text: string }).text);
      expect(deltas.length).toBeGreaterThan(0);
      expect(events.map((event) => event.event).filter((name) => name !== 'delta')).toEqual(['done']);
      const done = JSON.parse(events.at(-1)?.data ?? '{}') as AnswerJson;
      // The pieces are the answer; the run recorded it.
      expect(deltas.join('')).toBe(done.answer);
      expect(done.fresh).toBe(true);
      expect(done.usage.outputTokens).toBeLessThanOrEqual(32);
      expect(await storedRun(done.runId)).toMatchObject({ status: 'succeeded', answer: done.answer });
    },
    testTimeoutMs,
  );

  it(
    'serves the OpenAI client through the proxy: the model list, non-streamed, streamed, and a forced tool call',
    async () => {
      const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: key, defaultHeaders: { 'x-sleeptime-context': 'plans' }, maxRetries: 0, timeout: testTimeoutMs });
      const messages = [{ role: 'user' as const, content: question }];

      // What chat UIs ask first: the configured model, by its file name, and the alias.
      const listed = [];
      for await (const entry of client.models.list()) listed.push(entry.id);
      expect(listed).toEqual(['sleeptime', `llama:${path.basename(model.path)}`]);

      const { data: completion, response } = await client.chat.completions.create({ model: 'smol', messages, max_tokens: 32 }).withResponse();
      expect(response.headers.get('x-sleeptime-learned')).toBe('fresh');
      expect(completion.model).toBe('smol');
      expect(completion.choices[0]?.message.content?.trim()).not.toBe('');
      expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
      expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(32);

      const stream = await client.chat.completions.create({ model: 'smol', messages, max_tokens: 32, stream: true, stream_options: { include_usage: true } });
      let content = '';
      let finishReason: string | null = null;
      let completionTokens: number | undefined;
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta.content ?? '';
        finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
        completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
      }
      expect(content.trim()).not.toBe('');
      expect(['stop', 'length']).toContain(finishReason);
      expect(completionTokens).toBeGreaterThan(0);
      expect(completionTokens).toBeLessThanOrEqual(32);

      // A function named in tool_choice: the grammar makes the model call it with arguments of its schema.
      const forced = await client.chat.completions.create({
        model: 'smol',
        messages: [{ role: 'user', content: 'Record the launch day.' }],
        max_tokens: 64,
        tools: [
          {
            type: 'function',
            function: {
              name: 'record_day',
              description: 'Records a day of the week',
              parameters: { type: 'object', properties: { day: { type: 'string' } }, required: ['day'], additionalProperties: false },
            },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'record_day' } },
      });
      const choice = forced.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      const call = choice?.message.tool_calls?.[0];
      expect(call?.type).toBe('function');
      if (call?.type !== 'function') return;
      expect(call.function.name).toBe('record_day');
      expect(typeof (JSON.parse(call.function.arguments) as { day: unknown }).day).toBe('string');
      expect(forced.usage?.completion_tokens).toBeLessThanOrEqual(64);
    },
    testTimeoutMs,
  );

  it(
    'stops generating when the client hangs up mid-stream: the run is recorded aborted and the next call gets the model at once',
    async () => {
      // Verbosity 4 asks for a long answer, so the stream is cut well before its 96 tokens.
      const hangUp = new AbortController();
      const streamed = await api('/v1/contexts/plans/ask', {
        method: 'POST',
        body: JSON.stringify({ question, verbosity: 4, maxTokens: 96, stream: true }),
        signal: hangUp.signal,
      });
      expect(streamed.status).toBe(200);
      const events = serverSentEvents(streamed.body as ReadableStream<Uint8Array>);
      const first = await events.next();
      expect(first.value).toMatchObject({ event: 'delta' });
      hangUp.abort();
      await events.return(undefined).catch(() => undefined);

      // The hung-up ask is a failed run (aborted), never a success.
      type RunJson = { id: string; kind: string; status: string; error: { code: string } | null };
      const asksOf = async () => ((await (await api('/v1/contexts/plans/runs')).json()) as { data: RunJson[] }).data.filter((run) => run.kind === 'ask');
      const hungUp = await waitFor('the hung-up ask to be settled', async () => {
        const newest = (await asksOf())[0];
        return newest?.status === 'running' ? undefined : newest;
      });
      expect(hungUp).toMatchObject({ status: 'failed', error: { code: 'aborted' } });

      // The next call, with one output token: its run's time beyond the model's own time to first
      // token is the wait for the model, which the hung-up generation must have freed.
      const next = await api('/v1/contexts/plans/ask', { method: 'POST', body: JSON.stringify({ question, maxTokens: 1 }) });
      expect(next.status).toBe(200);
      const nextRun = await storedRun(((await next.json()) as AnswerJson).runId);
      expect(nextRun).toMatchObject({ status: 'succeeded' });
      expect(nextRun?.timeToFirstTokenMs).not.toBeNull();
      const waitedMs = (nextRun?.durationMs ?? Infinity) - (nextRun?.timeToFirstTokenMs ?? 0);
      expect(waitedMs, `the next run took ${nextRun?.durationMs} ms, ${nextRun?.timeToFirstTokenMs} ms of them to its first token`).toBeLessThan(1000);
      expect((await asksOf()).map((run) => run.id).slice(0, 2)).toEqual([nextRun?.id, hungUp?.id]);
    },
    testTimeoutMs,
  );
});
