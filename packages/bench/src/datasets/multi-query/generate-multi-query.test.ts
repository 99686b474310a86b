/**
 * generateMultiQuery end to end: createModel's openai-compatible path against the scripted server
 * (a real HTTP server on 127.0.0.1), with the model layer's retries off so each reply is one call.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { createModel, type SleeptimeModel } from '@sleeptime/core';
import {
  startScriptedOpenAIServer,
  type RecordedRequest,
  type ScriptedOpenAIServer,
  type ScriptedOpenAIServerScript,
  type ScriptedReply,
} from '@sleeptime/core/testing';
import { evaluatePython, type GsmSymbolicInstance } from '../gsm-symbolic/index.js';
import { generateMultiQuery, type GenerateMultiQueryOptions, type MultiQueryProgress } from './generate-multi-query.js';
import { readMultiQueryCache } from './multi-query-cache.js';

const servers: ScriptedOpenAIServer[] = [];
const models: SleeptimeModel[] = [];
let directory: string;
let previousWarningSetting: typeof globalThis.AI_SDK_LOG_WARNINGS;

beforeAll(() => {
  // The openai-compatible provider warns that it sends JSON mode instead of a schema; expected here.
  previousWarningSetting = globalThis.AI_SDK_LOG_WARNINGS;
  globalThis.AI_SDK_LOG_WARNINGS = false;
});
afterAll(() => {
  globalThis.AI_SDK_LOG_WARNINGS = previousWarningSetting;
});
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-multi-query-'));
});
afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await rm(directory, { recursive: true, force: true });
});

async function scriptedModel(script: ScriptedOpenAIServerScript): Promise<{ server: ScriptedOpenAIServer; model: SleeptimeModel }> {
  const server = await startScriptedOpenAIServer(script);
  servers.push(server);
  const model = await createModel('openai-compatible:scripted', { baseUrl: server.baseUrl, env: {}, retry: { maxAttempts: 1 } });
  models.push(model);
  return { server, model };
}

/** "Maria has 12 apples. She buys 3 bags with 5 oranges in each bag." with other names and numbers. */
function instance(index: number, apples = 12 + index, bags = 3, oranges = 5): GsmSymbolicInstance {
  const name = ['Maria', 'Omar', 'Lena', 'Kofi'][index % 4] as string;
  const context = `${name} has ${apples} apples. ${name} buys ${bags} bags with ${oranges} oranges in each bag.`;
  const query = `How many pieces of fruit does ${name} have now?`;
  return {
    id: `test/0001/seed-1/${index}`,
    template: 'test/0001',
    question: `${context} ${query}`,
    answer: apples + bags * oranges,
    bindings: { name, a: apples, b: bags, c: oranges },
    labels: {},
    context,
    query,
  };
}

function question(text: string, solution: string, expression: string) {
  return { question: text, solution, expression };
}

function reply(questions: unknown[]): ScriptedReply {
  return { text: JSON.stringify({ questions }) };
}

/**
 * The brief's context: 2 valid questions, 1 that disagrees, 1 with an unknown variable, 1 duplicate.
 * The worked answers follow the context's numbers, as a model's would.
 */
function mixedQuestionsFor(context: GsmSymbolicInstance) {
  const { a, b, c } = context.bindings as { a: number; b: number; c: number };
  return [
    question('How many oranges are bought?', `${b} bags of ${c}: ${b * c}.\n#### ${b * c}`, 'b * c'),
    question('How many more oranges than apples are there?', `#### ${b * c - a}.0000000001`, 'b * c - a'),
    question('How many fruits would there be with one more bag?', `#### ${a + b * c}`, 'a + (b + 1) * c'),
    question('How much do the apples cost?', '#### 6', 'a * apple_price'),
    question('how many ORANGES are bought', `Again ${b * c}.\n#### ${b * c}`, 'b * c'),
  ];
}

const mixedQuestions = mixedQuestionsFor(instance(0));

/** A script that answers each request with the mixed questions of the context it asks about. */
function answerEachContext(contexts: readonly GsmSymbolicInstance[], count = 5, delay?: (index: number) => number) {
  return (request: RecordedRequest): ScriptedReply => {
    const index = contexts.findIndex((context) => userMessage(request).includes(context.context));
    const context = contexts[index];
    if (context === undefined) throw new Error('request for an unknown context');
    return { ...reply(mixedQuestionsFor(context).slice(0, count)), ...(delay === undefined ? {} : { delayMs: delay(index) }) };
  };
}

function userMessage(request: RecordedRequest): string {
  const message = request.body.messages?.find((item) => item.role === 'user');
  return typeof message?.content === 'string' ? message.content : JSON.stringify(message?.content);
}

function run(options: Partial<GenerateMultiQueryOptions> & Pick<GenerateMultiQueryOptions, 'model' | 'instances'>) {
  return generateMultiQuery({ seed: 7, questionsPerContext: 5, ...options });
}

describe('generateMultiQuery', () => {
  it('keeps only verified questions, after the original, and counts rejections by reason', async () => {
    const { server, model } = await scriptedModel([reply(mixedQuestions)]);
    const context = instance(0);
    const result = await run({ model, instances: [context] });

    expect(server.requests).toHaveLength(1);
    expect(result.rows.map((row) => [row.id, row.query, row.answer, row.original])).toEqual([
      [`${context.id}/q0`, context.query, 27, true],
      [`${context.id}/q1`, 'How many oranges are bought?', 15, false],
      [`${context.id}/q2`, 'How many more oranges than apples are there?', 3, false],
    ]);
    expect(result.kept).toBe(2);
    expect(result.rejected).toBe(3);
    expect(result.rejectedByReason).toEqual({
      malformed: 0,
      duplicate: 1,
      expression_error: 1,
      not_finite: 0,
      unstated_variable: 0,
      answers_disagree: 1,
    });
    expect(result.rejections.map((rejection) => [rejection.reason, rejection.question])).toEqual([
      ['answers_disagree', 'How many fruits would there be with one more bag?'],
      ['expression_error', 'How much do the apples cost?'],
      ['duplicate', 'how many ORANGES are bought'],
    ]);
    expect(result.rejections[1]?.detail).toContain("unknown name 'apple_price'");
    expect(result.modelCalls).toBe(1);
    expect(result.contextsFromCache).toBe(0);
  });

  it('takes each answer from the evaluated expression, not from the model', async () => {
    const { model } = await scriptedModel([reply(mixedQuestions)]);
    const context = instance(0);
    const { rows } = await run({ model, instances: [context] });
    const generated = rows.filter((row) => !row.original);
    expect(generated.length).toBe(2);
    for (const row of generated) {
      expect(row.answer).toBe(evaluatePython(row.expression as string, context.bindings, context.labels).number);
      expect(row.context).toBe(context.context);
      expect(row.contextId).toBe(context.id);
      expect(row.template).toBe(context.template);
    }
    // The model wrote 3.0000000001: within tolerance, but the row carries the exact 3.
    expect(generated[1]).toMatchObject({ answer: 3, modelAnswer: 3.0000000001, expression: 'b * c - a' });
    expect(generated[1]?.modelSolution).toContain('#### 3.0000000001');
  });

  it('asks for structured output with the context, the seed-derived seed and temperature 0.7', async () => {
    const { server, model } = await scriptedModel([reply(mixedQuestions), reply(mixedQuestions)]);
    await run({ model, instances: [instance(0)] });
    await run({ model, instances: [instance(0)], seed: 8 });
    const [first, second] = server.requests;
    expect(first?.body.response_format).toEqual({ type: 'json_object' });
    expect(first?.body.temperature).toBe(0.7);
    expect(Number.isInteger(first?.body.seed)).toBe(true);
    expect(second?.body.seed).not.toBe(first?.body.seed);
    expect(userMessage(first as RecordedRequest)).toContain(instance(0).context);
    expect(userMessage(first as RecordedRequest)).toContain('Write 5 new questions');
  });

  it('counts a malformed reply and asks again with another seed', async () => {
    const { server, model } = await scriptedModel([
      { text: 'Sure! Here are five questions: 1. How many oranges' },
      reply(mixedQuestions.slice(0, 2)),
    ]);
    const result = await run({ model, instances: [instance(0)] });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body.seed).not.toBe(server.requests[0]?.body.seed);
    expect(result.kept).toBe(2);
    expect(result.rejectedByReason.malformed).toBe(1);
    expect(result.rejected).toBe(1);
    expect(result.rejections[0]).toMatchObject({ reason: 'malformed', attempt: 1, detail: 'the reply is not JSON' });
    expect(result.modelCalls).toBe(2);
  });

  it('gives up on a context after the bounded number of malformed replies, keeping the original', async () => {
    const { server, model } = await scriptedModel([{ text: '{"questions": [' }, { text: '{"items": []}' }, reply(mixedQuestions)]);
    const result = await run({ model, instances: [instance(0)], maxAttemptsPerContext: 2 });
    expect(server.requests).toHaveLength(2);
    expect(result.rows.map((row) => row.original)).toEqual([true]);
    expect(result.rejectedByReason.malformed).toBe(2);
    expect(result.rejections.map((rejection) => rejection.detail)).toEqual([
      'the reply is not JSON',
      'the reply has no "questions" list',
    ]);
  });

  it('reads a reply in a code fence question by question, counting a bad item as malformed', async () => {
    const items = [mixedQuestions[0], { question: 'How many apples?', solution: '#### 12' }, mixedQuestions[1]];
    const { server, model } = await scriptedModel([
      { text: `Here you go:\n\`\`\`json\n${JSON.stringify({ questions: items })}\n\`\`\`` },
    ]);
    const result = await run({ model, instances: [instance(0)] });
    expect(server.requests).toHaveLength(1);
    expect(result.rows.filter((row) => !row.original).map((row) => row.expression)).toEqual(['b * c', 'b * c - a']);
    expect(result.rejectedByReason.malformed).toBe(1);
    expect(result.rejected).toBe(1);
  });

  it('ignores questions beyond the number asked for', async () => {
    const { model } = await scriptedModel([reply(mixedQuestions)]);
    const result = await run({ model, instances: [instance(0)], questionsPerContext: 1 });
    expect(result.rows.map((row) => row.query)).toEqual([instance(0).query, 'How many oranges are bought?']);
    expect(result.rejected).toBe(0);
  });

  it('returns rows in input order whatever order the contexts finish in', async () => {
    const contexts = [instance(0), instance(1), instance(2), instance(3)];
    // The first context answers last: finishing order is the reverse of input order.
    const { server, model } = await scriptedModel(answerEachContext(contexts, 2, (index) => (contexts.length - index) * 60));
    const cachePath = join(directory, 'cache.jsonl');
    const result = await run({ model, instances: contexts, concurrency: 4, cachePath });
    expect(server.requests).toHaveLength(4);
    expect(result.rows.map((row) => row.id)).toEqual(contexts.flatMap((context) => [0, 1, 2].map((j) => `${context.id}/q${j}`)));
    // Answers follow each context's own numbers (12, 13, 14, 15 apples).
    expect(result.rows.filter((row) => row.expression === 'b * c - a').map((row) => row.answer)).toEqual([3, 2, 1, 0]);
    expect(result.rows.filter((row) => row.expression === 'b * c - a').map((row) => row.modelAnswer)).toEqual([
      3.0000000001, 2.0000000001, 1.0000000001, 1e-10,
    ]);
    const cached = await readMultiQueryCache(cachePath);
    expect(cached.records.map((record) => record.contextId)).toEqual([...contexts].reverse().map((context) => context.id));
  });

  it('resumes from the cache without a single model call, with the same rows and counts', async () => {
    const contexts = [instance(0), instance(1), instance(2)];
    const cachePath = join(directory, 'multi-query', 'cache.jsonl');
    const first = await scriptedModel(answerEachContext(contexts));
    const progress: MultiQueryProgress[] = [];
    const original = await run({ model: first.model, instances: contexts, cachePath, concurrency: 2, onProgress: (p) => progress.push(p) });
    expect(first.server.requests).toHaveLength(3);
    expect(progress[0]).toEqual({ done: 0, total: 3, kept: 0, rejected: 0 });
    expect(progress.at(-1)).toEqual({ done: 3, total: 3, kept: original.kept, rejected: original.rejected });

    // A rerun against a server whose script fails every request: any call would be an error.
    const second = await scriptedModel(() => ({ status: 500, errorMessage: 'no call expected' }));
    const rerunProgress: MultiQueryProgress[] = [];
    const resumed = await run({ model: second.model, instances: contexts, cachePath, onProgress: (p) => rerunProgress.push(p) });
    expect(second.server.requests).toHaveLength(0);
    expect(resumed.modelCalls).toBe(0);
    expect(resumed.contextsFromCache).toBe(3);
    expect(resumed.rows).toEqual(original.rows);
    expect(resumed.rejectedByReason).toEqual(original.rejectedByReason);
    expect([resumed.kept, resumed.rejected]).toEqual([6, 9]);
    expect(rerunProgress).toEqual([{ done: 3, total: 3, kept: 6, rejected: 9 }]);
  });

  it('keeps finished contexts when a run fails, and the rerun asks only for the rest', async () => {
    const contexts = [instance(0), instance(1), instance(2)];
    const cachePath = join(directory, 'cache.jsonl');
    const failing = await scriptedModel([reply(mixedQuestionsFor(contexts[0] as GsmSymbolicInstance)), { status: 500, errorMessage: 'provider down' }]);
    const error = await run({ model: failing.model, instances: contexts, cachePath, concurrency: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(failing.server.requests).toHaveLength(2);
    expect((await readMultiQueryCache(cachePath)).records.map((record) => record.contextId)).toEqual([contexts[0]?.id]);

    // A crash in the middle of an append leaves a torn line; it must not count as a context.
    await writeFile(cachePath, `${await readFile(cachePath, 'utf8')}{"version":1,"contextId":"${contexts[1]?.id}"`, 'utf8');
    const retry = await scriptedModel(answerEachContext(contexts, 1));
    const result = await run({ model: retry.model, instances: contexts, cachePath, concurrency: 1 });
    expect(retry.server.requests.map((request) => contexts.findIndex((context) => userMessage(request).includes(context.context)))).toEqual([1, 2]);
    expect(result.contextsFromCache).toBe(1);
    expect(result.rows.map((row) => row.id)).toEqual([
      `${contexts[0]?.id}/q0`,
      `${contexts[0]?.id}/q1`,
      `${contexts[0]?.id}/q2`,
      `${contexts[1]?.id}/q0`,
      `${contexts[1]?.id}/q1`,
      `${contexts[2]?.id}/q0`,
      `${contexts[2]?.id}/q1`,
    ]);
    expect((await readMultiQueryCache(cachePath)).tornLineDropped).toBe(false);
  });

  it('refuses a cache made with other settings, before any call', async () => {
    const cachePath = join(directory, 'cache.jsonl');
    const first = await scriptedModel([reply(mixedQuestions)]);
    await run({ model: first.model, instances: [instance(0)], cachePath });
    const second = await scriptedModel([reply(mixedQuestions)]);
    for (const change of [{ seed: 8 }, { questionsPerContext: 6 }, { instances: [instance(0, 99)] }]) {
      const error = await run({ model: second.model, instances: [instance(0)], cachePath, ...change }).catch((caught: unknown) => caught);
      expect(SleeptimeError.isInstance(error) && error.code, JSON.stringify(change)).toBe('multi_query_cache_mismatch');
    }
    const otherModel = await createModel('openai-compatible:other', { baseUrl: second.server.baseUrl, env: {} });
    models.push(otherModel);
    await expect(run({ model: otherModel, instances: [instance(0)], cachePath })).rejects.toThrow(/model openai-compatible:scripted/);
    expect(second.server.requests).toHaveLength(0);
    // The same settings reuse it.
    expect((await run({ model: second.model, instances: [instance(0)], cachePath })).contextsFromCache).toBe(1);
  });

  it('rejects bad options and stops on an aborted signal without calling the model', async () => {
    const { server, model } = await scriptedModel([reply(mixedQuestions)]);
    for (const bad of [{ questionsPerContext: 0 }, { concurrency: 1.5 }, { seed: Number.NaN }, { instances: [instance(0), instance(0)] }]) {
      const error = await run({ model, instances: [instance(0)], ...bad }).catch((caught: unknown) => caught);
      expect(SleeptimeError.isInstance(error) && error.category, JSON.stringify(bad)).toBe('user');
    }
    const controller = new AbortController();
    controller.abort(new Error('stopped by the user'));
    await expect(run({ model, instances: [instance(0)], signal: controller.signal })).rejects.toThrow('stopped by the user');
    expect(server.requests).toHaveLength(0);
  });
});
