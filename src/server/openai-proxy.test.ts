/** The official `openai` client against the proxy on a real HTTP server, with a scripted upstream. */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { contextHeader } from './openai-proxy.js';
import { createServerTestBed, scriptedRequests, sleepReplies, waitForStoredRun, type ServerTestBed } from './server-test-support.js';

let bed: ServerTestBed;
let server: RunningHttpServer;
let client: OpenAI;

beforeEach(async () => {
  bed = await createServerTestBed();
  server = await startHttpServer(bed.app, { port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: bed.keyA, defaultHeaders: { [contextHeader]: 'notes' }, maxRetries: 0 });
  await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples. Ben has 4.' } });
  bed.replies.push(...sleepReplies('LEARNED: total apples = 7'));
  const started = (await (await bed.call('POST', '/v1/contexts/notes/sleep')).json()) as { id: string };
  expect((await waitForStoredRun(bed.store, started.id)).status).toBe('succeeded');
});

afterEach(async () => {
  await server.close();
  await bed.close();
});

async function proxyRuns() {
  const runs = await bed.store.runs.list((await bed.store.contexts.list({ prefix: '' })).find((record) => record.id.endsWith('.notes'))?.id ?? '');
  return runs.filter((run) => run.settings.via === 'chat-completions');
}

describe('OpenAI-compatible proxy', () => {
  it('answers a chat completion with the learned context injected and usage reported and recorded', async () => {
    bed.replies.push({ text: 'They have 7 apples.', usage: { prompt_tokens: 77, completion_tokens: 6 } });
    const completion = await client.chat.completions.create({
      model: 'any-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'How many apples?' },
      ],
      max_tokens: 50,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('They have 7 apples.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 77, completion_tokens: 6, total_tokens: 83 });

    const forwarded = scriptedRequests(bed.upstream).at(-1)?.body;
    const messages = forwarded?.messages ?? [];
    expect(messages.map((message) => message.role)).toEqual(['system', 'system', 'user']);
    expect(String(messages[0]?.content)).toContain('LEARNED: total apples = 7');
    expect(messages[1]?.content).toBe('Be brief.');
    expect(forwarded?.max_tokens).toBe(50);

    const runs = await proxyRuns();
    expect(runs.map((run) => ({ status: run.status, question: run.question, answer: run.answer, fresh: run.fresh, usage: run.usage }))).toEqual([
      { status: 'succeeded', question: 'How many apples?', answer: 'They have 7 apples.', fresh: true, usage: { inputTokens: 77, outputTokens: 6, reasoningTokens: 0 } },
    ]);
  });

  it('streams a chat completion the client assembles, with usage in the last chunk', async () => {
    bed.replies.push({ text: 'Seven apples in all, counted twice.', usage: { prompt_tokens: 80, completion_tokens: 8 } });
    const stream = await client.chat.completions.create({
      model: 'any-model',
      messages: [{ role: 'user', content: 'How many apples?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let finishReason: string | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        text += delta;
        contentChunks += 1;
      }
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Seven apples in all, counted twice.');
    expect(contentChunks).toBeGreaterThan(1);
    expect(finishReason).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 80, completion_tokens: 8, total_tokens: 88 });
    expect(scriptedRequests(bed.upstream).at(-1)?.stream).toBe(true);
    expect(JSON.stringify(scriptedRequests(bed.upstream).at(-1)?.body.messages)).toContain('LEARNED: total apples = 7');
    const runs = await proxyRuns();
    expect(runs.map((run) => ({ status: run.status, answer: run.answer, usage: run.usage }))).toEqual([
      { status: 'succeeded', answer: 'Seven apples in all, counted twice.', usage: { inputTokens: 80, outputTokens: 8, reasoningTokens: 0 } },
    ]);
  });

  it('takes the context name from the body field too, and keeps tenants apart', async () => {
    const plain = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: bed.keyA, maxRetries: 0 });
    bed.replies.push({ text: 'ok', usage: { prompt_tokens: 5, completion_tokens: 1 } });
    const completion = await plain.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error sleeptime's own field, sent as is by the client
      sleeptime_context: 'notes',
    });
    expect(completion.choices[0]?.message.content).toBe('ok');

    const otherTenant = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: bed.keyB, defaultHeaders: { [contextHeader]: 'notes' }, maxRetries: 0 });
    const notFound = await otherTenant.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);

    const unnamed = await plain.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(unnamed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unnamed as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('missing_sleeptime_context');

    const badKey = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-sleeptime-wrong', defaultHeaders: { [contextHeader]: 'notes' }, maxRetries: 0 });
    const unauthorized = await badKey.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('reports an upstream failure as an error the client throws, and records the failed run', async () => {
    bed.replies.push({ status: 500, errorMessage: 'upstream down' });
    const failure = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((await proxyRuns()).map((run) => run.status)).toEqual(['failed']);
  });
});
