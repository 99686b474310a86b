/** The official `openai` client against the proxy on a real HTTP server, with a scripted upstream. */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../http-server.js';
import { contextHeader } from './chat-completion-routes.js';
import { waitFor } from '@sleeptime/core/testing';
import { createServerTestBed, scriptedRequests, sleepReplies, waitForStoredRun, type ServerTestBed } from '../server-test-support.js';

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

describe('OpenAI-compatible proxy on a stale learned context (like an ask)', () => {
  const question = [{ role: 'user' as const, content: 'How many apples?' }];

  async function makeStale() {
    expect((await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 5 apples. Ben has 4.' } })).status).toBe(200);
  }

  function forwardedMessages(): string {
    return JSON.stringify(scriptedRequests(bed.upstream).at(-1)?.body.messages);
  }

  it('serves the stale learned context by default, and says so in its headers and run', async () => {
    await makeStale();
    bed.replies.push({ text: 'Nine.', usage: { prompt_tokens: 20, completion_tokens: 2 } });
    const { data, response } = await client.chat.completions.create({ model: 'm', messages: question }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Nine.');
    expect(response.headers.get('x-sleeptime-learned')).toBe('stale');
    expect(response.headers.get('x-sleeptime-stale-policy')).toBe('serve-stale');
    expect(forwardedMessages()).toContain('LEARNED: total apples = 7');
    expect((await proxyRuns()).map((run) => ({ fresh: run.fresh, sourceVersion: run.sourceVersion }))).toEqual([{ fresh: false, sourceVersion: 2 }]);
  });

  it('leaves a stale learned context out with the without policy (header), and reports it', async () => {
    await makeStale();
    bed.replies.push({ text: 'Nine.', usage: { prompt_tokens: 20, completion_tokens: 2 } });
    const { response } = await client.chat.completions
      .create({ model: 'm', messages: question }, { headers: { 'x-sleeptime-stale-policy': 'without' } })
      .withResponse();
    expect(response.headers.get('x-sleeptime-learned')).toBe('stale-omitted');
    expect(response.headers.get('x-sleeptime-stale-policy')).toBe('without');
    expect(forwardedMessages()).not.toContain('LEARNED');
    expect(scriptedRequests(bed.upstream).at(-1)?.body.messages?.map((message) => message.role)).toEqual(['user']);
    expect((await proxyRuns()).map((run) => ({ fresh: run.fresh, learnedContextId: run.learnedContextId }))).toEqual([{ fresh: null, learnedContextId: null }]);

    // A fresh learned context is still injected under the same policy.
    bed.replies.push(...sleepReplies('LEARNED: total apples = 9'));
    const started = (await (await bed.call('POST', '/v1/contexts/notes/sleep')).json()) as { id: string };
    expect((await waitForStoredRun(bed.store, started.id)).status).toBe('succeeded');
    bed.replies.push({ text: 'Nine.', usage: { prompt_tokens: 20, completion_tokens: 2 } });
    const again = await client.chat.completions.create({ model: 'm', messages: question }, { headers: { 'x-sleeptime-stale-policy': 'without' } }).withResponse();
    expect(again.response.headers.get('x-sleeptime-learned')).toBe('fresh');
    expect(forwardedMessages()).toContain('LEARNED: total apples = 9');
  });

  it('waits for a fresh learned context with wait:<ms> (body field), streamed too, and injects it', async () => {
    await makeStale();
    bed.replies.push(...sleepReplies('LEARNED: total apples = 9'), { text: 'Nine apples.', usage: { prompt_tokens: 20, completion_tokens: 3 } });
    // sleeptime's own field, sent as is by the client.
    const params: OpenAI.ChatCompletionCreateParamsStreaming & { sleeptime_stale_policy: string } = {
      model: 'm',
      messages: question,
      stream: true,
      sleeptime_stale_policy: 'wait:5000',
    };
    const { data: stream, response } = await client.chat.completions.create(params).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Nine apples.');
    expect(response.headers.get('x-sleeptime-learned')).toBe('fresh');
    expect(response.headers.get('x-sleeptime-stale-policy')).toBe('wait');
    expect(forwardedMessages()).toContain('LEARNED: total apples = 9');
    expect(forwardedMessages()).not.toContain('total apples = 7');
    expect((await proxyRuns()).map((run) => ({ fresh: run.fresh, sourceVersion: run.sourceVersion }))).toEqual([{ fresh: true, sourceVersion: 2 }]);
  });

  it('refuses an invalid stale policy with 400 before calling the upstream', async () => {
    const requests = scriptedRequests(bed.upstream).length;
    const bad = await client.chat.completions
      .create({ model: 'm', messages: question }, { headers: { 'x-sleeptime-stale-policy': 'wait:999999' } })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('invalid_request');
    const badBody = await bed.call('POST', '/v1/chat/completions', {
      headers: { [contextHeader]: 'notes' },
      body: { model: 'm', messages: question, sleeptime_stale_policy: 'sometimes' },
    });
    expect(badBody.status).toBe(400);
    expect(scriptedRequests(bed.upstream)).toHaveLength(requests);
    expect(await proxyRuns()).toEqual([]);
  });
});

describe('OpenAI-compatible proxy with function tools', () => {
  const weatherTool: OpenAI.ChatCompletionFunctionTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
    },
  };
  const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'What is the weather in Lisbon?' };

  it('forwards the tools and returns the model\'s tool call with finish_reason tool_calls, recorded on the run', async () => {
    bed.replies.push({ toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: { city: 'Lisbon', unit: 'c' } }], usage: { prompt_tokens: 61, completion_tokens: 12 } });
    const completion = await client.chat.completions.create({
      model: 'any-model',
      messages: [question],
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toHaveLength(1);
    const call = choice?.message.tool_calls?.[0];
    expect(call).toMatchObject({ id: 'call_weather_1', type: 'function', function: { name: 'get_weather' } });
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined).toEqual({ city: 'Lisbon', unit: 'c' });
    expect(completion.usage).toMatchObject({ prompt_tokens: 61, completion_tokens: 12 });

    const forwarded = scriptedRequests(bed.upstream).at(-1)?.body;
    expect(forwarded?.tools).toEqual([weatherTool]);
    expect(forwarded?.tool_choice).toBe('auto');
    expect(forwarded?.parallel_tool_calls).toBe(false);
    expect(forwarded?.messages?.map((message) => message.role)).toEqual(['system', 'user']);
    expect(String(forwarded?.messages?.[0]?.content)).toContain('LEARNED: total apples = 7');

    const runs = await proxyRuns();
    expect(runs.map((run) => ({ status: run.status, question: run.question, usage: run.usage, final: run.final }))).toEqual([
      { status: 'succeeded', question: 'What is the weather in Lisbon?', usage: { inputTokens: 61, outputTokens: 12, reasoningTokens: 0 }, final: null },
    ]);
    expect(JSON.parse(runs[0]?.answer ?? '')).toEqual({ tool_calls: [{ name: 'get_weather', arguments: '{"city":"Lisbon","unit":"c"}' }] });
  });

  it('forwards a named tool_choice as OpenAI\'s function choice, and strict', async () => {
    bed.replies.push({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Porto' } }] });
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [question],
      tools: [weatherTool, { type: 'function', function: { name: 'get_time', strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(completion.choices[0]?.message.tool_calls?.map((call) => (call.type === 'function' ? call.function.name : call.type))).toEqual(['get_weather']);
    const forwarded = scriptedRequests(bed.upstream).at(-1)?.body;
    expect(forwarded?.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    // A tool without parameters takes no arguments: an empty object schema.
    expect(forwarded?.tools?.[1]).toEqual({ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} }, strict: true } });
  });

  it('streams tool calls as OpenAI deltas (id and name first, then argument pieces) that the client reassembles', async () => {
    const lisbon = { city: 'Lisbon', unit: 'c' };
    const porto = { city: 'Porto', unit: 'c' };
    bed.replies.push({
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: lisbon },
        { id: 'call_b', name: 'get_weather', arguments: porto },
      ],
      usage: { prompt_tokens: 70, completion_tokens: 20 },
    });
    const stream = await client.chat.completions.create({
      model: 'any-model',
      messages: [{ role: 'user', content: 'Weather in Lisbon and Porto?' }],
      tools: [weatherTool],
      stream: true,
      stream_options: { include_usage: true },
    });
    const calls: { id?: string; type?: string; name?: string; arguments: string; pieces: number }[] = [];
    let finishReason: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (calls[delta.index] === undefined) {
          // The first delta of a call names it.
          expect(delta).toMatchObject({ id: expect.any(String), type: 'function', function: { name: 'get_weather' } });
          calls[delta.index] = { id: delta.id, type: delta.type, name: delta.function?.name, arguments: '', pieces: 0 };
        }
        const call = calls[delta.index]!;
        if (delta.function?.arguments) {
          call.arguments += delta.function.arguments;
          call.pieces += 1;
        }
      }
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(calls.map((call) => ({ id: call.id, type: call.type, name: call.name, input: JSON.parse(call.arguments) as unknown }))).toEqual([
      { id: 'call_a', type: 'function', name: 'get_weather', input: lisbon },
      { id: 'call_b', type: 'function', name: 'get_weather', input: porto },
    ]);
    expect(calls.every((call) => call.pieces > 1)).toBe(true);
    expect(finishReason).toBe('tool_calls');
    expect(usage).toMatchObject({ prompt_tokens: 70, completion_tokens: 20, total_tokens: 90 });
    const forwarded = scriptedRequests(bed.upstream).at(-1);
    expect(forwarded?.stream).toBe(true);
    expect(forwarded?.body.tools).toEqual([weatherTool]);
    expect(JSON.stringify(forwarded?.body.messages)).toContain('LEARNED: total apples = 7');
    const runs = await proxyRuns();
    expect(runs.map((run) => ({ status: run.status, usage: run.usage }))).toEqual([{ status: 'succeeded', usage: { inputTokens: 70, outputTokens: 20, reasoningTokens: 0 } }]);
    const recorded = JSON.parse(runs[0]?.answer ?? '') as { tool_calls: { name: string; arguments: string }[] };
    expect(recorded.tool_calls.map((call) => JSON.parse(call.arguments) as unknown)).toEqual([lisbon, porto]);

    // The client's own stream helper assembles the same into a final completion.
    bed.replies.push({ toolCalls: [{ id: 'call_c', name: 'get_weather', arguments: lisbon }] });
    const helper = client.chat.completions.stream({ model: 'any-model', messages: [question], tools: [weatherTool] });
    const final = await helper.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    const assembled = final.choices[0]?.message.tool_calls?.[0];
    expect(assembled).toMatchObject({ id: 'call_c', type: 'function', function: { name: 'get_weather' } });
    expect(assembled?.type === 'function' ? JSON.parse(assembled.function.arguments) : undefined).toEqual(lisbon);
  });

  it('sends the assistant tool calls and the tool results of a second round upstream as OpenAI messages, and returns the answer', async () => {
    bed.replies.push({ text: 'It is 18 °C and sunny in Lisbon.', usage: { prompt_tokens: 90, completion_tokens: 10 } });
    const completion = await client.chat.completions.create({
      model: 'any-model',
      messages: [
        question,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon","unit":"c"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_weather_1', content: '18 °C, sunny' },
      ],
      tools: [weatherTool],
    });
    expect(completion.choices[0]?.message.content).toBe('It is 18 °C and sunny in Lisbon.');
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(completion.choices[0]?.finish_reason).toBe('stop');

    const messages = scriptedRequests(bed.upstream).at(-1)?.body.messages ?? [];
    expect(messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(String(messages[0]?.content)).toContain('LEARNED: total apples = 7');
    const assistant = messages[2];
    expect(assistant?.tool_calls?.map((call) => ({ id: call.id, type: call.type, name: call.function.name, input: JSON.parse(call.function.arguments) as unknown }))).toEqual([
      { id: 'call_weather_1', type: 'function', name: 'get_weather', input: { city: 'Lisbon', unit: 'c' } },
    ]);
    expect(messages[3]).toMatchObject({ role: 'tool', tool_call_id: 'call_weather_1', content: '18 °C, sunny' });

    const runs = await proxyRuns();
    expect(runs.map((run) => ({ status: run.status, question: run.question, answer: run.answer }))).toEqual([
      { status: 'succeeded', question: 'What is the weather in Lisbon?', answer: 'It is 18 °C and sunny in Lisbon.' },
    ]);
  });

  it('refuses malformed tools, a tool_choice naming an unknown tool and unmatched tool messages with 400 and a code, before calling the upstream', async () => {
    const requests = scriptedRequests(bed.upstream).length;
    const codeOf = async (params: OpenAI.ChatCompletionCreateParamsNonStreaming) => {
      const error = await client.chat.completions.create(params).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      return (error as InstanceType<typeof OpenAI.BadRequestError>).code;
    };
    const toolCallMessage: OpenAI.ChatCompletionAssistantMessageParam = {
      role: 'assistant',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } }],
    };

    expect(await codeOf({ model: 'm', messages: [question], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_time' } } })).toBe('unknown_tool');
    expect(await codeOf({ model: 'm', messages: [question], tool_choice: 'required' })).toBe('invalid_tool_choice');
    expect(await codeOf({ model: 'm', messages: [question], tools: [weatherTool, weatherTool] })).toBe('duplicate_tool_name');
    expect(await codeOf({ model: 'm', messages: [question], tools: [{ type: 'function', function: { name: 'get weather' } }] })).toBe('invalid_request');
    expect(await codeOf({ model: 'm', messages: [question, toolCallMessage, { role: 'tool', tool_call_id: 'call_2', content: 'sunny' }] })).toBe('unknown_tool_call_id');
    expect(await codeOf({ model: 'm', messages: [question, { role: 'tool', tool_call_id: 'call_1', content: 'sunny' }, toolCallMessage] })).toBe('unknown_tool_call_id');
    expect(await codeOf({ model: 'm', messages: [question, toolCallMessage, { role: 'user', content: 'and?' }] })).toBe('missing_tool_results');
    expect(
      await codeOf({
        model: 'm',
        messages: [question, { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{city' } }] }],
      }),
    ).toBe('invalid_tool_call_arguments');

    const response = await bed.call('POST', '/v1/chat/completions', {
      headers: { [contextHeader]: 'notes' },
      body: { model: 'm', messages: [question], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'unknown_tool', type: 'invalid_request_error', message: expect.stringContaining('"nope"') } });
    expect(scriptedRequests(bed.upstream)).toHaveLength(requests);
    expect(await proxyRuns()).toEqual([]);
  });

  it('records a client that hangs up on a non-streamed completion as a cancellation, not an upstream failure', async () => {
    bed.replies.push({ text: 'They have 7 apples.', delayMs: 1500, usage: { prompt_tokens: 40, completion_tokens: 6 } });
    const hangUp = new AbortController();
    const request = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bed.keyA}`, 'content-type': 'application/json', [contextHeader]: 'notes' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'How many apples?' }] }),
      signal: hangUp.signal,
    });
    const upstreamBefore = scriptedRequests(bed.upstream).length;
    await waitFor('the upstream call', async () => (scriptedRequests(bed.upstream).length > upstreamBefore && (await proxyRuns()).length > 0 ? true : undefined));
    hangUp.abort();
    await expect(request).rejects.toThrow();
    const run = await waitFor('the run to end', async () => (await proxyRuns()).find((candidate) => candidate.status !== 'running'));
    expect(run).toMatchObject({ status: 'failed', error: { code: 'aborted' } });
  });
});
