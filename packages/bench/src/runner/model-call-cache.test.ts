import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { generateText, streamText } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportedUsage, textReply } from '@sleeptime/core/testing';
import { canonicalJson } from './canonical-json.js';
import { createConcurrencyLimiter, withConcurrencyLimit } from './concurrency-limiter.js';
import { createModelCallCache, modelCallKey, type ModelCallEvent } from './model-call-cache.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sleeptime-call-cache-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
function freshDirectory(): string {
  counter += 1;
  return join(root, `cache-${counter}`);
}

/** A mock that answers `reply <n>` to its n-th call and counts calls. */
function countingModel(delayMs = 0) {
  const calls: LanguageModelV3CallOptions[] = [];
  const model = new MockLanguageModelV3({
    provider: 'mock',
    modelId: 'counting',
    doGenerate: async (options): Promise<LanguageModelV3GenerateResult> => {
      calls.push(options);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const reply = textReply(`reply ${calls.length}`, { input: 10 * calls.length, output: calls.length, reasoning: 1 });
      return { ...reply, response: { id: `response-${calls.length}`, modelId: 'counting', timestamp: new Date(Date.UTC(2026, 0, calls.length)) } };
    },
  });
  return { model, calls };
}

async function entryFiles(directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const folder of await readdir(directory)) files.push(...(await readdir(join(directory, folder))).map((name) => join(directory, folder, name)));
  return files;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined, and tags bytes and dates', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,null,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ bytes: new Uint8Array([1, 2]), at: new Date(0) })).toBe('{"at":{"$date":"1970-01-01T00:00:00.000Z"},"bytes":{"$bytes":"AQI="}}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });
});

describe('modelCallKey', () => {
  const base: LanguageModelV3CallOptions = { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], temperature: 0 };

  it('ignores the abort signal and headers, and the order of fields', () => {
    const key = modelCallKey('m', 'generate', base);
    expect(modelCallKey('m', 'generate', { temperature: 0, prompt: base.prompt, abortSignal: new AbortController().signal, headers: { x: 'y' } })).toBe(key);
  });

  it.each<[string, LanguageModelV3CallOptions | string]>([
    ['another model', 'other-model'],
    ['the temperature', { ...base, temperature: 0.7 }],
    ['the seed', { ...base, seed: 1 }],
    ['maxOutputTokens', { ...base, maxOutputTokens: 10 }],
    ['providerOptions', { ...base, providerOptions: { openai: { reasoningEffort: 'low' } } }],
    ['the prompt', { ...base, prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi!' }] }] }],
    ['the tools', { ...base, tools: [{ type: 'function', name: 'f', inputSchema: { type: 'object' } }] }],
    ['the tool choice', { ...base, toolChoice: { type: 'required' } }],
  ])('changes with %s', (_what, variant) => {
    const key = modelCallKey('m', 'generate', base);
    const other = typeof variant === 'string' ? modelCallKey(variant, 'generate', base) : modelCallKey('m', 'generate', variant);
    expect(other).not.toBe(key);
  });
});

describe('the model-call cache', () => {
  it('answers a repeated call from disk, across cache instances, with the full result and the original usage', async () => {
    const { model, calls } = countingModel();
    const directory = freshDirectory();
    const events: ModelCallEvent[] = [];
    const first = await generateText({ model: createModelCallCache({ directory }).wrap(model, { modelIdentity: 'm', onCall: (event) => events.push(event) }), prompt: 'Hello', temperature: 0, maxRetries: 0 });
    // A new cache object over the same folder: what a new process would see.
    const second = await generateText({ model: createModelCallCache({ directory }).wrap(model, { modelIdentity: 'm', onCall: (event) => events.push(event) }), prompt: 'Hello', temperature: 0, maxRetries: 0 });
    expect(calls).toHaveLength(1);
    expect(second.text).toBe('reply 1');
    expect(second.text).toBe(first.text);
    expect(second.usage).toEqual(first.usage);
    expect(second.finishReason).toBe('stop');
    expect(second.response.id).toBe('response-1');
    expect(second.response.timestamp).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect(events.map((event) => [event.cached, event.usage])).toEqual([
      [false, { inputTokens: 10, outputTokens: 1, reasoningTokens: 1 }],
      [true, { inputTokens: 10, outputTokens: 1, reasoningTokens: 1 }],
    ]);
    // The cached call reports the original call's duration, not the near-zero time of the hit.
    expect(events[1]?.durationMs).toBe(events[0]?.durationMs);
  });

  it('misses when a setting differs', async () => {
    const { model, calls } = countingModel();
    const cached = createModelCallCache({ directory: freshDirectory() }).wrap(model, { modelIdentity: 'm' });
    await generateText({ model: cached, prompt: 'Hello', temperature: 0, maxRetries: 0 });
    await generateText({ model: cached, prompt: 'Hello', temperature: 0.5, maxRetries: 0 });
    await generateText({ model: cached, prompt: 'Hello', temperature: 0, seed: 3, maxRetries: 0 });
    await generateText({ model: cached, prompt: 'Hello', temperature: 0, seed: 3, maxRetries: 0 });
    expect(calls).toHaveLength(3);
  });

  it('shares one call among identical calls in flight', async () => {
    const { model, calls } = countingModel(30);
    const cache = createModelCallCache({ directory: freshDirectory() });
    const cached = cache.wrap(model, { modelIdentity: 'm' });
    const results = await Promise.all([1, 2, 3].map(() => generateText({ model: cached, prompt: 'Same', maxRetries: 0 })));
    expect(calls).toHaveLength(1);
    expect(results.map((result) => result.text)).toEqual(['reply 1', 'reply 1', 'reply 1']);
    expect(cache.stats).toEqual({ hits: 0, misses: 1, shared: 2 });
  });

  it('writes entries atomically: one JSON file per call, no temporary file left; a damaged entry is a miss', async () => {
    const { model, calls } = countingModel();
    const directory = freshDirectory();
    const cached = createModelCallCache({ directory }).wrap(model, { modelIdentity: 'm' });
    await generateText({ model: cached, prompt: 'One', maxRetries: 0 });
    await generateText({ model: cached, prompt: 'Two', maxRetries: 0 });
    const files = await entryFiles(directory);
    expect(files).toHaveLength(2);
    expect(files.every((file) => /[0-9a-f]{2}\/[0-9a-f]{64}\.json$/.test(file))).toBe(true);
    const entry = JSON.parse(await readFile(files[0] as string, 'utf8')) as { mode: string; result: { content: unknown[] } };
    expect(entry.mode).toBe('generate');
    expect(entry.result.content).toHaveLength(1);

    for (const file of files) await writeFile(file, '{"version":1,"key":"trunc');
    const again = await generateText({ model: cached, prompt: 'One', maxRetries: 0 });
    expect(calls).toHaveLength(3);
    expect(again.text).toBe('reply 3');
  });

  it('does not cache failures', async () => {
    let fail = true;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        if (fail) throw new Error('provider down');
        return textReply('fine', { input: 1, output: 1 });
      },
    });
    const directory = freshDirectory();
    const cached = createModelCallCache({ directory }).wrap(model, { modelIdentity: 'm' });
    await expect(generateText({ model: cached, prompt: 'x', maxRetries: 0 })).rejects.toThrow(/provider down/);
    fail = false;
    expect((await generateText({ model: cached, prompt: 'x', maxRetries: 0 })).text).toBe('fine');
  });

  it('records and replays streams', async () => {
    let streams = 0;
    const parts: LanguageModelV3StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'Hello ' },
      { type: 'text-delta', id: 't', delta: 'world' },
      { type: 'text-end', id: 't' },
      { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: reportedUsage({ input: 4, output: 2 }) },
    ];
    const model = new MockLanguageModelV3({
      doStream: async () => {
        streams += 1;
        return { stream: convertArrayToReadableStream(parts) };
      },
    });
    const directory = freshDirectory();
    const events: ModelCallEvent[] = [];
    const run = async () => {
      const result = streamText({ model: createModelCallCache({ directory }).wrap(model, { modelIdentity: 'm', onCall: (event) => events.push(event) }), prompt: 'Stream', maxRetries: 0 });
      return { text: await result.text, usage: await result.usage };
    };
    const first = await run();
    const second = await run();
    expect(streams).toBe(1);
    expect(second).toEqual(first);
    expect(second.text).toBe('Hello world');
    expect(events.map((event) => [event.cached, event.usage.outputTokens])).toEqual([
      [false, 2],
      [true, 2],
    ]);
  });
});

describe('the concurrency limiter', () => {
  it('holds a slot per call, queues the rest, and lets a queued caller give up', async () => {
    const limiter = createConcurrencyLimiter(1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const queued = limiter.acquire(controller.signal);
    controller.abort(new Error('gave up'));
    await expect(queued).rejects.toThrow('gave up');
    const next = limiter.acquire();
    expect(limiter.active).toBe(1);
    release();
    (await next)();
    expect(limiter.active).toBe(0);
  });

  it('holds a stream\'s slot until the stream ends', async () => {
    const limiter = createConcurrencyLimiter(1);
    let finishStream: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finishStream = resolve));
    const model = new MockLanguageModelV3({
      doStream: async () => ({
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          async start(controller) {
            controller.enqueue({ type: 'text-start', id: 't' });
            controller.enqueue({ type: 'text-delta', id: 't', delta: 'x' });
            await finished;
            controller.enqueue({ type: 'text-end', id: 't' });
            controller.enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: reportedUsage({ input: 1, output: 1 }) });
            controller.close();
          },
        }),
      }),
    });
    const result = streamText({ model: withConcurrencyLimit(model, limiter), prompt: 'x', maxRetries: 0 });
    const text = result.text;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(limiter.active).toBe(1);
    finishStream();
    expect(await text).toBe('x');
    expect(limiter.active).toBe(0);
  });
});
