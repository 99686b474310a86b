import os from 'node:os';
/**
 * End to end: createModel against a real HTTP server (the scripted OpenAI-compatible server),
 * through the AI SDK's generateText/streamText with the SDK's own retries off, as the engine calls it.
 */
import { generateText, hasToolCall, stepCountIs, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SleeptimeError } from '../errors.js';
import { startScriptedOpenAIServer } from '../testing/scripted-openai-server.js';
import type { ScriptedOpenAIServer, ScriptedOpenAIServerScript, ScriptedReply } from '../testing/scripted-openai-server.js';
import { DEFAULT_MODEL_SPEC, createModel, defaultModelCacheDir, resolveModelSpec } from './create-model.js';
import type { CreateModelOptions } from './create-model.js';
import type { RetryOptions } from './retry.js';
import type { SleeptimeModel } from './types.js';
import { usageFromReport } from './usage.js';

const servers: ScriptedOpenAIServer[] = [];
const models: SleeptimeModel[] = [];

afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: ScriptedOpenAIServerScript): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(script);
  servers.push(server);
  return server;
}

interface RetryRecorder {
  delays: number[];
  retry: Partial<RetryOptions>;
}

/** Tiny, recorded waits so the whole file runs in seconds; delays are still checked. */
function fastRetries(overrides: Partial<RetryOptions> = {}): RetryRecorder {
  const delays: number[] = [];
  return {
    delays,
    retry: {
      maxAttempts: 3,
      initialDelayMs: 10,
      maxDelayMs: 40,
      timeoutMs: 2000,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
      ...overrides,
    },
  };
}

async function compatibleModel(server: ScriptedOpenAIServer, options: CreateModelOptions = {}): Promise<SleeptimeModel> {
  const model = await createModel('openai-compatible:test-model', { baseUrl: server.baseUrl, env: {}, ...options });
  models.push(model);
  return model;
}

async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function sleeptimeError(promise: PromiseLike<unknown>): Promise<SleeptimeError> {
  const error = await rejection(promise);
  if (!SleeptimeError.isInstance(error)) throw new Error(`expected a SleeptimeError, got ${String(error)}`);
  expect(error.message).not.toContain('\n');
  return error;
}

function ask(model: SleeptimeModel, extra: { abortSignal?: AbortSignal } = {}) {
  return generateText({ model: model.languageModel, prompt: 'What is 2 + 2?', maxRetries: 0, ...extra });
}

function memoryTools(calls: string[]) {
  return {
    rethink_memory: tool({
      description: 'Rewrite the memory block in full.',
      inputSchema: z.object({ new_memory: z.string() }),
      execute: async ({ new_memory }) => {
        calls.push(new_memory);
        return 'memory updated';
      },
    }),
    finish_rethinking: tool({
      description: 'Stop rethinking.',
      inputSchema: z.object({}),
      execute: async () => 'done',
    }),
  };
}

const toolLoopScript: ScriptedReply[] = [
  {
    toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: 'x = 2, so x + 2 = 4' } }],
    usage: { prompt_tokens: 100, completion_tokens: 20, reasoning_tokens: 5 },
  },
  { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 130, completion_tokens: 4 } },
];

describe('createModel: configuration errors', () => {
  it.each([
    ['openai:gpt-4o-mini', 'OPENAI_API_KEY'],
    ['anthropic:claude-3-7-sonnet-latest', 'ANTHROPIC_API_KEY'],
  ])('%s without a key names %s', async (spec, variable) => {
    const error = await sleeptimeError(createModel(spec, { env: { [variable]: '  ' } }));
    expect(error.code).toBe('missing_api_key');
    expect(error.category).toBe('user');
    expect(error.message).toContain(variable);
  });

  it('openai-compatible without a base URL says how to give one', async () => {
    const error = await sleeptimeError(createModel('openai-compatible:m', { env: {} }));
    expect(error.code).toBe('missing_base_url');
    expect(error.category).toBe('user');
    expect(error.message).toContain('SLEEPTIME_BASE_URL');
    expect(error.message).toContain('--base-url');
  });

  it('rejects a base URL that is not http(s)', async () => {
    const error = await sleeptimeError(createModel('openai-compatible:m', { env: { SLEEPTIME_BASE_URL: 'localhost:8000' } }));
    expect(error.code).toBe('invalid_base_url');
  });

  it('rejects a bad spec before anything else', async () => {
    expect((await sleeptimeError(createModel('gpt-4o', { env: {} }))).code).toBe('invalid_model_spec');
  });

  it('rejects bad retry options', async () => {
    const error = await sleeptimeError(createModel('openai-compatible:m', { baseUrl: 'http://127.0.0.1:1/v1', retry: { maxAttempts: 0 } }));
    expect(error.code).toBe('invalid_retry_options');
  });
});

describe('model spec resolution', () => {
  it('takes the flag, then SLEEPTIME_MODEL, then the default llama model', () => {
    expect(resolveModelSpec('openai:a', { SLEEPTIME_MODEL: 'openai:b' })).toBe('openai:a');
    expect(resolveModelSpec(undefined, { SLEEPTIME_MODEL: 'openai:b' })).toBe('openai:b');
    expect(resolveModelSpec(undefined, { SLEEPTIME_MODEL: '' })).toBe(DEFAULT_MODEL_SPEC);
    expect(resolveModelSpec(undefined, {})).toBe(DEFAULT_MODEL_SPEC);
    expect(DEFAULT_MODEL_SPEC.startsWith('llama:')).toBe(true);
    expect(DEFAULT_MODEL_SPEC.length).toBeGreaterThan('llama:'.length);
  });

  it('keeps downloaded models in one cache folder shared by every data folder', () => {
    expect(defaultModelCacheDir({ SLEEPTIME_MODELS_DIR: '/data/models' })).toBe('/data/models');
    expect(defaultModelCacheDir({ XDG_CACHE_HOME: '/cache' })).toBe('/cache/sleeptime/models');
    expect(defaultModelCacheDir({})).toBe(`${os.homedir()}/.cache/sleeptime/models`);
  });
});

describe('createModel: hosted providers use the key and base URL from the environment', () => {
  it('openai sends OPENAI_API_KEY to OPENAI_BASE_URL', async () => {
    const server = await serve([]);
    const model = await createModel('openai:gpt-test', { env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: server.baseUrl }, ...fastRetries() });
    models.push(model);
    expect(model.provider).toBe('openai');
    expect(model.spec).toBe('openai:gpt-test');
    // The scripted server only speaks chat completions, so the Responses API call is a 404: not retried.
    const error = await sleeptimeError(ask(model));
    expect(error.code).toBe('upstream_request_rejected');
    expect(server.allRequests).toHaveLength(1);
    expect(server.allRequests[0]?.path).toBe('/v1/responses');
    expect(server.allRequests[0]?.headers.authorization).toBe('Bearer sk-env');
    expect(server.allRequests[0]?.body.model).toBe('gpt-test');
  });

  it('anthropic sends ANTHROPIC_API_KEY (or the apiKey option) to ANTHROPIC_BASE_URL, with the thinking budget', async () => {
    const server = await serve([]);
    const model = await createModel('anthropic:claude-test', {
      env: { ANTHROPIC_API_KEY: 'env-key', ANTHROPIC_BASE_URL: server.baseUrl },
      apiKey: 'option-key',
      ...fastRetries(),
    });
    models.push(model);
    await rejection(generateText({ model: model.languageModel, prompt: 'hi', maxRetries: 0, ...model.callSettings({ thinkingBudget: 2000, maxOutputTokens: 500 }) }));
    const request = server.allRequests[0];
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('option-key');
    expect(request?.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
    // The provider adds the thinking budget on top of the answer budget.
    expect(request?.body.max_tokens).toBe(2500);
  });
});

describe('createModel: openai-compatible end to end', () => {
  it('answers with text and reports exactly the usage the server sent', async () => {
    const server = await serve([{ text: 'The answer is 4.', usage: { prompt_tokens: 37, completion_tokens: 6, reasoning_tokens: 2 } }]);
    const model = await compatibleModel(server);
    expect(model.spec).toBe('openai-compatible:test-model');
    const result = await ask(model);
    expect(result.text).toBe('The answer is 4.');
    expect(usageFromReport(result.usage)).toEqual({ inputTokens: 37, outputTokens: 6, reasoningTokens: 2 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.model).toBe('test-model');
    expect(server.requests[0]?.stream).toBe(false);
  });

  it('sends SLEEPTIME_API_KEY when set and no authorization header otherwise', async () => {
    const server = await serve([{ text: 'a' }, { text: 'b' }]);
    await ask(await compatibleModel(server, { env: { SLEEPTIME_API_KEY: 'local-key' } }));
    await ask(await compatibleModel(server, { env: {} }));
    expect(server.requests[0]?.headers.authorization).toBe('Bearer local-key');
    expect(server.requests[1]?.headers.authorization).toBeUndefined();
  });

  it('takes the base URL from SLEEPTIME_BASE_URL', async () => {
    const server = await serve([{ text: 'ok' }]);
    const model = await createModel('openai-compatible:m', { env: { SLEEPTIME_BASE_URL: server.baseUrl } });
    models.push(model);
    expect((await ask(model)).text).toBe('ok');
  });

  it('maps effort and maxOutputTokens onto the request, without provider warnings', async () => {
    const server = await serve([{ text: 'ok' }]);
    const model = await compatibleModel(server);
    const result = await generateText({
      model: model.languageModel,
      prompt: 'hi',
      maxRetries: 0,
      ...model.callSettings({ effort: 'high', maxOutputTokens: 77 }),
    });
    expect(server.requests[0]?.body.reasoning_effort).toBe('high');
    expect(server.requests[0]?.body.max_tokens).toBe(77);
    expect(result.warnings ?? []).toEqual([]);
  });

  it('runs a tool loop (tool call, then finish) without streaming', async () => {
    const server = await serve(toolLoopScript);
    const model = await compatibleModel(server);
    const memoryWrites: string[] = [];
    const result = await generateText({
      model: model.languageModel,
      prompt: 'Think about: x = 2.',
      tools: memoryTools(memoryWrites),
      stopWhen: [hasToolCall('finish_rethinking'), stepCountIs(10)],
      maxRetries: 0,
    });
    expect(memoryWrites).toEqual(['x = 2, so x + 2 = 4']);
    expect(result.steps).toHaveLength(2);
    expect(result.steps.map((step) => step.finishReason)).toEqual(['tool-calls', 'tool-calls']);
    expect(usageFromReport(result.totalUsage)).toEqual({ inputTokens: 230, outputTokens: 24, reasoningTokens: 5 });
    // The second request carries the tool result back to the model.
    const toolMessage = server.requests[1]?.body.messages?.find((message) => message.role === 'tool');
    expect(toolMessage?.tool_call_id).toBe('call_0_0');
    expect(JSON.stringify(toolMessage?.content)).toContain('memory updated');
    expect(server.requests.map((request) => request.stream)).toEqual([false, false]);
  });

  it('runs the same tool loop streamed, with usage from the final usage chunks', async () => {
    const server = await serve(toolLoopScript);
    const model = await compatibleModel(server);
    const memoryWrites: string[] = [];
    const errors: unknown[] = [];
    const result = streamText({
      model: model.languageModel,
      prompt: 'Think about: x = 2.',
      tools: memoryTools(memoryWrites),
      stopWhen: [hasToolCall('finish_rethinking'), stepCountIs(10)],
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    const steps = await result.steps;
    expect(errors).toEqual([]);
    expect(memoryWrites).toEqual(['x = 2, so x + 2 = 4']);
    expect(steps).toHaveLength(2);
    expect(usageFromReport(await result.totalUsage)).toEqual({ inputTokens: 230, outputTokens: 24, reasoningTokens: 5 });
    expect(server.requests.map((request) => request.stream)).toEqual([true, true]);
    expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  it('streams text', async () => {
    const server = await serve([{ text: 'Streaming works fine.', usage: { prompt_tokens: 5, completion_tokens: 4 } }]);
    const model = await compatibleModel(server);
    const result = streamText({ model: model.languageModel, prompt: 'hi', maxRetries: 0 });
    const pieces: string[] = [];
    for await (const piece of result.textStream) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe('Streaming works fine.');
    expect(usageFromReport(await result.usage)).toEqual({ inputTokens: 5, outputTokens: 4, reasoningTokens: 0 });
  });
});

describe('createModel: provider faults end to end', () => {
  it('retries a 429 after the Retry-After the server asked for, then succeeds', async () => {
    const server = await serve([{ status: 429, headers: { 'retry-after': '2' } }, { text: 'ok' }]);
    const { retry, delays } = fastRetries();
    const model = await compatibleModel(server, { retry });
    expect((await ask(model)).text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([2000]);
  });

  it('retries a streamed 429 too', async () => {
    const server = await serve([{ status: 429 }, { text: 'ok' }]);
    const { retry, delays } = fastRetries();
    const model = await compatibleModel(server, { retry });
    const result = streamText({ model: model.languageModel, prompt: 'hi', maxRetries: 0 });
    expect(await result.text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    // No Retry-After: full jitter, random() = 0.5 of the 10 ms first ceiling.
    expect(delays).toEqual([5]);
  });

  it('fails with upstream_server_error after exactly maxAttempts requests of 500', async () => {
    const server = await serve(() => ({ status: 500, errorMessage: 'the GPU fell over' }));
    const { retry, delays } = fastRetries({ maxAttempts: 4 });
    const model = await compatibleModel(server, { retry });
    const error = await sleeptimeError(ask(model));
    expect(error.code).toBe('upstream_server_error');
    expect(error.category).toBe('upstream');
    expect(error.details).toMatchObject({ attempts: 4, status: 500, provider: 'openai-compatible' });
    expect(error.message).toBe(
      'openai-compatible:test-model failed with a server error (HTTP 500) on all 4 attempts: the GPU fell over',
    );
    expect(server.requests).toHaveLength(4);
    expect(delays).toEqual([5, 10, 20]);
  });

  it('fails at once on a non-retryable 400', async () => {
    const server = await serve(() => ({ status: 400, errorMessage: 'messages must not be empty' }));
    const model = await compatibleModel(server, fastRetries());
    const error = await sleeptimeError(ask(model));
    expect(error.code).toBe('upstream_request_rejected');
    expect(error.message).toContain('messages must not be empty');
    expect(error.details).toMatchObject({ attempts: 1, status: 400 });
    expect(server.requests).toHaveLength(1);
  });

  it('says the key was refused on a 401', async () => {
    const server = await serve(() => ({ status: 401 }));
    const model = await compatibleModel(server, { ...fastRetries(), env: { SLEEPTIME_API_KEY: 'wrong' } });
    const error = await sleeptimeError(ask(model));
    expect(error.code).toBe('upstream_request_rejected');
    expect(error.message).toContain('refused the API key (HTTP 401, not retried)');
    expect(error.message).toContain('check SLEEPTIME_API_KEY');
    expect(server.requests).toHaveLength(1);
  });

  it('times out slow replies and fails with upstream_timeout after maxAttempts', async () => {
    const server = await serve(() => ({ text: 'too late', delayMs: 2000 }));
    const model = await compatibleModel(server, fastRetries({ maxAttempts: 2, timeoutMs: 100 }));
    const started = performance.now();
    const error = await sleeptimeError(ask(model));
    expect(error.code).toBe('upstream_timeout');
    expect(error.details).toMatchObject({ attempts: 2 });
    expect(server.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('a slow reply within the timeout is fine', async () => {
    const server = await serve([{ text: 'slow but fine', delayMs: 50 }]);
    const model = await compatibleModel(server, fastRetries({ timeoutMs: 1000 }));
    expect((await ask(model)).text).toBe('slow but fine');
  });

  it('retries after the server resets the connection', async () => {
    const server = await serve([{ resetConnection: true }, { text: 'reconnected' }]);
    const model = await compatibleModel(server, fastRetries());
    expect((await ask(model)).text).toBe('reconnected');
    expect(server.requests).toHaveLength(2);
  });

  it('fails with upstream_connection_failed when nothing listens', async () => {
    const server = await serve([]);
    const baseUrl = server.baseUrl;
    await server.close();
    const model = await compatibleModel(server, { ...fastRetries({ maxAttempts: 2 }), baseUrl });
    const error = await sleeptimeError(ask(model));
    expect(error.code).toBe('upstream_connection_failed');
    expect(error.details).toMatchObject({ attempts: 2 });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('retries malformed tool-call arguments, then runs the tool with the good ones', async () => {
    const server = await serve([
      { toolCalls: [{ name: 'rethink_memory', arguments: '{"new_memory": "unterminated' }] },
      ...toolLoopScript,
    ]);
    const model = await compatibleModel(server, fastRetries());
    const memoryWrites: string[] = [];
    const result = await generateText({
      model: model.languageModel,
      prompt: 'Think.',
      tools: memoryTools(memoryWrites),
      stopWhen: [hasToolCall('finish_rethinking'), stepCountIs(10)],
      maxRetries: 0,
    });
    expect(memoryWrites).toEqual(['x = 2, so x + 2 = 4']);
    expect(result.steps).toHaveLength(2);
    expect(server.requests).toHaveLength(3);
  });

  it('reports upstream_malformed_tool_call when the arguments stay malformed', async () => {
    const server = await serve(() => ({ toolCalls: [{ name: 'rethink_memory', arguments: 'not json' }] }));
    const model = await compatibleModel(server, fastRetries({ maxAttempts: 2 }));
    const error = await sleeptimeError(
      generateText({ model: model.languageModel, prompt: 'Think.', tools: memoryTools([]), maxRetries: 0 }),
    );
    expect(error.code).toBe('upstream_malformed_tool_call');
    expect(server.requests).toHaveLength(2);
  });

  it('stops at once when the caller aborts a slow request', async () => {
    const server = await serve(() => ({ text: 'too late', delayMs: 5000 }));
    const model = await compatibleModel(server, fastRetries({ timeoutMs: 10_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const error = await rejection(ask(model, { abortSignal: controller.signal }));
    expect((error as Error).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('stops at once when the caller aborts during the wait before a retry', async () => {
    const server = await serve(() => ({ status: 503 }));
    // The real sleep, with waits far longer than the test.
    const model = await compatibleModel(server, { retry: { initialDelayMs: 30_000, maxDelayMs: 30_000, random: () => 0.99 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const error = await rejection(ask(model, { abortSignal: controller.signal }));
    expect((error as Error).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });
});
