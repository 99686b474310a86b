import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SleeptimeError, userError } from '../errors.js';
import { openStore } from '../store/index.js';
import type { RunRepository, Store } from '../store/types.js';
import { createEngine, defaultMaxContextBytes, type Engine, type SleepProgressEvent } from './index.js';
import { verbosityInstructions } from './prompts.js';
import {
  delay,
  finish,
  markerProviderOptions,
  rethink,
  scriptedLanguageModel,
  systemMessage,
  testModel,
  textReply,
  userMessageText,
  type ScriptStep,
  type TestModel,
} from '../testing/mock-models.js';

const contextText = 'Ana has 3 boxes with 12 pencils each. She gives 5 pencils to Ben.';
const learnedMemory = 'Ana starts with 3 * 12 = 36 pencils. After giving 5 to Ben she has 31. Ben got 5.';

let dataDir: string;
let store: Store;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sleeptime-engine-'));
  store = await openStore({ kind: 'sqlite', dataDir });
});

afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

function engineWith(script: ScriptStep[], callSettings?: Parameters<typeof testModel>[1]): { engine: Engine; model: TestModel } {
  const model = testModel(scriptedLanguageModel(script), callSettings);
  return { engine: createEngine({ store, model }), model };
}

async function expectSleeptimeError(promise: Promise<unknown>, code: string, category?: string): Promise<SleeptimeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!SleeptimeError.isInstance(error)) throw new Error(`Expected a SleeptimeError ${code}, got ${String(error)}`);
  expect(error.code).toBe(code);
  if (category !== undefined) expect(error.category).toBe(category);
  return error;
}

/** Puts the context and publishes a first learned context from `learnedMemory`. */
async function contextWithLearned(id = 'pencils'): Promise<{ learnedContextId: number }> {
  const { engine } = engineWith([rethink(learnedMemory, { input: 10, output: 10 }), finish({ input: 10, output: 1 })]);
  await engine.putContext({ id, text: contextText });
  const result = await engine.sleep(id);
  return { learnedContextId: result.learnedContextId };
}

describe('contexts', () => {
  it('rejects invalid ids and empty text without writing anything', async () => {
    const { engine } = engineWith([]);
    for (const id of ['', '-leading-dash', '.hidden', 'has space', 'a/b', 'x'.repeat(129), 'ünïcode']) {
      const error = await expectSleeptimeError(engine.putContext({ id, text: 'text' }), 'invalid_context_id', 'user');
      expect(error.message).toContain(`"${id}"`);
    }
    await expectSleeptimeError(engine.putContext({ id: 'ok', text: ' \n\t ' }), 'empty_context_text', 'user');
    await expectSleeptimeError(engine.putContext({ id: 'ok', text: '' }), 'empty_context_text', 'user');
    expect(await engine.listContexts()).toEqual([]);
  });

  it('accepts the id pattern edges and bumps the version on every write', async () => {
    const { engine } = engineWith([]);
    await engine.putContext({ id: 'a', text: 't' });
    await engine.putContext({ id: 'A.b_c-1', text: 't' });
    await engine.putContext({ id: 'x'.repeat(128), text: 't', metadata: { source: 'test' } });
    const second = await engine.putContext({ id: 'a', text: 't2' });
    expect(second.version).toBe(2);
    expect((await engine.getContext('a')).text).toBe('t2');
    expect((await engine.listContexts()).map((context) => context.id).sort()).toEqual(['A.b_c-1', 'a', 'x'.repeat(128)]);
  });

  it('names the unknown id on get, delete, sleep, ask, runs and learnedContext', async () => {
    const { engine, model } = engineWith([]);
    const unknown = [
      () => engine.getContext('nope'),
      () => engine.deleteContext('nope'),
      () => engine.sleep('nope'),
      () => engine.ask('nope', 'How many?'),
      () => engine.runs('nope'),
      () => engine.learnedContext('nope'),
    ];
    for (const call of unknown) {
      const error = await expectSleeptimeError(call(), 'context_not_found', 'user');
      expect(error.message).toContain('nope');
    }
    expect(model.languageModel.doGenerateCalls).toHaveLength(0);
  });

  it('deletes a context', async () => {
    const { engine } = engineWith([]);
    await engine.putContext({ id: 'gone', text: 'x' });
    await engine.deleteContext('gone');
    await expectSleeptimeError(engine.getContext('gone'), 'context_not_found');
  });

  it('refuses a put or an append past 4 MiB of UTF-8 by default, writing nothing', async () => {
    const { engine } = engineWith([]);
    expect(defaultMaxContextBytes).toBe(4 * 1024 * 1024);
    const error = await expectSleeptimeError(engine.putContext({ id: 'big', text: 'x'.repeat(defaultMaxContextBytes + 1) }), 'context_too_large', 'user');
    expect(error.message).toContain(`${defaultMaxContextBytes + 1} bytes`);
    expect(error.message).toContain(`limit of ${defaultMaxContextBytes} bytes`);
    await expectSleeptimeError(engine.getContext('big'), 'context_not_found');
    await engine.putContext({ id: 'big', text: 'x'.repeat(defaultMaxContextBytes - 2) });
    await expectSleeptimeError(engine.appendContext({ id: 'big', text: 'xx' }), 'context_too_large', 'user');
    expect(await engine.appendContext({ id: 'big', text: 'x' })).toMatchObject({ version: 2 });
  });

  it('takes maxContextBytes as an option and refuses one that is not a positive whole number', async () => {
    const engine = createEngine({ store, model: testModel(scriptedLanguageModel([])), maxContextBytes: 10 });
    await engine.appendContext({ id: 'small', text: '12345' });
    const error = await expectSleeptimeError(engine.appendContext({ id: 'small', text: '12345' }), 'context_too_large', 'user');
    expect(error.details).toEqual({ maxBytes: 10, bytes: 11 });
    expect((await engine.getContext('small')).text).toBe('12345');
    for (const maxContextBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => createEngine({ store, model: testModel(scriptedLanguageModel([])), maxContextBytes })).toThrow(/maxContextBytes/);
    }
  });

  it('passes a write\'s quota to the store, and refuses one whose prefix is not the id\'s or whose limits are not whole numbers', async () => {
    const { engine } = engineWith([]);
    const quota = { prefix: 'tq.', maxContexts: 1, maxBytes: 4 };
    await engine.putContext({ id: 'tq.a', text: 'abc' }, { quota });
    await expectSleeptimeError(engine.appendContext({ id: 'tq.b', text: 'b' }, { quota }), 'tenant_context_limit', 'user');
    await expectSleeptimeError(engine.appendContext({ id: 'tq.a', text: 'b' }, { quota }), 'tenant_storage_limit', 'user');
    await expectSleeptimeError(engine.putContext({ id: 'other', text: 'x' }, { quota }), 'invalid_option', 'user');
    await expectSleeptimeError(engine.putContext({ id: 'tq.a', text: 'x' }, { quota: { prefix: 'tq.', maxBytes: -1 } }), 'invalid_option', 'user');
    expect((await engine.getContext('tq.a')).text).toBe('abc');
  });
});

describe('sleep', () => {
  it('publishes the last rewrite, with usage equal to the sum of what the model reported', async () => {
    const { engine, model } = engineWith([
      rethink('first draft', { input: 100, output: 40, reasoning: 15 }),
      rethink(learnedMemory, { input: 180, output: 60, reasoning: 25 }),
      finish({ input: 260, output: 4, reasoning: 3 }),
    ]);
    await engine.putContext({ id: 'pencils', text: contextText });
    const events: SleepProgressEvent[] = [];
    const result = await engine.sleep('pencils', { effort: 'high', maxOutputTokens: 777, onProgress: (event) => events.push(event) });

    expect(result.learned).toBe(learnedMemory);
    expect(result.sourceVersion).toBe(1);
    expect(result.usage).toEqual({ inputTokens: 540, outputTokens: 104, reasoningTokens: 43 });
    expect(result.branches).toEqual([
      expect.objectContaining({ branch: 0, memory: learnedMemory, rewrites: 2, stopReason: 'finished', usage: result.usage }),
    ]);

    // The budget went through callSettings and its output reached the model, at temperature 0 for k = 1.
    expect(model.budgets).toEqual([{ maxOutputTokens: 777, effort: 'high' }]);
    for (const call of model.languageModel.doGenerateCalls) {
      expect(call.providerOptions).toEqual(markerProviderOptions);
      expect(call.maxOutputTokens).toBe(777);
      expect(call.temperature).toBe(0);
    }

    const learned = await engine.learnedContext('pencils');
    expect(learned).toEqual({ record: expect.objectContaining({ id: result.learnedContextId, text: learnedMemory, sourceVersion: 1, runId: result.runId }), fresh: true });

    const [run] = await engine.runs('pencils');
    expect(run).toMatchObject({
      id: result.runId,
      kind: 'sleep',
      status: 'succeeded',
      model: 'mock:scripted',
      sourceVersion: 1,
      usage: result.usage,
      settings: { parallel: 1, effort: 'high', maxRewrites: 10, maxOutputTokens: 777, temperature: 0 },
    });
    const calls = await engine.runCalls(result.runId);
    expect(calls.map((call) => [call.phase, call.branch, call.step, call.finishReason])).toEqual([
      ['sleep', 0, 0, 'tool-calls'],
      ['sleep', 0, 1, 'tool-calls'],
      ['sleep', 0, 2, 'tool-calls'],
    ]);
    expect(calls.map((call) => call.usage)).toEqual([
      { inputTokens: 100, outputTokens: 40, reasoningTokens: 15 },
      { inputTokens: 180, outputTokens: 60, reasoningTokens: 25 },
      { inputTokens: 260, outputTokens: 4, reasoningTokens: 3 },
    ]);

    expect(events.map((event) => event.type)).toEqual([
      'branch-started',
      'model-call',
      'rewrite',
      'model-call',
      'rewrite',
      'model-call',
      'branch-finished',
    ]);
    expect(events.at(-1)).toEqual({ type: 'branch-finished', branch: 0, rewrites: 2, stopReason: 'finished', usage: result.usage });
  });

  it('reports max-rewrites and passes examples and the limit to the agent', async () => {
    const { engine, model } = engineWith([rethink('first memory', { input: 1, output: 1 }), rethink('second memory', { input: 1, output: 1 })]);
    await engine.putContext({ id: 'c', text: contextText });
    const result = await engine.sleep('c', { maxRewrites: 2, examples: ['How many pencils does Ana keep?'] });
    expect(result.learned).toBe('second memory');
    expect(result.branches[0]?.stopReason).toBe('max-rewrites');
    const trigger = userMessageText(model.languageModel.doGenerateCalls[0]?.prompt ?? []);
    expect(trigger).toContain('How many pencils does Ana keep?');
    expect(trigger).toContain('at most 2 time(s)');
  });

  it('runs k branches in parallel and concatenates them in branch order, whatever order they finish in', async () => {
    const labels = ['A', 'B', 'C'];
    const delays: Record<string, number> = { A: 80, B: 40, C: 0 };
    let firstCalls = 0;
    const labelOf = (prompt: LanguageModelV3Prompt): string => {
      const assistant = prompt.find((message) => message.role === 'assistant');
      if (assistant?.role !== 'assistant') throw new Error('no assistant turn');
      const call = assistant.content.find((part) => part.type === 'tool-call');
      const input = call?.type === 'tool-call' ? (call.input as { new_memory?: string }) : {};
      return (input.new_memory ?? '').slice(-1);
    };
    const languageModel = new MockLanguageModelV3({
      doGenerate: async (options: LanguageModelV3CallOptions) => {
        const isFirst = !options.prompt.some((message) => message.role === 'assistant');
        const label = isFirst ? (labels[firstCalls++] ?? '?') : labelOf(options.prompt);
        await delay(delays[label] ?? 0);
        return isFirst ? rethink(`memory of run ${label}`, { input: 10, output: 5, reasoning: 1 }) : finish({ input: 20, output: 1 });
      },
    });
    const model = testModel(languageModel);
    const engine = createEngine({ store, model });
    await engine.putContext({ id: 'c', text: contextText });
    const finished: number[] = [];
    const result = await engine.sleep('c', {
      parallel: 3,
      onProgress: (event) => {
        if (event.type === 'branch-finished') finished.push(event.branch);
      },
    });

    // Branch 0 was the slowest: completion order is the reverse of branch order.
    expect(finished).toEqual([2, 1, 0]);
    expect(result.branches.map((branch) => [branch.branch, branch.memory])).toEqual([
      [0, 'memory of run A'],
      [1, 'memory of run B'],
      [2, 'memory of run C'],
    ]);
    expect(result.learned).toBe(
      '=== Learned context 1 of 3 ===\nmemory of run A\n\n' +
        '=== Learned context 2 of 3 ===\nmemory of run B\n\n' +
        '=== Learned context 3 of 3 ===\nmemory of run C',
    );
    expect(result.usage).toEqual({ inputTokens: 90, outputTokens: 18, reasoningTokens: 3 });
    expect(languageModel.doGenerateCalls.map((call) => call.temperature)).toEqual([0.7, 0.7, 0.7, 0.7, 0.7, 0.7]);
    const calls = await engine.runCalls(result.runId);
    expect(calls.map((call) => [call.branch, call.step])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
    ]);
  });

  it('leaves out a branch that wrote nothing', async () => {
    let calls = 0;
    const languageModel = new MockLanguageModelV3({
      doGenerate: async (options) => {
        calls += 1;
        if (options.prompt.some((message) => message.role === 'assistant')) return finish({ input: 1, output: 1 });
        // The first branch to call finishes at once; the other writes a memory.
        return calls === 1 ? finish({ input: 1, output: 1 }) : rethink('the only memory', { input: 1, output: 1 });
      },
    });
    const engine = createEngine({ store, model: testModel(languageModel) });
    await engine.putContext({ id: 'c', text: contextText });
    const result = await engine.sleep('c', { parallel: 2, temperature: 0.2 });
    expect(result.learned).toBe('the only memory');
    expect(result.branches.map((branch) => branch.rewrites)).toEqual([0, 1]);
    expect(languageModel.doGenerateCalls.every((call) => call.temperature === 0.2)).toBe(true);
  });

  it('fails with empty_learned_context when no branch wrote anything, keeping the previous learned context', async () => {
    const { learnedContextId } = await contextWithLearned();
    const { engine } = engineWith([finish({ input: 7, output: 2, reasoning: 1 })]);
    await expectSleeptimeError(engine.sleep('pencils'), 'empty_learned_context', 'upstream');
    expect((await engine.learnedContext('pencils'))?.record.id).toBe(learnedContextId);
    const [failed] = await engine.runs('pencils');
    expect(failed).toMatchObject({
      kind: 'sleep',
      status: 'failed',
      error: { code: 'empty_learned_context' },
      usage: { inputTokens: 7, outputTokens: 2, reasoningTokens: 1 },
    });
  });

  it('fails half way without replacing the previous learned context, recording the usage spent', async () => {
    const { learnedContextId } = await contextWithLearned();
    const { engine } = engineWith([
      rethink('half-done memory', { input: 50, output: 20, reasoning: 5 }),
      rethink('half-done memory v2', { input: 70, output: 30, reasoning: 6 }),
      new Error('HTTP 500 from provider'),
    ]);
    const error = await expectSleeptimeError(engine.sleep('pencils'), 'sleep_failed', 'upstream');
    expect(error.message).toContain('HTTP 500 from provider');

    const latest = await engine.learnedContext('pencils');
    expect(latest?.record.id).toBe(learnedContextId);
    expect(latest?.record.text).toBe(learnedMemory);
    expect(await store.learned.history('pencils')).toHaveLength(1);

    const [failed] = await engine.runs('pencils');
    expect(failed).toMatchObject({
      kind: 'sleep',
      status: 'failed',
      learnedContextId: null,
      error: { code: 'sleep_failed', message: expect.stringContaining('HTTP 500') },
      usage: { inputTokens: 120, outputTokens: 50, reasoningTokens: 11 },
    });
    expect((await engine.runCalls(failed?.id ?? '')).map((call) => call.step)).toEqual([0, 1]);
  });

  it('stops the other branches when one fails and reports the first failure', async () => {
    let firstCalls = 0;
    const languageModel = new MockLanguageModelV3({
      doGenerate: async (options) => {
        firstCalls += 1;
        if (firstCalls === 2) throw userError('provider_rejected', 'bad request from branch 1');
        await delay(5_000, options.abortSignal);
        return finish({ input: 1, output: 1 });
      },
    });
    const engine = createEngine({ store, model: testModel(languageModel) });
    await engine.putContext({ id: 'c', text: contextText });
    const startedAt = Date.now();
    await expectSleeptimeError(engine.sleep('c', { parallel: 2 }), 'provider_rejected', 'user');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    const [failed] = await engine.runs('c');
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'provider_rejected' } });
  });

  it('fails with aborted when the caller cancels, publishing nothing', async () => {
    const languageModel = new MockLanguageModelV3({
      doGenerate: async (options) => {
        await delay(5_000, options.abortSignal);
        return finish({ input: 1, output: 1 });
      },
    });
    const engine = createEngine({ store, model: testModel(languageModel) });
    await engine.putContext({ id: 'c', text: contextText });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expectSleeptimeError(engine.sleep('c', { signal: controller.signal }), 'aborted');
    expect(await engine.learnedContext('c')).toBeUndefined();
    expect((await engine.runs('c'))[0]).toMatchObject({ status: 'failed', error: { code: 'aborted' } });
  });

  it('refuses an already cancelled sleep before starting a run', async () => {
    const { engine, model } = engineWith([]);
    await engine.putContext({ id: 'c', text: contextText });
    await expectSleeptimeError(engine.sleep('c', { signal: AbortSignal.abort() }), 'aborted', 'user');
    await expectSleeptimeError(engine.ask('c', 'How many?', { signal: AbortSignal.abort() }), 'aborted', 'user');
    expect(await engine.runs('c')).toEqual([]);
    expect(model.languageModel.doGenerateCalls).toHaveLength(0);
  });

  it('ignores a progress callback that throws', async () => {
    const { engine } = engineWith([rethink('memory of the context', { input: 1, output: 1 }), finish({ input: 1, output: 1 })]);
    await engine.putContext({ id: 'c', text: contextText });
    const result = await engine.sleep('c', {
      onProgress: () => {
        throw new Error('terminal went away');
      },
    });
    expect(result.learned).toBe('memory of the context');
  });

  it('fails the run when the store cannot record a call', async () => {
    const runs = store.runs;
    const brokenRuns: RunRepository = {
      start: (input) => runs.start(input),
      recordCall: async () => {
        throw new Error('disk I/O error');
      },
      complete: (runId, input) => runs.complete(runId, input),
      recordPrefixWarmUp: (runId, warmUp) => runs.recordPrefixWarmUp(runId, warmUp),
      fail: (runId, error, usage) => runs.fail(runId, error, usage),
      get: (runId) => runs.get(runId),
      list: (contextId, options) => runs.list(contextId, options),
      calls: (runId) => runs.calls(runId),
      statistics: (selection) => runs.statistics(selection),
      changes: (input) => runs.changes(input),
    };
    const brokenStore: Store = { kind: store.kind, jobs: store.jobs, contexts: store.contexts, learned: store.learned, runs: brokenRuns, tenants: store.tenants, apiKeys: store.apiKeys, sleepTokens: store.sleepTokens, close: () => store.close() };
    const model = testModel(scriptedLanguageModel([rethink('memory of the context', { input: 3, output: 2 }), finish({ input: 1, output: 1 })]));
    const engine = createEngine({ store: brokenStore, model });
    await engine.putContext({ id: 'c', text: contextText });
    const error = await expectSleeptimeError(engine.sleep('c'), 'store_failed', 'system');
    expect(error.message).toContain('disk I/O error');
    expect(model.languageModel.doGenerateCalls).toHaveLength(1);
    expect((await engine.runs('c'))[0]).toMatchObject({ status: 'failed', usage: { inputTokens: 3, outputTokens: 2, reasoningTokens: 0 } });
    expect(await engine.learnedContext('c')).toBeUndefined();
  });

  it('sleeps with the AIME instructions when promptStyle is aime, and records the choice on the run', async () => {
    const { engine, model } = engineWith([rethink(learnedMemory, { input: 10, output: 10 }), finish({ input: 10, output: 1 })]);
    await engine.putContext({ id: 'c', text: contextText });
    const result = await engine.sleep('c', { promptStyle: 'aime' });
    expect(systemMessage(model.languageModel.doGenerateCalls[0]?.prompt ?? [])).toMatch(/part of a competition math\s+problem \(AIME\)/);
    expect((await engine.runs('c'))[0]).toMatchObject({ id: result.runId, status: 'succeeded', settings: { promptStyle: 'aime' } });
  });

  it('caps each branch memory at maxMemoryCharacters: a longer rewrite is refused, the shorter one published, the cap recorded on the run', async () => {
    const tooLong = `${learnedMemory} ${'Ben could also ask how many boxes are left. '.repeat(4)}`;
    expect(tooLong.length).toBeGreaterThan(120);
    const { engine, model } = engineWith([rethink(tooLong, { input: 10, output: 40 }), rethink(learnedMemory, { input: 10, output: 10 }), finish({ input: 10, output: 1 })]);
    await engine.putContext({ id: 'c', text: contextText });
    const result = await engine.sleep('c', { maxMemoryCharacters: 120 });
    expect(userMessageText(model.languageModel.doGenerateCalls[0]?.prompt ?? [])).toContain('holds at most 120 characters');
    expect(result.branches[0]).toMatchObject({ rewrites: 1, refusals: [`the memory has ${tooLong.length} characters, more than the memory block's limit of 120`] });
    expect((await engine.learnedContext('c'))?.record.text).toBe(learnedMemory);
    expect((await engine.runs('c'))[0]).toMatchObject({ id: result.runId, status: 'succeeded', settings: { maxMemoryCharacters: 120 } });
  });

  it('rejects out-of-range budgets before starting a run', async () => {
    const { engine, model } = engineWith([]);
    await engine.putContext({ id: 'c', text: contextText });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ parallel: 17 }, 'parallel', '1 to 16'],
      [{ parallel: 0 }, 'parallel', '1 to 16'],
      [{ parallel: 1.5 }, 'parallel', '1 to 16'],
      [{ maxRewrites: 51 }, 'maxRewrites', '1 to 50'],
      [{ maxRewrites: 0 }, 'maxRewrites', '1 to 50'],
      [{ effort: 'extreme' }, 'effort', 'low, medium, high'],
      [{ maxOutputTokens: 0 }, 'maxOutputTokens', 'positive integer'],
      [{ maxMemoryCharacters: 99 }, 'maxMemoryCharacters', '100 to 1000000'],
      [{ maxMemoryCharacters: 5000.5 }, 'maxMemoryCharacters', '100 to 1000000'],
    ];
    for (const [options, field, range] of cases) {
      const error = await expectSleeptimeError(engine.sleep('c', options), 'invalid_budget', 'user');
      expect(error.message).toContain(field);
      expect(error.message).toContain(range);
    }
    await expectSleeptimeError(engine.sleep('c', { temperature: 5 }), 'invalid_option', 'user');
    const style = await expectSleeptimeError(engine.sleep('c', { promptStyle: 'gsm' } as never), 'invalid_option', 'user');
    expect(style.message).toBe('promptStyle must be one of default, aime, repository');
    expect(await engine.runs('c')).toEqual([]);
    expect(model.languageModel.doGenerateCalls).toHaveLength(0);
    expect(model.budgets).toHaveLength(0);
  });
});

describe('ask', () => {
  it('answers with the learned context and the raw context in the system message, fresh', async () => {
    const { learnedContextId } = await contextWithLearned();
    const { engine, model } = engineWith([textReply('Ana keeps 31. The answer is 31.', { input: 300, output: 12, reasoning: 4 })]);
    const result = await engine.ask('pencils', 'How many pencils does Ana have now?', {
      verbosity: 1,
      effort: 'low',
      thinkingBudget: 256,
      maxOutputTokens: 64,
    });

    const call = model.languageModel.doGenerateCalls[0];
    const system = systemMessage(call?.prompt ?? []);
    expect(system).toContain(`<learned_context>\n${learnedMemory}\n</learned_context>`);
    expect(system).toContain(`<context>\n${contextText}\n</context>`);
    expect(call?.prompt.map((message) => message.role)).toEqual(['system', 'user']);
    expect(userMessageText(call?.prompt ?? [])).toBe(`${verbosityInstructions[1]}\n\nQuestion: How many pencils does Ana have now?`);
    expect(call?.providerOptions).toEqual(markerProviderOptions);
    expect(call?.maxOutputTokens).toBe(64);
    expect(call?.temperature).toBe(0);
    expect(call?.tools).toBeUndefined();
    expect(model.budgets).toEqual([{ maxOutputTokens: 64, effort: 'low', thinkingBudget: 256 }]);

    expect(result).toMatchObject({
      contextId: 'pencils',
      question: 'How many pencils does Ana have now?',
      answer: 'Ana keeps 31. The answer is 31.',
      final: '31',
      fresh: true,
      learnedContextId,
      learnedSourceVersion: 1,
      contextVersion: 1,
      usage: { inputTokens: 300, outputTokens: 12, reasoningTokens: 4 },
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);

    const [run] = await engine.runs('pencils', { limit: 1 });
    expect(run).toMatchObject({
      id: result.runId,
      kind: 'ask',
      status: 'succeeded',
      question: 'How many pencils does Ana have now?',
      answer: 'Ana keeps 31. The answer is 31.',
      final: '31',
      fresh: true,
      learnedContextId,
      usage: result.usage,
      settings: { verbosity: 1, effort: 'low', thinkingBudget: 256, maxOutputTokens: 64, useLearned: true, includeContext: true, temperature: 0 },
    });
    expect(await engine.runCalls(result.runId)).toEqual([
      expect.objectContaining({ phase: 'test', branch: 0, step: 0, usage: result.usage, finishReason: 'stop' }),
    ]);
  });

  it('reports a stale learned context after the context changes', async () => {
    const { learnedContextId } = await contextWithLearned();
    const { engine, model } = engineWith([textReply('The answer is 30.', { input: 1, output: 1 })]);
    const changedText = `${contextText} Then she loses one.`;
    await engine.putContext({ id: 'pencils', text: changedText });
    const result = await engine.ask('pencils', 'How many pencils does Ana have now?');
    expect(result).toMatchObject({ fresh: false, learnedContextId, learnedSourceVersion: 1, contextVersion: 2 });
    const system = systemMessage(model.languageModel.doGenerateCalls[0]?.prompt ?? []);
    expect(system).toContain(`<context>\n${changedText}\n</context>`);
    expect(system).toContain(learnedMemory);
    expect((await engine.runs('pencils', { limit: 1 }))[0]?.fresh).toBe(false);
    expect((await engine.learnedContext('pencils'))?.fresh).toBe(false);
  });

  it('answers without the learned context when useLearned is false', async () => {
    await contextWithLearned();
    const { engine, model } = engineWith([textReply('The answer is 31.', { input: 1, output: 1 })]);
    const result = await engine.ask('pencils', 'How many?', { useLearned: false });
    const system = systemMessage(model.languageModel.doGenerateCalls[0]?.prompt ?? []);
    expect(system).not.toContain('</learned_context>');
    expect(system).not.toContain(learnedMemory);
    expect(system).toContain(contextText);
    expect(result).toMatchObject({ fresh: null, learnedContextId: null, learnedSourceVersion: null });
    expect((await engine.runs('pencils', { limit: 1 }))[0]).toMatchObject({ fresh: null, learnedContextId: null, settings: { useLearned: false } });
  });

  it('answers from the raw context alone before any sleep', async () => {
    const { engine } = engineWith([textReply('The answer is 31.', { input: 1, output: 1 })]);
    await engine.putContext({ id: 'c', text: contextText });
    const result = await engine.ask('c', 'How many?');
    expect(result).toMatchObject({ fresh: null, learnedContextId: null, final: '31' });
  });

  it('leaves the raw context out when asked to', async () => {
    await contextWithLearned();
    const { engine, model } = engineWith([textReply('The answer is 31.', { input: 1, output: 1 })]);
    await engine.ask('pencils', 'How many?', { includeContext: false });
    const system = systemMessage(model.languageModel.doGenerateCalls[0]?.prompt ?? []);
    expect(system).toContain(learnedMemory);
    expect(system).not.toContain(contextText);
  });

  it('keeps the system message byte-identical across questions and verbosities', async () => {
    await contextWithLearned();
    const { engine, model } = engineWith(Array.from({ length: 4 }, () => textReply('The answer is 1.', { input: 1, output: 1 })));
    await engine.ask('pencils', 'How many pencils does Ana have?', { verbosity: 0 });
    await engine.ask('pencils', 'How many pencils did Ben get?', { verbosity: 0 });
    await engine.ask('pencils', 'How many pencils does Ana have?', { verbosity: 4 });
    await engine.ask('pencils', 'How many pencils did Ben get?', { verbosity: 4, maxOutputTokens: 9 });
    const prompts = model.languageModel.doGenerateCalls.map((call) => call.prompt);
    expect(prompts).toHaveLength(4);
    const systems = prompts.map((prompt) => systemMessage(prompt));
    expect(new Set(systems).size).toBe(1);
    expect(new Set(prompts.map((prompt) => userMessageText(prompt))).size).toBe(4);
  });

  it('rejects bad input before starting a run or calling the model', async () => {
    const { engine, model } = engineWith([]);
    await engine.putContext({ id: 'c', text: contextText });
    await expectSleeptimeError(engine.ask('c', '   '), 'empty_question', 'user');
    const cases: [Record<string, unknown>, string, string][] = [
      [{ verbosity: 5 }, 'verbosity', '0 to 4'],
      [{ verbosity: -1 }, 'verbosity', '0 to 4'],
      [{ verbosity: 2.5 }, 'verbosity', '0 to 4'],
      [{ maxOutputTokens: 0 }, 'maxOutputTokens', 'positive integer'],
      [{ thinkingBudget: -10 }, 'thinkingBudget', 'positive integer'],
      [{ effort: 'max' }, 'effort', 'low, medium, high'],
    ];
    for (const [options, field, range] of cases) {
      const error = await expectSleeptimeError(engine.ask('c', 'How many?', options), 'invalid_budget', 'user');
      expect(error.message).toContain(field);
      expect(error.message).toContain(range);
      expect(error.details).toMatchObject({ field });
    }
    await expectSleeptimeError(engine.ask('c', 'How many?', { temperature: -1 }), 'invalid_option', 'user');
    // No learned context yet and the raw context left out: nothing to answer from.
    await expectSleeptimeError(engine.ask('c', 'How many?', { includeContext: false }), 'nothing_to_answer_from', 'user');
    expect(await engine.runs('c')).toEqual([]);
    expect(model.languageModel.doGenerateCalls).toHaveLength(0);
  });

  it('lets user errors from the model budget mapping through, before any run', async () => {
    const { engine, model } = engineWith([], (budget) => {
      if (budget.thinkingBudget !== undefined) throw userError('unsupported_budget', 'this model has no thinking budget');
      return {};
    });
    await engine.putContext({ id: 'c', text: contextText });
    await expectSleeptimeError(engine.ask('c', 'How many?', { thinkingBudget: 100 }), 'unsupported_budget', 'user');
    expect(await engine.runs('c')).toEqual([]);
    expect(model.languageModel.doGenerateCalls).toHaveLength(0);
  });

  it('records a failed ask with the error', async () => {
    const { engine } = engineWith([new Error('connection reset')]);
    await engine.putContext({ id: 'c', text: contextText });
    await expectSleeptimeError(engine.ask('c', 'How many?'), 'ask_failed', 'upstream');
    expect((await engine.runs('c'))[0]).toMatchObject({
      kind: 'ask',
      status: 'failed',
      question: 'How many?',
      error: { code: 'ask_failed', message: expect.stringContaining('connection reset') },
      usage: { inputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
    });
  });
});

describe('runs, calls and the lazy model', () => {
  it('lists runs newest first with a limit, and rejects an unknown run id', async () => {
    await contextWithLearned();
    const { engine } = engineWith([textReply('The answer is 31.', { input: 1, output: 1 })]);
    await engine.ask('pencils', 'How many?');
    expect((await engine.runs('pencils')).map((run) => run.kind)).toEqual(['ask', 'sleep']);
    expect(await engine.runs('pencils', { limit: 1 })).toHaveLength(1);
    await expectSleeptimeError(engine.runs('pencils', { limit: 0 }), 'invalid_option', 'user');
    await expectSleeptimeError(engine.runCalls('no-such-run'), 'run_not_found', 'user');
  });

  it('loads a lazy model once, and only after the input passed validation', async () => {
    let loads = 0;
    const model = testModel(
      scriptedLanguageModel([textReply('The answer is 1.', { input: 1, output: 1 }), textReply('The answer is 2.', { input: 1, output: 1 })]),
    );
    const engine = createEngine({
      store,
      model: async () => {
        loads += 1;
        return model;
      },
    });
    await engine.putContext({ id: 'c', text: contextText });
    await expectSleeptimeError(engine.ask('missing', 'How many?'), 'context_not_found');
    await expectSleeptimeError(engine.ask('c', ''), 'empty_question');
    await expectSleeptimeError(engine.sleep('c', { parallel: 99 }), 'invalid_budget');
    expect(loads).toBe(0);
    await engine.ask('c', 'How many?');
    await engine.ask('c', 'How many now?');
    expect(loads).toBe(1);
  });

  it('reports a model that fails to load as a system error, and tries again next time', async () => {
    let loads = 0;
    const engine = createEngine({
      store,
      model: async () => {
        loads += 1;
        throw new Error('download interrupted');
      },
    });
    await engine.putContext({ id: 'c', text: contextText });
    const error = await expectSleeptimeError(engine.ask('c', 'How many?'), 'model_load_failed', 'system');
    expect(error.message).toContain('download interrupted');
    await expectSleeptimeError(engine.sleep('c'), 'model_load_failed', 'system');
    expect(loads).toBe(2);
    expect(await engine.runs('c')).toEqual([]);
  });
});
