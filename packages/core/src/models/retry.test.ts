import { APICallError } from '@ai-sdk/provider';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { convertArrayToReadableStream, convertReadableStreamToArray, MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { SleeptimeError, userError } from '../errors.js';
import { classifyFailure, retryAfterMs } from './failure-classification.js';
import type { RetryTarget } from './failure-classification.js';
import { backoffDelayMs, resolveRetryOptions, retryMiddleware, withRetries } from './retry.js';
import type { RetryEvent, RetryOptions } from './retry.js';

const target: RetryTarget = { provider: 'openai', spec: 'openai:test-model', apiKeyVariable: 'OPENAI_API_KEY' };
const callOptions: LanguageModelV3CallOptions = { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };

const usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 2, text: 2, reasoning: undefined },
};

function textResult(text: string): LanguageModelV3GenerateResult {
  return { content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
}

function toolCallResult(input: string): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'rethink_memory', input }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage,
    warnings: [],
  };
}

function httpError(statusCode: number, headers: Record<string, string> = {}, message = `status ${statusCode}`): APICallError {
  return new APICallError({
    message,
    url: 'http://127.0.0.1/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
    data: { error: { message: `provider says ${statusCode}` } },
  });
}

function connectionError(code: string): Error {
  const cause = Object.assign(new Error(`read ${code}`), { code });
  return new TypeError('fetch failed', { cause });
}

/** A model whose nth call runs the nth step (a step throws, returns, or is a function of the call). */
function scriptedModel(
  steps: (LanguageModelV3GenerateResult | Error | ((options: LanguageModelV3CallOptions) => Promise<LanguageModelV3GenerateResult>))[],
): MockLanguageModelV3 {
  let calls = 0;
  return new MockLanguageModelV3({
    doGenerate: async (options) => {
      const step = steps[calls++];
      if (step === undefined) throw new Error('no more steps');
      if (step instanceof Error) throw step;
      if (typeof step === 'function') return step(options);
      return step;
    },
  });
}

interface Harness {
  delays: number[];
  events: RetryEvent[];
  options: Partial<RetryOptions>;
}

function harness(overrides: Partial<RetryOptions> = {}): Harness {
  const delays: number[] = [];
  const events: RetryEvent[] = [];
  return {
    delays,
    events,
    options: {
      maxAttempts: 4,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      timeoutMs: 1000,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
      onRetry: (event) => events.push(event),
      ...overrides,
    },
  };
}

async function caught(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function upstreamFailure(promise: PromiseLike<unknown>): Promise<SleeptimeError> {
  const error = await caught(promise);
  if (!SleeptimeError.isInstance(error)) throw new Error(`expected a SleeptimeError, got ${String(error)}`);
  expect(error.category).toBe('upstream');
  expect(error.message).not.toContain('\n');
  return error;
}

describe('backoffDelayMs', () => {
  const options = { initialDelayMs: 500, maxDelayMs: 8000 };
  it('grows exponentially under full jitter and stops at maxDelayMs', () => {
    const top = (attempt: number) => backoffDelayMs(attempt, { ...options, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6, 7].map(top)).toEqual([499, 999, 1999, 3999, 7999, 7999, 7999]);
  });
  it('can be as short as zero (full jitter)', () => {
    expect(backoffDelayMs(3, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(3, { ...options, random: () => 0.25 })).toBe(500);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'Retry-After': '0.5' })).toBe(500);
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }, now)).toBe(0);
  });
  it('ignores missing and unreadable values', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '-1' })).toBeUndefined();
  });
});

describe('classifyFailure', () => {
  it.each([
    [429, 'rate_limited', true],
    [408, 'timeout', true],
    [500, 'server_error', true],
    [503, 'server_error', true],
    [400, 'request_rejected', false],
    [401, 'request_rejected', false],
    [404, 'request_rejected', false],
    [422, 'request_rejected', false],
  ])('HTTP %i is %s (retryable: %s)', (status, kind, retryable) => {
    expect(classifyFailure(httpError(status))).toMatchObject({ kind, retryable, status, detail: `provider says ${status}` });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET'])('a %s connection error is retryable', (code) => {
    expect(classifyFailure(connectionError(code))).toMatchObject({ kind: 'connection_failed', retryable: true, detail: `read ${code}` });
  });

  it('an APICallError without a status (the AI SDK wrapping "fetch failed") is a connection failure', () => {
    const error = new APICallError({ message: 'Cannot connect to API: other side closed', url: 'u', requestBodyValues: {}, isRetryable: true });
    expect(classifyFailure(error)).toMatchObject({ kind: 'connection_failed', retryable: true });
  });

  it('does not claim errors it does not know', () => {
    expect(classifyFailure(new Error('bug'))).toBeUndefined();
    expect(classifyFailure('weird')).toBeUndefined();
  });
});

describe('resolveRetryOptions', () => {
  it('fills defaults and ignores undefined fields', () => {
    const options = resolveRetryOptions({ maxAttempts: undefined, timeoutMs: 5 });
    expect(options).toMatchObject({ maxAttempts: 4, initialDelayMs: 500, maxDelayMs: 8000, timeoutMs: 5 });
  });
  it.each([{ maxAttempts: 0 }, { maxAttempts: 1.5 }, { maxAttempts: 1000 }, { initialDelayMs: -1 }, { timeoutMs: Number.NaN }])(
    'rejects %j',
    (options) => {
      expect(() => resolveRetryOptions(options)).toThrow(/invalid retry options/);
    },
  );
});

describe('withRetries: doGenerate', () => {
  it('returns the first success without waiting', async () => {
    const { options, delays } = harness();
    const inner = scriptedModel([textResult('ok')]);
    const result = await withRetries(inner, target, options).doGenerate(callOptions);
    expect(result.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(inner.doGenerateCalls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('keeps the provider and model id of the wrapped model', () => {
    const model = withRetries(new MockLanguageModelV3({ provider: 'p', modelId: 'm' }), target, {});
    expect([model.specificationVersion, model.provider, model.modelId]).toEqual(['v3', 'p', 'm']);
  });

  it('retries 5xx with exponential full-jitter delays, then fails with upstream_server_error', async () => {
    const { options, delays, events } = harness();
    const inner = scriptedModel([httpError(500), httpError(502), httpError(503), httpError(500), textResult('never')]);
    const error = await upstreamFailure(withRetries(inner, target, options).doGenerate(callOptions));
    expect(inner.doGenerateCalls).toHaveLength(4);
    expect(delays).toEqual([50, 100, 200]);
    expect(events.map((event) => event.attempt)).toEqual([1, 2, 3]);
    expect(error.code).toBe('upstream_server_error');
    expect(error.details).toMatchObject({ attempts: 4, status: 500, provider: 'openai', model: 'openai:test-model' });
    expect(error.message).toBe('openai:test-model failed with a server error (HTTP 500) on all 4 attempts: provider says 500');
  });

  it('honours Retry-After instead of the backoff', async () => {
    const { options, delays } = harness();
    const inner = scriptedModel([httpError(429, { 'retry-after': '3' }), textResult('ok')]);
    await withRetries(inner, target, options).doGenerate(callOptions);
    expect(delays).toEqual([3000]);
  });

  it('gives up at once when Retry-After asks for more than maxRetryAfterMs', async () => {
    const { options, delays } = harness({ maxRetryAfterMs: 10_000 });
    const inner = scriptedModel([httpError(429, { 'retry-after': '3600' }), textResult('ok')]);
    const error = await upstreamFailure(withRetries(inner, target, options).doGenerate(callOptions));
    expect(error.code).toBe('upstream_rate_limited');
    expect(error.message).toBe(
      'openai:test-model was rate limited (HTTP 429) and was asked to wait 3600 s, longer than the 10 s allowed; gave up after 1 attempt(s): provider says 429',
    );
    expect(error.details).toMatchObject({ attempts: 1, status: 429, retryAfterMs: 3_600_000 });
    expect(delays).toEqual([]);
    expect(inner.doGenerateCalls).toHaveLength(1);
  });

  it.each([
    [400, 'openai:test-model rejected the request (HTTP 400, not retried): provider says 400'],
    [401, 'openai:test-model refused the API key (HTTP 401, not retried): provider says 401; check OPENAI_API_KEY'],
    [403, 'openai:test-model refused the API key (HTTP 403, not retried): provider says 403; check OPENAI_API_KEY'],
  ])('fails at once on HTTP %i', async (status, phrase) => {
    const { options } = harness();
    const inner = scriptedModel([httpError(status), textResult('never')]);
    const error = await upstreamFailure(withRetries(inner, target, options).doGenerate(callOptions));
    expect(error.code).toBe('upstream_request_rejected');
    expect(error.message).toBe(phrase);
    expect(error.details).toMatchObject({ attempts: 1, status });
    expect(inner.doGenerateCalls).toHaveLength(1);
  });

  it('retries connection failures and reports upstream_connection_failed when they persist', async () => {
    const { options } = harness({ maxAttempts: 2 });
    const recovered = scriptedModel([connectionError('ECONNRESET'), textResult('ok')]);
    expect((await withRetries(recovered, target, options).doGenerate(callOptions)).content).toEqual([{ type: 'text', text: 'ok' }]);

    const broken = scriptedModel([connectionError('ECONNREFUSED'), connectionError('ECONNREFUSED')]);
    const error = await upstreamFailure(withRetries(broken, target, options).doGenerate(callOptions));
    expect(error.code).toBe('upstream_connection_failed');
    expect(error.details).toMatchObject({ attempts: 2, status: null });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('retries a tool call whose input is not JSON', async () => {
    const { options } = harness();
    const inner = scriptedModel([toolCallResult('{"new_memory": '), toolCallResult('{"new_memory":"x"}')]);
    const result = await withRetries(inner, target, options).doGenerate(callOptions);
    expect(result.content[0]).toMatchObject({ type: 'tool-call', input: '{"new_memory":"x"}' });
    expect(inner.doGenerateCalls).toHaveLength(2);
  });

  it('accepts an empty tool input (no arguments)', async () => {
    const { options } = harness();
    const inner = scriptedModel([toolCallResult('')]);
    await withRetries(inner, target, options).doGenerate(callOptions);
    expect(inner.doGenerateCalls).toHaveLength(1);
  });

  it('reports upstream_malformed_tool_call when every attempt is malformed', async () => {
    const { options } = harness({ maxAttempts: 3 });
    const inner = scriptedModel([toolCallResult('nope'), toolCallResult('nope'), toolCallResult('nope')]);
    const error = await upstreamFailure(withRetries(inner, target, options).doGenerate(callOptions));
    expect(error.code).toBe('upstream_malformed_tool_call');
    expect(error.message).toContain('"rethink_memory"');
    expect(error.details).toMatchObject({ attempts: 3 });
  });

  it('times out a hung attempt, passes an aborted signal to it, and retries', async () => {
    const { options } = harness({ timeoutMs: 30 });
    const seenSignals: AbortSignal[] = [];
    const hang = (callOptions: LanguageModelV3CallOptions) => {
      if (callOptions.abortSignal) seenSignals.push(callOptions.abortSignal);
      return new Promise<LanguageModelV3GenerateResult>(() => {});
    };
    const inner = scriptedModel([hang, async () => textResult('ok')]);
    const result = await withRetries(inner, target, options).doGenerate(callOptions);
    expect(result.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(seenSignals[0]?.aborted).toBe(true);

    const alwaysHangs = scriptedModel([hang, hang]);
    const error = await upstreamFailure(withRetries(alwaysHangs, target, { ...options, maxAttempts: 2 }).doGenerate(callOptions));
    expect(error.code).toBe('upstream_timeout');
    expect(error.message).toContain('no answer within 30 ms');
  });

  it('passes errors it does not recognise, and typed errors, through unchanged after one attempt', async () => {
    const { options } = harness();
    const bug = new Error('bug in provider');
    const buggy = scriptedModel([bug, textResult('never')]);
    expect(await caught(withRetries(buggy, target, options).doGenerate(callOptions))).toBe(bug);
    expect(buggy.doGenerateCalls).toHaveLength(1);

    const typed = userError('model_file_missing', 'no such file');
    const typedModel = scriptedModel([typed, textResult('never')]);
    expect(await caught(withRetries(typedModel, target, options).doGenerate(callOptions))).toBe(typed);
    expect(typedModel.doGenerateCalls).toHaveLength(1);
  });

  it('stops at once when the caller aborts during an attempt', async () => {
    const { options } = harness({ timeoutMs: 0 });
    const controller = new AbortController();
    const inner = scriptedModel([() => new Promise<LanguageModelV3GenerateResult>(() => {}), async () => textResult('never')]);
    const pending = withRetries(inner, target, options).doGenerate({ ...callOptions, abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await caught(pending);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
    expect(inner.doGenerateCalls).toHaveLength(1);
  });

  it('stops at once when the caller aborts during the wait between attempts', async () => {
    const controller = new AbortController();
    const inner = scriptedModel([httpError(500), textResult('never')]);
    // The real sleep, with a wait far longer than the test.
    const model = withRetries(inner, target, { initialDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.99 });
    const started = performance.now();
    const pending = model.doGenerate({ ...callOptions, abortSignal: controller.signal });
    setTimeout(() => controller.abort(new Error('user cancelled')), 20);
    expect(await caught(pending)).toMatchObject({ message: 'user cancelled' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(inner.doGenerateCalls).toHaveLength(1);
  });

  it('does not call the model when the signal is already aborted', async () => {
    const inner = scriptedModel([textResult('never')]);
    const error = await caught(withRetries(inner, target, harness().options).doGenerate({ ...callOptions, abortSignal: AbortSignal.abort() }));
    expect((error as DOMException).name).toBe('AbortError');
    expect(inner.doGenerateCalls).toHaveLength(0);
  });
});

// -------------------------------------------------------------------------------------------------

const textParts: LanguageModelV3StreamPart[] = [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'r1' },
  { type: 'text-start', id: 't' },
  { type: 'text-delta', id: 't', delta: 'Hel' },
  { type: 'text-delta', id: 't', delta: 'lo' },
  { type: 'text-end', id: 't' },
  { type: 'finish', usage, finishReason: { unified: 'stop', raw: 'stop' } },
];

function streamOf(parts: LanguageModelV3StreamPart[]): LanguageModelV3StreamResult {
  return { stream: convertArrayToReadableStream(parts) };
}

/** A stream that sends `parts`, then fails the read with `error` (or hangs when error is 'hang'). */
function failingStream(parts: LanguageModelV3StreamPart[], error: unknown): LanguageModelV3StreamResult {
  let index = 0;
  return {
    stream: new ReadableStream<LanguageModelV3StreamPart>({
      pull(controller) {
        const part = parts[index++];
        if (part !== undefined) controller.enqueue(part);
        else if (error === 'hang') return new Promise(() => {});
        else controller.error(error);
      },
    }),
  };
}

function streamingModel(steps: (LanguageModelV3StreamResult | Error)[]): MockLanguageModelV3 {
  let calls = 0;
  return new MockLanguageModelV3({
    doStream: async () => {
      const step = steps[calls++];
      if (step === undefined) throw new Error('no more steps');
      if (step instanceof Error) throw step;
      return step;
    },
  });
}

async function streamText(model: LanguageModelV3, options: LanguageModelV3CallOptions = callOptions): Promise<string> {
  const { stream } = await model.doStream(options);
  const parts = await convertReadableStreamToArray(stream);
  return parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');
}

describe('withRetries: doStream', () => {
  it('passes every part of a good stream through, in order', async () => {
    const model = withRetries(streamingModel([streamOf(textParts)]), target, harness().options);
    const { stream } = await model.doStream(callOptions);
    expect(await convertReadableStreamToArray(stream)).toEqual(textParts);
  });

  it('retries when the request fails before the stream starts', async () => {
    const inner = streamingModel([httpError(503), streamOf(textParts)]);
    expect(await streamText(withRetries(inner, target, harness().options))).toBe('Hello');
    expect(inner.doStreamCalls).toHaveLength(2);
  });

  it('retries when the stream fails after only preamble parts', async () => {
    const inner = streamingModel([failingStream(textParts.slice(0, 2), connectionError('ECONNRESET')), streamOf(textParts)]);
    expect(await streamText(withRetries(inner, target, harness().options))).toBe('Hello');
    expect(inner.doStreamCalls).toHaveLength(2);
  });

  it('retries when an error part comes before any content', async () => {
    const errorPart: LanguageModelV3StreamPart = { type: 'error', error: httpError(500) };
    const inner = streamingModel([streamOf([textParts[0]!, errorPart]), streamOf(textParts)]);
    expect(await streamText(withRetries(inner, target, harness().options))).toBe('Hello');
    expect(inner.doStreamCalls).toHaveLength(2);
  });

  it('retries when the first content is a malformed tool call', async () => {
    const badCall: LanguageModelV3StreamPart = { type: 'tool-call', toolCallId: 'c', toolName: 'f', input: '{oops' };
    const inner = streamingModel([streamOf([textParts[0]!, badCall]), streamOf(textParts)]);
    expect(await streamText(withRetries(inner, target, harness().options))).toBe('Hello');
    expect(inner.doStreamCalls).toHaveLength(2);
  });

  it('retries when no first chunk arrives within timeoutMs', async () => {
    const inner = streamingModel([failingStream(textParts.slice(0, 1), 'hang'), streamOf(textParts)]);
    expect(await streamText(withRetries(inner, target, harness({ timeoutMs: 30 }).options))).toBe('Hello');
    expect(inner.doStreamCalls).toHaveLength(2);
  });

  it('does not retry once content has flowed: the stream errors with a typed failure', async () => {
    const inner = streamingModel([failingStream(textParts.slice(0, 4), connectionError('ECONNRESET')), streamOf(textParts)]);
    const { stream } = await withRetries(inner, target, harness().options).doStream(callOptions);
    const error = await upstreamFailure(convertReadableStreamToArray(stream));
    expect(error.code).toBe('upstream_connection_failed');
    expect(error.details).toMatchObject({ attempts: 1, afterStreamStart: true });
    expect(error.message).toContain('after the stream had started (not retried)');
    expect(inner.doStreamCalls).toHaveLength(1);
  });

  it('times out a stream that stalls after it started', async () => {
    const inner = streamingModel([failingStream(textParts.slice(0, 4), 'hang')]);
    const { stream } = await withRetries(inner, target, harness({ timeoutMs: 30 }).options).doStream(callOptions);
    const error = await upstreamFailure(convertReadableStreamToArray(stream));
    expect(error.code).toBe('upstream_timeout');
    expect(inner.doStreamCalls).toHaveLength(1);
  });

  it('gives up after maxAttempts streams that fail before content', async () => {
    const inner = streamingModel([httpError(500), httpError(500), httpError(500)]);
    const error = await upstreamFailure(withRetries(inner, target, harness({ maxAttempts: 3 }).options).doStream(callOptions));
    expect(error.code).toBe('upstream_server_error');
    expect(inner.doStreamCalls).toHaveLength(3);
  });

  it('stops at once when the caller aborts a stream in progress', async () => {
    const controller = new AbortController();
    const inner = streamingModel([failingStream(textParts.slice(0, 4), 'hang')]);
    const { stream } = await withRetries(inner, target, harness({ timeoutMs: 0 }).options).doStream({
      ...callOptions,
      abortSignal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    const error = await caught(convertReadableStreamToArray(stream));
    expect((error as DOMException).name).toBe('AbortError');
  });
});

// -------------------------------------------------------------------------------------------------

describe('retryMiddleware', () => {
  it('keeps the supported URLs of the wrapped model', async () => {
    const supportedUrls = { 'image/*': [/^https:\/\//] };
    const model = withRetries(new MockLanguageModelV3({ supportedUrls }), target, {});
    expect(await model.supportedUrls).toEqual(supportedUrls);
  });

  it("gives each generate attempt its own abort signal, fed by the caller's, and the caller's other params", async () => {
    const controller = new AbortController();
    const hang = () => new Promise<LanguageModelV3GenerateResult>(() => {});
    const inner = scriptedModel([httpError(500), hang]);
    const pending = withRetries(inner, target, harness({ timeoutMs: 0 }).options).doGenerate({
      ...callOptions,
      temperature: 0.3,
      abortSignal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect((await caught(pending)) as DOMException).toMatchObject({ name: 'AbortError' });

    const [first, second] = inner.doGenerateCalls;
    expect([first?.abortSignal, second?.abortSignal]).not.toContain(controller.signal);
    expect(first?.abortSignal).not.toBe(second?.abortSignal);
    expect(second?.abortSignal?.aborted).toBe(true);
    expect(second).toMatchObject({ prompt: callOptions.prompt, temperature: 0.3 });
  });

  it('gives each stream attempt its own abort signal', async () => {
    const controller = new AbortController();
    const inner = streamingModel([httpError(503), streamOf(textParts)]);
    const model = withRetries(inner, target, harness().options);
    expect(await streamText(model, { ...callOptions, abortSignal: controller.signal })).toBe('Hello');
    const signals = inner.doStreamCalls.map((call) => call.abortSignal);
    expect(signals).toHaveLength(2);
    expect(signals).not.toContain(controller.signal);
    expect(signals[0]).not.toBe(signals[1]);
  });

  it('retries with the params an outer middleware transformed', async () => {
    const inner = scriptedModel([httpError(500), textResult('ok')]);
    const model = wrapLanguageModel({
      model: inner,
      middleware: [
        { specificationVersion: 'v3', transformParams: async ({ params }) => ({ ...params, seed: 7 }) },
        retryMiddleware(target, resolveRetryOptions(harness().options)),
      ],
    });
    expect((await model.doGenerate(callOptions)).content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(inner.doGenerateCalls.map((call) => call.seed)).toEqual([7, 7]);
  });
});
