/**
 * The one test-time path: ask, streamAsk, chat and streamChat share their setup and settling, so
 * they record the same run fields (usage, freshness, prefix-cache hit, time to first token) and pass
 * the same provider options (a cache breakpoint on the prefix); a cancelled or failed call is never
 * recorded as a success. Also the engine's reads and writes beyond put/get: append, learned history
 * and diff, abandoning a run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prefixCacheProviderMetadata } from '../models/prefix-cache-report.js';
import type { SleeptimeModel } from '../models/types.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { finish, reportedUsage, rethink, textReply, toolCallsReply } from '../testing/mock-models.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { createEngine, learnedContextSystemMessage, type AskStream, type ChatStream, type Engine, type TestTimeStreamEvent } from './index.js';

const breakpoint = { anthropic: { cacheControl: { type: 'ephemeral' } } };

let dataDir: string;
let store: Store;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-paths-'));
  store = await openStore({ kind: 'sqlite', dataDir });
});

afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

type StreamScript = LanguageModelV3StreamPart[] | ((options: LanguageModelV3CallOptions) => ReadableStream<LanguageModelV3StreamPart>);

/** A model whose generate calls play `generate` and stream calls play `stream`, in order; with a cache breakpoint like Anthropic's. */
function modelWith(generate: Parameters<typeof textReply>[] | ReturnType<typeof textReply>[], stream: StreamScript[] = []) {
  const generateCalls: LanguageModelV3CallOptions[] = [];
  const streamCalls: LanguageModelV3CallOptions[] = [];
  const languageModel = new MockLanguageModelV3({
    doGenerate: async (options) => {
      generateCalls.push(options);
      const next = generate.shift();
      if (next === undefined) throw new Error('no more scripted replies');
      return next as ReturnType<typeof textReply>;
    },
    doStream: async (options) => {
      streamCalls.push(options);
      const next = stream.shift();
      if (next === undefined) throw new Error('no more scripted streams');
      return { stream: typeof next === 'function' ? next(options) : partsStream(next) };
    },
  });
  const model: SleeptimeModel = {
    spec: 'mock:paths',
    provider: 'anthropic',
    languageModel,
    callSettings: (budget) => ({ maxOutputTokens: budget.maxOutputTokens ?? 256 }),
    systemMessageProviderOptions: breakpoint,
    close: async () => undefined,
  };
  return { model, generateCalls, streamCalls };
}

function partsStream(parts: LanguageModelV3StreamPart[]): ReadableStream<LanguageModelV3StreamPart> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

const cacheHit = prefixCacheProviderMetadata({ prefixCacheHit: true, timeToFirstTokenMs: 42, cachedPromptTokens: 100 });

function textParts(pieces: string[], options: { providerMetadata?: typeof cacheHit } = {}): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...pieces.map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't', delta })),
    { type: 'text-end', id: 't' },
    {
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: reportedUsage({ input: 30, output: 7 }),
      ...(options.providerMetadata === undefined ? {} : { providerMetadata: options.providerMetadata }),
    },
  ];
}

async function collect<Result>(events: AsyncIterable<TestTimeStreamEvent<Result>>): Promise<TestTimeStreamEvent<Result>[]> {
  const seen: TestTimeStreamEvent<Result>[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** A context with a learned context made from its current version. */
async function preparedContext(engine: Engine, id = 'notes'): Promise<void> {
  await engine.putContext({ id, text: 'Ana buys 3 apples at $2 each.' });
  await engine.sleep(id);
}

function withSleep<T extends unknown[]>(...replies: T) {
  return [rethink('Ana pays 3 * 2 = 6 dollars.', { input: 10, output: 10 }), finish({ input: 5, output: 1 }), ...replies];
}

describe('every test-time path records the same run', () => {
  it('ask, streamAsk, chat and streamChat record usage, freshness, prefix-cache hit and time to first token, with the cache breakpoint on the prefix', async () => {
    const generated = { ...textReply('The answer is 6.', { input: 30, output: 7 }), providerMetadata: cacheHit };
    const { model, generateCalls, streamCalls } = modelWith(withSleep(generated, { ...generated }), [textParts(['The answer ', 'is 6.'], { providerMetadata: cacheHit }), textParts(['Six.'], { providerMetadata: cacheHit })]);
    const engine = createEngine({ store, model });
    await preparedContext(engine);

    const asked = await engine.ask('notes', 'How much does Ana pay?', { verbosity: 0 });
    const streamed = await engine.streamAsk('notes', 'How much does Ana pay?', { verbosity: 0 });
    const streamedEvents = await collect(streamed.events);
    const chatted = await engine.chat('notes', { messages: [{ role: 'user', content: 'How much?' }] });
    const chatStream = await engine.streamChat('notes', { messages: [{ role: 'user', content: 'How much?' }] });
    await collect(chatStream.events);

    const streamedResult = streamedEvents.at(-1);
    expect(streamedEvents.filter((event) => event.type === 'text-delta').map((event) => (event.type === 'text-delta' ? event.text : ''))).toEqual(['The answer ', 'is 6.']);
    expect(streamedResult?.type === 'finish' && streamedResult.result).toMatchObject({ answer: 'The answer is 6.', final: '6', fresh: true, prefixCacheHit: true, timeToFirstTokenMs: 42 });
    expect(asked).toMatchObject({ answer: 'The answer is 6.', final: '6', fresh: true, prefixCacheHit: true, timeToFirstTokenMs: 42 });
    expect(chatted).toMatchObject({ text: 'The answer is 6.', toolCalls: [], finishReason: 'stop', fresh: true, prefixCacheHit: true });

    const runs = (await engine.runs('notes')).filter((run) => run.kind === 'ask');
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      expect(run).toMatchObject({ status: 'succeeded', fresh: true, usage: { inputTokens: 30, outputTokens: 7, reasoningTokens: 0 }, prefixCacheHit: true, timeToFirstTokenMs: 42 });
      expect(run.learnedContextId).not.toBeNull();
      expect(await engine.runCalls(run.id)).toHaveLength(1);
    }
    // The prefix (the system message) carries the cache breakpoint on every path.
    for (const call of [...generateCalls.slice(2), ...streamCalls]) {
      expect(call.prompt[0]).toMatchObject({ role: 'system', providerOptions: breakpoint });
    }
    expect((call(streamCalls, 1).prompt[0] as { content: string }).content).toBe(learnedContextSystemMessage('Ana pays 3 * 2 = 6 dollars.'));
  });

  it('measures the time to first token of a stream when the provider does not report it', async () => {
    let tick = 0;
    const { model } = modelWith([], [textParts(['x'])]);
    const engine = createEngine({ store, model, now: () => (tick += 5) });
    await engine.putContext({ id: 'notes', text: 'Some text.' });
    const stream = await engine.streamAsk('notes', 'What?');
    const last = (await collect(stream.events)).at(-1);
    const result = last?.type === 'finish' ? last.result : undefined;
    expect(result?.timeToFirstTokenMs).toBeGreaterThan(0);
    // No report of its own: the provider's count of cached prompt tokens (0 here) decides.
    expect(result?.prefixCacheHit).toBe(false);
    expect((await engine.getRun(stream.runId))?.timeToFirstTokenMs).toBe(result?.timeToFirstTokenMs);
  });
});

describe('a cancelled or failed test-time call is never a success', () => {
  /** A stream that sends one piece, then waits until the call is aborted. */
  const hanging = (options: LanguageModelV3CallOptions) =>
    new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings: [] });
        controller.enqueue({ type: 'text-start', id: 't' });
        controller.enqueue({ type: 'text-delta', id: 't', delta: 'Let me work through this' });
        options.abortSignal?.addEventListener('abort', () => controller.error(options.abortSignal?.reason), { once: true });
      },
    });

  it('records a stream whose reader stops (a client that hung up) as failed: aborted', async () => {
    const { model } = modelWith([], [hanging]);
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'notes', text: 'Some text.' });
    const stream: AskStream = await engine.streamAsk('notes', 'What?');
    for await (const event of stream.events) {
      expect(event).toEqual({ type: 'text-delta', text: 'Let me work through this' });
      break;
    }
    // The provider never reported usage: the pieces that arrived are the tokens known so far, marked partial.
    expect(await engine.getRun(stream.runId)).toMatchObject({
      status: 'failed',
      error: { code: 'aborted' },
      usage: { inputTokens: 0, outputTokens: 1, reasoningTokens: 0 },
      usagePartial: true,
    });
  });

  it("records a stream cancelled through the caller's signal as failed: aborted, and the iterator throws", async () => {
    const { model } = modelWith([], [hanging]);
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'notes', text: 'Some text.' });
    const abort = new AbortController();
    const stream: ChatStream = await engine.streamChat('notes', { messages: [{ role: 'user', content: 'Hi' }], signal: abort.signal });
    const error = await sleeptimeErrorOf(
      (async () => {
        for await (const event of stream.events) if (event.type === 'text-delta') abort.abort();
      })(),
    );
    expect(error.code).toBe('aborted');
    expect(await engine.getRun(stream.runId)).toMatchObject({ status: 'failed', error: { code: 'aborted' }, usage: { outputTokens: 1 }, usagePartial: true });
  });

  it('records an upstream failure in the middle of a stream as failed with its code', async () => {
    const failing = () =>
      new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'text-start', id: 't' });
          controller.enqueue({ type: 'text-delta', id: 't', delta: 'Partial' });
          controller.enqueue({ type: 'error', error: new Error('upstream went away') });
          controller.close();
        },
      });
    const { model } = modelWith([], [failing]);
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'notes', text: 'Some text.' });
    const stream = await engine.streamAsk('notes', 'What?');
    const error = await sleeptimeErrorOf(collect(stream.events));
    expect({ code: error.code, category: error.category }).toEqual({ code: 'ask_failed', category: 'upstream' });
    expect(await engine.getRun(stream.runId)).toMatchObject({ status: 'failed', error: { code: 'ask_failed' } });
  });

  it('refuses a stream before any run is started when the context is unknown', async () => {
    const { model, streamCalls } = modelWith([]);
    const engine = createEngine({ store, model });
    expect((await sleeptimeErrorOf(engine.streamAsk('nope', 'What?'))).code).toBe('context_not_found');
    expect(streamCalls).toHaveLength(0);
  });
});

describe('chat', () => {
  const tools = [{ name: 'lookup', description: 'Looks a word up', parameters: { type: 'object', properties: { word: { type: 'string' } } } }];

  it('puts the learned context before the caller\'s messages and returns tool calls without running them', async () => {
    const { model, generateCalls } = modelWith(withSleep(toolCallsReply([{ toolName: 'lookup', input: { word: 'apple' } }], { input: 40, output: 9 })));
    const engine = createEngine({ store, model });
    await preparedContext(engine);
    const result = await engine.chat('notes', {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is an apple?' },
      ],
      tools,
      runSettings: { via: 'test' },
    });
    expect(result.toolCalls).toEqual([{ id: expect.any(String), name: 'lookup', arguments: '{"word":"apple"}' }]);
    expect(result.finishReason).toBe('tool-calls');
    const prompt = call(generateCalls, 2).prompt;
    expect(prompt.map((message) => message.role)).toEqual(['system', 'system', 'user']);
    expect(prompt[1]).toMatchObject({ role: 'system', content: 'Be brief.' });
    const run = await engine.getRun(result.runId);
    expect(run).toMatchObject({ status: 'succeeded', question: 'What is an apple?', final: null, settings: { via: 'test' } });
    expect(JSON.parse(run?.answer ?? '')).toEqual({ tool_calls: [{ name: 'lookup', arguments: '{"word":"apple"}' }] });
  });

  it('streams a tool call as one start and argument pieces that add up to its arguments', async () => {
    const parts: LanguageModelV3StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'tool-input-start', id: 'call-1', toolName: 'lookup' },
      { type: 'tool-input-delta', id: 'call-1', delta: '{"word":' },
      { type: 'tool-input-delta', id: 'call-1', delta: '"pear"}' },
      { type: 'tool-input-end', id: 'call-1' },
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookup', input: '{"word":"pear"}' },
      // A provider that streams no pieces sends only the complete call.
      { type: 'tool-call', toolCallId: 'call-2', toolName: 'lookup', input: '{"word":"fig"}' },
      { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage: reportedUsage({ input: 20, output: 12 }) },
    ];
    const { model } = modelWith([], [parts]);
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'notes', text: 'Fruit.' });
    const stream = await engine.streamChat('notes', { messages: [{ role: 'user', content: 'Look up pear and fig' }], tools });
    expect(stream.fresh).toBeNull();
    const events = await collect(stream.events);
    const byIndex = new Map<number, { id: string; name: string; arguments: string }>();
    for (const event of events) {
      if (event.type === 'tool-call-start') byIndex.set(event.index, { id: event.id, name: event.name, arguments: '' });
      if (event.type === 'tool-call-delta') byIndex.get(event.index)!.arguments += event.argumentsDelta;
    }
    expect([...byIndex.values()]).toEqual([
      { id: 'call-1', name: 'lookup', arguments: '{"word":"pear"}' },
      { id: 'call-2', name: 'lookup', arguments: '{"word":"fig"}' },
    ]);
    const last = events.at(-1);
    expect(last?.type === 'finish' && last.result.toolCalls.map((toolCall) => toolCall.arguments)).toEqual(['{"word":"pear"}', '{"word":"fig"}']);
  });

  it('leaves the learned context out when asked to (a stale one under the without policy)', async () => {
    const { model, generateCalls } = modelWith(withSleep(textReply('Hello.', { input: 5, output: 2 })));
    const engine = createEngine({ store, model });
    await preparedContext(engine);
    const result = await engine.chat('notes', { messages: [{ role: 'user', content: 'Hi' }], useLearned: false });
    expect(result.fresh).toBeNull();
    expect(call(generateCalls, 2).prompt.map((message) => message.role)).toEqual(['user']);
  });
});

describe('contexts, learned contexts and runs beyond put and get', () => {
  it('appends with a separator, creating the context when new', async () => {
    const engine = createEngine({ store, model: modelWith([]).model });
    expect(await engine.appendContext({ id: 'log', text: 'first' })).toMatchObject({ version: 1, text: 'first' });
    expect(await engine.appendContext({ id: 'log', text: 'second', separator: ' | ' })).toMatchObject({ version: 2, text: 'first | second' });
    expect((await sleeptimeErrorOf(engine.appendContext({ id: 'log', text: '  ' }))).code).toBe('empty_context_text');
    expect((await sleeptimeErrorOf(engine.appendContext({ id: 'log', text: 'x', separator: 'x'.repeat(17) }))).code).toBe('invalid_option');
  });

  it('lists contexts by prefix, in id order, paged', async () => {
    const engine = createEngine({ store, model: modelWith([]).model });
    for (const id of ['a.2', 'b.1', 'a.1', 'a.3']) await engine.putContext({ id, text: 't' });
    expect((await engine.listContexts({ prefix: 'a.', limit: 2 })).map((context) => context.id)).toEqual(['a.1', 'a.2']);
    expect((await engine.listContexts({ prefix: 'a.', after: 'a.2' })).map((context) => context.id)).toEqual(['a.3']);
  });

  it('numbers learned versions, tells their freshness and diffs any two', async () => {
    const { model } = modelWith([
      rethink('line one\nline two', { input: 1, output: 1 }),
      finish({ input: 1, output: 1 }),
      rethink('line one\nline 2\nline three', { input: 1, output: 1 }),
      finish({ input: 1, output: 1 }),
    ]);
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'notes', text: 'v1' });
    await engine.sleep('notes');
    await engine.putContext({ id: 'notes', text: 'v2' });
    await engine.sleep('notes');
    const history = await engine.learnedHistory('notes');
    expect(history.versions.map(({ version, fresh }) => ({ version, fresh }))).toEqual([
      { version: 1, fresh: false },
      { version: 2, fresh: true },
    ]);
    const diff = await engine.learnedDiff('notes');
    expect(diff).toMatchObject({ from: 1, to: 2, added: 2, removed: 1 });
    expect(diff.hunks[0]?.lines.filter((line) => !line.startsWith('\\'))).toEqual([' line one', '-line two', '+line 2', '+line three']);
    expect((await sleeptimeErrorOf(engine.learnedDiff('notes', { from: 1, to: 3 }))).code).toBe('learned_version_not_found');
  });

  it('abandons a running run once, and never a finished one', async () => {
    const engine = createEngine({ store, model: modelWith([]).model });
    await engine.putContext({ id: 'notes', text: 't' });
    const running = await store.runs.start({ contextId: 'notes', kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
    expect(await engine.abandonRun(running.id, { code: 'worker_lost', message: 'gone' })).toBe(true);
    expect(await engine.abandonRun(running.id, { code: 'worker_lost', message: 'gone' })).toBe(false);
    expect(await engine.getRun(running.id)).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    expect(await engine.abandonRun('no-such-run', { code: 'worker_lost', message: 'gone' })).toBe(false);
  });
});

function call(calls: LanguageModelV3CallOptions[], index: number): LanguageModelV3CallOptions {
  const found = calls[index];
  if (found === undefined) throw new Error(`no call #${index}`);
  return found;
}

describe('a context deleted while the model answers', () => {
  /** A model whose every call first deletes the context it is answering about, then answers. */
  function deletingModel(engine: () => Engine): SleeptimeModel {
    const languageModel = new MockLanguageModelV3({
      doGenerate: async () => {
        await engine().deleteContext('notes');
        return textReply('The answer is 6.', { input: 30, output: 7 });
      },
      doStream: async () => {
        await engine().deleteContext('notes');
        return { stream: partsStream(textParts(['The answer ', 'is 6.'])) };
      },
    });
    return { spec: 'mock:deleting', provider: 'openai', languageModel, callSettings: (budget) => ({ maxOutputTokens: budget.maxOutputTokens ?? 256 }), close: async () => undefined };
  }

  it('still gives the caller the answer the upstream finished, whole or streamed; nothing is left to record it under', async () => {
    const holder: { engine?: Engine } = {};
    const engine = createEngine({ store, model: deletingModel(() => holder.engine as Engine) });
    holder.engine = engine;
    await engine.putContext({ id: 'notes', text: 'Ana buys 3 apples at $2 each.' });
    const asked = await engine.ask('notes', 'How much does Ana pay?');
    expect(asked).toMatchObject({ answer: 'The answer is 6.', final: '6' });
    expect(await engine.getRun(asked.runId)).toBeUndefined();

    await engine.putContext({ id: 'notes', text: 'Ana buys 3 apples at $2 each.' });
    const stream = await engine.streamAsk('notes', 'How much does Ana pay?');
    const events = await collect(stream.events);
    expect(events.at(-1)).toMatchObject({ type: 'finish', result: { answer: 'The answer is 6.', final: '6' } });
    expect(events.some((event) => event.type === 'text-delta')).toBe(true);
    await expect(engine.getContext('notes')).rejects.toMatchObject({ code: 'context_not_found' });
  });
});
